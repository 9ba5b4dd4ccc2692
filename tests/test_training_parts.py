"""Training parts that need no data: batching plans, schedules' use, atomic checkpoints."""
from __future__ import annotations

import pytest
import torch

from slrbench.errors import UsageError
from slrbench.training.batching import BatchPlan, evaluation_shards, micro_batches
from slrbench.training.checkpoints import complete_checkpoint, load_checkpoint, save_checkpoint


def test_two_processes_see_the_micro_batches_of_one_process_with_accumulation():
    single = micro_batches(40, BatchPlan.create(8, 1, 4), rank=0, seed=3, epoch=2)
    rank0 = micro_batches(40, BatchPlan.create(8, 2, 4), rank=0, seed=3, epoch=2)
    rank1 = micro_batches(40, BatchPlan.create(8, 2, 4), rank=1, seed=3, epoch=2)
    assert single[0::2] == rank0 and single[1::2] == rank1
    assert sorted(i for batch in single for i in batch) == list(range(40))


def test_epochs_are_shuffled_differently_and_reproducibly():
    plan = BatchPlan.create(4, 1, None)
    assert micro_batches(12, plan, 0, seed=1, epoch=0) == micro_batches(12, plan, 0, seed=1, epoch=0)
    assert micro_batches(12, plan, 0, seed=1, epoch=0) != micro_batches(12, plan, 0, seed=1, epoch=1)


def test_batch_sizes_must_divide():
    with pytest.raises(UsageError, match="not a multiple of world size 2"):
        BatchPlan.create(6, 2, 2)
    assert BatchPlan.create(32, 4, 4).accumulation == 2


def test_evaluation_shards_cover_every_sample_once():
    shards = [evaluation_shards(11, 3, 2, rank) for rank in (0, 1)]
    assert sorted(i for shard in shards for batch in shard for i in batch) == list(range(11))


def test_checkpoint_swap_keeps_a_complete_checkpoint(tmp_path):
    folder = tmp_path / "checkpoint"
    save_checkpoint(folder, {"w": torch.ones(2)}, {"epoch": 0, "history": [{"loss": 1.0}]})
    save_checkpoint(folder, {"w": torch.full((2,), 2.0)}, {"epoch": 1, "history": []})
    weights, state = load_checkpoint(complete_checkpoint(folder))
    assert state["epoch"] == 1 and torch.equal(weights["w"], torch.full((2,), 2.0))
    folder.rename(tmp_path / "checkpoint.old")  # as if killed between the two renames
    assert complete_checkpoint(folder) == tmp_path / "checkpoint.old"
    assert list(tmp_path.iterdir()) == [tmp_path / "checkpoint.old"]


def test_checkpoint_state_is_loaded_without_executing_pickles(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    folder = tmp_path / "checkpoint"
    save_checkpoint(folder, {"w": torch.ones(1)}, {"epoch": 0})
    torch.save({"epoch": Evil()}, folder / "state.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        load_checkpoint(folder)
