"""The training loop: Adam + cosine annealing (the paper's recipe), AMP, gradient accumulation,
an atomic checkpoint per epoch, best-on-val selection, exact resume and DDP.

One optimizer step = one global batch: each process runs `accumulation` micro-batches
(`slrbench.training.batching`). After every step the auxiliary branch folds FC2 into FC1 (Eq. 6).
The run loggers get every step's loss parts and every epoch's history row (`RunLoggers`). A step's
work is `slrbench.training.step.forward_losses`; nothing inside it waits for the device: its measures
are summed there and read one micro-batch late, once the next micro-batch is queued.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Protocol

import torch

from slrbench.errors import SlrbenchError
from slrbench.interfaces import AuxiliaryBranchBase
from slrbench.training.batching import BatchPlan, micro_batches
from slrbench.training.checkpoints import (
    complete_checkpoint, load_checkpoint, random_states, restore_random_states, save_checkpoint,
)
from slrbench.training.distributed import World, barrier, broadcast_object, sum_over_ranks
from slrbench.training.measures import LossTally, memory_peaks, start_memory_peak
from slrbench.training.model import SignModel
from slrbench.training.run_loggers import RunLoggers
from slrbench.training.step import CORRECT, LaggedReads, forward_losses, measure_names


@dataclass(frozen=True)
class TrainerSettings:
    epochs: int
    seed: int
    lr: float = 1e-3
    weight_decay: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.998)
    precision: str = "fp32"  # or "bf16" (autocast)
    validate: bool = True  # choose the best epoch on the val split


class TrainData(Protocol):
    num_train_samples: int

    def train_batches(self, index_batches: list[list[int]], epoch: int) -> Iterable[dict[str, Any]]: ...

    def evaluate(self, model: SignModel, split: str, crops: int) -> dict[str, Any]: ...


class TrainingDiverged(SlrbenchError):
    """The loss or the weights became NaN or infinite: the run stops before saving them (exit 2)."""

    exit_code = 2


def mixup_generator(seed: int, epoch: int, step: int) -> torch.Generator:
    """The same mixing for a micro-batch whatever the world size, and after a resume."""
    return torch.Generator().manual_seed((seed * 1_000_003 + epoch) * 1_000_003 + step)


class Trainer:
    def __init__(self, model: SignModel, mixup: Any, target_table: torch.Tensor, data: TrainData,
                 settings: TrainerSettings, plan: BatchPlan, world: World, run_dir: Path, device: torch.device,
                 report: Callable[[str, dict[str, Any]], None]):
        self.model, self.mixup, self.data = model, mixup, data
        self.settings, self.plan, self.world, self.run_dir, self.device = settings, plan, world, run_dir, device
        self.report = report  # (event, values) -> None: progress display and history rows
        self.target_table = target_table.to(device)
        self.network = model
        if world.distributed:
            self.network = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, betas=settings.betas,
                                          weight_decay=settings.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=settings.epochs)
        self.start_epoch, self.best_score, self.history = 0, float("-inf"), []
        self.steps_per_epoch = data.num_train_samples // plan.batch_size  # the last, partial batch is dropped
        self.loggers = RunLoggers()
        self.measure_names = measure_names(model)  # the loss, its parts and the clips classified right

    # --- state ----------------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoint"

    def resume(self) -> bool:
        """Load the last complete checkpoint, if any; returns whether one was found."""
        folder = complete_checkpoint(self.checkpoint_dir)
        if folder is None:
            return False
        weights, state = load_checkpoint(folder)
        self.model.load_state_dict(weights)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        restore_random_states(state["random"])
        self.start_epoch, self.best_score, self.history = state["epoch"] + 1, state["best_score"], state["history"]
        return True

    def _save(self, epoch: int) -> None:
        if not self.world.is_main:
            return
        state = {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "random": random_states(), "epoch": epoch, "best_score": self.best_score, "history": self.history}
        save_checkpoint(self.checkpoint_dir, self.model.state_dict(), state)

    # --- training -------------------------------------------------------------------------------
    def _autocast(self):
        if self.settings.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def train_epoch(self, epoch: int) -> dict[str, float]:
        self.network.train()
        progress = epoch / self.settings.epochs
        batches = micro_batches(self.data.num_train_samples, self.plan, self.world.rank, self.settings.seed, epoch)
        accumulation = self.plan.accumulation
        start_memory_peak(self.device)
        tally = LossTally(self.measure_names, self.device)  # the epoch's, summed on the device
        step_tally = LossTally(self.measure_names, self.device)  # the optimizer step's, on this process
        reads = LaggedReads(self._read)  # host reads one micro-batch late: no wait inside a step
        self.optimizer.zero_grad(set_to_none=True)
        replay = None  # the last readable micro-batch, stands in (with weight 0) for an unreadable one
        for index, batch in enumerate(self.data.train_batches(batches, epoch)):
            weight = 1.0
            if not batch["sample_id"]:  # every sample unreadable: keep this process in step with the others
                if replay is None and self.world.distributed:
                    raise SlrbenchError(f"every sample of a micro-batch at the start of epoch {epoch + 1} was "
                                        "unreadable; run `slrbench data check` and fix or drop those files")
                if replay is None:
                    step_tally, step_log = self._step_if_last(index, epoch, progress, step_tally)
                    reads.push(_Pending(epoch, index, len(batches), 0.0, tally.clips, False, step_log),
                               _stacked(tally, step_log))
                    continue
                batch, weight = replay, 0.0
            replay = batch
            labels = batch["label"].to(self.device, non_blocking=True)
            inputs = {key: value.to(self.device, non_blocking=True) for key, value in batch["inputs"].items()}
            step = index // accumulation
            micro = step * self.plan.world_size * accumulation + index % accumulation * self.plan.world_size + self.world.rank
            last_micro = (index + 1) % accumulation == 0
            sync = contextlib.nullcontext() if last_micro or not self.world.distributed else self.network.no_sync()
            with sync, self._autocast():
                loss, values = forward_losses(self.model, self.network, self.mixup, self.target_table, inputs, labels,
                                              mixup_generator(self.settings.seed, epoch, micro), progress)
                (loss * weight / accumulation).backward()
            if weight:
                tally.add(values, len(labels))
                step_tally.add(values, len(labels))
            step_tally, step_log = self._step_if_last(index, epoch, progress, step_tally)
            reads.push(_Pending(epoch, index, len(batches), weight, tally.clips, True, step_log),
                       _stacked(tally, step_log, values))
        reads.flush()
        self.scheduler.step()
        *sums, seen = sum_over_ranks(self.world, [*tally.sums.tolist(), tally.clips])
        means = {name: total / max(seen, 1) for name, total in zip(tally.names, sums)}
        correct = means.pop(CORRECT)
        measured = {"loss": means.pop("loss"), "train_top1": 100.0 * correct, **means}
        if isinstance(self.model.branch, AuxiliaryBranchBase):
            measured.update(self.model.branch.scheduled_values(progress))
        seconds = time.perf_counter() - tally.started
        return {**measured, "clips_per_second": seen / max(seconds, 1e-9), **memory_peaks(self.device)}

    def _step_if_last(self, index: int, epoch: int, progress: float, step_tally: LossTally
                      ) -> tuple[LossTally, Optional["_StepLog"]]:
        """After the last micro-batch of a global batch: optimizer step, then Eq. 6; returns the tally
        of the step that follows and what the loggers get of this one (read later, `_read`)."""
        if (index + 1) % self.plan.accumulation:
            return step_tally, None
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.model.branch is not None:
            self.model.branch.after_optimizer_step(self.model.heads.classifiers, progress)
        step_log = None
        if step_tally.clips:
            step = epoch * self.steps_per_epoch + (index + 1) // self.plan.accumulation
            step_log = _StepLog(step, lr, step_tally.clips_per_second(), step_tally)
        return LossTally(self.measure_names, self.device), step_log

    def _read(self, pending: "_Pending", numbers: list[float]) -> None:
        """A micro-batch's measures on the host, one micro-batch late: the divergence check, the
        progress report and, after an optimizer step, the step's log."""
        width = len(self.measure_names)
        values, numbers = (numbers[:width], numbers[width:]) if pending.trained else (None, numbers)
        if values is not None and pending.weight and not math.isfinite(values[0]):
            raise TrainingDiverged(f"training diverged: the loss became {values[0]} at epoch {pending.epoch + 1}, "
                                   f"step {pending.index + 1} (run.lr={self.settings.lr}); nothing of this epoch is "
                                   "saved: lower run.lr, or check the inputs with `slrbench data check`")
        epoch_means = dict(zip(self.measure_names, (total / max(pending.clips, 1) for total in numbers[:width])))
        self.report("step", {"epoch": pending.epoch, "step": pending.index + 1, "steps": pending.steps,
                             "loss": epoch_means["loss"], "train_top1": 100.0 * epoch_means[CORRECT]})
        if pending.step_log is not None:
            log = pending.step_log
            step_means = log.tally.means(numbers[width:])
            step_means.pop(CORRECT)
            self.loggers.log_step(log.step, {**step_means, "lr": log.lr, "clips_per_second": log.clips_per_second})

    def fit(self, loggers: RunLoggers | None = None) -> list[dict[str, Any]]:
        """Train the remaining epochs; each epoch's row goes to the history, the loggers and the checkpoint."""
        self.loggers = loggers or RunLoggers()
        for epoch in range(self.start_epoch, self.settings.epochs):
            started = time.perf_counter()
            row: dict[str, Any] = {"epoch": epoch + 1, "lr": self.optimizer.param_groups[0]["lr"]}
            measured = self.train_epoch(epoch)
            row.update(loss=measured.pop("loss"), train_top1=measured.pop("train_top1"))
            if self.settings.validate:
                val = self.data.evaluate(self.model, "val", crops=1)["metrics"]
                row.update({"val_top1": val.per_instance_top1, "val_top5": val.per_instance_top5})
                measured.update({"val_class_top1": val.per_class_top1, "val_class_top5": val.per_class_top5})
                score = row["val_top1"]
            else:
                score = float(epoch)  # no val split: the last epoch is the best
            row["seconds"] = round(time.perf_counter() - started, 2)
            if not all(bool(torch.isfinite(p).all()) for p in self.model.parameters()):
                raise TrainingDiverged(f"training diverged: the weights hold NaN or infinity after epoch {epoch + 1} "
                                       f"(run.lr={self.settings.lr}); they are not saved: lower run.lr")
            improved = score > self.best_score
            if improved:
                self.best_score = score
                if self.world.is_main:
                    save_checkpoint(self.run_dir / "best", self.model.inference_state_dict(), {"epoch": epoch})
            row["best"] = improved
            row.update(measured)  # after history.csv's first columns: loss parts, γ, μ, throughput, memory
            self.history.append(row)
            self.loggers.log_epoch(self.global_step(epoch + 1), row)  # history.csv (csv logger) before the checkpoint
            self._save(epoch)
            barrier(self.world)
            self.report("epoch", row)
        return broadcast_object(self.world, self.history)

    def global_step(self, epochs: int) -> int:
        """The optimizer steps taken after `epochs` epochs: the step the loggers log an epoch's end at."""
        return epochs * self.steps_per_epoch


@dataclass(frozen=True)
class _StepLog:
    step: int
    lr: float
    clips_per_second: float
    tally: LossTally  # the step's sums, read with the micro-batch that closed it


@dataclass(frozen=True)
class _Pending:
    """A queued micro-batch, read one micro-batch later: its values (when it trained), the epoch's
    sums after it and, when it closed an optimizer step, that step's sums."""

    epoch: int
    index: int
    steps: int
    weight: float
    clips: int  # the epoch's clips after it
    trained: bool
    step_log: Optional[_StepLog]


def _stacked(tally: LossTally, step_log: Optional[_StepLog], values: Optional[torch.Tensor] = None) -> torch.Tensor:
    """One device vector to read: [values,] the epoch's sums[, the step's sums] (a copy: the sums grow)."""
    parts = ([] if values is None else [values.double()]) + [tally.sums]
    return torch.cat(parts + ([step_log.tally.sums] if step_log is not None else []))
