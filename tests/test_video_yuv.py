"""Workers ship I420 planes to a GPU (issue 17): the device's conversion gives the decoders' RGB bit
for bit, window reads skip only frames nothing refers to, frames that cannot travel as planes come as
RGB, and the loader's video is the same whichever way its frames travel."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from data_roots import TEST_VIDEO
from slrbench.data.decoding import decord_available, open_video
from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.video_batch import FRAMES
from slrbench.data.yuv import YUV420Frames, i420_to_rgb
from slrbench.errors import UsageError

SETTINGS = LoaderSettings(inputs=("video",), num_frames=16, video_size=40, jitter_probability=0.5)


def write_clip(path, frames: int = 48, pix_fmt: str = "yuv420p", size: tuple[int, int] = (64, 48), seed: int = 0):
    """An H.264 mp4 with one keyframe and B-frames (x264's default), moving colour content."""
    import av

    width, height = size
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = height, width, pix_fmt
        stream.options = {"crf": "18", "bf": "3", "g": "250"}
        for i in range(frames):
            picture = np.roll(base, 3 * i, axis=1)
            picture[(2 * i) % height] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def pyav_rgb_and_planes(path, count: int):
    import av

    with av.open(str(path)) as container:
        frames = [frame for _, frame in zip(range(count), container.decode(container.streams.video[0]))]
    return np.stack([f.to_ndarray(format="rgb24") for f in frames]), np.stack([f.to_ndarray() for f in frames])


@pytest.mark.parametrize("full_range", [False, True])
def test_the_device_conversion_gives_the_decoders_rgb_bit_for_bit(tmp_path, full_range):
    if full_range:  # the repository's phone video: yuvj420p (full range), 540 x 720
        if not TEST_VIDEO.is_file():
            pytest.skip(f"{TEST_VIDEO} is missing")
        path = TEST_VIDEO
    else:
        path = write_clip(tmp_path / "limited.mp4")
    rgb, planes = pyav_rgb_and_planes(path, 12)
    converted = i420_to_rgb(torch.from_numpy(planes)[None], torch.tensor([full_range]))[0].numpy()
    assert converted.shape == rgb.shape
    assert np.array_equal(converted, rgb), f"{np.mean(converted != rgb):.2%} of the values differ"


def test_a_batch_mixing_ranges_converts_each_sample_with_its_own(tmp_path):
    limited = pyav_rgb_and_planes(write_clip(tmp_path / "a.mp4", size=(64, 48)), 4)
    full = pyav_rgb_and_planes(write_clip(tmp_path / "b.mp4", pix_fmt="yuvj420p", size=(64, 48), seed=1), 4)
    planes = torch.from_numpy(np.stack([limited[1], full[1]]))
    converted = i420_to_rgb(planes, torch.tensor([False, True])).numpy()
    assert np.array_equal(converted[0], limited[0]) and np.array_equal(converted[1], full[0])


def test_window_reads_skip_frames_nothing_refers_to_and_return_the_same_frames(tmp_path):
    path = write_clip(tmp_path / "bframes.mp4", frames=60)
    video = open_video(path, "pyav")
    everything, _ = video._read(set(range(60)), 0, planar=False, window=False)  # every frame, counted from 0
    decoded_before = [index for index, _ in video._decoded(0, window_from=40) if index < 40]
    assert len(decoded_before) < 40  # unreferenced B-frames before the window were not decoded
    for window in (list(range(40, 56)), list(range(3, 19)), [59, 41, 41, 7]):
        assert np.array_equal(video.frames(window), np.stack([everything[i] for i in window]))
        planes = video.frames(window, planar=True)
        assert isinstance(planes, YUV420Frames) and not planes.full_range and planes.size == (64, 48)
        rgb = i420_to_rgb(torch.from_numpy(planes.planes)[None], torch.tensor([False]))[0].numpy()
        assert np.array_equal(rgb, np.stack([everything[i] for i in window]))
    if decord_available():
        assert np.array_equal(video.frames(range(40, 56)), open_video(path, "decord").frames(range(40, 56)))


def test_frames_that_cannot_travel_as_planes_come_as_rgb(tmp_path):
    path = write_clip(tmp_path / "444.mp4", pix_fmt="yuv444p")
    frames = open_video(path, "pyav").frames(range(10, 20), planar=True)
    assert isinstance(frames, np.ndarray) and frames.shape == (10, 48, 64, 3)


def manifest(tmp_path, formats: list[str]) -> pd.DataFrame:
    rows = []
    for i, pix_fmt in enumerate(formats):
        path = write_clip(tmp_path / f"c{i}.mp4", frames=30 + 5 * i, pix_fmt=pix_fmt, seed=i)
        rows.append({"sample_id": f"c{i}", "split": "train", "label": i, "gloss": "", "video": str(path),
                     "keypoints": "", "start": "", "end": ""})
    return pd.DataFrame(rows)


def loader_videos(table: pd.DataFrame, transport: str, batches: list[list[int]]):
    loader = ClipLoader(table, "train", LoaderSettings(**{**SETTINGS.__dict__, "video_transport": transport}),
                        batch_size=2, seed=4)
    hosts = list(loader.host_batches(index_batches=batches))
    shipped = [(tuple(host[FRAMES]["frames"].shape), "full_range" in host[FRAMES]) for host in hosts]
    return [loader.to_device(host)["inputs"]["video"] for host in hosts], shipped, loader.report.decoders


def test_the_loader_makes_the_same_video_from_planes_as_from_rgb(tmp_path):
    table = manifest(tmp_path, ["yuv420p", "yuvj420p", "yuv444p"])
    plan = [[0, 1], [1, 2]]  # planes of both ranges; planes beside a clip that has none
    from_rgb, shipped_rgb, _ = loader_videos(table, "rgb", plan)
    from_planes, shipped_planes, decoders = loader_videos(table, "yuv420", plan)
    assert shipped_planes == [((2, 16, 72, 64), True), ((2, 16, 48, 64, 3), False)]
    assert all(not planar for _, planar in shipped_rgb)
    assert set(decoders) == {"pyav"}  # "auto" asks PyAV first for planes
    for got, want in zip(from_planes, from_rgb):
        assert torch.equal(got, want)


def test_an_unknown_transport_is_one_line(tmp_path):
    table = manifest(tmp_path, ["yuv420p"])
    with pytest.raises(UsageError, match="video_transport must be one of auto, rgb, yuv420"):
        ClipLoader(table, "train", LoaderSettings(video_transport="nv12"))
    assert ClipLoader(table, "train", SETTINGS).settings.video_transport == "rgb"  # auto, to a CPU


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_gpu_converts_planes_as_the_cpu_does(tmp_path):
    _, planes = pyav_rgb_and_planes(write_clip(tmp_path / "a.mp4"), 8)
    batch = torch.from_numpy(np.stack([planes, planes]))
    ranges = torch.tensor([False, True])
    assert torch.equal(i420_to_rgb(batch.cuda(), ranges.cuda()).cpu(), i420_to_rgb(batch, ranges))
    table = manifest(tmp_path, ["yuv420p", "yuvj420p"])
    loader = ClipLoader(table, "train", SETTINGS, batch_size=2, seed=4, device="cuda")
    assert loader.settings.video_transport == "yuv420"
    on_gpu = next(loader.batches())["inputs"]["video"].cpu()
    on_cpu = next(ClipLoader(table, "train", SETTINGS, batch_size=2, seed=4).batches())["inputs"]["video"]
    assert (on_gpu - on_cpu).abs().max() <= 4 / 255  # the GPU resizes in float (test_video_batch.py)
