"""The run's loggers (`slrbench run --logger NAME`, plugins of kind `loggers`), built for the main
process only, each call passed on to every one in the order chosen. `csv` comes first and always:
history.csv is what `table`, `compare` and `report` read."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from slrbench.errors import SlrbenchError, UsageError
from slrbench.interfaces import LoggerContext, RunLoggerBase
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan


class RunLoggers:
    """Every logger of the run; empty (it logs nothing) on the other processes of a DDP run."""

    def __init__(self, loggers: Sequence[RunLoggerBase] = ()):
        self.loggers = list(loggers)

    @classmethod
    def build(cls, registry: Registry, plan: RunPlan, context: LoggerContext) -> "RunLoggers":
        """Build the plan's loggers (`RunPlan.logger_choices`); on a failure, close those already built."""
        built = cls()
        try:
            for name, options in plan.logger_choices():
                try:
                    built.loggers.append(registry.build("loggers", name, options, context))
                except SlrbenchError:
                    raise
                except Exception as error:  # e.g. W&B online without a login: one line naming the logger
                    raise UsageError(f"logger '{name}' could not start: {error}") from error
        except BaseException:
            built.close(raise_errors=False)
            raise
        return built

    def log_step(self, step: int, scalars: Mapping[str, float]) -> None:
        for logger in self.loggers:
            logger.log_step(step, scalars)

    def log_epoch(self, step: int, row: Mapping[str, Any]) -> None:
        for logger in self.loggers:
            logger.log_epoch(step, row)

    def log_evaluation(self, step: int, metrics: Mapping[str, float]) -> None:
        for logger in self.loggers:
            logger.log_evaluation(step, metrics)

    def close(self, raise_errors: bool = True) -> None:
        """Close every logger, even after one fails; then raise the first failure (unless told not to)."""
        loggers, self.loggers = self.loggers, []
        first: Exception | None = None
        for logger in loggers:
            try:
                logger.close()
            except Exception as error:  # the others still get closed
                first = first or error
        if first is not None and raise_errors:
            raise first

    def __enter__(self) -> "RunLoggers":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.close(raise_errors=kind is None)  # a failing run's own error is the one to report
