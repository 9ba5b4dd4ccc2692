"""`slrbench run`, end to end: build, train (resumable, DDP), evaluate the best epoch, write the run."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from slrbench.comparability import comparability_warnings
from slrbench.errors import SlrbenchError, UsageError
from slrbench.evaluation.rundir import write_evaluation, write_json
from slrbench.exported import is_exported_model
from slrbench.interfaces import LoggerContext
from slrbench.ownership import RunDirLock, claim_run_dir
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan
from slrbench.training.batching import BatchPlan
from slrbench.training.build import RunParts, build_parts, make_loader, out_of_vocabulary, parameter_count, resolve_device
from slrbench.training.checkpoints import complete_checkpoint, load_weights_strictly
from slrbench.training.distributed import World, broadcast_object, init_world, shutdown
from slrbench.training.evaluate import Evaluation, evaluate_split
from slrbench.training.initialise import InitReport, initialise_from_runs
from slrbench.training.provenance import git_revision, package_versions
from slrbench.training.run_loggers import RunLoggers
from slrbench.training.trainer import Trainer, TrainerSettings

Report = Callable[[str, dict[str, Any]], None]
RUNS_DIR = Path("results") / "runs"
NEW, STARTED, FINISHED, IMPORTED = "new", "started", "finished", "imported"
RUN_FILES = ("config.json", "class_names.json", "init_report.json", "history.csv", "metrics.json", "per_class.csv",
             "predictions.parquet")  # what a run writes (slrbench.evaluation.rundir)
RUN_FOLDERS = ("checkpoint", "best")


class RunData:
    """The trainer's view of the data: micro-batches of the train split, evaluation of val."""

    def __init__(self, parts: RunParts, plan: BatchPlan, world: World, device: torch.device, bf16: bool):
        settings = parts.plan.settings
        self.parts, self.world, self.device, self.bf16 = parts, world, device, bf16
        self.train = make_loader(parts, "train", plan.micro_batch_size, views=1, train=True, workers=settings.workers,
                                 device=device)
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
                                                          workers=settings.workers, device=self.device)
        loader = self.eval_loaders[split, crops]
        return evaluate_split(model, loader, self.device, self.world, self.parts.num_classes, settings.heads,
                              crops, self.eval_batch, self.bf16)


def _silent(event: str, values: dict[str, Any]) -> None:
    """Progress is shown by the main process only."""


def choose_run_dir(plan: RunPlan, world: World) -> tuple[Path, RunDirLock | None]:
    """The run directory, claimed (`slrbench.ownership`): created or checked to be slrbench's, locked
    by the main process, and in a state the plan may start in. Every rank stops alike on a problem."""
    settings = plan.settings
    run_dir = settings.out if settings.out is not None else default_run_dir(settings.benchmark)
    run_dir = Path(broadcast_object(world, str(run_dir)))
    lock, problem = None, None
    if world.is_main:
        try:
            lock = claim_run_dir(run_dir, "run")
            check_run_state(plan, run_dir)
        except UsageError as error:
            if lock is not None:
                lock.release(remove_unused=True)
                lock = None
            problem = str(error)
    problem = broadcast_object(world, problem)
    if problem is not None:
        raise UsageError(problem)
    return run_dir, lock


def default_run_dir(benchmark: str) -> Path:
    """results/runs/<benchmark>-<time>, with -2, -3, ... when another run started in the same second."""
    base = RUNS_DIR / f"{benchmark}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, number = base, 1
    while candidate.exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def run_state(run_dir: Path) -> str:
    """NEW (nothing trained: no config.json, or a run that stopped before its first epoch was saved),
    STARTED (a complete checkpoint), FINISHED (evaluated) or IMPORTED (`import-checkpoint`)."""
    if (run_dir / "import_report.json").is_file() or is_exported_model(run_dir):
        return IMPORTED  # an imported checkpoint or an exported model (`slrbench export`): weights, no run
    if (run_dir / "metrics.json").is_file():
        return FINISHED
    if (run_dir / "config.json").is_file() and complete_checkpoint(run_dir / "checkpoint") is not None:
        return STARTED
    return NEW


def check_run_state(plan: RunPlan, run_dir: Path) -> None:
    state = run_state(run_dir)
    if state == IMPORTED:
        raise UsageError(f"{run_dir} holds an imported checkpoint or exported model, not a run to train; use it "
                         "with --init-from, or choose another --out")
    in_the_way = [name for name in RUN_FILES if (run_dir / name).exists() and not (run_dir / name).is_file()]
    in_the_way += [name for name in RUN_FOLDERS if (run_dir / name).exists() and not (run_dir / name).is_dir()]
    if in_the_way:
        raise UsageError(f"{run_dir}: {', '.join(in_the_way)} is in the way of the run's own files; move it away "
                         "or choose another --out")
    if state == NEW:
        if plan.settings.resume and not (run_dir / "config.json").is_file():
            raise UsageError(f"--resume: {run_dir} holds no run to resume; pass the run's --out DIR")
        return  # a run that failed before its first epoch is rerun as it was (with or without --resume)
    if not plan.settings.resume:
        raise UsageError(f"{run_dir} already holds a run; pass --resume to continue it or another --out DIR")
    stored = stored_plan(run_dir)
    changes = changed_options(stored, plan.record())
    if changes:
        raise UsageError(f"--resume: the options differ from those {run_dir} was started with: {'; '.join(changes)}; "
                         "resume with the same command (only --epochs may grow)")


RESUMABLE_SETTINGS = ("resume", "epochs", "out")  # may differ on --resume (out: the folder may have moved)
_UNSET = object()


def stored_plan(run_dir: Path) -> dict[str, Any]:
    """The plan config.json records (a run that gets this far wrote it)."""
    path = run_dir / "config.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"{path}: unreadable ({error}); the run cannot be resumed, choose another --out") from None
    plan = document.get("plan") if isinstance(document, dict) else None
    if not isinstance(plan, dict):
        raise UsageError(f"{path}: records no run plan; the run cannot be resumed, choose another --out")
    return plan


def changed_options(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """'settings.lr: 0.001 -> 0.01' for each field of the plan that differs (old -> new)."""
    old = _flatten({"plugins": stored.get("plugins"), "settings": stored.get("settings")})
    new = _flatten({"plugins": current.get("plugins"), "settings": current.get("settings")})
    ignored = {f"settings.{key}" for key in RESUMABLE_SETTINGS}
    return [f"{key}: {_shown(old.get(key, _UNSET))} -> {_shown(new.get(key, _UNSET))}"
            for key in sorted(old.keys() | new.keys(), key=lambda k: (not k.startswith("plugins"), k))
            if key not in ignored and old.get(key, _UNSET) != new.get(key, _UNSET)]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _shown(value: Any) -> str:
    return "(unset)" if value is _UNSET else json.dumps(value, ensure_ascii=False)


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
    run_dir, lock = choose_run_dir(plan, world)
    try:
        outcome = _execute_in(registry, plan, report, run_dir, device, world, bf16, batch_plan)
    except BaseException:
        if lock is not None:
            lock.release(remove_unused=True)  # a run stopped before writing anything leaves no folder
        raise
    if lock is not None:
        lock.release()
    return outcome


def _execute_in(registry: Registry, plan: RunPlan, report: Report, run_dir: Path, device: torch.device,
                world: World, bf16: bool, batch_plan: BatchPlan) -> RunOutcome:
    settings = plan.settings
    torch.manual_seed(settings.seed)  # identical initial weights on every rank
    parts = build_parts(registry, plan)
    init_report = initialise(parts, settings.init_from)
    if world.distributed and device.type == "cuda":
        parts.model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(parts.model)
    parts.model.to(device)
    data = RunData(parts, batch_plan, world, device, bf16)
    has_val = "val" in set(parts.manifest["split"])
    record = run_record(plan, parts, batch_plan, world, device, bf16, has_val) if world.is_main else {}
    if world.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json(run_dir / "config.json", record)
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
    loggers, problem = RunLoggers(), None
    if world.is_main:  # a resumed run's loggers continue after its checkpoint, from its history
        try:
            loggers = RunLoggers.build(registry, plan, LoggerContext(
                run_dir, record, trainer.global_step(trainer.start_epoch), tuple(trainer.history)))
        except SlrbenchError as error:
            problem = str(error)
    problem = broadcast_object(world, problem)  # every rank stops alike
    if problem is not None:
        raise UsageError(problem)
    with loggers:
        trainer.fit(loggers)
        best = complete_checkpoint(run_dir / "best")
        if best is not None:
            load_weights_strictly(parts.model, best)  # the branch is not part of the best weights
        result = data.run_evaluation(parts.model, "test", settings.crops)
        if world.is_main:
            write_evaluation(run_dir, result.metrics, result.sample_ids, result.labels, result.probabilities,
                             parts.class_names, {"split": "test", "crops": result.crops, "heads": result.heads,
                                                 "skipped_samples": len(result.skipped),
                                                 "unreadable_samples": {"test": result.skipped,
                                                                        "train (this process)": data.train.report.skipped},
                                                 "short_keypoint_tracks": {"test": result.short_tracks,
                                                                           "train (this process)":
                                                                           data.train.report.short_tracks}},
                             result.head_true_scores)
            metrics = result.metrics.as_dict()
            loggers.log_evaluation(trainer.global_step(settings.epochs), {
                key: metrics[key] for key in ("per_instance_top1", "per_instance_top5", "per_class_top1",
                                              "per_class_top5", "num_samples")})
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
        "loggers": [name for name, _ in plan.logger_choices()],
        "warnings": comparability_warnings(plan),
        "versions": package_versions(),
        "git": git_revision(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }

