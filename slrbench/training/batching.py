"""Which samples each process trains on in each micro-batch, independent of the world size.

An epoch's order is the permutation drawn from (seed, epoch) (`slrbench.data.sampling`). It is cut into global batches of
`batch_size`; each global batch is cut into `world_size x accumulation` micro-batches, and rank r
takes micro-batches r, r + world_size, ... So 2 processes x 1 step and 1 process x 2
accumulation steps see the same micro-batches, which is what makes DDP runs comparable to
single-process runs (and resumed runs to uninterrupted ones).
"""
from __future__ import annotations

from dataclasses import dataclass

from slrbench.data.sampling import epoch_order
from slrbench.errors import UsageError


@dataclass(frozen=True)
class BatchPlan:
    batch_size: int  # effective (global) batch
    world_size: int
    micro_batch_size: int  # per process per forward pass

    @property
    def accumulation(self) -> int:
        return self.batch_size // (self.world_size * self.micro_batch_size)

    @classmethod
    def create(cls, batch_size: int, world_size: int, micro_batch_size: int | None) -> "BatchPlan":
        micro = micro_batch_size or max(batch_size // world_size, 1)
        if batch_size % (world_size * micro):
            raise UsageError(
                f"run.batch_size={batch_size} is not a multiple of world size {world_size} x "
                f"run.micro_batch_size={micro}; choose sizes that divide"
            )
        return cls(batch_size, world_size, micro)


def micro_batches(num_samples: int, plan: BatchPlan, rank: int, seed: int, epoch: int) -> list[list[int]]:
    """This rank's micro-batches of an epoch, in order; the last, partial global batch is dropped."""
    order = epoch_order(num_samples, seed, epoch)
    mine = []
    for start in range(0, num_samples - plan.batch_size + 1, plan.batch_size):
        batch = order[start:start + plan.batch_size]
        slices = [batch[i:i + plan.micro_batch_size] for i in range(0, plan.batch_size, plan.micro_batch_size)]
        mine.extend(slices[rank::plan.world_size])
    return mine


def evaluation_shards(num_samples: int, batch_size: int, world_size: int, rank: int) -> list[list[int]]:
    """Contiguous evaluation batches of this rank (every sample exactly once over all ranks)."""
    indices = list(range(rank, num_samples, world_size))
    return [indices[i:i + batch_size] for i in range(0, len(indices), batch_size)]
