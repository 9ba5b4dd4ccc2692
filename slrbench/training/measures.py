"""What a training epoch measures for its history row and the run loggers, beside accuracy: the
loss and its parts per clip, clips per second, and peak memory."""
from __future__ import annotations

import resource
import sys
import time
from typing import Iterable, Mapping

import torch


class LossTally:
    """Clip-weighted sums of the loss and its parts, over an epoch or one optimizer step."""

    def __init__(self, names: Iterable[str]):
        self.sums = dict.fromkeys(names, 0.0)
        self.clips = 0
        self.started = time.perf_counter()

    def add(self, values: Mapping[str, float], clips: int) -> None:
        for name, value in values.items():
            self.sums[name] += value * clips
        self.clips += clips

    def means(self) -> dict[str, float]:
        return {name: total / max(self.clips, 1) for name, total in self.sums.items()}

    def clips_per_second(self) -> float:
        return self.clips / max(time.perf_counter() - self.started, 1e-9)


def detached_values(named: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """Scalar tensors -> floats, with one device synchronisation."""
    values = torch.stack([tensor.detach().float() for tensor in named.values()]).tolist()
    return dict(zip(named, values))


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
