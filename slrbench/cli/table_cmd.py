"""`slrbench table RUN_DIR...`: runs side by side, optionally beside the published numbers."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from slrbench.cli.output import console, reporting_errors
from slrbench.errors import UsageError


def table(
    run_dirs: Annotated[list[Path], typer.Argument(help="run directories written by `slrbench run`")],
    reference: Annotated[Optional[str], typer.Option(help="add published results, e.g. nla-slr")] = None,
    format: Annotated[Literal["markdown", "csv", "latex"], typer.Option("--format", help="output format")] = "markdown",
    out: Annotated[Optional[Path], typer.Option(help="write the table to this file")] = None,
) -> None:
    """Lay runs out like the paper's tables (per-instance / per-class top-1 / top-5)."""
    with reporting_errors():
        if out is not None and out.is_dir():
            raise UsageError(f"--out {out} is a folder; give a file name for the table")
        import pandas as pd

        from slrbench.evaluation.tables import reference_rows, render, run_rows
        from slrbench.files import write_text_atomically

        rows = run_rows(run_dirs)
        if reference:
            rows = pd.concat([rows, reference_rows(reference, sorted(set(rows["benchmark"])))], ignore_index=True)
        text = render(rows, format)
        if out:
            write_text_atomically(out, text + "\n")
    console.print(text, highlight=False, markup=False, soft_wrap=True)
