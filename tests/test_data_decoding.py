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


def _keyframe_every(path, interval: int, frames: int = 60) -> np.ndarray:
    """An H.264 mp4 with a keyframe every `interval` frames and B-frames; frame i shows a bar at row i."""
    import av

    pictures = np.zeros((frames, 64, 64, 3), np.uint8)
    for i in range(frames):
        pictures[i, i % 64] = 255
        pictures[i, :, (i * 7) % 64] = 128
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = 64, 64, "yuv420p"
        stream.options = {"crf": "12", "g": str(interval), "keyint_min": str(interval), "bf": "2", "sc_threshold": "0"}
        for picture in pictures:
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return pictures


def test_pyav_seeks_to_the_keyframe_before_the_window_and_reads_the_same_frames(tmp_path):
    path = tmp_path / "gop10.mp4"
    _keyframe_every(path, 10)
    video = open_video(path, "pyav")
    everything, _ = video._read(set(range(60)), 0, planar=False, window=False)  # decoded from the first frame
    assert video.start_for(35) == 30 and video.start_for(30) == 30 and video.start_for(9) == 0
    window = list(range(35, 51))
    assert np.array_equal(video.frames(window), np.stack([everything[i] for i in window]))
    assert np.array_equal(video.frames([59, 41, 41]), np.stack([everything[i] for i in (59, 41, 41)]))


@needs_decord
def test_pyav_after_a_seek_matches_decord(tmp_path):
    path = tmp_path / "gop8.mp4"
    _keyframe_every(path, 8)
    window = list(range(21, 45))
    assert np.array_equal(open_video(path, "pyav").frames(window), open_video(path, "decord").frames(window))
