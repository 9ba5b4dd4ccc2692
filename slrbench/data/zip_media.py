"""Videos inside zip archives, read in place: MP4 members and numbered frame images.

The reference's bundle keeps its videos zipped (NLA-SLR's README: "all raw videos need to be
zipped"): WLASL as MP4 members (`WLASL2000.zip`: `WLASL2000/<name>.mp4`), MS-ASL and NMFs-CSL as
one image per frame (`<video_file>0000.png`, ..., `<video_file>image_00001.jpg`, ...). A manifest's
`video` names a member as `ARCHIVE.zip#MEMBER` (`archive_reference`); a MEMBER with one printf
field (`%04d`) is a numbered frame sequence, numbered from 0, or from 1 when there is no frame 0
(as ffmpeg's image2 reader), and as long as its numbers run without a gap.

Members are read in place (`slrbench.data.zip_archive`), and only what a window needs: a stored
MP4 member (what `zip -0` and Python's zipfile write) is decoded where it lies by the same
decoders as a file, seeking to the window's keyframe (ffmpeg's subfile protocol over the member's
byte range); a deflated one is unpacked into memory first (its CRC checked) and decoded there; a
frame sequence reads the window's image members only, each decoded on its own (Pillow). MP4 headers are probed
as files are (`video_probe`); an image's size is checked before its pixels are decoded, and only
PNG and JPEG are decoded. Every failure is a `VideoUnreadable` naming `ARCHIVE.zip#MEMBER`.
"""
from __future__ import annotations

import contextlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from slrbench.data.decoding import (
    DecordVideo, PyAVVideo, VideoUnreadable, decord_available, open_video, quiet_native_stderr,
)
from slrbench.data.video_probe import (
    VideoLimits, check_decoded_size, first_line, probe_video_data, probe_video_stream,
)
from slrbench.data.zip_archive import ArchiveIndex, archive_index, archive_reference, split_archive_reference

IMAGE_FORMATS = ("PNG", "JPEG")
_FRAME_FIELD = re.compile(r"%0?(\d*)d")


@dataclass(frozen=True)
class FramePattern:
    """A member name with one printf field: frame n is prefix + n (zero-padded to width) + suffix."""

    prefix: str
    width: int
    suffix: str

    @classmethod
    def of(cls, member: str) -> Optional["FramePattern"]:
        match = _FRAME_FIELD.search(member)
        if match is None:
            return None
        return cls(member[:match.start()], int(match.group(1) or 0), member[match.end():])

    def name(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}{self.suffix}"

    def run(self, index: ArchiveIndex, limit: int) -> tuple[int, int]:
        """(first number, frames): numbered from 0, else from 1, up to the first gap."""
        first = 0 if self.name(0) in index else 1
        count = 0
        while count <= limit and self.name(first + count) in index:
            count += 1
        return first, count


def video_present(reference: Any) -> bool:
    """Whether a video reference names an existing file or archive member (frame sequence: its first
    frame). An archive that exists but cannot be read counts as present: opening it says why."""
    split = split_archive_reference(reference)
    if split is None:
        return bool(reference) and Path(reference).is_file()
    archive, member = split
    if not archive.is_file():
        return False
    try:
        index = archive_index(archive)
    except VideoUnreadable:
        return True
    pattern = FramePattern.of(member)
    return (pattern.name(0) in index or pattern.name(1) in index) if pattern else member in index


def open_video_reference(reference: Any, decoder: str = "auto", limits: Optional[VideoLimits] = None):
    """A manifest row's video: a file (`decoding.open_video`) or a zip member (`ARCHIVE.zip#MEMBER`)."""
    split = split_archive_reference(reference)
    if split is None:
        return open_video(reference, decoder, limits)
    limits = limits or VideoLimits.from_environment()
    archive, member = split
    if not archive.is_file():
        raise VideoUnreadable(f"{reference}: missing (no archive {archive})")
    index = archive_index(archive)
    pattern = FramePattern.of(member)
    if pattern is not None:
        return ArchiveFrames(index, member, limits)
    name = archive_reference(archive, member)
    info = index.members.get(member)
    if info is not None and info.compress_type == zipfile.ZIP_STORED:
        video = _in_place(index, member, name, decoder, limits)
        if video is not None:
            return video
    data = index.read(member)  # deflated (or other): unpacked into memory, its CRC checked
    try:
        header = probe_video_data(data, limits)
    except ValueError as error:
        raise VideoUnreadable(f"{name}: {first_line(error)}") from None
    if decoder == "pyav" or (decoder == "auto" and not decord_available()):
        return MemoryPyAVVideo(data, name, limits)
    try:
        return MemoryDecordVideo(data, name, (header.width, header.height), limits)
    except VideoUnreadable:
        if decoder == "decord":
            raise
        video = MemoryPyAVVideo(data, name, limits)  # decord fails on some containers PyAV reads
        video.decoder = "pyav-unpacked-fallback"
        return video


def _in_place(index: ArchiveIndex, member: str, name: str, decoder: str, limits: VideoLimits) -> Optional["MemberVideo"]:
    """A stored member decoded where it lies, by the file decoders (seeking to keyframes as in a file)
    through ffmpeg's subfile protocol; None when they cannot open it so (it is then read into memory)."""
    info, start = index.locate(member)
    try:
        header = probe_video_stream(index.stream(member), info.compress_size, limits)
    except (ValueError, OSError) as error:
        raise VideoUnreadable(f"{name}: {first_line(error)}") from None
    uri = f"subfile,,start,{start},end,{start + info.compress_size},,:{index.path.absolute()}"
    try:
        if decoder == "pyav" or (decoder == "auto" and not decord_available()):
            return MemberVideo(PyAVVideo(uri, limits), uri, name)
        try:
            return MemberVideo(DecordVideo(uri, header, limits), uri, name)
        except VideoUnreadable:
            if decoder == "decord":
                raise
            video = PyAVVideo(uri, limits)
            video.decoder = "pyav-fallback"
            return MemberVideo(video, uri, name)
    except VideoUnreadable:
        return None


class MemberVideo:
    """A file decoder's video of a stored member: frames as from a file, messages naming the member."""

    def __init__(self, video: Any, uri: str, name: str):
        self.video, self.uri, self.path = video, uri, name
        self.decoder = f"{video.decoder}-zip"
        self.num_frames = video.num_frames

    @property
    def size(self) -> tuple[int, int]:
        with self._named():
            return self.video.size

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        with self._named():
            return self.video.frames(indices)

    @contextlib.contextmanager
    def _named(self) -> Iterator[None]:
        try:
            yield
        except VideoUnreadable as error:
            raise VideoUnreadable(str(error).replace(self.uri, self.path)) from None


class MemoryDecordVideo(DecordVideo):
    """decord on an unpacked member's bytes; reads frames as `DecordVideo` does (seeking to keyframes)."""

    decoder = "decord-zip-unpacked"

    def __init__(self, data: bytes, name: str, size: tuple[Optional[int], Optional[int]], limits: VideoLimits):
        import decord

        self.path, self.limits = name, limits  # path: what messages name
        self._header_size = size if all(size) else None
        try:
            with quiet_native_stderr():
                self._reader = decord.VideoReader(io.BytesIO(data), ctx=decord.cpu(0), num_threads=1)
            self.num_frames = len(self._reader)
        except (RuntimeError, decord.DECORDError) as error:
            raise VideoUnreadable(f"{name}: {first_line(error)}") from None
        if self.num_frames > limits.max_frames:
            raise VideoUnreadable(f"{name}: decord counts {self.num_frames:,} frames (limit {limits.max_frames:,})")
        self._size = None


class MemoryPyAVVideo:
    """PyAV on an unpacked member's bytes: decodes from the start up to the last frame needed
    (members are short clips) and converts only the frames needed."""

    decoder = "pyav-zip-unpacked"

    def __init__(self, data: bytes, name: str, limits: VideoLimits):
        import av

        self.data, self.path, self.limits = data, name, limits
        try:
            with quiet_native_stderr(), av.open(io.BytesIO(data), metadata_errors="replace") as container:
                stream = container.streams.video[0]
                self.size = (stream.codec_context.width, stream.codec_context.height)
                self.num_frames = stream.frames or sum(1 for packet in container.demux(stream) if packet.size)
        except (av.FFmpegError, IndexError, OSError, AttributeError) as error:
            raise VideoUnreadable(f"{name}: {first_line(error)}") from None
        if self.num_frames > limits.max_frames:
            raise VideoUnreadable(f"{name}: PyAV counts {self.num_frames:,} frames (limit {limits.max_frames:,})")

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        import av

        wanted = {int(i) for i in indices}
        _check_decoded(self.path, len(wanted), self.size, self.limits)
        found: dict[int, np.ndarray] = {}
        try:
            for position, frame in enumerate(self._decoded(av)):
                if position in wanted:
                    with quiet_native_stderr():
                        found[position] = frame.to_ndarray(format="rgb24")
                if position >= max(wanted):
                    break
        except (av.FFmpegError, OSError, IndexError, AttributeError) as error:
            raise VideoUnreadable(f"{self.path}: {first_line(error)}") from None
        if len(found) < len(wanted):
            raise VideoUnreadable(f"{self.path}: decoded {len(found)} of {len(wanted)} requested frames")
        return np.stack([found[int(i)] for i in indices])

    def _decoded(self, av: Any) -> Iterator[Any]:
        with quiet_native_stderr():
            container = av.open(io.BytesIO(self.data), metadata_errors="replace")
        with container:
            frames = container.decode(container.streams.video[0])
            while True:
                with quiet_native_stderr():
                    frame = next(frames, None)
                if frame is None:
                    return
                if max(frame.width, frame.height) > self.limits.max_side:
                    raise VideoUnreadable(f"{self.path}: decodes {frame.width}x{frame.height} frames "
                                          f"(limit {self.limits.max_side} pixels a side)")
                yield frame


class ArchiveFrames:
    """A numbered sequence of PNG / JPEG members as a video: only the frames asked for are read."""

    decoder = "images-zip"

    def __init__(self, index: ArchiveIndex, member: str, limits: VideoLimits):
        pattern = FramePattern.of(member)
        assert pattern is not None, member
        self.index, self.pattern, self.limits = index, pattern, limits
        self.path = archive_reference(index.path, member)  # what messages name
        self.first, self.num_frames = pattern.run(index, limits.max_frames)
        if self.num_frames == 0:
            raise VideoUnreadable(f"{self.path}: missing (neither frame {pattern.name(0)!r} nor "
                                  f"{pattern.name(1)!r} in {index.path.name})")
        if self.num_frames > limits.max_frames:
            raise VideoUnreadable(f"{self.path}: more than {limits.max_frames:,} frames "
                                  "(SLRBENCH_VIDEO_MAX_FRAMES raises the limit)")
        self._size: Optional[tuple[int, int]] = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the first frame, from its header (no pixels decoded)."""
        if self._size is None:
            with self._image(0) as image:
                self._size = image.size
        return self._size

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        wanted = sorted({int(i) for i in indices})
        if wanted and not 0 <= wanted[0] <= wanted[-1] < self.num_frames:
            raise VideoUnreadable(f"{self.path}: frames {wanted[0]}..{wanted[-1]} asked, the sequence has "
                                  f"{self.num_frames}")
        width, height = self.size
        _check_decoded(self.path, len(wanted), (width, height), self.limits)
        found = {}
        for index in wanted:
            with self._image(index) as image:
                if image.size != (width, height):
                    raise VideoUnreadable(f"{self._name(index)}: {image.size[0]}x{image.size[1]}, the sequence's "
                                          f"first frame is {width}x{height}")
                found[index] = image_pixels(image, self._name(index))
        return np.stack([found[int(i)] for i in indices])

    def _name(self, index: int) -> str:
        return archive_reference(self.index.path, self.pattern.name(self.first + index))

    def _image(self, index: int) -> Any:
        return open_image(self.index.read(self.pattern.name(self.first + index)), self._name(index), self.limits)


def open_image(data: bytes, name: str, limits: VideoLimits) -> Any:
    """A PNG or JPEG image, opened (header read, pixels not decoded yet) and its size checked."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as error:  # Pillow's own limit, checked before ours can be
        raise VideoUnreadable(f"{name}: {first_line(error)}") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise VideoUnreadable(f"{name}: not a PNG or JPEG image ({first_line(error)})") from None
    if max(image.size) > limits.max_side:
        image.close()
        raise VideoUnreadable(f"{name}: {image.size[0]}x{image.size[1]} pixels (limit {limits.max_side} a side; "
                              "SLRBENCH_VIDEO_MAX_SIDE raises it)")
    return image


def image_pixels(image: Any, name: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an opened image (RGB images as decoded: no conversion pass)."""
    try:
        if image.mode == "RGB":
            image.load()
            return np.asarray(image)
        return np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as error:
        raise VideoUnreadable(f"{name}: {first_line(error)}") from None


def _check_decoded(name: str, count: int, size: tuple[int, int], limits: VideoLimits) -> None:
    try:
        check_decoded_size(count, size[0], size[1], limits)
    except ValueError as error:
        raise VideoUnreadable(f"{name}: {error}") from None
