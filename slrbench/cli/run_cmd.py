"""`slrbench run`: train and evaluate a plugin combination on a benchmark.

With no --benchmark and no --config it runs the demo recipe (slrbench/recipes/demo.toml).
Everything is validated before anything is built; `--dry-run` stops there and prints the plan.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from slrbench.cli.completion import benchmark_names, plugin_names
from slrbench.cli.output import console, print_json, print_warnings, reporting_errors
from slrbench.config import load_config_file
from slrbench.comparability import comparability_warnings
from slrbench.errors import SlrbenchError
from slrbench.registry import default_registry
from slrbench.runconfig import RunPlan
from slrbench.stages import StagedPlan, resolve_staged_plan


def run(
    benchmark: Annotated[Optional[str], typer.Option(help="benchmark; default: the embedded synthetic demo",
                                                     autocompletion=benchmark_names)] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="folder with the benchmark's annotations and videos")] = None,
    backbone: Annotated[Optional[str], typer.Option(help="backbone plugin (default vknet)", autocompletion=plugin_names("backbones"))] = None,
    smoother: Annotated[Optional[str], typer.Option(help="label smoother plugin (default lang)", autocompletion=plugin_names("smoothers"))] = None,
    mixup: Annotated[Optional[str], typer.Option(help="mixup plugin (default sign)", autocompletion=plugin_names("mixups"))] = None,
    embedder: Annotated[Optional[str], typer.Option(help="word embedder plugin (default glove)", autocompletion=plugin_names("embedders"))] = None,
    logger: Annotated[Optional[list[str]], typer.Option(
        "--logger", help="run logger (repeatable): tensorboard, wandb (offline unless -o logger.wandb.mode=online), "
        "...; replaces the recipe's loggers; csv (history.csv) is always on", autocompletion=plugin_names("loggers"))] = None,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="KIND.KEY=VALUE (repeatable); "
                                                        "run.KEY=VALUE sets any run setting, "
                                                        "logger.NAME.KEY=VALUE a logger's option")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with the same keys as -o and the run settings")] = None,
    variant: Annotated[Optional[str], typer.Option(help="a variants.NAME table of the --config recipe")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="training epochs (default 100)")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="effective batch size (default 32)")] = None,
    micro_batch_size: Annotated[Optional[int], typer.Option(help="clips per process per step (accumulates "
                                                            "gradients up to --batch-size)")] = None,
    workers: Annotated[Optional[int], typer.Option(help="data-loading workers per process (default 2)")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu or cuda")] = None,
    crops: Annotated[Optional[int], typer.Option(help="test views: 1 or 3")] = None,
    seed: Annotated[Optional[int], typer.Option(help="random seed (default 321)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="run directory")] = None,
    resume: Annotated[Optional[bool], typer.Option("--resume", help="continue the run in --out")] = None,
    init_from: Annotated[Optional[list[Path]], typer.Option(
        "--init-from", help="start from an earlier run, imported checkpoint, exported model or hf-hub:ORG/NAME "
        "(repeatable): single streams -> VKNet-64/32 -> VKNet, or another benchmark's model (all but its classifiers)")] = None,
    stage: Annotated[Optional[str], typer.Option(
        help="train one stage (a stages.NAME table) of the --config recipe, or 'all': every unfinished stage the "
        "run needs, then the run")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and print the resolved plan, train nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="with --dry-run: print the plan as JSON")] = False,
) -> None:
    """Train and evaluate on a benchmark; with no arguments, the embedded synthetic demo."""
    flags = {
        "benchmark": benchmark, "data_root": data_root, "backbone": backbone, "smoother": smoother,
        "mixup": mixup, "embedder": embedder, "epochs": epochs, "batch_size": batch_size,
        "micro_batch_size": micro_batch_size, "workers": workers, "device": device,
        "crops": crops, "seed": seed, "out": out, "resume": resume,
        "init_from": [str(path) for path in init_from] if init_from else None, "loggers": logger,
    }
    with reporting_errors():
        if init_from:  # hf-hub:ORG/NAME: fetched now, used as the local folder it becomes
            from slrbench.exported import resolve_model_source

            flags["init_from"] = [str(resolve_model_source(path, "--init-from")) for path in init_from]
        if config is None and benchmark is None:
            from slrbench.recipes import DEMO

            config = DEMO
        staged = resolve_staged_plan(default_registry(), load_config_file(config) if config else {}, variant,
                                     str(config or ""), flags, option or [], stage)
        from slrbench.preflight import check_run_plan  # reads the data: imported on use

        data_warnings = check_run_plan(default_registry(), staged.target)  # what the run checks before building
        for stage_plan in staged.chain:
            check_run_plan(default_registry(), stage_plan.plan)
        if dry_run:
            print_dry_run(staged, as_json, data_warnings)
            return
        for plan in staged.plans_to_run():
            train_and_report(plan)


def print_dry_run(staged: StagedPlan, as_json: bool, data_warnings: list[str]) -> None:
    document = staged.target.record()
    if staged.chain or staged.target.settings.stage:
        document["stages"] = staged.describe()
    document["warnings"] = comparability_warnings(staged.target)
    document["data_warnings"] = data_warnings  # what reading the benchmark said (or that it was not read)
    document["notes"] = staged.target.notes  # e.g. a swapped plugin's recipe options dropped
    if as_json:
        print_json(document)
        return
    console.print_json(data=document)
    for row in document.get("stages", []):
        console.print(f"stage {row['stage']}: {row['backbone']} from {row['start']} -> {row['run_dir']} "
                      f"({row['state']})", highlight=False, soft_wrap=True)
    print_notes(staged.target.notes)
    print_warnings(document["warnings"] + data_warnings, to=console)


def print_notes(notes: list[str]) -> None:
    for note in notes:
        console.print(f"[dim]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


def train_and_report(plan: RunPlan) -> None:
    from slrbench.cli.run_progress import RunProgress
    from slrbench.training.run import execute

    if plan.settings.stage:
        console.print(f"stage {plan.settings.stage}: {plan.settings.backbone} -> {plan.settings.out}", highlight=False)
    print_notes(plan.notes)
    print_warnings(comparability_warnings(plan), to=console)  # beside the run's output
    try:
        with RunProgress(console, plan.settings.epochs) as progress:
            outcome = execute(default_registry(), plan, progress)
    except KeyboardInterrupt:
        out = plan.settings.out or "the run directory"
        raise SlrbenchError(f"interrupted; the last complete epoch is saved: continue with the same command "
                            f"plus --resume --out {out}") from None
    if outcome.is_main:
        print_run_summary(outcome)


def print_run_summary(outcome) -> None:
    from rich.table import Table

    metrics = outcome.evaluation.metrics
    console.print(f"run directory: {outcome.run_dir}", highlight=False, soft_wrap=True)
    table = Table(title=f"test, {outcome.evaluation.crops}-crop, heads {'+'.join(outcome.evaluation.heads)}",
                  title_justify="left")
    for column in ("", "Top-1", "Top-5"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("per-instance", f"{metrics.per_instance_top1:.2f}", f"{metrics.per_instance_top5:.2f}")
    table.add_row("per-class", f"{metrics.per_class_top1:.2f}", f"{metrics.per_class_top5:.2f}")
    console.print(table)
    notes = [f"{metrics.num_samples} test samples, {metrics.num_classes} classes"]
    if metrics.num_classes_without_samples:
        notes.append(f"{metrics.num_classes_without_samples} classes without test samples left out of per-class")
    if outcome.evaluation.skipped:
        notes.append(f"{len(outcome.evaluation.skipped)} unreadable samples skipped (see metrics.json)")
    if outcome.evaluation.short_tracks:
        notes.append(f"{len(outcome.evaluation.short_tracks)} test samples' keypoint tracks end before their video: "
                     "their last keypoints were repeated (see metrics.json; `slrbench data check` lists them)")
    console.print("; ".join(notes), highlight=False)
