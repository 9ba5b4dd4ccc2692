"""Video decoding that reads only the frames a clip needs: decord, with PyAV as the fallback.

`open_video(path)` picks decord when it is installed and can open the file, else PyAV; the
decoder used is on the returned object (`.decoder`), so the loader can report it. Both return
RGB uint8 frames (t, H, W, 3). Unreadable files raise `VideoUnreadable`, never anything else
from the decoders, so a corrupt file costs one sample, not a worker.

`.npy` "videos" (T, H, W, 3) uint8 are read through a memory map (the synthetic cache uses mp4).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np


class VideoUnreadable(Exception):
    """The video is missing, corrupt or cannot be decoded."""


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def decord_available() -> bool:
    return importlib.util.find_spec("decord") is not None


class DecordVideo:
    decoder = "decord"

    def __init__(self, path: Path):
        import decord

        try:
            self._reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)
            self.num_frames = len(self._reader)
        except (RuntimeError, decord.DECORDError) as error:
            raise VideoUnreadable(f"{path}: {_first_line(error)}") from None
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

        try:
            return self._reader.get_batch(list(indices)).asnumpy()
        except (RuntimeError, decord.DECORDError, IndexError) as error:  # IndexError: fewer frames than declared
            raise VideoUnreadable(f"decord: {_first_line(error)}") from None


class PyAVVideo:
    """Sequential decoding up to the last frame needed (H.264 cannot skip decoding anyway)."""

    decoder = "pyav"

    def __init__(self, path: Path):
        import av

        self.path = path
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                self.size = (stream.codec_context.width, stream.codec_context.height)
                self.num_frames = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
        except (av.FFmpegError, IndexError, OSError) as error:
            raise VideoUnreadable(f"{path}: {error}") from None

    def _decoded(self) -> Iterator[np.ndarray]:
        """Every frame in order as (H, W, 3) uint8 RGB; a decoding error becomes VideoUnreadable."""
        import av

        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                for frame in container.decode(stream):
                    yield frame.to_ndarray(format="rgb24")
        except (av.FFmpegError, OSError) as error:
            raise VideoUnreadable(f"{self.path}: {error}") from None

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        wanted = set(int(i) for i in indices)
        last = max(wanted)
        found: dict[int, np.ndarray] = {}
        for position, frame in enumerate(self._decoded()):
            if position in wanted:
                found[position] = frame
            if position >= last:
                break
        if len(found) < len(wanted):
            raise VideoUnreadable(f"{self.path}: decoded {len(found)} of {len(wanted)} requested frames")
        return np.stack([found[int(i)] for i in indices])

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """Every frame in order, `size` at a time, decoding the file once."""
        batch: list[np.ndarray] = []
        for frame in self._decoded():
            batch.append(frame)
            if len(batch) == size:
                yield np.stack(batch)
                batch = []
        if batch:
            yield np.stack(batch)


class ArrayVideo:
    decoder = "numpy"

    def __init__(self, path: Path):
        try:
            self._array = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as error:
            raise VideoUnreadable(f"{path}: {error}") from None
        if self._array.ndim != 4 or self._array.shape[-1] != 3:
            raise VideoUnreadable(f"{path}: expected a (T, H, W, 3) uint8 array, got {self._array.shape}")
        self.num_frames = self._array.shape[0]
        self.size = (self._array.shape[2], self._array.shape[1])

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        return np.asarray(self._array[list(indices)], dtype=np.uint8)


def iter_frame_chunks(video, size: int = 32) -> Iterator[np.ndarray]:
    """All frames of an opened video, in order, as (t, H, W, 3) uint8 chunks of at most `size`."""
    if isinstance(video, PyAVVideo):
        yield from video.chunks(size)
        return
    for start in range(0, video.num_frames, size):
        yield video.frames(range(start, min(start + size, video.num_frames)))


def open_video(path: Path | str, decoder: str = "auto"):
    """Open a video with `decoder` ("auto": decord, falling back to PyAV for this file)."""
    path = Path(path)
    if not path.is_file():
        raise VideoUnreadable(f"{path}: missing")
    if path.suffix == ".npy":
        video = ArrayVideo(path)
    elif decoder == "pyav" or (decoder == "auto" and not decord_available()):
        video = PyAVVideo(path)
    elif decoder == "decord":
        video = DecordVideo(path)
    else:
        try:
            video = DecordVideo(path)
        except VideoUnreadable:
            video = PyAVVideo(path)  # decord fails on some containers PyAV reads; truly corrupt files fail here too
            video.decoder = "pyav-fallback"
    if video.num_frames < 1:
        raise VideoUnreadable(f"{path}: no video frames")
    return video
