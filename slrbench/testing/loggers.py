"""Contract check of run loggers: the calls a run and its resumption make, all writing inside the
run directory."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

from slrbench.interfaces import LoggerContext
from slrbench.registry import Registry, default_registry
from slrbench.testing.common import require

STEPS_PER_EPOCH = 3


def example_history_rows(epochs: int = 2, validate: bool = True) -> list[dict[str, Any]]:
    """History rows as a run logs them (a VKNet-like run with sign mixup; `validate=False`: no val split)."""
    rows = []
    for epoch in range(1, epochs + 1):
        row: dict[str, Any] = {"epoch": epoch, "lr": 1e-3 / epoch, "loss": 3.0 / epoch, "train_top1": 10.0 * epoch}
        if validate:
            row.update(val_top1=12.5 * epoch, val_top5=40.0 + epoch)
        row.update(seconds=1.5, best=True, loss_cls_f64=2.0 / epoch, loss_aux=1.0 / epoch, gamma=1.0 / epoch,
                   mu=0.99, clips_per_second=20.0, peak_rss_mb=512.0)
        if validate:
            row.update(val_class_top1=11.0 * epoch, val_class_top5=39.0 + epoch)
        rows.append(row)
    return rows


def check_run_logger(
    name: str,
    options: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """A run's calls (steps, epoch rows with and without a val split, the test metrics, close), then a
    resumption's (built again with `resumed_step` and the history so far) must work, and write only
    inside the run directory. Returns the files written there."""
    registry = registry or default_registry()
    label = f"logger '{name}'"
    plugin = registry.get("loggers", name)
    options = dict(plugin.spec.test_options if options is None else options)
    record = {"plan": {"settings": {"benchmark": "synthetic", "epochs": 2}}}
    with tempfile.TemporaryDirectory(prefix="slrbench-logger-check-") as folder:
        root = Path(folder)
        run_dir = root / "run"
        run_dir.mkdir()
        sessions = [(0, example_history_rows(2, validate=True)), (1, example_history_rows(3, validate=False))]
        for resumed_epochs, rows in sessions:
            context = LoggerContext(run_dir, record, resumed_epochs * STEPS_PER_EPOCH, tuple(rows[:resumed_epochs]))
            logger = registry.build("loggers", name, options, context)
            for row in rows[resumed_epochs:]:
                for step_in_epoch in range(1, STEPS_PER_EPOCH + 1):
                    step = (row["epoch"] - 1) * STEPS_PER_EPOCH + step_in_epoch
                    logger.log_step(step, {"loss": 2.5, "loss_cls_f64": 2.0, "loss_aux": 0.5, "lr": row["lr"],
                                           "clips_per_second": 18.0})
                logger.log_epoch(row["epoch"] * STEPS_PER_EPOCH, row)
            logger.log_evaluation(len(rows) * STEPS_PER_EPOCH, {
                "per_instance_top1": 50.0, "per_instance_top5": 90.0, "per_class_top1": 48.0,
                "per_class_top5": 88.0, "num_samples": 18})
            logger.close()
        beside = sorted(path.name for path in root.iterdir() if path != run_dir)
        require(not beside, label, f"must write inside its run directory only, wrote {beside} beside it")
        written = sorted(str(path.relative_to(run_dir)) for path in run_dir.rglob("*") if path.is_file())
    return {"files": written}
