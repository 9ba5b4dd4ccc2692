"""The order of an epoch's training samples, drawn from (seed, epoch).

The one permutation both the trainer's batch plan (`slrbench.training.batching`) and the loader's
own shuffling (`ClipLoader.batches`) use, so the two orders are equal by construction.
"""
from __future__ import annotations

import torch


def epoch_order(num_samples: int, seed: int, epoch: int) -> list[int]:
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(num_samples, generator=generator).tolist()
