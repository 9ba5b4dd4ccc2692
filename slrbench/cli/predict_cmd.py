"""`slrbench predict RUN_DIR VIDEO... [--top K] [--crops 1|3] [--json] [--window S --stride S]`:
name the sign in each video with a trained run or an imported checkpoint (slrbench/predict/)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from slrbench.cli.output import console, err_console, print_json, print_warnings, reporting_errors
from slrbench.errors import UsageError


def predict(
    run_dir: Annotated[Path, typer.Argument(help="a run directory (`slrbench run`), an imported checkpoint, an "
                                            "exported model (`slrbench export`) or hf-hub:ORG/NAME")],
    videos: Annotated[list[Path], typer.Argument(help="video files to recognise")],
    top: Annotated[int, typer.Option("--top", min=1, help="glosses to show per video")] = 5,
    crops: Annotated[int, typer.Option(help="test views: 1 (central) or 3 (start, middle, end)")] = 1,
    keypoints: Annotated[Optional[list[Path]], typer.Option(
        "--keypoints", help="each video's keypoint file (.pose, .npy), in the order of the videos (repeatable); "
                            "default: extract them with --extractor")] = None,
    extractor: Annotated[Optional[str], typer.Option(
        help="keypoint extractor for runs that read keypoints: mediapipe, rtmpose (default: the one that made "
             "the run's training keypoints, else mediapipe); results are cached")] = None,
    option: Annotated[Optional[list[str]], typer.Option(
        "-o", "--option", help="extractor.KEY=VALUE (repeatable), e.g. -o extractor.path=rtmw.onnx")] = None,
    window: Annotated[Optional[float], typer.Option(help="slide a window of this many seconds over each video")] = None,
    stride: Annotated[Optional[float], typer.Option(help="seconds between windows (default: half the window)")] = None,
    out: Annotated[Path, typer.Option(help="folder for the --window timelines (VIDEO.timeline.csv / .png)")] = Path("."),
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="print the predictions as JSON")] = False,
) -> None:
    """Print the top-K glosses (and their probabilities) of each video; exit 1 if any video failed."""
    with reporting_errors():
        if crops not in (1, 3):
            raise UsageError(f"--crops must be 1 or 3 (got {crops})")
        if device not in ("auto", "cpu", "cuda"):
            raise UsageError(f"--device must be auto, cpu or cuda (got {device})")
        if keypoints and len(keypoints) != len(videos):
            raise UsageError(f"--keypoints given {len(keypoints)} times for {len(videos)} videos; give one per video")
        if stride is not None and window is None:
            raise UsageError("--stride needs --window")
        if window is not None and (window <= 0 or (stride is not None and stride <= 0)):
            raise UsageError("--window and --stride must be positive seconds")
        from slrbench.config import parse_assignments

        options = parse_assignments(option or [], {"extractor": "extractor", "extractors": "extractor"})
        if set(options) - {"extractor"}:
            raise UsageError("predict takes extractor options only (-o extractor.KEY=VALUE)")
        from slrbench.predict.clips import Windows, predict_video
        from slrbench.predict.keypoints import CachedExtractor, keypoint_cache_dir, run_extractor
        from slrbench.predict.model import load_predictor
        from slrbench.registry import default_registry
        from slrbench.training.build import resolve_device

        registry = default_registry()
        if extractor is not None:
            registry.get("extractors", extractor)  # an unknown name: one line, before any work
        from slrbench.exported import resolve_model_source

        run_dir = resolve_model_source(run_dir)
        predictor = load_predictor(registry, run_dir, resolve_device(device))
        cached = None
        if predictor.needs_keypoints and not keypoints:
            name = extractor or run_extractor(predictor.plan.settings.data_root, run_dir)
            cached = CachedExtractor(registry, name, options.get("extractor", {}), keypoint_cache_dir())
        windows = Windows(window, stride if stride is not None else window / 2) if window is not None else None
        answers = [predict_video(predictor, video, top, crops, keypoints=keypoints[i] if keypoints else None,
                                 extractor=cached, windows=windows) for i, video in enumerate(videos)]
        written = _write_timelines(answers, out) if windows is not None else []
    for answer in answers:
        if answer.error is not None:
            err_console.print(f"[bold red]error:[/] {escape(answer.error)}", highlight=False, markup=True, soft_wrap=True)
    if as_json:
        print_json([answer.as_dict() for answer in answers])
    else:
        _print_answers([answer for answer in answers if answer.error is None], windows is not None)
        for path in written:
            console.print(f"wrote {path}", highlight=False, soft_wrap=True)
    if any(answer.error is not None for answer in answers):
        raise typer.Exit(1)


def _write_timelines(answers: list, out: Path) -> list[Path]:
    """Each video's timeline CSV, and its PNG when matplotlib is installed (else one warning)."""
    from slrbench.predict.timeline import timeline_paths, write_timeline_csv, write_timeline_plot

    written: list[Path] = []
    for answer in answers:
        if answer.error is not None:
            continue
        csv_path, png_path = timeline_paths(answer, out)
        write_timeline_csv(answer, csv_path)
        written.append(csv_path)
        try:
            write_timeline_plot(answer, png_path)
            written.append(png_path)
        except UsageError as error:  # matplotlib missing: the CSV is the timeline
            print_warnings([f"no timeline plot: {error}"])
    return written


def _print_answers(answers: list, windowed: bool) -> None:
    from rich.table import Table

    for answer in answers:
        table = Table(title=str(answer.video), title_justify="left")
        if windowed:
            table.add_column("window (s)")
        table.add_column("rank", justify="right")
        table.add_column("gloss")
        table.add_column("class", justify="right")
        table.add_column("probability", justify="right")
        for segment in answer.segments:
            for rank, guess in enumerate(segment.top, start=1):
                when = [f"{segment.start_s:.2f}-{segment.end_s:.2f}" if rank == 1 else ""] if windowed else []
                table.add_row(*when, str(rank), guess.gloss, str(guess.index), f"{guess.probability:.3f}")
            if windowed:
                table.add_section()
        console.print(table)
