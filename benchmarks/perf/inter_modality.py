"""Inter-modality mixup loss (Eq. 5), direct formula vs slrbench's, forward + backward, in one run.

N = 2000 glosses, D = 1024, B = 8 (one head of NLA-SLR on WLASL2000), CPU. Each variant runs in
a fresh process so that its peak resident memory (ru_maxrss) is its own; the extra peak is the
growth over the process after its inputs exist. Also checks that both give the same loss.

    python benchmarks/perf/inter_modality.py [--classes 2000 --dim 1024 --batch 8 --repeats 3]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

WORKER = """
import json, resource, sys, time, torch
from slrbench.models.inter_modality import inter_modality_loss, inter_modality_loss_direct, mixed_hard_targets
variant, n, d, b, repeats = sys.argv[1], *map(int, sys.argv[2:6])
torch.manual_seed(0)
torch.set_num_threads(2)
features = torch.randn(b, d, requires_grad=True)
glosses = torch.randn(n, d, requires_grad=True)
fc2 = torch.nn.Linear(d, n)
targets = mixed_hard_targets(torch.randint(n, (b,)), torch.randint(n, (b,)), 0.7, n)
loss_fn = inter_modality_loss if variant == "efficient" else inter_modality_loss_direct
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(repeats):
    start = time.perf_counter()
    loss = loss_fn(features, glosses, fc2, targets)
    loss.backward()
    times.append(time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": min(times), "extra_peak_mib": (peak - before) / 1024, "loss": loss.item()}))
"""


def run(variant: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, "-c", WORKER, variant, str(args.classes), str(args.dim), str(args.batch), str(args.repeats)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    direct, efficient = run("direct", args), run("efficient", args)
    print(f"N={args.classes} D={args.dim} B={args.batch}, forward + backward, best of {args.repeats}, 2 threads")
    print(f"{'variant':<10}{'seconds':>10}{'extra peak MiB':>16}{'loss':>12}")
    for name, result in (("direct", direct), ("efficient", efficient)):
        print(f"{name:<10}{result['seconds']:>10.3f}{result['extra_peak_mib']:>16.1f}{result['loss']:>12.6f}")
    print(f"ratios (direct / efficient): time {direct['seconds'] / efficient['seconds']:.1f}x, "
          f"extra peak memory {direct['extra_peak_mib'] / max(efficient['extra_peak_mib'], 1e-3):.1f}x")
    same = abs(direct["loss"] - efficient["loss"]) <= 1e-4 * abs(direct["loss"])
    print(f"same loss: {'yes' if same else 'NO'}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
