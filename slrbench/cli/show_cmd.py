"""`slrbench show`: a benchmark sample (`--benchmark --data-root --sample`) or a video with its
keypoint file, drawn as the model sees it: keypoints and skeleton over the frames, heatmaps
beside them, as an MP4 or GIF plus a PNG contact sheet (slrbench/show/)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from slrbench.cli.output import console, reporting_errors
from slrbench.errors import UsageError


def show(
    video: Annotated[Optional[Path], typer.Argument(help="a video file (with --keypoints); or use --benchmark")] = None,
    keypoints: Annotated[Optional[str], typer.Option(
        help="the video's keypoints: FILE.pose, FILE.npy or FILE.pkl#NAME")] = None,
    keypoints_frame: Annotated[str, typer.Option(
        help="WIDTHxHEIGHT the .npy / pickle coordinates are in (default: the video's pixels)")] = "",
    benchmark: Annotated[Optional[str], typer.Option(help="benchmark of the sample, e.g. wlasl100, synthetic")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="the benchmark's data folder")] = None,
    sample: Annotated[Optional[str], typer.Option(help="sample id (the manifest's sample_id)")] = None,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="dataset.KEY=VALUE (repeatable)")] = None,
    out: Annotated[Optional[Path], typer.Option(
        help="FILE.mp4 or FILE.gif (default: SAMPLE.mp4 here); the contact sheet is FILE.sheet.png")] = None,
    score_threshold: Annotated[float, typer.Option(
        min=0, max=1, help="points scoring less are drawn as grey rings and left out of the heatmaps")] = 0.3,
    heatmap_size: Annotated[int, typer.Option(min=8, max=512, help="heatmap side in pixels (the backbones': 112)")] = 112,
    height: Annotated[int, typer.Option(min=32, max=2160, help="output frame height in pixels")] = 360,
    max_frames: Annotated[int, typer.Option(min=1, max=2000, help="frames drawn, evenly spaced over the sample")] = 128,
    fps: Annotated[float, typer.Option(min=0.5, max=120, help="frames per second of the animation")] = 12.0,
    tiles: Annotated[int, typer.Option(min=1, max=64, help="frames on the contact sheet")] = 12,
) -> None:
    """Draw a sample's 63 keypoints, skeleton and heatmaps over its frames (MP4 or GIF + PNG sheet)."""
    with reporting_errors():
        if (video is None) == (benchmark is None):
            raise UsageError("give either VIDEO --keypoints FILE, or --benchmark NAME [--data-root DIR] --sample ID")
        if video is not None and keypoints is None:
            raise UsageError(f"{video}: give its keypoints with --keypoints FILE (.pose, .npy, FILE.pkl#NAME)")
        if benchmark is not None and sample is None:
            raise UsageError("--benchmark needs --sample ID (see the ids with `slrbench data check`)")
        if out is not None and out.suffix.lower() not in (".mp4", ".gif"):
            raise UsageError(f"--out {out}: use a .mp4 or .gif file name")
        from slrbench.config import parse_assignments
        from slrbench.registry import default_registry
        from slrbench.show.clip import benchmark_source, file_source, read_clip
        from slrbench.show.render import render_clip

        options = parse_assignments(option or [], {"dataset": "dataset", "datasets": "dataset"})
        if set(options) - {"dataset"}:
            raise UsageError("show takes dataset options only (-o dataset.KEY=VALUE)")
        if benchmark is not None:
            name, source = benchmark_source(default_registry(), benchmark, data_root, str(sample),
                                            options.get("dataset", {}))
        else:
            name, source = file_source(video, str(keypoints), keypoints_frame)
        clip = read_clip(name, source, max_frames)
        target = out or Path(f"{name.replace('/', '_')}.mp4")
        rendered = render_clip(clip, target, threshold=score_threshold, heatmap_size=heatmap_size, height=height,
                               fps=fps, tiles=tiles)
    console.print(f"wrote {rendered.animation} ({rendered.frames} frames) and {rendered.sheet}; "
                  f"{rendered.low_score_points} point-frames under score {score_threshold} drawn as grey rings",
                  highlight=False, soft_wrap=True)
