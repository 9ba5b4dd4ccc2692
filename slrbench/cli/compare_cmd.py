"""`slrbench compare DIR...`: groups of runs side by side with intervals and paired tests.

Computed from each run's predictions.parquet alone (statistics: slrbench/evaluation/statistics.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Mapping, Optional, Sequence

import typer

from slrbench.cli.completion import plugin_names
from slrbench.cli.output import console, err_console, print_warnings, reporting_errors
from slrbench.errors import UsageError

if TYPE_CHECKING:
    from slrbench.evaluation.comparison import MetricSpec, Run
    from slrbench.registry import Registry

MIN_RESAMPLES = 100


def compare(
    dirs: Annotated[list[Path], typer.Argument(help="run directories, or folders holding them (e.g. a study)")],
    by: Annotated[Literal["variant", "backbone", "smoother", "mixup", "embedder", "dir"],
                  typer.Option(help="what makes a group: the recipe variant (else the parent folder's name), "
                                    "a plugin, or the DIR argument")] = "variant",
    baseline: Annotated[Optional[str], typer.Option(help="the group the others are tested against; "
                                                         "default: the first group found")] = None,
    format: Annotated[Literal["markdown", "csv", "latex"], typer.Option("--format", help="output format")] = "markdown",
    plot: Annotated[Optional[Path], typer.Option(help="write a plot of runs, means and intervals (PNG)")] = None,
    eval_folder: Annotated[Optional[str], typer.Option("--eval", help="use this evaluation folder inside each run "
                                                                      "(e.g. eval-crops3)")] = None,
    resamples: Annotated[int, typer.Option(help="bootstrap resamples")] = 2000,
    visigns: Annotated[bool, typer.Option("--visigns", help="also top-1 per VISign subset (Table 9), split by "
                                                            "the baseline's predictions")] = False,
    embedder: Annotated[str, typer.Option(help="word embedder for gloss similarity (--visigns)",
                                               autocompletion=plugin_names("embedders"))] = "glove",
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="embedder.KEY=VALUE")] = None,
    out: Annotated[Optional[Path], typer.Option(help="also write the output to this file")] = None,
) -> None:
    """Compare groups of runs: mean ± std, 95 % CI, paired tests against a baseline, Holm."""
    with reporting_errors():
        from slrbench.config import parse_assignments
        from slrbench.evaluation import comparison as comparing
        from slrbench.evaluation.comparison_report import plot_comparison, render
        from slrbench.files import write_text_atomically
        from slrbench.kinds import KIND_SPELLINGS

        if resamples < MIN_RESAMPLES:
            raise UsageError(f"--resamples must be at least {MIN_RESAMPLES} (got {resamples})")
        if eval_folder is not None and (Path(eval_folder).is_absolute() or len(Path(eval_folder).parts) != 1):
            raise UsageError(f"--eval names a folder inside each run (e.g. eval-crops3), not a path (got '{eval_folder}')")
        options = parse_assignments(option or [], KIND_SPELLINGS)
        if set(options) - {"embedder"}:
            raise UsageError(f"compare takes embedder options only (-o embedder.KEY=VALUE); got "
                             f"{', '.join(sorted(set(options) - {'embedder'}))}")
        if options and not visigns:
            raise UsageError("-o embedder.KEY=VALUE is used with --visigns only")
        registry = None
        if visigns:
            from slrbench.registry import default_registry

            registry = default_registry()
            registry.resolve_options("embedders", embedder, options.get("embedder", {}))  # fail before any work
        runs, warnings = comparing.load_runs(dirs, by, eval_folder)
        print_warnings(warnings)
        comparing.check_same_samples(runs)
        groups, warnings = comparing.group_runs(runs)
        print_warnings(warnings)
        chosen = comparing.choose_baseline(groups, baseline, by)
        specs = comparing.standard_metrics()
        if visigns:
            specs += visign_specs(registry, groups, chosen, embedder, options.get("embedder", {}))
        result = comparing.compare_groups(groups, chosen, specs, resamples)
        text = render(result, format, describe(runs, by, eval_folder, embedder if visigns else None))
        if out:
            write_text_atomically(out, text + "\n")
        if plot:
            plot_comparison(result, plot)
    console.print(text, highlight=False, markup=False, soft_wrap=True)
    for label, path in (("output", out), ("plot", plot)):
        if path:
            err_console.print(f"wrote {label}: {path}", highlight=False, markup=False, soft_wrap=True)


def visign_specs(registry: Registry, groups: Mapping[str, list[Run]], baseline: str, embedder: str,
                 options: dict[str, Any]) -> list[MetricSpec]:
    """The VISign subsets of the baseline's predictions, gloss similarity from `embedder`."""
    from slrbench.cli.glosses import embed_with_report
    from slrbench.embeddings.cache import default_cache_dir
    from slrbench.embeddings.similarity import cosine_matrix
    from slrbench.evaluation.comparison_visigns import visign_specs as specs_of_split

    first = groups[baseline][0]
    if first.class_names is None:
        raise UsageError(f"{first.folder}: the benchmark has label indices only; VISigns need gloss words")
    result, _ = embed_with_report(registry, embedder, options, list(first.class_names), default_cache_dir())
    return specs_of_split(groups, baseline, cosine_matrix(result.vectors))


def describe(runs: Sequence[Run], by: str, eval_folder: str | None, embedder: str | None) -> str:
    """The line above the tables: what was compared."""
    benchmarks = ", ".join(sorted({run.benchmark for run in runs}))
    evaluation = f"evaluation {eval_folder}" if eval_folder else "test evaluation"
    samples = len(runs[0].predictions)
    visigns = f"; VISigns split by the baseline's predictions (δ ≤ 0.1, {embedder} similarity ≥ 0.5)" if embedder else ""
    return f"Accuracy (%) of {len(runs)} runs by {by} on {benchmarks} ({samples} test samples, {evaluation}){visigns}"
