"""`slrbench export RUN_DIR --out DIR [--force] [--json]`: a finished run (or an imported checkpoint) as
a self-describing model folder to share (`slrbench.export_model`; layout: `slrbench.exported`)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slrbench.cli.output import console, print_json, reporting_errors


def export(
    run_dir: Annotated[Path, typer.Argument(help="a finished run directory, an imported checkpoint or an export")],
    out: Annotated[Path, typer.Option(help="folder to create: model.safetensors, config.json, class_names.json, "
                                           "metrics.json, README.md (model card), slrbench-export.json")],
    force: Annotated[bool, typer.Option("--force", help="replace an earlier export at --out")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print what was written as JSON")] = False,
) -> None:
    """Export a run's best weights, plan, classes and metrics; use the folder with predict, eval and --init-from."""
    with reporting_errors():
        from slrbench.export_model import export_run
        from slrbench.registry import default_registry

        summary = export_run(default_registry(), run_dir, out, force)
    if as_json:
        print_json({"out": str(summary.out), "backbone": summary.backbone, "benchmark": summary.benchmark,
                    "num_classes": summary.num_classes, "tensors": summary.tensors,
                    "training_only_dropped": summary.dropped, "sha256": summary.sha256})
        return
    console.print(f"exported {summary.backbone} on {summary.benchmark} ({summary.num_classes} classes) to {summary.out}: "
                  f"{summary.tensors} tensors in model.safetensors ({summary.dropped} training-only left out), "
                  f"sha256 {summary.sha256[:12]}…; model card: {summary.out / 'README.md'}", highlight=False,
                  soft_wrap=True)
