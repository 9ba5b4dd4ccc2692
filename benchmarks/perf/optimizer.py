"""Adam's step over NLA-SLR's parameters: the per-tensor loop (torch's default on a CPU) against the
multi-tensor (`foreach`) implementation, in one run, and whether both leave the same weights.

The model is `train_step.py`'s (VKNet with the sign mixup's auxiliary branch, N glosses), at the
full width (131 M parameters) or the demo's (`--width 0.125`). Every parameter gets a fixed random
gradient; each variant updates its own copy of the weights, taking turns step by step; the best
step time of each is shown, and after the steps the weights are compared bit for bit.

    python benchmarks/perf/optimizer.py [--width 1.0] [--classes 2000] [--steps 5] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import Config, build_training, parse  # noqa: E402  (the same model as the step benchmark)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--classes", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    step_args = parse(["--width", str(args.width), "--classes", str(args.classes)])
    model = build_training(step_args, Config("slrbench", 1), torch.device("cpu")).model
    generator = torch.Generator().manual_seed(0)
    gradients = [torch.randn(p.shape, generator=generator) * 1e-3 for p in model.parameters()]
    variants = {}
    for name, foreach in (("per-tensor loop", False), ("foreach", True)):
        weights = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
        for weight, gradient in zip(weights, gradients):
            weight.grad = gradient.clone()
        optimizer = torch.optim.Adam(weights, lr=1e-3, betas=(0.9, 0.998), weight_decay=1e-3, foreach=foreach)
        variants[name] = (weights, optimizer, [])
    for _ in range(args.steps):
        for weights, optimizer, times in variants.values():
            start = time.perf_counter()
            optimizer.step()
            times.append(time.perf_counter() - start)
    count = sum(p.numel() for p in model.parameters())
    print(f"Adam step over {count / 1e6:.1f} M parameters in {len(gradients)} tensors (width {args.width}, "
          f"N={args.classes}), {args.threads} threads, best of {args.steps}, variants taking turns")
    print(f"{'variant':<18}{'ms':>10}{'speed-up':>10}")
    loop = min(variants["per-tensor loop"][2])
    for name, (_, _, times) in variants.items():
        print(f"{name:<18}{min(times) * 1e3:>10.1f}{loop / min(times):>9.2f}x")
    same = all(torch.equal(a, b) for a, b in zip(variants["per-tensor loop"][0], variants["foreach"][0]))
    largest = max((a - b).abs().max().item() for a, b in zip(variants["per-tensor loop"][0], variants["foreach"][0]))
    print(f"weights after {args.steps} steps: {'identical' if same else f'differ, by at most {largest:.3g}'}")


if __name__ == "__main__":
    main()
