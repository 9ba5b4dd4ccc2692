"""Videos inside zip archives, read in place: MP4 members and numbered frame images.

The reference's bundle keeps its videos zipped (NLA-SLR's README: "all raw videos need to be
zipped"): WLASL as MP4 members (`WLASL2000.zip`: `WLASL2000/<name>.mp4`), MS-ASL and NMFs-CSL as
one image per frame (`<video_file>0000.png`, ..., `<video_file>image_00001.jpg`, ...). A manifest's
`video` names a member as `ARCHIVE.zip#MEMBER` (`archive_reference`); a MEMBER with one printf
field (`%04d`) is a numbered frame sequence, numbered from 0, or from 1 when there is no frame 0
(as ffmpeg's image2 reader), and as long as its numbers run without a gap.

Why it is fast: an archive's central directory is read once per process (`archive_index`; a
bundle dataset reads it in the main process, so forked loader workers share it), and members are
read with `os.pread` on a file each process opens for itself: workers never share a file
position, and only what a window needs is read - an MP4 member's bytes (decord decodes them from
memory, PyAV as the fallback) or the window's image members, each decoded on its own (Pillow).
Why it is safe: a member's declared size is checked against SLRBENCH_ZIP_MAX_MEMBER_MB before it
is read and its CRC after; MP4 headers are probed as files are (`video_probe`); an image's size is
checked before its pixels are decoded, and only PNG and JPEG are decoded. Every failure is a
`VideoUnreadable` naming `ARCHIVE.zip#MEMBER`.
"""
from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from slrbench.data.decoding import (
    DecordVideo, VideoUnreadable, decord_available, open_video, quiet_native_stderr,
)
from slrbench.data.video_probe import VideoLimits, check_decoded_size, first_line, probe_video_data

ARCHIVE_MARKER = ".zip#"
MEMBER_LIMIT_VARIABLE = "SLRBENCH_ZIP_MAX_MEMBER_MB"
DEFAULT_MEMBER_LIMIT_MB = 1024
IMAGE_FORMATS = ("PNG", "JPEG")
_FRAME_FIELD = re.compile(r"%0?(\d*)d")
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., file name length, extra field length
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, OSError,
               ValueError, struct.error)


def archive_reference(archive: Path | str, member: str) -> str:
    """`ARCHIVE.zip#MEMBER`: how a manifest row names a video inside a zip archive."""
    return f"{archive}#{member}"


def split_archive_reference(reference: Any) -> Optional[tuple[Path, str]]:
    """`ARCHIVE.zip#MEMBER` -> (archive, member without leading or trailing '/', as the reference's
    ZipReader strips them); None for any other path."""
    head, marker, member = str(reference or "").partition(ARCHIVE_MARKER)
    return (Path(head + ".zip"), member.strip("/")) if marker else None


def member_limit_bytes() -> int:
    text = os.environ.get(MEMBER_LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MEMBER_LIMIT_MB << 20
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        from slrbench.errors import UsageError

        raise UsageError(f"{MEMBER_LIMIT_VARIABLE}={text!r}: must be a positive number of megabytes")
    return value << 20


class ArchiveIndex:
    """A zip archive's members by name, read once; `read(name)` returns one member's bytes."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.identity = _identity(path)
            with zipfile.ZipFile(path) as archive:
                self.members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        except _ZIP_ERRORS as error:
            raise VideoUnreadable(f"{path}: not a readable zip archive ({first_line(error)})") from None
        self._descriptor, self._pid = -1, -1

    def __contains__(self, name: str) -> bool:
        return name in self.members

    def example(self) -> str:
        """A member's name, for messages ('' when the archive is empty)."""
        return next(iter(self.members), "")

    def read(self, name: str) -> bytes:
        """The member's bytes, its size bounded before reading and its CRC checked after."""
        where = archive_reference(self.path, name)
        info = self.members.get(name)
        if info is None:
            raise VideoUnreadable(f"{where}: missing (no such member in {self.path.name})")
        if info.flag_bits & 0x1:
            raise VideoUnreadable(f"{where}: encrypted; slrbench reads unencrypted archives only")
        limit = member_limit_bytes()
        if info.file_size > limit:
            raise VideoUnreadable(f"{where}: {info.file_size / (1 << 20):,.0f} MB unpacked (limit {limit >> 20:,} MB; "
                                  f"{MEMBER_LIMIT_VARIABLE} raises it)")
        try:
            descriptor = self._open()
            header = os.pread(descriptor, _LOCAL_HEADER.size, info.header_offset)
            signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
            if signature != b"PK\x03\x04":
                raise zipfile.BadZipFile("no local file header where the directory points")
            start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
            packed = os.pread(descriptor, info.compress_size, start)
            if len(packed) != info.compress_size:
                raise zipfile.BadZipFile(f"truncated: {len(packed):,} of {info.compress_size:,} bytes")
            with zipfile.ZipExtFile(io.BytesIO(packed), "r", info) as stream:  # inflates and checks the CRC
                data = stream.read(info.file_size + 1)
        except _ZIP_ERRORS as error:
            raise VideoUnreadable(f"{where}: {first_line(error)}") from None
        if len(data) != info.file_size:
            raise VideoUnreadable(f"{where}: unpacks to {len(data):,} bytes, the archive declares {info.file_size:,}")
        return data

    def _open(self) -> int:
        """This process's own descriptor of the archive (a forked worker opens its own)."""
        if self._pid != os.getpid():
            self._descriptor, self._pid = os.open(self.path, os.O_RDONLY), os.getpid()
        return self._descriptor


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


_INDEXES: dict[str, ArchiveIndex] = {}


def archive_index(path: Path) -> ArchiveIndex:
    """The archive's index, read once per process (again if the file changed)."""
    key = str(Path(path).absolute())
    index = _INDEXES.get(key)
    try:
        current = _identity(Path(path))
    except OSError as error:
        raise VideoUnreadable(f"{path}: {error.strerror or error}") from None
    if index is None or index.identity != current:
        index = _INDEXES[key] = ArchiveIndex(Path(path))
    return index


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
    data = index.read(member)
    name = archive_reference(archive, member)
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
        video.decoder = "pyav-zip-fallback"
        return video


class MemoryDecordVideo(DecordVideo):
    """decord on a member's bytes; reads frames as `DecordVideo` does (seeking to keyframes)."""

    decoder = "decord-zip"

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
    """PyAV on a member's bytes: decodes from the start up to the last frame needed (members are
    short clips) and converts only the frames needed."""

    decoder = "pyav-zip"

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
                try:
                    found[index] = np.asarray(image.convert("RGB"))  # (H, W, 3) uint8
                except (OSError, ValueError, SyntaxError) as error:
                    raise VideoUnreadable(f"{self._name(index)}: {first_line(error)}") from None
        return np.stack([found[int(i)] for i in indices])

    def _name(self, index: int) -> str:
        return archive_reference(self.index.path, self.pattern.name(self.first + index))

    def _image(self, index: int) -> Any:
        """The frame's image, opened (header read, pixels not decoded) and its size checked."""
        from PIL import Image

        data = self.index.read(self.pattern.name(self.first + index))
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            raise VideoUnreadable(f"{self._name(index)}: not a PNG or JPEG image ({first_line(error)})") from None
        if max(image.size) > self.limits.max_side:
            image.close()
            raise VideoUnreadable(f"{self._name(index)}: {image.size[0]}x{image.size[1]} pixels (limit "
                                  f"{self.limits.max_side} a side; SLRBENCH_VIDEO_MAX_SIDE raises it)")
        return image


def _check_decoded(name: str, count: int, size: tuple[int, int], limits: VideoLimits) -> None:
    try:
        check_decoded_size(count, size[0], size[1], limits)
    except ValueError as error:
        raise VideoUnreadable(f"{name}: {error}") from None
