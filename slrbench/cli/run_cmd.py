"""`slrbench run`: train and evaluate a plugin combination on a benchmark.

This issue wires the argument surface and validation; the trainer lands with issue #7. Until
then `--dry-run` prints the resolved plan, and a real run stops with a clear message.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from slrbench.cli.completion import benchmark_names, plugin_names
from slrbench.cli.output import console, print_json, reporting_errors
from slrbench.config import load_config_file
from slrbench.errors import SlrbenchError
from slrbench.registry import default_registry
from slrbench.runconfig import resolve_run_plan


def run(
    benchmark: Annotated[Optional[str], typer.Option(help="benchmark; default: the embedded synthetic demo",
                                                     autocompletion=benchmark_names)] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="folder with the benchmark's annotations and videos")] = None,
    backbone: Annotated[Optional[str], typer.Option(help="backbone plugin (default vknet)", autocompletion=plugin_names("backbones"))] = None,
    smoother: Annotated[Optional[str], typer.Option(help="label smoother plugin (default lang)", autocompletion=plugin_names("smoothers"))] = None,
    mixup: Annotated[Optional[str], typer.Option(help="mixup plugin (default sign)", autocompletion=plugin_names("mixups"))] = None,
    embedder: Annotated[Optional[str], typer.Option(help="word embedder plugin (default glove)", autocompletion=plugin_names("embedders"))] = None,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="KIND.KEY=VALUE (repeatable)")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with the same keys as -o and the run settings")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="training epochs (default 100)")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="effective batch size (default 32)")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu or cuda")] = None,
    crops: Annotated[Optional[int], typer.Option(help="test views: 1 or 3")] = None,
    seed: Annotated[Optional[int], typer.Option(help="random seed (default 321)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="run directory")] = None,
    resume: Annotated[Optional[bool], typer.Option("--resume", help="continue the run in --out")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and print the resolved plan, train nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="with --dry-run: print the plan as JSON")] = False,
) -> None:
    """Train and evaluate on a benchmark; with no arguments, the embedded synthetic demo."""
    flags = {
        "benchmark": benchmark, "data_root": data_root, "backbone": backbone, "smoother": smoother,
        "mixup": mixup, "embedder": embedder, "epochs": epochs, "batch_size": batch_size, "device": device,
        "crops": crops, "seed": seed, "out": out, "resume": resume,
    }
    with reporting_errors():
        document = load_config_file(config) if config else {}
        plan = resolve_run_plan(default_registry(), document, flags, option or [])
        if not dry_run:
            raise SlrbenchError(
                "training is not wired yet (the trainer lands with issue #7); "
                "use --dry-run to validate a configuration"
            )
    if as_json:
        print_json(plan.as_dict())
        return
    console.print_json(data=plan.as_dict())
