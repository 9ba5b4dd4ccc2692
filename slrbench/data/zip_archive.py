"""Zip archives read in place: members named `ARCHIVE.zip#MEMBER`.

An archive's central directory is read once per process (`archive_index`; a bundle dataset reads
it in the main process, so forked loader workers share it), and members are read with `os.pread`
on a file each process opens for itself: workers never share a file position. A member's
declared size is checked against SLRBENCH_ZIP_MAX_MEMBER_MB before it is read, and its CRC after
(`read`); a stored member can also be seen in place (`locate`, `stream`), nothing copied.
Every failure is a `VideoUnreadable` naming `ARCHIVE.zip#MEMBER` (`slrbench.data.zip_media` decodes
the videos).
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, Optional

from slrbench.data.decoding import VideoUnreadable
from slrbench.data.video_probe import first_line

ARCHIVE_MARKER = ".zip#"
MEMBER_LIMIT_VARIABLE = "SLRBENCH_ZIP_MAX_MEMBER_MB"
DEFAULT_MEMBER_LIMIT_MB = 1024
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
        info, start = self.locate(name)
        where = archive_reference(self.path, name)
        try:
            packed = os.pread(self._open(), info.compress_size, start)
            if len(packed) != info.compress_size:
                raise zipfile.BadZipFile(f"truncated: {len(packed):,} of {info.compress_size:,} bytes")
            data = _unpacked(packed, info)
        except _ZIP_ERRORS as error:
            raise VideoUnreadable(f"{where}: {first_line(error)}") from None
        if len(data) != info.file_size:
            raise VideoUnreadable(f"{where}: unpacks to {len(data):,} bytes, the archive declares {info.file_size:,}")
        return data

    def locate(self, name: str) -> tuple[zipfile.ZipInfo, int]:
        """(the member's entry, where its packed bytes start in the archive), after the checks every
        read makes: present, not encrypted, not larger than the limit, a local header where promised."""
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
            header = os.pread(self._open(), _LOCAL_HEADER.size, info.header_offset)
            signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
            if signature != b"PK\x03\x04":
                raise zipfile.BadZipFile("no local file header where the directory points")
        except _ZIP_ERRORS as error:
            raise VideoUnreadable(f"{where}: {first_line(error)}") from None
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if start + info.compress_size > self.identity[0]:
            raise VideoUnreadable(f"{where}: truncated (the archive ends before the member does)")
        return info, start

    def stream(self, name: str) -> "MemberStream":
        """A stored member's bytes as a seekable stream over the archive (nothing copied)."""
        info, start = self.locate(name)
        return MemberStream(self._open(), start, info.compress_size)

    def _open(self) -> int:
        """This process's own descriptor of the archive (a forked worker opens its own)."""
        if self._pid != os.getpid():
            self._descriptor, self._pid = os.open(self.path, os.O_RDONLY), os.getpid()
        return self._descriptor


class MemberStream(io.RawIOBase):
    """Read-only, seekable view of `size` bytes at `start` of a descriptor (with `os.pread`: no shared
    file position), for the header probe of a stored member."""

    def __init__(self, descriptor: int, start: int, size: int):
        super().__init__()
        self.descriptor, self.start, self.size, self.position = descriptor, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        data = os.pread(self.descriptor, count, self.start + self.position) if count else b""
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)


def _unpacked(packed: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes from its packed bytes, at most its declared size, its CRC checked. Stored
    and deflated members (what `zip` writes) directly; other methods through zipfile's reader."""
    if info.compress_type == zipfile.ZIP_STORED:
        data = packed[:info.file_size + 1]
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        data = zlib.decompressobj(-zlib.MAX_WBITS).decompress(packed, info.file_size + 1)
    else:
        with zipfile.ZipExtFile(io.BytesIO(packed), "r", info) as stream:
            return stream.read(info.file_size + 1)  # checks the CRC itself
    if len(data) == info.file_size and zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


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
