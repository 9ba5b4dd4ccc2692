"""The frames and keypoints to draw: a benchmark's sample (its dataset's own reader, as training
reads it) or a video file with a keypoint file, through the same `ClipSource` the loader uses."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from slrbench.data.decoding import VideoUnreadable
from slrbench.data.keypoints import KeypointsUnavailable, rescale_keypoints
from slrbench.data.sources import ClipSource, FileClipReader
from slrbench.errors import UsageError
from slrbench.registry import Registry


@dataclass
class Clip:
    name: str
    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    keypoints: np.ndarray  # (T, 63, 3) x, y in pixels of these frames, score
    frame_indices: list[int]  # which frames of the source these are


def benchmark_source(registry: Registry, benchmark: str, data_root: Optional[Path], sample: str,
                     options: Mapping[str, Any]) -> tuple[str, ClipSource]:
    """A benchmark sample's source, read by its dataset's clip reader (files, zip members, memory)."""
    from slrbench.data.benchmark import open_benchmark

    opened = open_benchmark(registry, benchmark, data_root, options)
    manifest = opened.manifest()
    ids = [str(value) for value in manifest["sample_id"]]
    if sample not in ids:
        close = difflib.get_close_matches(sample, ids, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else f"; e.g. {', '.join(ids[:3])}"
        raise UsageError(f"--sample {sample}: no such sample in {benchmark}{hint}")
    row = manifest.iloc[ids.index(sample)].to_dict()
    reader = opened.clip_reader() or FileClipReader()
    return sample, _open(reader, row)


def file_source(video: Path, keypoints: Path | str, keypoints_frame: str = "") -> tuple[str, ClipSource]:
    """A video and its keypoints (`.pose`, `.npy`, `file.pkl#name`); `keypoints_frame` "WxH" when
    a `.npy` or pickle's coordinates are not in the video's pixels (a `.pose` file declares its own)."""
    row = {"sample_id": video.stem, "video": str(video), "keypoints": str(keypoints), "keypoints_frame": keypoints_frame}
    return video.stem, _open(FileClipReader(), row)


def _open(reader: Any, row: Mapping[str, Any]) -> ClipSource:
    try:
        return reader.open(row, True, True)
    except (VideoUnreadable, KeypointsUnavailable) as error:
        raise UsageError(str(error)) from None


def read_clip(name: str, source: ClipSource, max_frames: int) -> Clip:
    """At most `max_frames` frames, evenly spaced over the sample, with their keypoints rescaled to
    the decoded frames' pixels (as the loader rescales them)."""
    try:
        start, end = source.clip_range()
        count = min(max_frames, end - start)
        indices = sorted({int(round(i)) for i in np.linspace(start, end - 1, count)})
        frames = source.frames(indices)
        track = source.keypoints()
    except (VideoUnreadable, KeypointsUnavailable) as error:
        raise UsageError(str(error)) from None
    values = track.values
    size = (int(frames.shape[2]), int(frames.shape[1]))
    if track.frame_size is not None:
        values = rescale_keypoints(values, track.frame_size, size)
    points = values[np.clip(np.array(indices), 0, values.shape[0] - 1)]
    return Clip(name, np.ascontiguousarray(frames), np.asarray(points, np.float32), indices)
