"""Atomic file writing: write beside the target under a temporary name, then rename, so that an
interrupted run never leaves a half-written file behind under the real name."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator


def temporary_path(path: Path) -> Path:
    """A hidden sibling of `path` with the same suffix (some writers pick the format by suffix)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write to; it replaces `path` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        yield temporary
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
