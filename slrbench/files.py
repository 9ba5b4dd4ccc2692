"""Atomic writing, the one mechanism for files and folders: write beside the target under a
temporary name, then rename, so that an interrupted run never leaves a half-written file or
folder behind under the real name."""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from pathlib import Path
from typing import Iterator


def temporary_path(path: Path) -> Path:
    """A hidden sibling of `path` with the same suffix (some writers pick the format by suffix)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")


def real_name(name: str) -> str:
    """`name` with every `temporary_path` component turned back into the name it stands for, so that
    an error names the file the user asked for rather than its hidden temporary."""
    return re.sub(r"(^|/)\.([^/]*)\.\d+\.partial([^/]*)(?=/|$)", r"\1\2\3", name)


def file_in_the_way(path: Path) -> Path | None:
    """The first existing folder on `path`'s way when it is a file, not a folder (None: the way is clear)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write to; it replaces `path` only if the block succeeds."""
    make_parent(path)
    temporary = temporary_path(path)
    try:
        yield temporary
        temporary.replace(path)
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        raise OSError(error.errno, error.strerror, str(path)) from None  # a failed write (disk full) names the file
    finally:
        temporary.unlink(missing_ok=True)


def make_parent(path: Path) -> None:
    """Create `path`'s folder; a file on the way is an OSError (ENOTDIR) naming `path` and that file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        above = file_in_the_way(path) or path.parent
        raise NotADirectoryError(errno.ENOTDIR, f"{above} is a file, not a folder", str(path)) from None


def write_text_atomically(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def previous_folder(path: Path) -> Path:
    """Where `atomic_folder` keeps the folder it replaces until the new one is in place: a reader
    that finds `path` missing or incomplete after a crash takes this one."""
    return path.with_name(path.name + ".old")


@contextlib.contextmanager
def atomic_folder(path: Path, keep_existing: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder to fill; it becomes `path` only if the block succeeds.

    A folder already at `path` is replaced (renamed to `previous_folder(path)` first, removed once
    the new one is in place, put back if the swap fails), or with `keep_existing` kept, the new
    one discarded (a write-once cache that another process may have filled first).
    """
    make_parent(path)
    fresh, stale = temporary_path(path), previous_folder(path)
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    try:
        yield fresh
        if keep_existing and path.exists():
            return
        replaced = path.exists() or path.is_symlink()
        if replaced:
            remove_path(stale)
            path.rename(stale)
        try:
            fresh.rename(path)
        except OSError:
            if replaced:
                stale.rename(path)  # put the replaced folder back
                raise
            if not (keep_existing and path.exists()):
                raise  # with keep_existing, another process may have published it first
        if replaced:
            remove_path(stale)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def remove_path(path: Path) -> None:
    """Remove a file, link or folder tree, if there is one (what `atomic_folder` set aside)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)
