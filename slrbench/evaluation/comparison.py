"""Runs for `slrbench compare`: find them, read their predictions, group them, and compute every
group's statistics into one long table (one row per group × metric × subset).

Everything comes from each run's `predictions.parquet`; no model is run. Groups keep the order
in which they appear (the DIR arguments in order; within one, the variant order its `study.json`
records, else sorted paths), so the default baseline is the first group: list the baseline first.
"""
from __future__ import annotations

import difflib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from slrbench.errors import UsageError
from slrbench.evaluation import statistics
from slrbench.evaluation.predictions import FILE_NAME, read_predictions
from slrbench.evaluation.rundir import read_json
from slrbench.evaluation.tables import COLUMNS as METRICS  # per-instance / per-class top-1 / top-5

GROUPINGS = ("variant", "backbone", "smoother", "mixup", "embedder", "dir")
PRIMARY = "per_instance_top1"
ALL_SAMPLES = "all"
NOT_RUN_CONTENT = {"best", "checkpoint"}  # weights folders inside a run: never searched


@dataclass(frozen=True)
class Run:
    folder: Path              # the run directory
    group: str
    seed: int | None
    benchmark: str
    predictions: pd.DataFrame  # one row per test sample, ordered by sample id
    class_names: list[str] | None


@dataclass(frozen=True)
class MetricSpec:
    """One metric to compare; `masks` restrict each run (by folder) to a subset of the samples."""
    metric: str
    subset: str = ALL_SAMPLES
    masks: Mapping[Path, np.ndarray] | None = None


@dataclass(frozen=True)
class Comparison:
    results: pd.DataFrame     # one row per group × metric × subset (see `compare_groups`)
    run_values: pd.DataFrame  # group, run, seed, metric, subset, value: each run's own number
    baseline: str
    resamples: int


def find_run_dirs(paths: Sequence[Path]) -> list[tuple[Path, Path]]:
    """(run directory, the argument it was found under), in argument order, sorted within each.

    A run directory is a folder with config.json; its own subfolders are not searched."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        if not path.is_dir():
            raise UsageError(f"{path} is not a folder; pass run directories or folders holding them")
        if (path / "config.json").is_file():
            found.append((path, path))
            continue
        runs = []
        for folder, subfolders, files in os.walk(path):
            if "config.json" in files:
                runs.append(Path(folder))
                subfolders.clear()
            else:
                subfolders[:] = [name for name in subfolders if not name.startswith(".") and name not in NOT_RUN_CONTENT]
        if not runs:
            raise UsageError(f"no run directories under {path} (folders with config.json, metrics.json and {FILE_NAME})")
        order = _study_variants(path)
        found += [(run, path) for run in sorted(runs, key=lambda run: _study_rank(run, path, order))]
    return found


def _study_rank(run: Path, folder: Path, variants: list[str]) -> tuple[int, Path]:
    """Runs of a study's variants in the study's order, anything else after them, by path."""
    top = run.relative_to(folder).parts[0]
    return (variants.index(top) if top in variants else len(variants)), run


def _study_variants(folder: Path) -> list[str]:
    """The variants in the order `slrbench study` recorded them in folder/study.json (none if absent)."""
    path = folder / "study.json"
    if not path.is_file():
        return []
    try:
        variants = json.loads(path.read_text(encoding="utf-8")).get("variants", [])
    except (OSError, ValueError, AttributeError):  # not a study record: fall back to sorted paths
        return []
    return [str(name) for name in variants] if isinstance(variants, list) else []


def load_runs(paths: Sequence[Path], by: str, eval_folder: str | None = None) -> tuple[list[Run], list[str]]:
    """Every finished run under `paths`, its group by `by`, and one warning per skipped run."""
    if by not in GROUPINGS:
        raise UsageError(f"--by must be one of {', '.join(GROUPINGS)} (got '{by}')")
    found = find_run_dirs(paths)
    argument_names = _argument_names([argument for _, argument in found])
    runs, warnings = [], []
    for folder, argument in found:
        source = folder / eval_folder if eval_folder else folder
        missing = [name for name in ("metrics.json", FILE_NAME) if not (source / name).is_file()]
        if missing:
            hint = f"slrbench eval {folder}" if eval_folder else "unfinished, or evaluate it with slrbench eval"
            warnings.append(f"skipped {folder}: no {' or '.join(str(source / m) for m in missing)} ({hint})")
            continue
        plan = read_json(folder / "config.json")
        plan = plan.get("plan") if isinstance(plan, dict) else None
        if not isinstance(plan, dict) or "settings" not in plan:
            raise UsageError(f"{folder / 'config.json'} is not a slrbench run record (no plan); "
                             f"pass run directories written by slrbench run")
        settings, plugins = plan["settings"], plan.get("plugins", {})
        if by == "variant":
            group = settings.get("variant") or folder.resolve().parent.name
        elif by == "dir":
            group = argument_names[argument]
        else:
            group = plugins.get(by, {}).get("name") or settings.get(by) or "?"
        table, _ = read_predictions(source)
        runs.append(Run(folder, str(group), settings.get("seed"), str(settings.get("benchmark", "?")),
                        table.sort_values("sample_id", kind="stable").reset_index(drop=True),
                        read_json(folder / "class_names.json") if (folder / "class_names.json").is_file() else None))
    if not runs:
        raise UsageError(f"no finished run to compare under {', '.join(map(str, paths))}")
    return runs, warnings


def check_same_samples(runs: Sequence[Run]) -> None:
    """Paired statistics need every run evaluated on the same test samples with the same labels."""
    first = runs[0]
    ids, labels = first.predictions["sample_id"].to_numpy(), first.predictions["label"].to_numpy()
    for run in runs[1:]:
        other = run.predictions
        if len(other) != len(ids) or not np.array_equal(other["sample_id"].to_numpy(), ids):
            raise UsageError(f"{first.folder} and {run.folder} were evaluated on different test samples "
                             f"({len(ids)} of {first.benchmark} vs {len(other)} of {run.benchmark}): "
                             f"compare runs of one benchmark, data and split")
        if not np.array_equal(other["label"].to_numpy(), labels):
            raise UsageError(f"{first.folder} and {run.folder} label the same test samples differently "
                             f"(different class lists or data): compare runs of one benchmark and data")


def group_runs(runs: Sequence[Run]) -> tuple[dict[str, list[Run]], list[str]]:
    """Runs by group, in order of appearance, and a warning for each seed used twice in a group."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.group, []).append(run)
    warnings = []
    for name, members in groups.items():
        for seed, count in Counter(run.seed for run in members).items():
            if count > 1:
                folders = ", ".join(str(run.folder) for run in members if run.seed == seed)
                warnings.append(f"group '{name}' has seed {seed} {count} times ({folders}); "
                                f"its spread then understates the seed-to-seed variation")
    return groups, warnings


def choose_baseline(groups: Mapping[str, list[Run]], name: str | None, by: str) -> str:
    """`name`, or the first group; an unknown name lists the groups."""
    if name is None:
        return next(iter(groups))
    if name not in groups:
        close = difflib.get_close_matches(name, list(groups), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UsageError(f"no group named '{name}' (by {by}){hint}; groups: {', '.join(groups)}")
    return name


def standard_metrics() -> list[MetricSpec]:
    return [MetricSpec(metric) for metric in METRICS]


def compare_groups(groups: Mapping[str, list[Run]], baseline: str, specs: Sequence[MetricSpec],
                   resamples: int = statistics.DEFAULT_RESAMPLES, seed: int = statistics.DEFAULT_SEED) -> Comparison:
    """Statistics of every group and of every difference from the baseline, per metric spec.

    Holm's correction runs over the comparisons with the baseline of one metric and subset."""
    order = [baseline, *(name for name in groups if name != baseline)]
    runs = [run for name in order for run in groups[name]]
    rows_of = {name: [i for i, run in enumerate(runs) if run.group == name] for name in order}
    labels = runs[0].predictions["label"].to_numpy()
    rows, run_values = [], []
    for spec in specs:
        k = 5 if spec.metric.endswith("top5") else 1
        per_class = spec.metric.startswith("per_class")
        hits = np.stack([statistics.hits_from_predictions(run.predictions, k) for run in runs])  # (R, M)
        masks = np.stack([spec.masks[run.folder] for run in runs]) if spec.masks is not None else None
        class_labels = labels if per_class else None
        points = statistics.point_values(hits, class_labels, masks)
        replicates = statistics.replicate_values(hits, resamples, seed, class_labels, masks)
        spec_rows = []
        for name in order:
            members = rows_of[name]
            summary = statistics.summarise(points[members], replicates[members], seed)
            samples = float(np.mean(masks[members].sum(axis=1))) if masks is not None else float(len(labels))
            row = {"group": name, "baseline": name == baseline, "metric": spec.metric, "subset": spec.subset,
                   "runs": summary.runs, "seeds": ";".join(str(runs[i].seed) for i in members),
                   "samples": samples, "mean": summary.mean, "std": summary.std,
                   "ci_low": summary.low, "ci_high": summary.high}
            if name != baseline:
                row |= _difference(hits, masks, points, replicates, rows_of[baseline], members, per_class, seed)
            spec_rows.append(row)
            run_values += [{"group": name, "run": str(runs[i].folder), "seed": runs[i].seed, "metric": spec.metric,
                            "subset": spec.subset, "value": float(points[i])} for i in members]
        adjusted = statistics.holm([row.get("p", np.nan) for row in spec_rows])
        for row, p_holm in zip(spec_rows, adjusted):
            row["p_holm"] = p_holm
            row["significant"] = bool(p_holm < 0.05) if not np.isnan(p_holm) else None
        rows += spec_rows
    return Comparison(pd.DataFrame(rows), pd.DataFrame(run_values), baseline, resamples)


def _difference(hits: np.ndarray, masks: np.ndarray | None, points: np.ndarray, replicates: np.ndarray,
                base: list[int], members: list[int], per_class: bool, seed: int) -> dict:
    """The columns of one comparison with the baseline (McNemar for two single runs per instance)."""
    if np.isnan(points[base]).any() or np.isnan(points[members]).any():
        return {"diff": np.nan, "diff_low": np.nan, "diff_high": np.nan, "p": np.nan, "test": "none (empty subset)"}
    exact = None
    if not per_class and len(base) == len(members) == 1:
        counted = masks[base[0]] & masks[members[0]] if masks is not None else slice(None)
        exact = (hits[base[0]][counted], hits[members[0]][counted])
    difference = statistics.paired_difference(points[base], replicates[base], points[members], replicates[members],
                                              seed, exact)
    return {"diff": difference.delta, "diff_low": difference.low, "diff_high": difference.high,
            "p": difference.p, "test": difference.test}


def _argument_names(arguments: Sequence[Path]) -> dict[Path, str]:
    """`--by dir` group names: each argument's folder name, or the path as given when names clash."""
    names = {argument: argument.resolve().name for argument in arguments}
    clashes = {name for name, count in Counter(names.values()).items() if count > 1}
    return {argument: str(argument) if name in clashes else name for argument, name in names.items()}
