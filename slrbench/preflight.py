"""Checks of a run plan that need its data or its world, run by `slrbench run` (and `--dry-run`)
before anything is built, so that a dry run accepts only what the real run accepts.

The plan itself (names, options, ranges) is validated in slrbench.runconfig; here: the batch
sizes divide over the processes, the benchmark's annotations read cleanly, and a smoother or
mixup that needs gloss vectors gets a benchmark with gloss words. Without data (no --data-root
folder, no dataset.path) the benchmark cannot be read: a dry run says so in a warning and checks
the rest (the real run stops there with the same line).
"""
from __future__ import annotations

import os

from slrbench.errors import OptionsError, SlrbenchError, UsageError
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan
from slrbench.training.batching import BatchPlan


def check_run_plan(registry: Registry, plan: RunPlan) -> list[str]:
    """Raise `UsageError` (one line per problem) for what the run would reject; return warnings."""
    settings = plan.settings
    problems: list[str] = []
    world_size = int(os.environ.get("WORLD_SIZE", "1") or 1)
    try:
        BatchPlan.create(settings.batch_size, world_size, settings.micro_batch_size)
    except UsageError as error:
        problems.extend(error.lines())
    from slrbench.data.benchmark import open_benchmark

    root = settings.data_root
    data_given = (root is not None and root.is_dir()) or plan.option("dataset", "path") is not None
    try:
        benchmark = open_benchmark(registry, settings.benchmark, root, plan.options("dataset"))
    except SlrbenchError as error:
        if data_given:
            raise OptionsError(problems + error.lines()) from None
        if problems:
            raise OptionsError(problems) from None
        return [f"the data were not checked: {line}" for line in error.lines()]  # no data yet: a plan only
    if benchmark.class_names() is None:
        for kind in ("smoother", "mixup"):
            name = getattr(settings, kind)
            if registry.get(kind, name).needs_gloss_vectors():
                problems.append(f"{kind} '{name}' needs gloss words and a word embedder, and benchmark "
                                f"'{settings.benchmark}' has label indices only; use --{kind} "
                                f"{'vanilla' if kind == 'smoother' else 'intra'}")
    if problems:
        raise OptionsError(problems)
    return benchmark.warnings()
