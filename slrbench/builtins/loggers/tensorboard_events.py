"""The `tensorboard` logger: event files in RUN_DIR/tensorboard, tags from `logged_scalars`.

A resumed run's writer purges what an earlier session logged after the checkpoint it resumes
from (TensorBoard's `purge_step`), so an interrupted epoch shows once, as trained again.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

from slrbench.builtins.loggers import TensorBoardLoggerConfig
from slrbench.interfaces import LoggerContext, RunLoggerBase, logged_scalars
from slrbench.optional import import_optional

FOLDER = "tensorboard"


class TensorBoardLogger(RunLoggerBase):
    def __init__(self, config: TensorBoardLoggerConfig, context: LoggerContext):
        import_optional("tensorboard", "logger 'tensorboard'")
        from torch.utils.tensorboard import SummaryWriter

        # Steps after the resumed one are purged: steps up to it (and the epoch ending there) were checkpointed.
        self.writer = SummaryWriter(str(context.run_dir / FOLDER), purge_step=context.resumed_step + 1,
                                    flush_secs=config.flush_seconds)
        plan = json.dumps(context.record.get("plan", {}), indent=2, ensure_ascii=False)
        self.writer.add_text("run/plan", f"```\n{plan}\n```", context.resumed_step)

    def _add(self, section: str, values: Mapping[str, Any], step: int) -> None:
        for tag, value in logged_scalars(section, values).items():
            self.writer.add_scalar(tag, value, step)

    def log_step(self, step: int, scalars: Mapping[str, float]) -> None:
        self._add("step", scalars, step)

    def log_epoch(self, step: int, row: Mapping[str, Any]) -> None:
        self._add("epoch", row, step)
        self.writer.flush()

    def log_evaluation(self, step: int, metrics: Mapping[str, float]) -> None:
        self._add("test", metrics, step)

    def close(self) -> None:
        self.writer.close()
