"""Property tests (issue 15, item 6) for the file readers: mutated, truncated and random pickles
reach the keypoint and gloss-vector readers, truncated and bit-flipped MP4s the decoder; only the
documented exceptions come out, and no code runs (docs/safety.md)."""
from __future__ import annotations

import itertools
import os
import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_files import RunsCommand, keypoint_table, sample_video
from slrbench.data import keypoints
from slrbench.data.decoding import VideoUnreadable, open_video
from slrbench.data.keypoints import KeypointsUnavailable, read_keypoints
from slrbench.errors import UsageError
from slrbench.safe_pickle import PickleRefused, read_data_pickle

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_names = itertools.count()
MARKER = Path(tempfile.gettempdir()) / f"slrbench-fuzz-marker-{os.getpid()}"  # what RunsCommand would create


def _seed_pickles() -> list[bytes]:
    plain = keypoint_table(("a", "b"), frames=3) | {"c": [1, "x", (2.5, None)]}
    seeds = [pickle.dumps(plain, protocol=p) for p in (0, 2, 4, 5)]
    return seeds + [pickle.dumps({"a": RunsCommand(MARKER)}, protocol=p) for p in (2, 4)]


KEYPOINT_SEEDS = _seed_pickles()
VECTOR_SEEDS = [pickle.dumps({"cold": np.ones(4, np.float32), "warm": [0.5, 1.0, 2.0, 3.0]}, protocol=p)
                for p in (2, 4, 5)] + [pickle.dumps({"cold": RunsCommand(MARKER)}, protocol=4)]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 8))]
    return bytes(data)


def _write(folder, data: bytes, suffix: str = ".pkl"):
    path = folder / f"f{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


@pytest.fixture(autouse=True)
def no_code_ran():
    MARKER.unlink(missing_ok=True)
    yield
    assert not MARKER.exists(), "a fuzzed pickle ran code"


@FUZZ
@given(data=st.one_of(mutated(KEYPOINT_SEEDS), st.binary(max_size=300)))
def test_mutated_pickles_give_data_or_one_named_refusal(tmp_path, data):
    path = _write(tmp_path, data)
    try:
        read_data_pickle(path)
    except PickleRefused as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)
    try:
        track = read_keypoints(f"{path}#a")
        assert track.values.ndim == 3 and track.values.shape[1:] == (63, 3)
    except KeypointsUnavailable as error:
        assert "\n" not in str(error)
    keypoints._PICKLES.pop(str(path), None)


@FUZZ
@given(data=st.one_of(mutated(VECTOR_SEEDS), st.binary(max_size=200)))
def test_mutated_gloss_vector_pickles_are_vectors_or_one_usage_error(tmp_path, data):
    from slrbench.builtins.embedders.precomputed import read_gloss_vectors

    try:
        vectors = read_gloss_vectors(_write(tmp_path, data))
        assert all(vector.ndim == 1 for vector in vectors.values())
    except UsageError as error:
        assert "\n" not in str(error)


def _video() -> tuple[bytes, int]:
    original = sample_video()
    return original, original.index(b"mdat") + 64  # the boxes a probe reads, and the first frame's bytes


@pytest.mark.parametrize("decoder", ["auto", "pyav"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.one_of(st.just(1.0), st.floats(0, 1)), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=4))
def test_damaged_mp4s_decode_or_raise_video_unreadable_naming_the_file(tmp_path, decoder, cut, flips):
    if decoder == "auto":
        pytest.importorskip("decord")
    original, header_end = _video()
    data = bytearray(original[:int(cut * len(original))] if cut < 1 else original)
    for at, bit in flips:
        position = int(at * header_end)
        if position < len(data):
            data[position] ^= 1 << bit
    path = _write(tmp_path, bytes(data), ".mp4")
    try:
        video = open_video(path, decoder)
        frames = video.frames([0, video.num_frames - 1])
        assert frames.ndim == 4 and frames.shape[-1] == 3
    except VideoUnreadable as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error)
    path.unlink()
