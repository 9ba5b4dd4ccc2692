"""Process-group set-up for `torchrun --nproc_per_node N -m slrbench run ...`.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous address; without them the run is
a single process. CPU runs use the gloo backend, CUDA runs nccl with one GPU per process.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_world(device: torch.device) -> World:
    """Join the process group torchrun describes (no-op for a single process)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return World()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return World(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", 0)))


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def gather_objects(world: World, value):
    """Every rank's `value`, in rank order (a list of one for a single process)."""
    if not world.distributed:
        return [value]
    gathered = [None] * world.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def sum_over_ranks(world: World, values: list[float]) -> list[float]:
    """Element-wise sums over all ranks (epoch statistics of the whole global batch)."""
    if not world.distributed:
        return values
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return tensor.tolist()


def broadcast_object(world: World, value):
    """Rank 0's `value` on every rank."""
    if not world.distributed:
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def shutdown(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()
