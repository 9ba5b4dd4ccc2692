"""A study: the grid recipe variant × seed, each cell an ordinary `slrbench run` in its own run directory.

A cell is `slrbench run --config RECIPE [--variant V] --seed S --out DIR/V/seed-S [-o ...]` run as a
subprocess: exactly what a user would type, so a cell can run anywhere (`--print-commands` hands the
commands to a cluster's job array) and `slrbench compare DIR` reads plain run directories. The state
of a cell is read from its run directory alone: `metrics.json` (written last) means finished,
`config.json` without it means interrupted (continued with `--resume`). `DIR/study.json` records the
grid so that a later invocation cannot change what an existing cell means. No CLI and no torch here.
"""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import slrbench
from slrbench.config import load_config_file
from slrbench.errors import UsageError
from slrbench.files import write_text_atomically
from slrbench.registry import default_registry
from slrbench.runconfig import RunSettings
from slrbench.stages import resolve_staged_plan, run_finished, run_started

STUDY_FILE = "study.json"
# Run settings the study sets itself for every cell, so `-o run.KEY=` may not set them.
STUDY_RUN_SETTINGS = ("seed", "out", "resume", "variant", "stage")
FINISHED, INTERRUPTED, NEW = "finished", "interrupted", "new"


@dataclass(frozen=True)
class Cell:
    variant: str  # a [variants.NAME] of the recipe, or the recipe's file stem when it has none
    seed: int
    run_dir: Path  # absolute: DIR/<variant>/seed-<seed>

    @property
    def name(self) -> str:
        return f"{self.variant}/seed-{self.seed}"

    @property
    def log(self) -> Path:
        """DIR/<variant>/seed-<seed>.log: the run's stdout and stderr, one section per attempt."""
        return self.run_dir.with_name(f"{self.run_dir.name}.log")

    def state(self) -> str:
        if run_finished(self.run_dir):
            return FINISHED
        return INTERRUPTED if run_started(self.run_dir) else NEW

    def per_instance_top1(self) -> Optional[float]:
        path = self.run_dir / "metrics.json"
        return json.loads(path.read_text(encoding="utf-8"))["per_instance_top1"] if path.is_file() else None


@dataclass(frozen=True)
class Study:
    recipe: Path  # absolute
    text: str  # the recipe as read
    document: dict[str, Any]
    has_variants: bool  # False: one group named after the recipe's file stem, no --variant
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    options: tuple[str, ...]  # -o KIND.KEY=VALUE given to every cell
    out: Path  # absolute
    workdir: Path  # the cells run here (relative paths in the recipe and options stay valid)

    def cell(self, variant: str, seed: int) -> Cell:
        return Cell(variant, seed, self.out / variant / f"seed-{seed}")

    def cells(self) -> list[Cell]:
        return [self.cell(variant, seed) for variant in self.variants for seed in self.seeds]

    def command(self, cell: Cell, resume: bool) -> list[str]:
        """The `slrbench run` of one cell (with --resume to continue an interrupted one)."""
        variant = ["--variant", cell.variant] if self.has_variants else []
        options = [item for option in self.options for item in ("-o", option)]
        return [sys.executable, "-m", "slrbench", "run", "--config", str(self.recipe), *variant,
                "--seed", str(cell.seed), "--out", str(cell.run_dir), *options, *(["--resume"] if resume else [])]

    def shell_command(self, cell: Cell) -> str:
        """One self-contained shell line for the cell in its current state (for a job array)."""
        command = self.command(cell, resume=cell.state() == INTERRUPTED)
        return f"cd {shlex.quote(str(self.workdir))} && {shlex.join(command)}"

    def definition(self) -> dict[str, Any]:
        """What the cells' meaning depends on: the recipe's base and each variant's table, the options."""
        base = {key: value for key, value in self.document.items() if key != "variants"}
        tables = self.document.get("variants", {}) if self.has_variants else {self.variants[0]: {}}
        return _jsonable({"base": base, "variants": {name: tables[name] for name in self.variants},
                          "options": list(self.options)})


def plan_study(recipe: Path, variants: list[str], all_variants: bool, seed_count: Optional[int],
               seed_list: Optional[str], options: list[str], out: Optional[Path], jobs: int) -> Study:
    """Read the recipe and check everything every cell will need, before any cell starts."""
    if out is None:
        raise UsageError("--out DIR is required: the study's folder (one run directory per cell)")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {jobs})")
    for option in options:
        kind, _, key = option.partition("=")[0].strip().partition(".")
        if kind == "run" and key in STUDY_RUN_SETTINGS:
            raise UsageError(f"-o {option}: the study sets run.{key} of every cell itself"
                             + ("; use --seeds N or --seed-list" if key == "seed" else ""))
    document = load_config_file(recipe)
    text = recipe.read_text(encoding="utf-8")
    chosen, has_variants = choose_variants(document, str(recipe), variants, all_variants, recipe.stem)
    study = Study(recipe.resolve(), text, document, has_variants, chosen,
                  choose_seeds(document, seed_count, seed_list), tuple(options), out.resolve(), Path.cwd())
    registry = default_registry()
    for variant in chosen:  # the same checks `slrbench run` makes, once per variant
        cell = study.cell(variant, study.seeds[0])
        flags = {"seed": cell.seed, "out": cell.run_dir}
        resolve_staged_plan(registry, document, variant if has_variants else None, str(recipe), flags,
                            list(options), None).plans_to_run()
    return study


def choose_variants(document: dict[str, Any], source: str, names: list[str], all_variants: bool,
                    stem: str) -> tuple[tuple[str, ...], bool]:
    """The variants to run and whether the recipe has any (a recipe without is one group: `stem`)."""
    known = list(document.get("variants", {}))
    if names and all_variants:
        raise UsageError("give --variant NAME (repeatable) or --all-variants, not both")
    if not known:
        if names:
            raise UsageError(f"{source} has no variants (no [variants.NAME] tables); leave out --variant")
        return (stem,), False
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"{source} has no variant {', '.join(repr(n) for n in unknown)}; variants: {', '.join(known)}")
    if not names and not all_variants:
        raise UsageError(f"{source} holds variants; choose with --variant NAME (repeatable) or --all-variants: "
                         f"{', '.join(known)}")
    bad = [name for name in names or known if name in (".", "..") or "/" in name or os.sep in name]
    if bad:
        raise UsageError(f"{source}: variant name {bad[0]!r} cannot be a folder name; rename it")
    return tuple(dict.fromkeys(names)) if names else tuple(known), True


def choose_seeds(document: dict[str, Any], count: Optional[int], seed_list: Optional[str]) -> tuple[int, ...]:
    """--seed-list as given, or --seeds N: the recipe's `seed` (default 321) and the N - 1 after it."""
    if seed_list is not None:
        if count is not None:
            raise UsageError("give --seeds N or --seed-list, not both")
        try:
            seeds = [int(text) for text in seed_list.split(",") if text.strip()]
        except ValueError:
            raise UsageError(f"--seed-list {seed_list}: must be integers separated by commas (e.g. 1,2,3)") from None
        if not seeds or len(set(seeds)) != len(seeds):
            raise UsageError(f"--seed-list {seed_list}: must name at least one seed, each once")
        return tuple(seeds)
    if count is None:
        raise UsageError("choose the seeds: --seeds N (the recipe's seed and the N - 1 after it) or --seed-list 1,2,3")
    if count < 1:
        raise UsageError(f"--seeds must be at least 1 (got {count})")
    base = document.get("seed", RunSettings.model_fields["seed"].default)
    if not isinstance(base, int):
        raise UsageError(f"the recipe's seed must be an integer (got {base!r})")
    return tuple(range(base, base + count))


def record_study(study: Study) -> dict[str, Any]:
    """Write DIR/study.json: the grid grows (more variants or seeds); what a recorded cell means may not change."""
    path = study.out / STUDY_FILE
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    definition = study.definition()
    if previous is not None:
        _check_same_meaning(study, previous["definition"], definition)
        definition["variants"] = {**previous["definition"]["variants"], **definition["variants"]}
    cells = {(row["variant"], row["seed"]): row for row in (previous or {}).get("cells", [])}
    for cell in study.cells():
        cells[cell.variant, cell.seed] = {"variant": cell.variant, "seed": cell.seed,
                                          "run_dir": str(cell.run_dir.relative_to(study.out)),
                                          "command": shlex.join(study.command(cell, resume=False))}
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    record = {
        "recipe": {"path": str(study.recipe), "sha256": hashlib.sha256(study.text.encode()).hexdigest(),
                   "text": study.text},
        "variants": list(definition["variants"]),
        "seeds": sorted({*(previous or {}).get("seeds", []), *study.seeds}),
        "options": list(study.options),
        "workdir": str(study.workdir),
        "cells": sorted(cells.values(), key=lambda row: (list(definition["variants"]).index(row["variant"]),
                                                         row["seed"])),
        "definition": definition,
        "created": (previous or {}).get("created", now),
        "updated": now,
        "slrbench_version": slrbench.__version__,
    }
    write_text_atomically(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return record


def _check_same_meaning(study: Study, recorded: dict[str, Any], current: dict[str, Any]) -> None:
    where = f"{study.out} holds a study"
    if recorded["options"] != current["options"]:
        given = " ".join(f"-o {option}" for option in recorded["options"]) or "no -o options"
        raise UsageError(f"{where} run with {given}; repeat them exactly, or choose another --out")
    if recorded["base"] != current["base"]:
        raise UsageError(f"{where} of another recipe (its settings outside [variants] differ from {study.recipe}); "
                         "restore the recipe or choose another --out")
    for name, table in current["variants"].items():
        if name in recorded["variants"] and recorded["variants"][name] != table:
            raise UsageError(f"{where} in which variant '{name}' meant something else; restore [variants.{name}] "
                             "or give the changed variant a new name")


def _jsonable(value: Any) -> Any:
    """A TOML document as JSON reads it back (dates become text), so recorded and current compare equal."""
    return json.loads(json.dumps(value, default=str))


def thread_environment(jobs: int) -> dict[str, str]:
    """OpenMP / MKL threads per cell so that `jobs` cells share the CPUs instead of oversubscribing
    (torch reads OMP_NUM_THREADS at start; slrbench never sets its thread count)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = str(max(1, cpus // jobs))
    return {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}


@dataclass(frozen=True)
class CellOutcome:
    cell: Cell
    resumed: bool
    returncode: int
    seconds: float

    @property
    def finished(self) -> bool:
        """Exit code 0 and metrics.json: the run got to the end."""
        return self.returncode == 0 and self.cell.state() == FINISHED


Report = Callable[[str, Cell, dict[str, Any]], None]  # ("start", cell, {resumed}) / ("end", cell, {outcome})


def run_cells(study: Study, cells: list[Cell], jobs: int, report: Report) -> list[CellOutcome]:
    """Run the cells, `jobs` at a time, each into its log; a failed cell does not stop the others.
    On KeyboardInterrupt the running cells are stopped (their last complete epoch stays) and it is re-raised."""
    environment = thread_environment(jobs)
    pending, running, outcomes = list(cells), {}, []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                cell = pending.pop(0)
                resumed = cell.state() == INTERRUPTED
                running[cell] = (_start(study, cell, resumed, environment), resumed, time.monotonic())
                report("start", cell, {"resumed": resumed})
            for cell, (process, resumed, started) in list(running.items()):
                if process.poll() is not None:
                    del running[cell]
                    outcome = CellOutcome(cell, resumed, process.returncode, time.monotonic() - started)
                    outcomes.append(outcome)
                    report("end", cell, {"outcome": outcome})
            time.sleep(0.1)
    except BaseException:
        stop_processes([process for process, _, _ in running.values()])
        raise
    return outcomes


def _start(study: Study, cell: Cell, resume: bool, environment: dict[str, str]) -> subprocess.Popen:
    command = study.command(cell, resume)
    cell.log.parent.mkdir(parents=True, exist_ok=True)
    with cell.log.open("a", encoding="utf-8") as log:
        log.write(f"\n# {time.strftime('%Y-%m-%dT%H:%M:%S')} slrbench study "
                  f"{'resumes the interrupted run' if resume else 'starts the run'}: {shlex.join(command)}\n")
        log.flush()
        # Same process group: a Ctrl-C in the terminal, or killing the group, reaches every cell.
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=study.workdir, env=environment)


def stop_processes(processes: list[subprocess.Popen], grace_seconds: float = 10.0) -> None:
    """Let each run stop as after a Ctrl-C (it keeps its last complete epoch); kill what is left."""
    _wait(processes, 2.0)  # a terminal's Ctrl-C has reached them already
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    _wait(processes, grace_seconds)
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait(processes: list[subprocess.Popen], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(process.poll() is None for process in processes) and time.monotonic() < deadline:
        time.sleep(0.05)
