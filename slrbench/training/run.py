"""`slrbench run`, end to end: build, train (resumable, DDP), evaluate the best epoch, write the run."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from slrbench.comparability import comparability_warnings
from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json, write_evaluation, write_json
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan
from slrbench.training.batching import BatchPlan
from slrbench.training.build import RunParts, build_parts, make_loader, out_of_vocabulary, parameter_count, resolve_device
from slrbench.training.checkpoints import complete_checkpoint, load_weights_strictly
from slrbench.training.distributed import World, broadcast_object, init_world, shutdown
from slrbench.training.evaluate import Evaluation, evaluate_split
from slrbench.training.initialise import InitReport, initialise_from_runs
from slrbench.training.provenance import git_revision, package_versions
from slrbench.training.trainer import Trainer, TrainerSettings

Report = Callable[[str, dict[str, Any]], None]
RUNS_DIR = Path("results") / "runs"


class RunData:
    """The trainer's view of the data: micro-batches of the train split, evaluation of val."""

    def __init__(self, parts: RunParts, plan: BatchPlan, world: World, device: torch.device, bf16: bool):
        settings = parts.plan.settings
        self.parts, self.world, self.device, self.bf16 = parts, world, device, bf16
        self.train = make_loader(parts, "train", plan.micro_batch_size, views=1, train=True, workers=settings.workers)
        self.num_train_samples = len(self.train)
        self.eval_batch = max(plan.micro_batch_size, 1)
        self.eval_loaders: dict[tuple[str, int], Any] = {}

    def train_batches(self, index_batches, epoch):
        return self.train.batches(epoch, index_batches, keep_empty=True)

    def evaluate(self, model, split: str, crops: int) -> dict[str, Any]:
        result = self.run_evaluation(model, split, crops)
        return {"metrics": result.metrics}

    def run_evaluation(self, model, split: str, crops: int) -> Evaluation:
        settings = self.parts.plan.settings
        if (split, crops) not in self.eval_loaders:  # built once: keypoint files are read once per run
            self.eval_loaders[split, crops] = make_loader(self.parts, split, self.eval_batch, views=crops, train=False,
                                                          workers=settings.workers)
        loader = self.eval_loaders[split, crops]
        return evaluate_split(model, loader, self.device, self.world, self.parts.num_classes, settings.heads,
                              crops, self.eval_batch, self.bf16)


def _silent(event: str, values: dict[str, Any]) -> None:
    """Progress is shown by the main process only."""


def choose_run_dir(plan: RunPlan, world: World) -> Path:
    settings = plan.settings
    if settings.out is not None:
        run_dir = settings.out
    else:
        run_dir = RUNS_DIR / f"{settings.benchmark}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(broadcast_object(world, str(run_dir)))
    if settings.resume:
        if not (run_dir / "config.json").is_file():
            raise UsageError(f"--resume: {run_dir} holds no run to resume; pass the run's --out DIR")
        stored = read_json(run_dir / "config.json")["plan"]
        current = plan.record()
        changed = [key for key in ("plugins",) if stored[key] != current[key]]
        if changed or {k: v for k, v in stored["settings"].items() if k not in ("resume", "epochs")} != \
                {k: v for k, v in current["settings"].items() if k not in ("resume", "epochs")}:
            raise UsageError(f"--resume: the options differ from those {run_dir} was started with; "
                             "resume with the same command (only --epochs may grow)")
    elif (run_dir / "config.json").is_file():
        raise UsageError(f"{run_dir} already holds a run; pass --resume to continue it or another --out DIR")
    return run_dir


@dataclass
class RunOutcome:
    run_dir: Path
    evaluation: Evaluation
    is_main: bool  # only the main process of a DDP run prints and writes


def execute(registry: Registry, plan: RunPlan, report: Report) -> RunOutcome:
    settings = plan.settings
    device = resolve_device(settings.device)
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        device = torch.device("cuda", torch.cuda.current_device())
    world = init_world(device)
    bf16 = settings.precision == "bf16" or (settings.precision == "auto" and device.type == "cuda")
    batch_plan = BatchPlan.create(settings.batch_size, world.world_size, settings.micro_batch_size)
    run_dir = choose_run_dir(plan, world)
    torch.manual_seed(settings.seed)  # identical initial weights on every rank
    parts = build_parts(registry, plan)
    init_report = initialise(parts, settings.init_from)
    if world.distributed and device.type == "cuda":
        parts.model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(parts.model)
    parts.model.to(device)
    data = RunData(parts, batch_plan, world, device, bf16)
    has_val = "val" in set(parts.manifest["split"])
    if world.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json(run_dir / "config.json", run_record(plan, parts, batch_plan, world, device, bf16, has_val))
        write_json(run_dir / "class_names.json", parts.class_names)
        if init_report is not None:
            write_json(run_dir / "init_report.json", init_report.as_dict())
            report("note", {"text": init_report.summary()})
    trainer = Trainer(parts.model, parts.mixup, parts.target_table, data,
                      TrainerSettings(epochs=settings.epochs, seed=settings.seed, lr=settings.lr,
                                      weight_decay=settings.weight_decay, precision="bf16" if bf16 else "fp32",
                                      validate=has_val),
                      batch_plan, world, run_dir, device, report if world.is_main else _silent)
    if settings.resume:
        trainer.resume()
    trainer.fit()
    best = complete_checkpoint(run_dir / "best")
    if best is not None:
        load_weights_strictly(parts.model, best)  # the branch is not part of the best weights
    result = data.run_evaluation(parts.model, "test", settings.crops)
    if world.is_main:
        write_evaluation(run_dir, result.metrics, result.sample_ids, result.labels, result.probabilities,
                         parts.class_names, {"split": "test", "crops": result.crops, "heads": result.heads,
                                             "skipped_samples": len(result.skipped),
                                             "unreadable_samples": {"test": result.skipped,
                                                                    "train (this process)": data.train.report.skipped}},
                         result.head_true_scores)
    shutdown(world)
    return RunOutcome(run_dir, result, world.is_main)


def initialise(parts: RunParts, init_from: list[str]) -> InitReport | None:
    """Load the `--init-from` runs into the freshly built model (staged training)."""
    if not init_from:
        return None
    settings = parts.plan.settings
    classes = parts.class_names if parts.class_names is not None else (settings.benchmark, parts.num_classes)
    return initialise_from_runs(parts.model, [Path(path) for path in init_from], classes)


def run_record(plan: RunPlan, parts: RunParts, batch_plan: BatchPlan, world: World, device: torch.device,
               bf16: bool, has_val: bool) -> dict[str, Any]:
    return {
        "plan": plan.record(),
        "num_classes": parts.num_classes,
        "splits": {split: int(n) for split, n in parts.manifest["split"].value_counts().items()},
        "world_size": world.world_size,
        "effective_batch_size": batch_plan.batch_size,
        "micro_batch_size": batch_plan.micro_batch_size,
        "accumulation_steps": batch_plan.accumulation,
        "device": str(device.type),
        "precision": "bf16" if bf16 else "fp32",
        "best_epoch_by": "val per-instance top-1" if has_val else "last epoch (no val split)",
        "parameters": {"backbone": parameter_count(parts.model.backbone), "heads": parameter_count(parts.model.heads),
                       "branch (dropped at inference)": parameter_count(parts.model.branch) if parts.model.branch else 0},
        "out_of_vocabulary_glosses": out_of_vocabulary(parts),
        "warnings": comparability_warnings(plan),
        "versions": package_versions(),
        "git": git_revision(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }

