"""`slrbench data check`: what a data root holds for a benchmark, per split, read-only.

Counts the annotated samples, present and missing videos, present keypoints, the present
files that cannot be read (a video whose first frame does not decode, a keypoint file that does
not load), and the samples whose keypoints lie far outside the frame: their coordinates are in
another frame than the dataset declares (`outside_frame`). Each file is read once. Nothing is
written anywhere, least of all into the data root.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from slrbench.data.benchmark import open_benchmark
from slrbench.data.decoding import VideoUnreadable, open_video
from slrbench.data.keypoints import KeypointsUnavailable, KeypointTrack, format_frame, rescale_keypoints
from slrbench.data.sources import FileClipReader, read_row_keypoints
from slrbench.interfaces import SPLITS
from slrbench.registry import Registry

# A sample's keypoints are "outside the frame" when more than OUTSIDE_FRACTION of its confidently
# detected points (score > OUTSIDE_SCORE) lie more than OUTSIDE_MARGIN of the frame's width or
# height beyond its edges: a detector may place a few points just off the image, never most.
OUTSIDE_SCORE = 0.3
OUTSIDE_MARGIN = 0.1
OUTSIDE_FRACTION = 0.25


def check_benchmark(registry: Registry, benchmark: str, data_root: Optional[Path],
                    options: Optional[dict[str, Any]] = None,
                    progress: Optional[Callable[[int, int], None]] = None) -> dict[str, Any]:
    opened = open_benchmark(registry, benchmark, data_root, options)
    table = opened.manifest()
    embedded = opened.clip_reader()
    splits = {split: {"annotated": 0, "videos_present": 0, "videos_missing": 0, "keypoints_present": 0,
                      "unreadable": 0, "keypoints_outside_frame": 0} for split in SPLITS}
    problems: list[dict[str, str]] = []
    outside: list[str] = []  # one line per sample whose keypoints lie outside the frame
    rows = table.to_dict("records")
    files = FileClipReader()
    with quiet_native_stderr():  # ffmpeg and decord print their own lines about corrupt files
        _count(rows, embedded, files, splits, problems, outside, progress)
    warnings = opened.warnings()
    if outside:
        warnings.append(
            f"{len(outside)} sample(s) have keypoints far outside the frame, e.g. {outside[0]}: their coordinates "
            "are in another frame than declared; declare it with -o dataset.keypoints_frame=WxH (a manifest: its "
            "keypoints_frame column), or extract them again with `slrbench keypoints extract` (docs/data.md)")
    return {
        "benchmark": benchmark, "dataset": opened.dataset_name, "num_classes": opened.info.num_classes, "splits": splits,
        "warnings": warnings, "problems": problems,
    }


def _count(rows, embedded, files, splits, problems, outside, progress) -> None:
    for number, row in enumerate(rows):
        counts = splits[row["split"]]
        counts["annotated"] += 1
        if embedded is not None:  # clips generated in memory: present and readable by construction
            counts["videos_present"] += embedded.video_present(row)
            counts["keypoints_present"] += embedded.keypoints_present(row)
        else:
            unreadable, video_size = False, None
            if files.video_present(row):
                counts["videos_present"] += 1
                reason, video_size = _probe_video(row["video"])
                if reason:
                    unreadable = True
                    problems.append({"sample_id": str(row["sample_id"]), "file": str(row["video"]), "reason": reason})
            else:
                counts["videos_missing"] += 1
            if files.keypoints_present(row):
                counts["keypoints_present"] += 1
                try:
                    track = read_row_keypoints(row)
                except KeypointsUnavailable as error:
                    unreadable = True
                    problems.append({"sample_id": str(row["sample_id"]), "file": str(row["keypoints"]),
                                     "reason": str(error)})
                else:
                    finding = outside_frame(track, video_size)
                    if finding:
                        counts["keypoints_outside_frame"] += 1
                        outside.append(f"sample {row['sample_id']}: {finding}")
            counts["unreadable"] += unreadable
        if progress is not None:
            progress(number + 1, len(rows))


def outside_frame(track: KeypointTrack, video_size: Optional[tuple[int, int]]) -> Optional[str]:
    """Why a track's keypoints lie outside the frame (the rule above), or None. The frame is the
    decoded video's when there is one (the declared frame rescaled to it, as the loader does), else
    the declared frame; keypoints in the pixels of a missing video cannot be checked."""
    frame = video_size or track.frame_size
    if frame is None:
        return None
    values = track.values if track.frame_size is None else rescale_keypoints(track.values, track.frame_size, frame)
    confident = values[values[..., 2] > OUTSIDE_SCORE]  # (n, 3)
    if len(confident) == 0:
        return None
    size = np.asarray(frame, np.float32)
    xy = confident[:, :2]
    beyond = ((xy < -OUTSIDE_MARGIN * size) | (xy > (1 + OUTSIDE_MARGIN) * size)).any(axis=1)  # (n,)
    if beyond.mean() <= OUTSIDE_FRACTION:
        return None
    declared = track.values[track.values[..., 2] > OUTSIDE_SCORE][:, :2]
    where = f"the {format_frame(frame)} video" if video_size else f"its declared {format_frame(frame)} frame"
    low, high = declared.min(axis=0), declared.max(axis=0)
    reach = f"x {low[0]:.0f}..{high[0]:.0f}, y {low[1]:.0f}..{high[1]:.0f}"
    frame_text = format_frame(track.frame_size) if track.frame_size is not None else "the video's pixels"
    return (f"{beyond.mean():.0%} of its confident points lie outside {where} (declared frame: {frame_text}; "
            f"the points span {reach})")


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what C libraries write to file descriptor 2 (Python's own errors still surface)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. captured): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _probe_video(path: str) -> tuple[Optional[str], Optional[tuple[int, int]]]:
    """(why the first frame does not decode, None) or (None, (width, height))."""
    try:
        first = open_video(path).frames([0])  # (1, H, W, 3)
    except VideoUnreadable as error:
        return str(error), None
    return None, (int(first.shape[2]), int(first.shape[1]))
