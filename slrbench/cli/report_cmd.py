"""`slrbench report RUN_DIR [--out FILE.html]`: one self-contained HTML page about a run."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from slrbench.cli.completion import plugin_names
from slrbench.cli.output import console, reporting_errors


def report(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by `slrbench run`")],
    out: Annotated[Optional[Path], typer.Option(help="the HTML file to write; default RUN_DIR/report.html")] = None,
    embedder: Annotated[Optional[str], typer.Option(help="word embedder for gloss similarity; default the run's",
                                                    autocompletion=plugin_names("embedders"))] = None,
) -> None:
    """Training curves, test metrics beside the published ones, per-class accuracy, confused gloss
    pairs with their word similarity (VISigns), settings and warnings: one HTML page, plots embedded."""
    with reporting_errors():
        from slrbench.cli.glosses import check_output_file
        from slrbench.optional import import_optional
        from slrbench.report.runfiles import check_run_dir

        check_run_dir(run_dir)
        check_output_file(out, "--out", (".html", ".htm"))
        import_optional("matplotlib", "slrbench report (its plots)")  # before any work
        if embedder is not None:
            from slrbench.registry import default_registry

            default_registry().get("embedders", embedder)  # an unknown name: one line with suggestions
        from slrbench.report.build import write_report

        with console.status(f"writing the report of {run_dir}"):
            path = write_report(run_dir, out, embedder)
    console.print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)", highlight=False, markup=False,
                  soft_wrap=True)
