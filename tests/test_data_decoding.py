"""Decoding reads the frames asked for, the same through decord and PyAV; bad files raise VideoUnreadable."""
from __future__ import annotations

import numpy as np
import pytest

from data_roots import TEST_VIDEO
from slrbench.data.decoding import VideoUnreadable, decord_available, open_video

needs_decord = pytest.mark.skipif(not decord_available(), reason="decord is not installed")


@needs_decord
def test_test_video_decodes_identically_through_decord_and_pyav():
    decord_video, pyav_video = open_video(TEST_VIDEO, "decord"), open_video(TEST_VIDEO, "pyav")
    assert (decord_video.decoder, pyav_video.decoder) == ("decord", "pyav")
    assert decord_video.num_frames == pyav_video.num_frames == 58
    every = list(range(58))
    a, b = decord_video.frames(every), pyav_video.frames(every)
    assert a.shape == b.shape == (58, 720, 540, 3) and a.dtype == np.uint8
    assert decord_video.size == pyav_video.size == (540, 720)
    assert np.array_equal(a, b)  # same libavcodec underneath: bit-identical RGB frames


def test_only_the_requested_frames_come_back_in_the_requested_order():
    video = open_video(TEST_VIDEO, "pyav")
    everything = video.frames(list(range(58)))
    picked = video.frames([40, 3, 3, 57])
    assert np.array_equal(picked, everything[[40, 3, 3, 57]])


def test_auto_prefers_decord_and_reports_it():
    assert open_video(TEST_VIDEO).decoder == ("decord" if decord_available() else "pyav")


@pytest.mark.parametrize("decoder", ["auto", "pyav"])
def test_corrupt_and_missing_files_raise_video_unreadable(tmp_path, decoder):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    with pytest.raises(VideoUnreadable, match="bad.mp4"):
        open_video(bad, decoder).frames([0])
    with pytest.raises(VideoUnreadable, match="missing"):
        open_video(tmp_path / "absent.mp4", decoder)


def test_a_truncated_video_fails_cleanly(tmp_path):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(TEST_VIDEO.read_bytes()[: TEST_VIDEO.stat().st_size // 3])
    with pytest.raises(VideoUnreadable):
        open_video(truncated).frames(list(range(58)))
