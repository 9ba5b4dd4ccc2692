"""`slrbench eval RUN_DIR [--crops 1|3] [--heads ...]`: re-evaluate a run's best weights on test."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from slrbench.cli.output import reporting_errors
from slrbench.errors import UsageError


def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by `slrbench run`")],
    crops: Annotated[int, typer.Option(help="test views: 1 (central) or 3 (start, middle, end)")] = 1,
    heads: Annotated[Optional[list[str]], typer.Option("--head", help="heads to ensemble (repeatable); "
                                                       "default the joint heads")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
) -> None:
    """Evaluate a run's best checkpoint on the test split; results go to RUN_DIR/eval-crops<N>/."""
    with reporting_errors():
        if crops not in (1, 3):
            raise UsageError(f"--crops must be 1 or 3 (got {crops})")
        if device not in ("auto", "cpu", "cuda"):
            raise UsageError(f"--device must be auto, cpu or cuda (got {device})")
        if not run_dir.is_dir():
            raise UsageError(f"{run_dir} is not a folder; give a run directory written by `slrbench run`")
        from slrbench.evaluation.rundir import read_json

        recorded = read_json(run_dir / "config.json", expect=dict)  # a truncated or foreign file: one line
        if not isinstance(recorded.get("plan"), dict):
            raise UsageError(f"{run_dir / 'config.json'}: no 'plan' object; is {run_dir} a slrbench run directory?")
        from slrbench.cli.run_cmd import print_run_summary
        from slrbench.registry import default_registry
        from slrbench.training.eval_run import evaluate_run

        outcome = evaluate_run(default_registry(), run_dir, crops, heads, device)
    print_run_summary(outcome)
