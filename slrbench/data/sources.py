"""Where a sample's frames and keypoints come from: files named by a manifest row.

A *clip reader* turns a manifest row into a `ClipSource` (number of frames, frames by index,
keypoints, frame size). `FileClipReader` reads video files (or members of zip archives,
`ARCHIVE.zip#MEMBER`: `slrbench.data.zip_media`) and keypoint files; a dataset with clips of its
own (the in-memory synthetic benchmark) provides a `clip_reader()` method instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Protocol, Sequence

import numpy as np

from slrbench.data.decoding import PyAVVideo, VideoUnreadable
from slrbench.data.keypoints import KeypointsUnavailable, KeypointTrack, has_keypoints, parse_frame, read_keypoints
from slrbench.data.yuv import YUV420Frames
from slrbench.data.zip_media import open_video_reference, video_present


class ClipSource(Protocol):
    decoder: str  # what decoded the frames ("decord", "pyav", "pyav-fallback", "numpy", "synthetic", "")

    def clip_range(self) -> tuple[int, int]:
        """[first, last + 1) frame indices of the sample (the manifest's start / end, bounded)."""
        ...

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        """(t, H, W, 3) uint8 RGB frames at absolute indices."""
        ...

    def keypoints(self) -> KeypointTrack: ...

    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        ...


class ClipReader(Protocol):
    def open(self, row: Mapping[str, Any], need_video: bool, need_keypoints: bool) -> ClipSource: ...

    def video_present(self, row: Mapping[str, Any]) -> bool: ...

    def keypoints_present(self, row: Mapping[str, Any]) -> bool: ...


def read_row_keypoints(row: Mapping[str, Any]) -> KeypointTrack:
    """A manifest row's keypoints, in the frame its `keypoints_frame` declares (empty: the video's)."""
    try:
        frame = parse_frame(row.get("keypoints_frame"))
    except ValueError as error:
        raise KeypointsUnavailable(f"sample {row.get('sample_id')}: {error}") from None
    return read_keypoints(str(row.get("keypoints") or ""), frame)


def no_frame_reason(row: Mapping[str, Any]) -> str:
    """Why keypoints in an undeclared frame (the video's pixels) cannot be placed: the row has no video."""
    return (f"{row.get('keypoints')}: no keypoints_frame and no video to take the frame from; declare the frame its "
            "coordinates are in (a manifest's keypoints_frame column WxH, or -o dataset.keypoints_frame=WxH)")


def _frame_bound(value: Any) -> Optional[int]:
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(value)


def window_frames(source: ClipSource, indices: Sequence[int], planar: bool) -> np.ndarray | YUV420Frames:
    """A window's frames as RGB, or with `planar` as I420 planes where the source decodes them so."""
    if planar and isinstance(source, FileClipSource):
        return source.frames(indices, planar=True)
    return source.frames(indices)


@dataclass
class FileClipSource:
    row: Mapping[str, Any]
    decoder_choice: str
    need_video: bool
    planar: bool = False  # frames will be asked for as I420 planes: PyAV first, which decodes to them

    def __post_init__(self):
        self._video = self._open_video() if self.need_video else None
        self._track: Optional[KeypointTrack] = None
        self.decoder = self._video.decoder if self._video is not None else ""

    def keypoints(self) -> KeypointTrack:
        if self._track is None:
            self._track = read_row_keypoints(self.row)
        return self._track

    def clip_range(self) -> tuple[int, int]:
        total = self._video.num_frames if self._video is not None else self.keypoints().values.shape[0]
        start = _frame_bound(self.row.get("start")) or 0
        end = _frame_bound(self.row.get("end"))
        end = total if end is None or end > total else end
        if start >= end:
            raise VideoUnreadable(f"{self.row['video']}: frames [{start}, {end}) are empty (the file has {total})")
        return start, end

    def _open_video(self):
        if self.planar and self.decoder_choice == "auto":
            try:
                return open_video_reference(self.row["video"], "pyav")
            except VideoUnreadable:
                pass  # decord may read what PyAV cannot (RGB then)
        return open_video_reference(self.row["video"], self.decoder_choice)

    def frames(self, indices: Sequence[int], planar: bool = False) -> np.ndarray | YUV420Frames:
        assert self._video is not None
        if planar and isinstance(self._video, PyAVVideo):
            return self._video.frames(indices, planar=True)
        return self._video.frames(indices)

    def frame_size(self) -> tuple[int, int]:
        """The video's size; reading keypoints only, their declared frame (the crop box drawn there
        lands on the same part of the image: boxes are drawn in normalised coordinates)."""
        if self._video is not None:
            return self._video.size
        track = self.keypoints()
        if track.frame_size is not None:
            return track.frame_size
        if not self.row.get("video"):  # was "." missing: the empty video path
            raise KeypointsUnavailable(no_frame_reason(self.row))
        return open_video_reference(self.row["video"], self.decoder_choice).size  # keypoints in the video's pixels


class FileClipReader:
    """Videos (decord, PyAV fallback; files or zip members) and keypoint files named in the manifest.
    `planar`: the loader asks for I420 planes (a GPU run), which PyAV decodes to: "auto" tries it first."""

    def __init__(self, decoder: str = "auto", planar: bool = False):
        self.decoder, self.planar = decoder, planar

    def open(self, row: Mapping[str, Any], need_video: bool, need_keypoints: bool) -> ClipSource:
        if need_video and not row.get("video"):
            raise VideoUnreadable(f"sample {row['sample_id']}: no video file in the manifest")
        if need_keypoints and not row.get("keypoints"):
            raise KeypointsUnavailable(f"sample {row['sample_id']}: no keypoints file")
        return FileClipSource(row, self.decoder, need_video, self.planar)

    def video_present(self, row: Mapping[str, Any]) -> bool:
        return video_present(row.get("video"))

    def keypoints_present(self, row: Mapping[str, Any]) -> bool:
        return has_keypoints(str(row.get("keypoints") or ""))
