"""`slrbench data check`: what a data root holds for a benchmark (read-only)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from slrbench.cli.output import console, print_json, print_warnings, reporting_errors
from slrbench.errors import UsageError

data_app = typer.Typer(help="Inspect benchmark data.", no_args_is_help=True)

SHOWN_PROBLEMS = 10


@data_app.command("check")
def check(
    benchmark: Annotated[str, typer.Option(help="standard benchmark, e.g. wlasl100, msasl1000, nmfs-csl, synthetic")],
    data_root: Annotated[Optional[Path], typer.Option(help="folder with the annotation files and videos")] = None,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="dataset.KEY=VALUE (repeatable)")] = None,
    sample: Annotated[Optional[int], typer.Option(min=1, help="check N samples per split, drawn at random with "
                                                  "a fixed seed (default: every sample)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    show_worst: Annotated[Optional[int], typer.Option(min=1, help="rank the keypoint tracks (missing hands, points "
                                                      "outside the frame, few confident points) and draw the N "
                                                      "worst as `slrbench show` does")] = None,
    show_dir: Annotated[Optional[Path], typer.Option(help="folder for --show-worst's drawings (default: "
                                                     "./data-check-worst/BENCHMARK; never in the data root)")] = None,
) -> None:
    """Per split: annotated and checked samples, usable ones, present and missing videos, present keypoints,
    unreadable files (each sample's whole window is decoded, its keypoints loaded and validated), keypoint
    tracks of another length than their video, and keypoints far outside the frame. Exits 2 when a split
    has samples but none usable. --show-worst N also draws the N samples whose keypoints look most broken."""
    with reporting_errors():
        from slrbench.config import parse_assignments
        from slrbench.data.benchmark import open_benchmark
        from slrbench.data.check import check_benchmark
        from slrbench.registry import default_registry

        options = parse_assignments(option or [], {"dataset": "dataset", "datasets": "dataset"})
        stray = set(options) - {"dataset"}
        if stray:
            raise UsageError(f"data check takes dataset options only (got {', '.join(sorted(stray))})")
        if data_root is not None and not data_root.is_dir():
            raise UsageError(f"--data-root {data_root} is not a folder")
        if show_dir is not None and show_worst is None:
            raise UsageError("--show-dir needs --show-worst N")
        folder = None
        if show_worst is not None:
            from slrbench.show.worst import show_folder

            folder = show_folder(show_dir, benchmark, data_root)
        opened = open_benchmark(default_registry(), benchmark, data_root, options.get("dataset"))
        if as_json:
            report = check_benchmark(opened, sample=sample, worst=show_worst)
        else:
            with console.status(f"checking {benchmark}"):
                report = check_benchmark(opened, sample=sample, worst=show_worst)
        if folder is not None:
            _draw_worst(report, opened, folder, as_json)
    if as_json:
        print_json(report)
    else:
        _print_report(report)
        if folder is not None:
            _print_worst(report)
    if report["unusable_splits"]:
        with reporting_errors():
            raise UsageError(f"no usable sample in split(s) {', '.join(report['unusable_splits'])}: every one "
                             "lacks its files or has an unreadable one (see the counts above)")


def _print_report(report: dict) -> None:
    from rich.table import Table

    print_warnings(report["warnings"])
    console.print(f"[bold]{report['benchmark']}[/] ({report['dataset']}): {report['num_classes']} classes",
                  highlight=False)
    if report.get("layout"):
        console.print(f"read from {escape(report['layout'])}", highlight=False, soft_wrap=True)
    table = Table(box=None, pad_edge=False, padding=(0, 1))
    splits = report["splits"].values()
    sampled = any(counts["checked"] != counts["annotated"] for counts in splits)
    mismatched = any(counts["keypoints_length_mismatch"] for counts in splits)  # shown when there are some
    columns = ("annotated", *(("checked",) if sampled else ()), "usable", "videos_present", "videos_missing",
               "keypoints_present", "unreadable", *(("keypoints_length_mismatch",) if mismatched else ()),
               "keypoints_outside_frame")
    headers = {"annotated": "samples", "keypoints_present": "keypoints", "keypoints_outside_frame": "outside frame",
               "keypoints_length_mismatch": "kp length"}  # narrow: an 80-column terminal shows every column
    table.add_column("split")
    for column in columns:
        header = headers.get(column, column.replace("_", " "))  # narrow terminals wrap it at the spaces
        table.add_column(header, justify="right", min_width=max(len(word) for word in header.split()))
    for split, counts in report["splits"].items():
        table.add_row(split, *(f"{counts[c]:,}" for c in columns))
    console.print(table)
    for problem in report["problems"][:SHOWN_PROBLEMS]:
        console.print(f"  unreadable: {problem['reason']}", highlight=False, soft_wrap=True)
    if len(report["problems"]) > SHOWN_PROBLEMS:
        console.print(f"  ... and {len(report['problems']) - SHOWN_PROBLEMS} more (see --json)", highlight=False)


def _draw_worst(report: dict, opened: Any, folder: Path, quiet: bool) -> None:
    """Draw the report's worst samples into `folder`; each row of `worst_keypoints` gets its files."""
    from slrbench.show.worst import render_worst

    if quiet:
        drawn = render_worst(opened, report["worst_keypoints"], folder)
    else:
        with console.status(f"drawing the {len(report['worst_keypoints'])} worst keypoint tracks"):
            drawn = render_worst(opened, report["worst_keypoints"], folder)
    for quality, entry in zip(report["worst_keypoints"], drawn):
        quality.update({key: entry[key] for key in ("video", "sheet", "not_drawn")})
    report["show_dir"] = str(folder)


def _print_worst(report: dict) -> None:
    from rich.table import Table

    worst = report["worst_keypoints"]
    console.print(f"\n[bold]{len(worst)} worst keypoint track(s)[/] (badness 0 = clean .. 1; docs/data.md), "
                  f"drawn into {escape(report['show_dir'])}", highlight=False, soft_wrap=True)
    table = Table(box=None, pad_edge=False, padding=(0, 1))
    for column in ("#", "sample", "badness", "reasons", "drawn"):
        table.add_column(column, justify="right" if column in ("#", "badness") else "left")
    for rank, quality in enumerate(worst, start=1):
        drawn = Path(quality["sheet"]).name if quality["sheet"] else f"not drawn: {quality['not_drawn']}"
        table.add_row(str(rank), escape(quality["sample_id"]), f"{quality['badness']:.2f}",
                      escape("; ".join(quality["reasons"]) or "-"), escape(drawn))
    console.print(table)
    missing = report["without_keypoints"]
    if missing:
        shown = ", ".join(missing[:SHOWN_PROBLEMS]) + (", ..." if len(missing) > SHOWN_PROBLEMS else "")
        console.print(f"  {len(missing)} checked sample(s) have no readable keypoints (listed, not drawn): "
                      f"{escape(shown)}", highlight=False, soft_wrap=True)
