"""Keypoint heatmaps: dense Gaussians vs slrbench's separable ones, in one run, on the CPU.

B = 1, T = 64, K = 63 keypoints, 112² maps, σ = 3.5 px (the reference's 8 px at 256²). "dense"
evaluates exp(-((j - x)² + (i - y)²) / 2σ²) for every pixel and keypoint (what the reference does,
there at 256² before a crop and resize); "separable" is `slrbench.data.heatmaps.heatmaps_from_keypoints`
(two 1-D Gaussians per keypoint and one rank-2 product that writes the maps). The maps of one clip
take 202 MB; a fresh tensor of that size costs page faults on a CPU on every call, which a
caching allocator (CUDA's) avoids, so "separable, reused buffer" (`out=`) is also timed. Best of
`--repeats`; checks that the maps agree to 1e-6. The floor line allocates and fills a tensor of
the maps' size, the least any implementation that returns a new tensor can cost.

    python benchmarks/perf/heatmaps.py [--repeats 5 --threads 2]
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from slrbench.data.heatmaps import REFERENCE_SIGMA_AT_112, heatmaps_from_keypoints


def dense_heatmaps(keypoints: torch.Tensor, size: int, sigma: float, threshold: float = 0.0) -> torch.Tensor:
    """(B, T, K, 3) -> (B, K, T, H, W): every pixel tested against every keypoint."""
    x, y, score = keypoints.permute(0, 2, 1, 3).unbind(-1)  # (B, K, T)
    rows = torch.arange(size, dtype=torch.float32, device=keypoints.device).view(size, 1)
    columns = torch.arange(size, dtype=torch.float32, device=keypoints.device).view(1, size)
    distance = (columns - x[..., None, None]) ** 2 + (rows - y[..., None, None]) ** 2  # (B, K, T, H, W)
    maps = torch.exp(-distance / (2 * sigma ** 2)) * (score >= threshold)[..., None, None]
    return maps * 2 - 1


def best_time(function: Callable[[], torch.Tensor], repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--keypoints", type=int, default=63)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    b, t, k, s = args.batch, args.frames, args.keypoints, args.size
    keypoints = torch.cat([torch.rand(b, t, k, 2, generator=generator) * s, torch.rand(b, t, k, 1, generator=generator)], -1)
    sigma = REFERENCE_SIGMA_AT_112 * s / 112
    buffer = torch.empty(b, k, t, s, s)

    difference = (dense_heatmaps(keypoints, s, sigma) - heatmaps_from_keypoints(keypoints, s, sigma)).abs().max().item()
    dense = best_time(lambda: dense_heatmaps(keypoints, s, sigma), args.repeats)
    separable = best_time(lambda: heatmaps_from_keypoints(keypoints, s, sigma), args.repeats)
    reused = best_time(lambda: heatmaps_from_keypoints(keypoints, s, sigma, out=buffer), args.repeats)
    floor = best_time(lambda: torch.empty(b, k, t, s, s).fill_(-1.0), args.repeats)  # allocate + write only

    print(f"B={b} T={t} K={k} {s}x{s} sigma={sigma:.2f}, best of {args.repeats}, {args.threads} threads, "
          f"maps {buffer.numel() * 4 / 1e6:.0f} MB")
    print(f"{'variant':<28}{'ms':>9}{'speed-up':>10}")
    rows = (("dense", dense), ("separable", separable), ("separable, reused buffer", reused),
            ("(floor: new tensor, fill -1)", floor))
    for name, seconds in rows:
        print(f"{name:<28}{seconds * 1e3:>9.1f}{dense / seconds:>9.1f}x")
    print(f"max |dense - separable| = {difference:.2e} -> {'equal to 1e-6' if difference <= 1e-6 else 'DIFFERENT'}")
    if difference > 1e-6:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
