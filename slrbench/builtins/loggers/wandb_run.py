"""The `wandb` logger: a Weights & Biases run in RUN_DIR/wandb, offline unless the user asks.

Offline (the default) writes `RUN_DIR/wandb/offline-run-*` and contacts no server; `wandb sync
RUN_DIR/wandb/offline-run-*` uploads it later. `online` streams (after `wandb login`); `disabled`
logs nothing. The W&B run id is kept in RUN_DIR/wandb/slrbench-run-id, so a resumed run continues
the same W&B run (W&B cannot rewind: steps an interrupted session logged after its last checkpoint
stay, and the same steps trained again are dropped when synced).
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Mapping

from slrbench.builtins.loggers import WandbLoggerConfig
from slrbench.files import write_text_atomically
from slrbench.interfaces import LoggerContext, RunLoggerBase, logged_scalars
from slrbench.optional import import_optional

FOLDER = "wandb"
ID_FILE = "slrbench-run-id"


class WandbLogger(RunLoggerBase):
    def __init__(self, config: WandbLoggerConfig, context: LoggerContext):
        wandb = import_optional("wandb", "logger 'wandb'")
        folder = context.run_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        # No console capture (the run's progress display owns the terminal), no system monitor, no git or code scan.
        settings = wandb.Settings(console="off", silent=True, x_disable_stats=True, disable_git=True,
                                  disable_code=True)
        self.run = wandb.init(
            mode=config.mode, project=config.project, entity=config.entity,
            name=config.name or context.run_dir.name, group=config.group, tags=list(config.tags) or None,
            id=run_id(folder), resume="allow", dir=str(context.run_dir),
            config=dict(context.record.get("plan", {})), settings=settings,
        )

    def log_step(self, step: int, scalars: Mapping[str, float]) -> None:
        self.run.log(logged_scalars("step", scalars), step=step)

    def log_epoch(self, step: int, row: Mapping[str, Any]) -> None:
        self.run.log(logged_scalars("epoch", row), step=step)

    def log_evaluation(self, step: int, metrics: Mapping[str, float]) -> None:
        self.run.log(logged_scalars("test", metrics), step=step)

    def close(self) -> None:
        self.run.finish()


def run_id(folder: Path) -> str:
    """The W&B run id of this run directory: made once (8 random hex digits), then read back on every resume."""
    path = folder / ID_FILE
    identifier = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    if not identifier:
        identifier = secrets.token_hex(4)
        write_text_atomically(path, identifier + "\n")
    return identifier
