"""`slrbench study`: a recipe's variants over several seeds, one ordinary `slrbench run` per cell.

Cells run as local processes (`--jobs J` at once) or anywhere else: `--print-commands` prints one
shell line per unfinished cell for a cluster's job array. The same command again skips finished
cells, resumes interrupted ones and starts the rest (slrbench/study.py).
"""
from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from slrbench.cli.output import console, err_console, reporting_errors
from slrbench.errors import SlrbenchError

if TYPE_CHECKING:
    from slrbench.study import Cell, CellOutcome, Study


def study(
    config: Annotated[Optional[Path], typer.Option(help="the recipe (TOML); default: the demo recipe")] = None,
    variant: Annotated[Optional[list[str]], typer.Option(help="a variant of the recipe (its variants.NAME table; "
                                                         "repeatable)")] = None,
    all_variants: Annotated[bool, typer.Option("--all-variants", help="every variant of the recipe")] = False,
    seeds: Annotated[Optional[int], typer.Option(help="N seeds: the recipe's seed (default 321) and the N - 1 "
                                                 "after it")] = None,
    seed_list: Annotated[Optional[str], typer.Option(help="the seeds instead of --seeds, e.g. 1,2,3")] = None,
    out: Annotated[Optional[Path], typer.Option(help="the study folder: a run directory DIR/<variant>/seed-<s> "
                                                "per cell, DIR/study.json")] = None,
    jobs: Annotated[int, typer.Option(help="cells run at once as local processes (CPU threads are shared "
                                      "among them)")] = 1,
    print_commands: Annotated[bool, typer.Option("--print-commands", help="print one shell command per "
                                                 "unfinished cell (for a job array) and run nothing")] = False,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="KIND.KEY=VALUE given to every "
                                                        "cell (repeatable)")] = None,
) -> None:
    """Run a recipe's variants over several seeds (one `slrbench run` per cell); resumable."""
    with reporting_errors():
        from slrbench.study import FINISHED, plan_study, record_study

        if config is None:
            from slrbench.recipes import DEMO

            config = DEMO
        plan = plan_study(config, variant or [], all_variants, seeds, seed_list, option or [], out, jobs)
        record_study(plan)
        cells = plan.cells()
        todo = [cell for cell in cells if cell.state() != FINISHED]
        if print_commands:
            print_cell_commands(plan, todo, len(cells))
            return
        if not todo:
            say(f"all {len(cells)} cells finished earlier: nothing to run")
        elif len(todo) < len(cells):
            say(f"{len(cells) - len(todo)} of {len(cells)} cells finished earlier: skipped")
        outcomes = run_grid(plan, cells, todo, jobs)
        failed = [outcome for outcome in outcomes if not outcome.finished]
        print_summary(plan, cells, {outcome.cell for outcome in failed})
        for outcome in failed:
            err_console.print(f"[bold red]error:[/] {escape(outcome.cell.name)} failed (exit code "
                              f"{outcome.returncode}); its log: {escape(str(outcome.cell.log))}",
                              highlight=False, soft_wrap=True)
        if failed:
            raise typer.Exit(1)


def run_grid(plan: Study, cells: list[Cell], todo: list[Cell], jobs: int) -> list[CellOutcome]:
    """Run the unfinished cells with a progress display; the outcomes in grid order.
    Ctrl-C (or SIGTERM) stops the cells and says how to continue."""
    from slrbench.study import FINISHED, run_cells

    previous_handler = signal.signal(signal.SIGTERM, _interrupt)  # a scheduler's SIGTERM: as Ctrl-C
    try:
        with StudyProgress(len(cells), len(cells) - len(todo)) as progress:
            outcomes = run_cells(plan, todo, jobs, progress)
    except KeyboardInterrupt:
        finished = sum(cell.state() == FINISHED for cell in cells)
        raise SlrbenchError(f"interrupted with {finished} of {len(cells)} cells finished (an interrupted run keeps "
                            f"its last complete epoch); continue with the same command: "
                            f"{shlex.join(['slrbench', *sys.argv[1:]])}") from None
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    return sorted(outcomes, key=lambda outcome: cells.index(outcome.cell))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def say(text: str, to: Console = console) -> None:
    """A line of plain text: cell names and paths are not markup."""
    to.print(text, markup=False, highlight=False, soft_wrap=True)


def print_cell_commands(plan: Study, todo: list[Cell], total: int) -> None:
    """Commands on stdout (one per line, to feed a job array); the count on stderr."""
    for cell in todo:
        typer.echo(plan.shell_command(cell))
    if todo:
        say(f"{len(todo)} of {total} cells to run ({total - len(todo)} finished); a cell found interrupted gets "
            f"--resume (print again after an interruption); then: slrbench compare {shlex.quote(str(plan.out))}",
            to=err_console)
    else:
        say(f"all {total} cells are finished; compare them: slrbench compare {shlex.quote(str(plan.out))}",
            to=err_console)


class StudyProgress:
    """A bar of cells done / running / failed, and one line per cell started or ended."""

    def __init__(self, total: int, done: int):
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.done, self.running, self.failed = done, 0, 0
        self.task = self.progress.add_task(self.description(), total=total, completed=done)

    def __enter__(self) -> StudyProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def description(self) -> str:
        return f"cells: {self.done} done, {self.running} running, {self.failed} failed"

    def __call__(self, event: str, cell: Cell, values: dict[str, Any]) -> None:
        if event == "start":
            self.running += 1
            what = "resume (interrupted run)" if values["resumed"] else "start"
            say(f"{what} {cell.name}: log {cell.log}", to=self.progress.console)
        else:
            outcome: CellOutcome = values["outcome"]
            self.running -= 1
            if outcome.finished:
                self.done += 1
                say(f"done {cell.name}: per-instance top-1 {cell.per_instance_top1():.2f} ({outcome.seconds:.0f} s)",
                    to=self.progress.console)
            else:
                self.failed += 1
                say(f"failed {cell.name} (exit code {outcome.returncode}): see {cell.log}", to=self.progress.console)
        self.progress.update(self.task, description=self.description(), completed=self.done + self.failed)


def print_summary(plan: Study, cells: list[Cell], failed: set[Cell]) -> None:
    """The grid: each cell's state and per-instance top-1, then how to compare the variants."""
    from rich.table import Table

    from slrbench.study import FINISHED

    finished = [cell for cell in cells if cell.state() == FINISHED]
    table = Table(title=f"{plan.out}: {len(finished)} of {len(cells)} cells finished", title_justify="left")
    for column in ("variant", "seed", "state", "per-instance top-1"):
        table.add_column(column, justify="right" if column in ("seed", "per-instance top-1") else "left")
    for cell in cells:
        top1 = cell.per_instance_top1()
        state = "failed" if cell in failed else cell.state()
        table.add_row(cell.variant, str(cell.seed), state, f"{top1:.2f}" if top1 is not None else "")
    console.print(table)
    say(f"compare the variants over the seeds: slrbench compare {shlex.quote(str(plan.out))}")
