"""The `csv` logger: history.csv, one row per epoch, rewritten whole after each epoch.

`slrbench table`, `compare` and `report` read this file, so every run writes it. A resumed run
starts from the rows its checkpoint holds (`LoggerContext.history`), so an epoch logged after the
last checkpoint, by a run that then stopped, is replaced rather than repeated.
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from slrbench.builtins.loggers import CsvLoggerConfig
from slrbench.evaluation.rundir import write_csv
from slrbench.interfaces import LoggerContext, RunLoggerBase


class CsvLogger(RunLoggerBase):
    def __init__(self, config: CsvLoggerConfig, context: LoggerContext):
        self.path = context.run_dir / "history.csv"
        self.rows = [dict(row) for row in context.history]

    def log_epoch(self, step: int, row: Mapping[str, Any]) -> None:
        self.rows.append(dict(row))
        write_csv(self.path, pd.DataFrame(self.rows))  # columns in the order they first appear
