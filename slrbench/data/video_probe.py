"""What a video file claims, checked against sane limits before any decoder allocates for it.

A decoder trusts a container's header: an MP4 whose sample table claims 2^31 - 1 frames makes
decord reserve ~51 GB and abort the process. So an MP4 / MOV (ISO base media) file's boxes are
read here, in Python, before decord or PyAV opens it: the frame counts of its video track (`stts`,
`stsz`, fragments' `trun`), its frame size (`tkhd`, the sample entry) and its duration (`mvhd`,
`mdhd`), and whether a box claims more bytes than the file holds (a truncated file). Other
containers (WebM, AVI, ...) are probed with PyAV, which reads their headers without indexing
frames. `VideoLimits` holds the limits; each can be changed with an environment variable.
A file over a limit or with a lying header is a `ValueError` with the reason (the caller names
the file).
"""
from __future__ import annotations

import io
import os
import re
import struct
from dataclasses import dataclass, fields
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

MIB = 1 << 20
MAX_HEADER_BYTES = 256 * MIB  # a moov / moof box larger than this is not read into memory
MAX_TOP_LEVEL_BOXES = 1_000_000  # a fragmented file has one moof + mdat per fragment


@dataclass(frozen=True)
class VideoLimits:
    """Limits on what a video may claim; defaults fit any sign language corpus we know."""
    max_frames: int = 100_000  # SLRBENCH_VIDEO_MAX_FRAMES
    max_side: int = 8192  # SLRBENCH_VIDEO_MAX_SIDE: pixels, width or height
    max_seconds: float = 6 * 3600.0  # SLRBENCH_VIDEO_MAX_SECONDS
    max_decoded_mb: int = 4096  # SLRBENCH_VIDEO_MAX_DECODED_MB: RGB frames one read may hold at once

    @classmethod
    def from_environment(cls, environ: Optional[dict[str, str]] = None) -> "VideoLimits":
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            name = f"SLRBENCH_VIDEO_{field.name.upper()}"
            if environ.get(name, "").strip():
                try:
                    value = float(environ[name]) if field.type == "float" else int(environ[name])
                except ValueError:
                    value = -1
                if not value > 0:
                    from slrbench.errors import UsageError

                    raise UsageError(f"{name}={environ[name]!r}: must be a positive number")
                values[field.name] = value
        return cls(**values)

    def decoded_bytes_allowed(self) -> int:
        return self.max_decoded_mb * MIB


@dataclass(frozen=True)
class VideoHeader:
    frames: Optional[int]  # the largest frame count the header claims (None: not stated)
    width: Optional[int]
    height: Optional[int]
    seconds: Optional[float]


def first_line(error: BaseException) -> str:
    """A decoder error as one line, without PyAV's errno prefix and its repeat of the file name
    (the caller names the file)."""
    text = re.sub(r"^\[Errno -?\d+\] ", "", str(error).strip())
    filename = getattr(error, "filename", None)
    if filename and text.endswith(f": {str(filename)!r}"):
        text = text[: -len(f": {str(filename)!r}")]
    return text.splitlines()[0] if text else type(error).__name__


def check_header(header: VideoHeader, limits: VideoLimits) -> None:
    """Raise ValueError naming the first limit the header exceeds."""
    if header.frames is not None and header.frames > limits.max_frames:
        raise ValueError(f"claims {header.frames:,} frames (limit {limits.max_frames:,}; "
                         "SLRBENCH_VIDEO_MAX_FRAMES raises it)")
    side = max(header.width or 0, header.height or 0)
    if side > limits.max_side:
        raise ValueError(f"claims {header.width}x{header.height} frames (limit {limits.max_side} pixels a side; "
                         "SLRBENCH_VIDEO_MAX_SIDE raises it)")
    if header.seconds is not None and header.seconds > limits.max_seconds:
        raise ValueError(f"claims {header.seconds:,.0f} s (limit {limits.max_seconds:,.0f} s; "
                         "SLRBENCH_VIDEO_MAX_SECONDS raises it)")


def check_decoded_size(count: int, width: int, height: int, limits: VideoLimits) -> None:
    """Raise ValueError if `count` RGB frames of width x height exceed the decoded-memory limit."""
    needed = count * width * height * 3
    if needed > limits.decoded_bytes_allowed():
        raise ValueError(f"{count} frames of {width}x{height} need {needed / MIB:,.0f} MB decoded (limit "
                         f"{limits.max_decoded_mb:,} MB; SLRBENCH_VIDEO_MAX_DECODED_MB raises it)")


# --- ISO base media (MP4, MOV, M4V, 3GP) -------------------------------------------------------
_TOP_LEVEL = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"sidx", b"moof"}
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex", b"edts"}


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in data[start:end]; a box that overruns its
    parent is a ValueError."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise ValueError(f"box {kind!r} is cut off")
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise ValueError(f"box {kind.decode('latin1')!r} claims {size} bytes, {end - position} remain")
        yield kind, position + header, position + size
        position += size


def _full_box(data: bytes, start: int, end: int, layout: str) -> tuple:
    """A full box's fields after its version / flags; ValueError if the box is too short."""
    if start + 4 + struct.calcsize(layout) > end:
        raise ValueError("a header box is cut off")
    return struct.unpack_from(layout, data, start + 4)


def _timed(data: bytes, start: int, end: int) -> Optional[float]:
    """Seconds from an mvhd / mdhd box (None when the duration is unknown)."""
    if start >= end:
        raise ValueError("an empty header box")
    if data[start] == 1:
        timescale, duration = _full_box(data, start, end, ">16xIQ")
        unknown = duration == (1 << 64) - 1
    else:
        timescale, duration = _full_box(data, start, end, ">8xII")
        unknown = duration == (1 << 32) - 1
    if timescale == 0:
        raise ValueError("a time scale of 0")
    return None if unknown else duration / timescale


class _Track:
    def __init__(self) -> None:
        self.video = False
        self.track_id: Optional[int] = None
        self.counts: list[int] = []
        self.sizes: list[tuple[int, int]] = []
        self.seconds: Optional[float] = None


def _read_track(data: bytes, start: int, end: int, file_size: int, track: _Track) -> None:
    for kind, begin, stop in _boxes(data, start, end):
        if kind in _CONTAINERS:
            _read_track(data, begin, stop, file_size, track)
        elif kind == b"hdlr":
            track.video = _full_box(data, begin, stop, ">4x4s")[0] == b"vide"
        elif kind == b"tkhd":
            version = data[begin] if begin < stop else 0
            track.track_id = _full_box(data, begin, stop, ">16xI" if version == 1 else ">8xI")[0]
            if stop - begin >= 12:
                width, height = struct.unpack_from(">II", data, stop - 8)  # 16.16 fixed point
                track.sizes.append((width >> 16, height >> 16))
        elif kind == b"mdhd":
            track.seconds = _timed(data, begin, stop)
        elif kind == b"stsd":
            if stop - begin >= 8 + 36:  # version/flags, entry count, then a visual sample entry
                width, height = struct.unpack_from(">HH", data, begin + 8 + 32)
                track.sizes.append((width, height))
        elif kind == b"stts":
            (entries,) = _full_box(data, begin, stop, ">I")
            if entries * 8 > stop - begin - 8:
                raise ValueError(f"stts claims {entries:,} entries, its box holds {(stop - begin - 8) // 8}")
            track.counts.append(sum(struct.unpack_from(f">{entries * 2}I", data, begin + 8)[0::2]))
        elif kind == b"stsz":
            sample_size, count = _full_box(data, begin, stop, ">II")
            if sample_size == 0 and count * 4 > stop - begin - 12:
                raise ValueError(f"stsz claims {count:,} samples, its box holds {(stop - begin - 12) // 4}")
            if sample_size and sample_size * count > file_size:
                raise ValueError(f"stsz claims {count:,} samples of {sample_size} bytes, the file has {file_size:,}")
            track.counts.append(count)


def _fragment_counts(data: bytes, start: int, end: int, video_ids: set[int], counts: dict[int, int],
                     track_id: Optional[int] = None) -> None:
    """Add each fragment's `trun` sample counts to its track's total."""
    for kind, begin, stop in _boxes(data, start, end):
        if kind in (b"moof", b"traf"):
            _fragment_counts(data, begin, stop, video_ids, counts, None)
        elif kind == b"tfhd":
            track_id = _full_box(data, begin, stop, ">I")[0]
        elif kind == b"trun" and track_id in video_ids:
            counts[track_id] = counts.get(track_id, 0) + _full_box(data, begin, stop, ">I")[0]


def _read_box(handle: BinaryIO, start: int, end: int, kind: bytes) -> bytes:
    if end - start > MAX_HEADER_BYTES:
        raise ValueError(f"a {kind.decode('latin1')} box of {(end - start) / MIB:,.0f} MB")
    handle.seek(start)
    data = handle.read(end - start)
    if len(data) != end - start:
        raise ValueError("the file changed while it was read")
    return data


def read_mp4_header(path: Path) -> Optional[VideoHeader]:
    """The claims of an ISO base media file's video track, or None if the file is not one.
    ValueError: a header that lies about its own size, or no video track."""
    with open(path, "rb") as handle:
        return read_mp4_header_from(handle, path.stat().st_size)


def read_mp4_header_from(handle: BinaryIO, file_size: int) -> Optional[VideoHeader]:
    """`read_mp4_header` of an open binary stream of `file_size` bytes (a file, or a zip member in memory)."""
    first = handle.read(8)
    if len(first) < 8 or first[4:8] not in _TOP_LEVEL:
        return None
    tracks: list[_Track] = []
    movie_seconds: Optional[float] = None
    fragments: list[tuple[int, int]] = []
    position, seen = 0, 0
    while position + 8 <= file_size:
        seen += 1
        if seen > MAX_TOP_LEVEL_BOXES:
            raise ValueError(f"more than {MAX_TOP_LEVEL_BOXES:,} top-level boxes")
        handle.seek(position)
        head = handle.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1 and len(head) == 16:
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        elif size == 0:
            size = file_size - position
        if size < header:
            raise ValueError(f"box {kind.decode('latin1')!r} at byte {position} claims {size} bytes")
        if position + size > file_size:
            raise ValueError(f"truncated: its {kind.decode('latin1')!r} box needs {size:,} bytes from byte "
                             f"{position:,}, the file ends at {file_size:,}")
        if kind == b"moov":
            data = _read_box(handle, position + header, position + size, kind)
            for item, begin, stop in _boxes(data, 0, len(data)):
                if item == b"mvhd":
                    movie_seconds = _timed(data, begin, stop)
                elif item == b"trak":
                    track = _Track()
                    _read_track(data, begin, stop, file_size, track)
                    tracks.append(track)
        elif kind == b"moof":
            fragments.append((position, position + size))
        position += size
    video = [track for track in tracks if track.video]
    if not video:
        raise ValueError("no video track in its header" if tracks else "no movie header (moov box)")
    fragment_counts: dict[int, int] = {}
    ids = {track.track_id for track in video if track.track_id is not None}
    for start, end in fragments:
        data = _read_box(handle, start, end, b"moof")
        _fragment_counts(data, 0, len(data), ids, fragment_counts)
    counts = [count for track in video for count in track.counts] + list(fragment_counts.values())
    sizes = [size for track in video for size in track.sizes]
    seconds = [s for s in [movie_seconds, *(track.seconds for track in video)] if s is not None]
    return VideoHeader(frames=max(counts) if counts else None,
                       width=max((w for w, _ in sizes), default=None), height=max((h for _, h in sizes), default=None),
                       seconds=max(seconds) if seconds else None)


def read_other_header(path: Path | BinaryIO) -> VideoHeader:
    """PyAV's reading of a non-MP4 container's header (libavformat indexes no frames for these);
    `path` may be an open binary stream."""
    import av

    try:
        source = str(path) if isinstance(path, (str, Path)) else path
        with av.open(source, metadata_errors="replace") as container:  # undecodable metadata text is no error
            if not container.streams.video:
                raise ValueError("no video stream")
            stream = container.streams.video[0]
            if stream.codec_context is None:
                raise ValueError("a video stream without a codec")
            seconds = container.duration / 1_000_000 if container.duration else None
            return VideoHeader(frames=stream.frames or None, width=stream.codec_context.width,
                               height=stream.codec_context.height, seconds=seconds)
    except (av.FFmpegError, OSError, IndexError, AttributeError) as error:
        raise ValueError(first_line(error)) from None


def probe_video(path: Path, limits: VideoLimits) -> VideoHeader:
    """The file's header claims, checked against `limits`; ValueError with the reason otherwise."""
    try:
        header = read_mp4_header(path)
    except struct.error as error:
        raise ValueError(f"unreadable header ({error})") from None
    if header is None:
        header = read_other_header(path)
    check_header(header, limits)
    return header


def probe_video_stream(handle: BinaryIO, size: int, limits: VideoLimits) -> VideoHeader:
    """`probe_video` of a seekable stream of `size` bytes (a zip archive's member, `slrbench.data.zip_media`)."""
    try:
        header = read_mp4_header_from(handle, size)
    except struct.error as error:
        raise ValueError(f"unreadable header ({error})") from None
    if header is None:
        handle.seek(0)
        header = read_other_header(handle)
    check_header(header, limits)
    return header


def probe_video_data(data: bytes, limits: VideoLimits) -> VideoHeader:
    """`probe_video` of a video held in memory."""
    return probe_video_stream(io.BytesIO(data), len(data), limits)
