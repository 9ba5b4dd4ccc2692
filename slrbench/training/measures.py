"""What a training epoch measures for its history row and the run loggers, beside accuracy: the
loss and its parts per clip, clips per second, and peak memory."""
from __future__ import annotations

import resource
import sys
import time
from typing import Iterable, Optional

import torch


class LossTally:
    """Clip-weighted sums of a step's measures (`slrbench.training.step.measure_names`) over an epoch
    or one optimizer step, kept on the training device: adding never waits for the device."""

    def __init__(self, names: Iterable[str], device: torch.device | str = "cpu"):
        self.names = list(names)
        self.sums = torch.zeros(len(self.names), dtype=torch.float64, device=device)
        self.clips = 0
        self.started = time.perf_counter()

    def add(self, values: torch.Tensor, clips: int) -> None:
        """`values`: one micro-batch's means, a device vector in the order of `names`."""
        self.sums.add_(values.double(), alpha=clips)
        self.clips += clips

    def means(self, sums: Optional[list[float]] = None) -> dict[str, float]:
        """Per-clip means; reads the sums from the device unless given them, already read."""
        totals = self.sums.tolist() if sums is None else sums
        return {name: total / max(self.clips, 1) for name, total in zip(self.names, totals)}

    def clips_per_second(self) -> float:
        return self.clips / max(time.perf_counter() - self.started, 1e-9)


def start_memory_peak(device: torch.device) -> None:
    """Start measuring this epoch's peak of CUDA memory allocated by tensors."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def memory_peaks(device: torch.device) -> dict[str, float]:
    """`peak_rss_mb`: the process's peak resident memory so far; on CUDA, `peak_cuda_mb`: the most
    memory tensors held on the device during this epoch (since `start_memory_peak`). In MiB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    peaks = {"peak_rss_mb": rss / (2**20 if sys.platform == "darwin" else 2**10)}
    if device.type == "cuda":
        peaks["peak_cuda_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return peaks
