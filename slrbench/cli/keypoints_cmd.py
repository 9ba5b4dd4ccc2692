"""`slrbench keypoints extract`: a benchmark's videos -> the reference's keypoint pickle."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from slrbench.cli.output import console, err_console, print_json, reporting_errors

keypoints_app = typer.Typer(help="Extract keypoints from videos.", no_args_is_help=True)

SHOWN_FAILURES = 10


@keypoints_app.command("extract")
def extract(
    benchmark: Annotated[str, typer.Option(help="benchmark whose videos to process, e.g. wlasl100, msasl1000, manifest")],
    extractor: Annotated[str, typer.Option(help="keypoint extractor: mediapipe, rtmpose (see `slrbench list extractors`)")],
    data_root: Annotated[Optional[Path], typer.Option(help="folder with the annotation files and videos/")] = None,
    out: Annotated[Optional[Path], typer.Option(help="pickle to write; default: DATA_ROOT/keypoints.pkl, which the "
                                                     "datasets read")] = None,
    workers: Annotated[int, typer.Option(min=1, help="parallel worker processes (one extractor each)")] = 1,
    split: Annotated[Optional[list[str]], typer.Option(help="only these splits (repeatable); default: all")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda (for extractors that use a GPU)")] = "cpu",
    force: Annotated[bool, typer.Option(help="extract every video again and replace --out")] = False,
    option: Annotated[Optional[list[str]], typer.Option(
        "-o", "--option", help="extractor.KEY=VALUE or dataset.KEY=VALUE (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable report")] = False,
) -> None:
    """Write {video name: (T, 133, 3) x, y, score} in COCO-WholeBody order; resumable, failures reported."""
    with reporting_errors():
        from slrbench.config import parse_assignments
        from slrbench.errors import UsageError
        from slrbench.extraction.extract import run_extraction
        from slrbench.extraction.jobs import benchmark_jobs, default_output
        from slrbench.registry import default_registry

        options = parse_assignments(option or [], {"extractor": "extractor", "extractors": "extractor",
                                                   "dataset": "dataset", "datasets": "dataset"})
        stray = set(options) - {"extractor", "dataset"}
        if stray:
            raise UsageError(f"keypoints extract takes extractor and dataset options only (got {', '.join(sorted(stray))})")
        if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
            raise UsageError(f"--device {device}: use cpu, cuda or cuda:N")
        if data_root is not None and not data_root.is_dir():
            raise UsageError(f"--data-root {data_root} is not a folder")
        registry = default_registry()
        registry.get("extractors", extractor)  # an unknown name fails before the dataset is read
        jobs, pickles = benchmark_jobs(registry, benchmark, data_root, options.get("dataset"), split)
        target = out or default_output(data_root, pickles)
        with _ExtractionProgress(quiet=as_json) as progress:
            report = run_extraction(jobs, extractor, options.get("extractor", {}), target, workers=workers,
                                    device=device, force=force, progress=progress)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report.as_dict())
    if report.entries == 0:
        err_console.print(f"[bold red]error:[/] no video could be read, so nothing was written; check that "
                          f"--data-root holds the videos (e.g. {jobs[0].video if jobs else 'videos/...'})",
                          highlight=False, soft_wrap=True)
    if report.failures or report.entries == 0:
        raise typer.Exit(1)


class _ExtractionProgress:
    """A rich bar over the videos to extract, with frames per second."""

    def __init__(self, quiet: bool):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TextColumn("videos"),
                            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"),
                            TimeRemainingColumn(), console=err_console, transient=True, disable=quiet)
        self.task = self.bar.add_task("", total=None, rate="")
        self.started = 0.0

    def __enter__(self) -> "_ExtractionProgress":
        self.started = time.perf_counter()
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, finished: int, total: int, frames: int) -> None:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        self.bar.update(self.task, completed=finished, total=total, rate=f"{frames / seconds:.1f} frames/s")


def _print_report(report: dict) -> None:
    console.print(
        f"{report['out']}: {report['entries']} videos  (this run: {report['extracted']} extracted, "
        f"{report['skipped']} already done, {report['missing']} missing, {report['failed']} failed; {report['frames']} frames in "
        f"{report['seconds']:.1f} s, {report['frames_per_second']:.1f} frames/s)", highlight=False, soft_wrap=True)
    for failure in report["failures"][:SHOWN_FAILURES]:
        err_console.print(f"[red]failed:[/] {failure['reason']}", highlight=False, soft_wrap=True)
    if report["failed"] > SHOWN_FAILURES:
        err_console.print(f"  ... and {report['failed'] - SHOWN_FAILURES} more", highlight=False)
    if report["failures_file"]:
        err_console.print(f"missing and failed videos listed in {report['failures_file']}; run the command again "
                          "to retry them",
                          highlight=False, soft_wrap=True)
