"""What a run directory holds, for the report: every file is optional, and a missing or unreadable
one becomes a note on the page rather than an error, so a run still training (no evaluation yet)
or an imported checkpoint (no history) still gets a page. Only a folder that is not a run
directory at all is refused, with one line."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pandas as pd

from slrbench.errors import SlrbenchError, UsageError
from slrbench.evaluation.predictions import FILE_NAME as PREDICTIONS_FILE
from slrbench.evaluation.predictions import read_predictions
from slrbench.evaluation.rundir import read_json
from slrbench.ownership import made_by_slrbench

EVAL_PREFIX = "eval-"  # `slrbench eval` writes RUN_DIR/eval-crops<N>[-heads]/


@dataclass
class Evaluation:
    """One test evaluation: the run's own (written at the end of training) or an `eval-*` folder."""

    name: str
    folder: Path
    metrics: dict[str, Any]
    predictions: Optional[pd.DataFrame] = None

    @property
    def crops(self) -> int:
        return int(self.metrics.get("crops", 1))


@dataclass
class RunFiles:
    run_dir: Path
    config: Optional[dict[str, Any]] = None
    class_names: Optional[list[str]] = None
    history: Optional[pd.DataFrame] = None
    evaluations: list[Evaluation] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # section -> what is missing or unreadable

    def note(self, section: str, text: str) -> None:
        self.notes.setdefault(section, []).append(text)

    @property
    def settings(self) -> dict[str, Any]:
        plan = (self.config or {}).get("plan")
        return plan.get("settings", {}) if isinstance(plan, dict) else {}

    @property
    def plugins(self) -> dict[str, dict[str, Any]]:
        plan = (self.config or {}).get("plan")
        plugins = plan.get("plugins", {}) if isinstance(plan, dict) else {}
        return {kind: value for kind, value in plugins.items() if isinstance(value, dict)}

    @property
    def benchmark(self) -> Optional[str]:
        return self.settings.get("benchmark")

    def main_evaluation(self) -> Optional[Evaluation]:
        """The evaluation with predictions the per-class and confusion sections use: most crops,
        the run's own first among equals."""
        usable = [evaluation for evaluation in self.evaluations if evaluation.predictions is not None]
        return max(usable, key=lambda evaluation: evaluation.crops, default=None)


def check_run_dir(run_dir: Path) -> None:
    """One line unless `run_dir` is a folder slrbench made (marker or a run's config.json)."""
    if not run_dir.exists():
        raise UsageError(f"{run_dir} does not exist; give a run directory written by `slrbench run`")
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir} is a file, not a folder; give a run directory written by `slrbench run`")
    if not made_by_slrbench(run_dir):
        raise UsageError(f"{run_dir} is not a slrbench run directory (no slrbench-run.json, no run's config.json)")


def read_run_files(run_dir: Path) -> RunFiles:
    files = RunFiles(run_dir)
    if (run_dir / "config.json").is_file():
        files.config = _optional(files, "settings", lambda: read_json(run_dir / "config.json", expect=dict))
    else:
        files.note("settings", "no config.json: the run stopped before it started")
    if (run_dir / "class_names.json").is_file():
        names = _optional(files, "per-class", lambda: read_json(run_dir / "class_names.json"), missing=False)
        if isinstance(names, list):
            files.class_names = [str(name) for name in names]
        elif names is None:
            files.note("per-class", "the benchmark has label indices only (no gloss words)")
    files.history = _read_history(files)
    folders = [("test", run_dir)] + [(folder.name, folder) for folder in sorted(run_dir.glob(EVAL_PREFIX + "*"))
                                     if folder.is_dir()]
    for name, folder in folders:
        if (folder / "metrics.json").is_file():
            _read_evaluation(files, name, folder)
    if not files.evaluations:
        files.note("metrics", f"no test evaluation yet (no metrics.json); the run is still training or stopped "
                              f"early: `slrbench eval {run_dir}` evaluates its best weights")
    return files


def _read_history(files: RunFiles) -> Optional[pd.DataFrame]:
    path = files.run_dir / "history.csv"
    if not path.is_file():
        imported = isinstance(files.config, dict) and "imported_from" in files.config
        files.note("training", "no history.csv: " + ("an imported checkpoint has no training history" if imported
                                                    else "no epoch has finished yet"))
        return None
    try:
        history = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        files.note("training", f"{path} cannot be read ({error}); the file is truncated or corrupt")
        return None
    if "epoch" not in history or history.empty:
        files.note("training", f"{path} holds no epoch rows")
        return None
    return history


def _read_evaluation(files: RunFiles, name: str, folder: Path) -> None:
    metrics = _optional(files, "metrics", lambda: read_json(folder / "metrics.json", expect=dict))
    if metrics is None:
        return
    evaluation = Evaluation(name, folder, metrics)
    if (folder / PREDICTIONS_FILE).is_file():
        evaluation.predictions = _optional(files, "per-class", lambda: read_predictions(folder)[0])
    else:
        files.note("per-class", f"{folder / PREDICTIONS_FILE} does not exist (a run from before predictions were "
                                f"kept: `slrbench eval {files.run_dir}` writes it)")
    files.evaluations.append(evaluation)


def _optional(files: RunFiles, section: str, read: Callable[[], Any], missing: Any = None) -> Any:
    """`read()`, or `missing` with its one-line error as a note of `section`."""
    try:
        return read()
    except SlrbenchError as error:
        files.note(section, str(error))
        return missing
