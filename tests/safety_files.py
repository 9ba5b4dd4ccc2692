"""Hostile files for the safety tests: pickles that would run code, MP4s that lie about themselves
(built at test time from the sample video in tests/data, never committed)."""
from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import numpy as np

from data_roots import TEST_VIDEO


class RunsCommand:
    """Unpickled by a plain `pickle.load`, this would write `marker` (the attack the tests refuse)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class StealthyArray:
    """Runs a command and then returns valid keypoints, so a careless reader reports clean data."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        code = (f"__import__('os').system('touch {self.marker}') or "
                "__import__('numpy').zeros((8, 133, 3), 'float32')")
        return (eval, (code,))


def hostile_pickle(path: Path, marker: Path, names: tuple[str, ...], stealthy: bool = False) -> Path:
    payload = StealthyArray(marker) if stealthy else RunsCommand(marker)
    path.write_bytes(pickle.dumps({name: payload for name in names}, protocol=4))
    return path


def keypoint_table(names: tuple[str, ...], frames: int = 8) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {name: rng.uniform(0, 200, (frames, 133, 3)).astype(np.float32) for name in names}


def sample_video() -> bytes:
    return TEST_VIDEO.read_bytes()


def _box(data: bytes, kind: bytes) -> int:
    """Offset of the first box of `kind` (its size field)."""
    return data.index(kind) - 4


def claims_2_31_frames(data: bytes) -> bytes:
    """The sample table's one stts entry claims 2^31 - 1 frames (decord reserves ~51 GB for it)."""
    patched = bytearray(data)
    struct.pack_into(">I", patched, _box(data, b"stts") + 16, 2 ** 31 - 1)
    return bytes(patched)


def claims_2_31_samples(data: bytes) -> bytes:
    """stsz claims 2^31 - 1 samples of a constant size, far more bytes than the file holds."""
    patched = bytearray(data)
    struct.pack_into(">II", patched, _box(data, b"stsz") + 12, 5000, 2 ** 31 - 1)
    return bytes(patched)


def lasts_24_days(data: bytes) -> bytes:
    """mvhd claims a duration of 2^31 - 1 time units (24 days at 1 ms)."""
    patched = bytearray(data)
    mvhd = _box(data, b"mvhd")
    struct.pack_into(">II", patched, mvhd + 20, 1000, 2 ** 31 - 1)  # version 0: timescale, duration
    return bytes(patched)


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 3]


def random_bytes(data: bytes) -> bytes:
    return np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
