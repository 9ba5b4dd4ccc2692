"""`slrbench eval RUN_DIR [--crops 1|3] [--heads ...] [--data-root DIR] [--out DIR]`: re-evaluate a run's
best weights, or an exported model's (`slrbench export`, also `hf-hub:ORG/NAME`), on the test split."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from slrbench.cli.output import reporting_errors
from slrbench.errors import UsageError


def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by `slrbench run`, an exported model "
                                            "(`slrbench export`) or hf-hub:ORG/NAME")],
    crops: Annotated[int, typer.Option(help="test views: 1 (central) or 3 (start, middle, end)")] = 1,
    heads: Annotated[Optional[list[str]], typer.Option("--head", help="heads to ensemble (repeatable); "
                                                       "default the joint heads")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    data_root: Annotated[Optional[Path], typer.Option(
        help="the benchmark's data folder (default: the one the run recorded; an exported model records none)")] = None,
    out: Annotated[Optional[Path], typer.Option(
        help="folder for the results (default RUN_DIR/eval-crops<N>; required for an exported model, which "
             "is never written into)")] = None,
) -> None:
    """Evaluate a run's best checkpoint on the test split; results go to RUN_DIR/eval-crops<N>/ or --out."""
    with reporting_errors():
        if crops not in (1, 3):
            raise UsageError(f"--crops must be 1 or 3 (got {crops})")
        if device not in ("auto", "cpu", "cuda"):
            raise UsageError(f"--device must be auto, cpu or cuda (got {device})")
        from slrbench.exported import is_exported_model, is_hub_source, resolve_model_source

        if is_hub_source(run_dir) and out is None:
            raise UsageError(f"{run_dir} is an exported model: give --out DIR for the evaluation results")
        run_dir = resolve_model_source(run_dir)
        if not run_dir.is_dir():
            raise UsageError(f"{run_dir} is not a folder; give a run directory written by `slrbench run`")
        if is_exported_model(run_dir) and out is None:
            raise UsageError(f"{run_dir} is an exported model, kept as published: give --out DIR for the "
                             "evaluation results")
        if out is not None and out.resolve().is_relative_to(run_dir.resolve()) and is_exported_model(run_dir):
            raise UsageError(f"--out {out} is inside the exported model {run_dir}; choose a folder outside it")
        from slrbench.evaluation.rundir import read_json

        recorded = read_json(run_dir / "config.json", expect=dict)  # a truncated or foreign file: one line
        if not isinstance(recorded.get("plan"), dict):
            raise UsageError(f"{run_dir / 'config.json'}: no 'plan' object; is {run_dir} a slrbench run directory?")
        from slrbench.cli.run_cmd import print_run_summary
        from slrbench.ownership import claim_run_dir
        from slrbench.registry import default_registry
        from slrbench.training.eval_run import evaluate_run

        lock = claim_run_dir(out, "eval") if out is not None else None  # new, empty or slrbench's; marked
        try:
            outcome = evaluate_run(default_registry(), run_dir, crops, heads, device, out, data_root)
        finally:
            if lock is not None:
                lock.release(remove_unused=True)
    print_run_summary(outcome)
