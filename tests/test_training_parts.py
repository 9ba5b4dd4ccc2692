"""Training parts that need no data: batching plans, schedules' use, atomic checkpoints."""
from __future__ import annotations

import pytest
import torch

from slrbench.errors import UsageError
from slrbench.interfaces import BackboneBase
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
    with pytest.raises(Exception, match=r"not a plain tensor checkpoint \(it names print\); slrbench does not load code"):
        load_checkpoint(folder)


class TinyBackbone(BackboneBase, torch.nn.Module):
    """A real (if tiny) keypoint backbone: mean over frames and points, then a linear layer."""

    inputs = ("keypoints",)
    feature_dims = {"k": 4}

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 4)

    def forward(self, inputs):
        return {"k": self.linear(inputs["keypoints"].mean(dim=(1, 2)))}


class PlannedData:
    """Micro-batches as the loader yields them with keep_empty=True; some wholly unreadable."""

    num_train_samples = 8

    def __init__(self, unreadable: set[int]):
        self.unreadable = unreadable

    def train_batches(self, index_batches, epoch):
        for position, indices in enumerate(index_batches):
            if position in self.unreadable:
                yield {"sample_id": [], "label": torch.zeros(0, dtype=torch.long)}
                continue
            yield {"sample_id": [str(i) for i in indices], "label": torch.tensor(indices) % 2,
                   "inputs": {"keypoints": torch.rand(len(indices), 4, 5, 3)}}

    def evaluate(self, model, split, crops):
        raise AssertionError("validation is off in this test")


@pytest.mark.parametrize("unreadable", [set(), {1}, {0}])
def test_unreadable_micro_batches_keep_the_optimizer_steps_of_the_plan(tmp_path, unreadable):
    from slrbench.interfaces import MixupContext
    from slrbench.registry import default_registry
    from slrbench.training.distributed import World
    from slrbench.training.model import SignModel
    from slrbench.training.trainer import Trainer, TrainerSettings

    model = SignModel(TinyBackbone(), num_classes=2)
    mixup = default_registry().build("mixups", "none", {}, MixupContext(num_classes=2))
    trainer = Trainer(model, mixup, torch.eye(2), PlannedData(unreadable), TrainerSettings(epochs=1, seed=0, validate=False),
                      BatchPlan.create(4, 1, 2), World(), tmp_path, torch.device("cpu"), lambda event, values: None)
    trainer.fit()
    steps = {int(state["step"]) for state in trainer.optimizer.state.values()}
    assert steps == {2}  # 8 samples / global batch 4: two optimizer steps whatever was unreadable


def test_the_loaders_shuffle_is_the_trainers_epoch_order():
    """One permutation: a loader shuffling on its own serves the batches the trainer plans."""
    from slrbench.data.loader import ClipLoader, LoaderSettings
    from slrbench.interfaces import DatasetContext
    from slrbench.registry import default_registry

    dataset = default_registry().build("datasets", "synthetic", {"num_classes": 4, "train_per_class": 3,
                                                                 "val_per_class": 1, "test_per_class": 1},
                                       DatasetContext())
    loader = ClipLoader(dataset.manifest("synthetic"), "train", LoaderSettings(("keypoints",), 8, 32, 16),
                        reader=dataset.clip_reader(), batch_size=4, seed=7)
    for epoch in (0, 3):
        served = [batch["sample_id"] for batch in loader.batches(epoch)]
        planned = [batch["sample_id"] for batch in loader.batches(
            epoch, micro_batches(len(loader), BatchPlan.create(4, 1, None), rank=0, seed=7, epoch=epoch))]
        assert served == planned and sorted(sum(served, [])) == sorted(str(row["sample_id"]) for row in loader.dataset.rows)
