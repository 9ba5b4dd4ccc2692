"""`slrbench data check`: what a data root holds for a benchmark, per split, read-only.

Counts the annotated samples, present and missing videos, present keypoints, and the present
files that cannot be read (a video whose first frame does not decode, a keypoint file that does
not load). Nothing is written anywhere, least of all into the data root.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

from slrbench.data.decoding import VideoUnreadable, open_video
from slrbench.data.keypoints import KeypointsUnavailable, read_keypoints
from slrbench.data.sources import FileClipReader
from slrbench.interfaces import SPLITS, DatasetContext
from slrbench.registry import Registry


def check_benchmark(registry: Registry, benchmark: str, data_root: Optional[Path],
                    options: Optional[dict[str, Any]] = None,
                    progress: Optional[Callable[[int, int], None]] = None) -> dict[str, Any]:
    plugin = registry.find_benchmark(benchmark)
    dataset = registry.build("datasets", plugin.name, options or {}, DatasetContext(data_root))
    info = dataset.benchmarks[benchmark]
    table = dataset.manifest(benchmark)
    embedded = getattr(dataset, "clip_reader", lambda: None)()
    splits = {split: {"annotated": 0, "videos_present": 0, "videos_missing": 0, "keypoints_present": 0,
                      "unreadable": 0} for split in SPLITS}
    problems: list[dict[str, str]] = []
    rows = table.to_dict("records")
    files = FileClipReader()
    with quiet_native_stderr():  # ffmpeg and decord print their own lines about corrupt files
        _count(rows, embedded, files, splits, problems, progress)
    warnings = [w for w in getattr(dataset, "warnings", []) if w.startswith(f"{benchmark}:") or ":" not in w]
    return {
        "benchmark": benchmark, "dataset": plugin.name, "num_classes": info.num_classes, "splits": splits,
        "warnings": warnings, "problems": problems,
    }


def _count(rows, embedded, files, splits, problems, progress) -> None:
    for number, row in enumerate(rows):
        counts = splits[row["split"]]
        counts["annotated"] += 1
        if embedded is not None:  # clips generated in memory: present and readable by construction
            counts["videos_present"] += embedded.video_present(row)
            counts["keypoints_present"] += embedded.keypoints_present(row)
        else:
            unreadable = False
            if files.video_present(row):
                counts["videos_present"] += 1
                reason = _video_problem(row["video"])
                if reason:
                    unreadable = True
                    problems.append({"sample_id": str(row["sample_id"]), "file": str(row["video"]), "reason": reason})
            else:
                counts["videos_missing"] += 1
            if files.keypoints_present(row):
                counts["keypoints_present"] += 1
                reason = _keypoints_problem(str(row["keypoints"]))
                if reason:
                    unreadable = True
                    problems.append({"sample_id": str(row["sample_id"]), "file": str(row["keypoints"]), "reason": reason})
            counts["unreadable"] += unreadable
        if progress is not None:
            progress(number + 1, len(rows))


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


def _video_problem(path: str) -> Optional[str]:
    try:
        open_video(path).frames([0])
    except VideoUnreadable as error:
        return str(error)
    return None


def _keypoints_problem(reference: str) -> Optional[str]:
    try:
        read_keypoints(reference)
    except KeypointsUnavailable as error:
        return str(error)
    return None
