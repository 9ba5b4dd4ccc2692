"""Video decoding that reads only the frames a clip needs: decord, with PyAV as the fallback.

`open_video(path)` picks decord when it is installed and can open the file, else PyAV; the
decoder used is on the returned object (`.decoder`), so the loader can report it. Both return
RGB uint8 frames (t, H, W, 3). Unreadable files raise `VideoUnreadable`, never anything else
from the decoders, so a corrupt file costs one sample, not a worker; its message names the file.

Before a decoder sees a file, its header is probed (`slrbench.data.video_probe`): frame count,
frame size and duration must be within `VideoLimits` (environment variables change them), and
a read may not decode more RGB bytes than the limit allows, so a crafted header cannot make a
decoder allocate tens of gigabytes. What the native libraries print to file descriptor 2 while
probing and decoding is silenced (`quiet_native_stderr`); their errors arrive as exceptions.

`.npy` "videos" (T, H, W, 3) uint8 are read through a memory map (the synthetic cache uses mp4).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np

from slrbench.data.video_probe import VideoHeader, VideoLimits, check_decoded_size, check_header, probe_video
from slrbench.data.video_probe import first_line as _first_line
from slrbench.data.yuv import YUV420Frames, planar_range


class VideoUnreadable(Exception):
    """The video is missing, corrupt or cannot be decoded."""


_QUIET_LOCK = threading.Lock()
_QUIET = {"depth": 0, "saved": -1}


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what C libraries write to file descriptor 2 (Python's own errors still surface as
    exceptions). Nested and concurrent uses share one redirection, undone by the last to leave."""
    with _QUIET_LOCK:
        if _QUIET["depth"] == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError, AttributeError):  # no real stderr (e.g. captured): nothing to silence
                saved = -1
            if saved >= 0:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            _QUIET["saved"] = saved
        _QUIET["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET["depth"] -= 1
            if _QUIET["depth"] == 0 and _QUIET["saved"] >= 0:
                os.dup2(_QUIET["saved"], 2)
                os.close(_QUIET["saved"])
                _QUIET["saved"] = -1


def _check_decoded(path: Path, count: int, size: Optional[tuple[int, int]], limits: VideoLimits) -> None:
    if size is not None and all(size):
        try:
            check_decoded_size(count, size[0], size[1], limits)
        except ValueError as error:
            raise VideoUnreadable(f"{path}: {error}") from None


def decord_available() -> bool:
    return importlib.util.find_spec("decord") is not None


class DecordVideo:
    decoder = "decord"

    def __init__(self, path: Path, header: Optional[VideoHeader] = None, limits: VideoLimits = VideoLimits()):
        import decord

        self.path, self.limits = path, limits
        self._header_size = (header.width, header.height) if header and header.width and header.height else None
        try:
            with quiet_native_stderr():
                self._reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)
            self.num_frames = len(self._reader)
        except (RuntimeError, decord.DECORDError) as error:
            raise VideoUnreadable(f"{path}: {_first_line(error)}") from None
        if self.num_frames > limits.max_frames:
            raise VideoUnreadable(f"{path}: decord counts {self.num_frames:,} frames (limit {limits.max_frames:,})")
        self._size = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height); decodes the first frame (use the decoded frames' shape when you have them)."""
        if self._size is None:
            height, width = self.frames([0]).shape[1:3]
            self._size = (int(width), int(height))
        return self._size

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        import decord

        indices = list(indices)
        _check_decoded(self.path, len(set(indices)), self._size or self._header_size, self.limits)
        try:
            with quiet_native_stderr():
                return self._reader.get_batch(indices).asnumpy()
        except (RuntimeError, decord.DECORDError, IndexError) as error:  # IndexError: fewer frames than declared
            raise VideoUnreadable(f"{self.path}: decord: {_first_line(error)}") from None


class PyAVVideo:
    """Decodes from the last keyframe at or before the first frame needed (frames are found by their
    timestamps, read by demuxing without decoding), or from the start where the stream has no
    timestamps; up to the last frame needed. Only the frames needed are converted to RGB."""

    decoder = "pyav"

    def __init__(self, path: Path, limits: VideoLimits = VideoLimits()):
        import av

        self.path, self.limits = path, limits
        self._timestamps: Optional[tuple[list[int], list[int]]] = None
        try:
            # metadata_errors: a damaged title or handler name must not stop the frames being read
            with quiet_native_stderr(), av.open(str(path), metadata_errors="replace") as container:
                stream = container.streams.video[0]
                self.size = (stream.codec_context.width, stream.codec_context.height)
                self.num_frames = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
        except (av.FFmpegError, IndexError, OSError, AttributeError) as error:  # AttributeError: no codec context
            raise VideoUnreadable(f"{path}: {_first_line(error)}") from None
        if self.num_frames > limits.max_frames:
            raise VideoUnreadable(f"{path}: PyAV counts {self.num_frames:,} frames (limit {limits.max_frames:,})")

    def timestamps(self) -> tuple[list[int], list[int]]:
        """(presentation timestamps of the frames in order, those of the keyframes), from the packets;
        ([], []) when a packet has none (then frames are counted from the start)."""
        import av

        if self._timestamps is None:
            frames, keys = [], []
            try:
                with quiet_native_stderr(), av.open(str(self.path), metadata_errors="replace") as container:
                    for packet in container.demux(container.streams.video[0]):
                        if not packet.size:
                            continue
                        if packet.pts is None:
                            frames, keys = [], []
                            break
                        frames.append(int(packet.pts))
                        if packet.is_keyframe:
                            keys.append(int(packet.pts))
            except (av.FFmpegError, OSError) as error:
                raise VideoUnreadable(f"{self.path}: {_first_line(error)}") from None
            self._timestamps = (sorted(frames), sorted(keys))
        return self._timestamps

    def start_for(self, first: int) -> int:
        """The frame decoding starts from to reach frame `first`: the last keyframe at or before it
        (0 without timestamps, or when they disagree with the frame count)."""
        frames, keys = self.timestamps() if first > 0 else ([], [])
        if len(frames) != self.num_frames or first >= len(frames) or len(set(frames)) != len(frames):
            return 0
        before = [key for key in keys if key <= frames[first]]
        return frames.index(before[-1]) if before else 0

    def _positions(self) -> dict[int, int]:
        """{timestamp: frame index} when the packets' timestamps place every frame, else {}."""
        frames = self.timestamps()[0]
        if len(frames) != self.num_frames or len(set(frames)) != len(frames):
            return {}
        return {pts: i for i, pts in enumerate(frames)}

    def _decoded(self, start: int = 0, window_from: Optional[int] = None) -> Iterator[tuple[int, "av.VideoFrame"]]:
        """(index, frame) in order from frame `start` (seeking to it, a keyframe); a decoding error
        becomes VideoUnreadable. Quiet only while decoding, never while the caller holds a frame.
        `window_from`: a window read from that frame on, as the loader's workers do: one decoder thread
        each (the workers are the parallelism), and frames before the window that no other frame
        refers to are not decoded (frames are then placed by their timestamps; the same frames come out)."""
        import av

        position = self._positions() if start or window_from else {}
        first_pts = self.timestamps()[0][window_from] if window_from and position else None
        try:
            with quiet_native_stderr():
                container = av.open(str(self.path), metadata_errors="replace")
            with container:
                stream = container.streams.video[0]
                if window_from is None:
                    stream.thread_type = "AUTO"
                else:
                    stream.codec_context.thread_count = 1
                if start:
                    with quiet_native_stderr():
                        container.seek(self.timestamps()[0][start], stream=stream, backward=True, any_frame=False)
                skipping = first_pts is not None
                if skipping:
                    stream.codec_context.skip_frame = "NONREF"
                index = start - 1
                for packet in container.demux(stream):
                    if skipping and (packet.pts is None or packet.pts >= first_pts):
                        stream.codec_context.skip_frame = "DEFAULT"  # from here on every frame is decoded
                        skipping = False
                    with quiet_native_stderr():
                        decoded = packet.decode()
                    for frame in decoded:
                        _check_decoded(self.path, 1, (frame.width, frame.height), self.limits)
                        if max(frame.width, frame.height) > self.limits.max_side:
                            raise VideoUnreadable(f"{self.path}: decodes {frame.width}x{frame.height} frames "
                                                  f"(limit {self.limits.max_side} pixels a side)")
                        index = position.get(frame.pts, -1) if position else index + 1
                        if index < 0:  # a frame whose timestamp no packet had: cannot be placed
                            raise _LostPlace()
                        yield index, frame
        except (av.FFmpegError, OSError, IndexError, AttributeError) as error:
            raise VideoUnreadable(f"{self.path}: {_first_line(error)}") from None

    def frames(self, indices: Sequence[int], planar: bool = False) -> np.ndarray | YUV420Frames:
        """(t, H, W, 3) uint8 RGB frames; with `planar`, the decoder's I420 planes instead where the
        stream's frames can be converted on the device (`slrbench.data.yuv`)."""
        wanted = set(int(i) for i in indices)
        _check_decoded(self.path, len(wanted), self.size, self.limits)
        try:
            found, full_range = self._read(wanted, self.start_for(min(wanted)), planar, window=True)
        except _LostPlace:  # decode from the start, counting frames
            found, full_range = self._read(wanted, 0, planar, window=False)
        if len(found) < len(wanted):
            raise VideoUnreadable(f"{self.path}: decoded {len(found)} of {len(wanted)} requested frames")
        stacked = np.stack([found[int(i)] for i in indices])
        return stacked if full_range is None else YUV420Frames(stacked, full_range)

    def _read(self, wanted: set[int], start: int, planar: bool,
              window: bool) -> tuple[dict[int, np.ndarray], Optional[bool]]:
        """The wanted frames by index, and None (RGB) or whether the I420 planes are full range."""
        last, found, full_range = max(wanted), {}, None
        for index, frame in self._decoded(start, min(wanted) if window else None):
            if index in wanted:
                if planar and not found:
                    full_range = planar_range(frame)
                elif full_range is not None and planar_range(frame) != full_range:  # the stream changed format
                    return self._read(wanted, start, False, window)
                with quiet_native_stderr():
                    found[index] = frame.to_ndarray(format="rgb24") if full_range is None else frame.to_ndarray()
            if index >= last:
                break
        return found, full_range

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """Every frame in order, `size` at a time, decoding the file once."""
        _check_decoded(self.path, size, self.size, self.limits)
        batch: list[np.ndarray] = []
        for _, frame in self._decoded():
            with quiet_native_stderr():
                batch.append(frame.to_ndarray(format="rgb24"))
            if len(batch) == size:
                yield np.stack(batch)
                batch = []
        if batch:
            yield np.stack(batch)


class _LostPlace(Exception):
    """After a seek, a decoded frame could not be placed by its timestamp: decode from the start."""


class ArrayVideo:
    decoder = "numpy"

    def __init__(self, path: Path, limits: VideoLimits = VideoLimits()):
        self.path, self.limits = path, limits
        try:
            self._array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise VideoUnreadable(f"{path}: {_first_line(error)}") from None
        if self._array.ndim != 4 or self._array.shape[-1] != 3:
            raise VideoUnreadable(f"{path}: expected a (T, H, W, 3) uint8 array, got {self._array.shape}")
        self.num_frames = self._array.shape[0]
        self.size = (self._array.shape[2], self._array.shape[1])
        try:
            probe = VideoHeader(frames=self.num_frames, width=self.size[0], height=self.size[1], seconds=None)
            check_header(probe, limits)
        except ValueError as error:
            raise VideoUnreadable(f"{path}: {error}") from None

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        indices = list(indices)
        _check_decoded(self.path, len(indices), self.size, self.limits)
        try:
            return np.asarray(self._array[indices], dtype=np.uint8)
        except IndexError as error:
            raise VideoUnreadable(f"{self.path}: {error}") from None


def iter_frame_chunks(video, size: int = 32) -> Iterator[np.ndarray]:
    """All frames of an opened video, in order, as (t, H, W, 3) uint8 chunks of at most `size`."""
    if isinstance(video, PyAVVideo):
        yield from video.chunks(size)
        return
    for start in range(0, video.num_frames, size):
        yield video.frames(range(start, min(start + size, video.num_frames)))


def open_video(path: Path | str, decoder: str = "auto", limits: Optional[VideoLimits] = None):
    """Open a video with `decoder` ("auto": decord, falling back to PyAV for this file), after its
    header passed `limits` (default: `VideoLimits.from_environment()`)."""
    path = Path(path)
    limits = limits or VideoLimits.from_environment()
    if not path.is_file():
        raise VideoUnreadable(f"{path}: missing")
    if path.suffix == ".npy":
        video = ArrayVideo(path, limits)
    else:
        try:
            with quiet_native_stderr():
                header = probe_video(path, limits)
        except (ValueError, OSError) as error:
            raise VideoUnreadable(f"{path}: {_first_line(error)}") from None
        if decoder == "pyav" or (decoder == "auto" and not decord_available()):
            video = PyAVVideo(path, limits)
        elif decoder == "decord":
            video = DecordVideo(path, header, limits)
        else:
            try:
                video = DecordVideo(path, header, limits)
            except VideoUnreadable:
                video = PyAVVideo(path, limits)  # decord fails on some containers PyAV reads; truly corrupt files fail here too
                video.decoder = "pyav-fallback"
    if video.num_frames < 1:
        raise VideoUnreadable(f"{path}: no video frames")
    return video
