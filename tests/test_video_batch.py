"""The video made on the device from the workers' uint8 frames is the video the workers used to make
per clip (issue 17): same windows, boxes and jitter draws, same values, in training and in the
3-crop evaluation, for batches of frames of different sizes, and in the worker when a plugin stream
derives from the video."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.transforms import (
    CropBox, colour_jitter, crop_and_resize_frames, evaluation_windows, frames_to_video, to_model_range, train_window,
)
from slrbench.data.video_batch import FRAMES
from slrbench.inputs import InputStream
from slrbench.interfaces import DatasetContext
from slrbench.registry import default_registry

SETTINGS = LoaderSettings(inputs=("video", "keypoints"), num_frames=16, video_size=48, heatmap_size=24,
                          jitter_probability=0.5)


def synthetic(per_class: int = 2):
    options = {"num_classes": 4, "train_per_class": per_class, "val_per_class": 1, "test_per_class": 2,
               "frame_size": 64}
    dataset = default_registry().build("datasets", "synthetic", options, DatasetContext(None))
    return dataset.manifest("synthetic"), dataset.clip_reader()


def worker_video(source, settings: LoaderSettings, train: bool, views: int, rng: np.random.Generator):
    """The workers' video path before issue 17 (per clip, float, in the worker): views and box."""
    start, end = source.clip_range()
    windows = [train_window(end - start, settings.num_frames, rng)] if train else \
        evaluation_windows(end - start, settings.num_frames, views)
    needed = np.unique(np.concatenate(windows))
    frames = source.frames((needed + start).tolist())
    frame_size = (frames.shape[2], frames.shape[1])
    box = (CropBox.random_resized(frame_size, rng, settings.crop_scale, settings.crop_ratio) if train
           else CropBox.for_test(frame_size, settings.test_view))
    jitter = train and rng.random() < settings.jitter_probability
    resized = crop_and_resize_frames(frames, box, settings.video_size)
    position = {int(index): i for i, index in enumerate(needed)}
    videos = []
    for window in windows:
        video = frames_to_video(resized[[position[int(i)] for i in window]])
        if jitter:
            video = colour_jitter(video, rng)
        videos.append(to_model_range(video))
    return videos, box, jitter


def expected(table: pd.DataFrame, reader, split: str, settings: LoaderSettings, views: int, seed: int, epoch: int):
    rows = table[table["split"] == split].to_dict("records")
    made = [worker_video(reader.open(row, True, "keypoint_zoom" in settings.made_streams()), settings, split == "train", views,
                         np.random.default_rng([seed, epoch, index])) for index, row in enumerate(rows)]
    return [torch.stack([videos[v] for videos, _, _ in made]) for v in range(views)], made


def torchvision_boxes(size: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Area fractions and log aspects of torchvision's RandomResizedCrop boxes (scale 0.7-1, ratio 0.75-1.3)."""
    from torchvision.transforms import RandomResizedCrop

    torch.manual_seed(0)
    frame = torch.empty(1, size, size)
    boxes = np.array([RandomResizedCrop.get_params(frame, [0.7, 1.0], [0.75, 1.3])[2:] for _ in range(count)])
    return boxes[:, 0] * boxes[:, 1] / size ** 2, np.log(boxes[:, 1] / boxes[:, 0])


def test_training_video_made_on_the_device_equals_the_per_clip_worker_video():
    table, reader = synthetic(per_class=4)
    loader = ClipLoader(table, "train", SETTINGS, reader=reader, batch_size=16, seed=3)
    batch = next(loader.batches(epoch=1, index_batches=[list(range(16))]))
    (video,), made = expected(table, reader, "train", SETTINGS, 1, seed=3, epoch=1)
    assert FRAMES not in batch and batch["inputs"]["video"].shape == (16, 3, 16, 48, 48)
    assert 2 <= sum(jitter for _, _, jitter in made) <= 14  # some jittered, some not
    torch.testing.assert_close(batch["inputs"]["video"], video, atol=1e-6, rtol=0)


def test_crop_boxes_jitter_and_video_statistics_are_those_of_the_old_path():
    """Statistics over 64 clips: the boxes the workers ship are the old path's, with the reference's
    area and aspect; the jitter rate is the setting's; the video's moments match the old path's."""
    table, reader = synthetic(per_class=16)
    loader = ClipLoader(table, "train", SETTINGS, reader=reader, batch_size=16, num_workers=2, seed=0)
    plan = [list(range(i, i + 16)) for i in range(0, 64, 16)]
    boxes, jitters, videos = [], [], []
    for host in loader.host_batches(epoch=0, index_batches=plan):
        boxes += host[FRAMES]["boxes"]
        jitters += [jitter is not None for jitter in host[FRAMES]["jitters"]]
        videos.append(loader.to_device(host)["inputs"]["video"])
    (old_video,), made = expected(table, reader, "train", SETTINGS, 1, seed=0, epoch=0)
    assert boxes == [(box.x0, box.y0, box.width, box.height) for _, box, _ in made]
    assert jitters == [jitter for _, _, jitter in made] and 0.3 <= np.mean(jitters) <= 0.7
    area = np.array([w * h for _, _, w, h in boxes]) / 64 ** 2
    aspect = np.log([w / h for _, _, w, h in boxes])
    reference_area, reference_aspect = torchvision_boxes(64, 4000)  # the distribution the reference draws from
    assert area.min() >= 0.66 and area.max() <= 1.0 and abs(area.mean() - reference_area.mean()) < 0.04
    assert aspect.min() >= np.log(0.7) and aspect.max() <= np.log(1.4)
    assert abs(aspect.mean() - reference_aspect.mean()) < 0.06 and abs(aspect.std() - reference_aspect.std()) < 0.04
    new_video = torch.cat(videos)
    for reduce in (torch.mean, torch.std):
        torch.testing.assert_close(reduce(new_video, dim=(0, 2, 3, 4)), reduce(old_video, dim=(0, 2, 3, 4)),
                                   atol=1e-6, rtol=0)


@pytest.mark.parametrize("test_view", ["full", "center-crop"])
def test_three_test_views_come_from_one_decode_and_equal_the_old_views(test_view):
    table, reader = synthetic()
    settings = LoaderSettings(inputs=("video",), num_frames=16, video_size=48, test_view=test_view)
    loader = ClipLoader(table, "test", settings, reader=reader, views=3, batch_size=8)
    batch = next(loader.batches())
    views, _ = expected(table, reader, "test", settings, 3, seed=0, epoch=0)
    assert batch["inputs"] is batch["views"][1]
    for got, want in zip(batch["views"], views):
        torch.testing.assert_close(got["video"], want, atol=1e-6, rtol=0)


def test_frames_of_different_sizes_share_a_batch(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i, (frames, height, width) in enumerate([(20, 40, 52), (30, 36, 30), (12, 44, 44)]):
        np.save(tmp_path / f"v{i}.npy", rng.integers(0, 256, (frames, height, width, 3), dtype=np.uint8))
        rows.append({"sample_id": f"v{i}", "split": "train", "label": i, "gloss": "", "video": str(tmp_path / f"v{i}.npy"),
                     "keypoints": "", "start": "", "end": ""})
    table = pd.DataFrame(rows)
    settings = LoaderSettings(inputs=("video",), num_frames=16, video_size=32, jitter_probability=0.5)
    loader = ClipLoader(table, "train", settings, batch_size=3, seed=1)
    host = next(loader.host_batches(index_batches=[[0, 1, 2]]))
    assert tuple(host[FRAMES]["frames"].shape) == (3, 16, 44, 52, 3) and host[FRAMES]["counts"] == [16, 16, 12]
    from slrbench.data.sources import FileClipReader

    (video,), _ = expected(table, FileClipReader(), "train", settings, 1, seed=1, epoch=0)
    torch.testing.assert_close(loader.to_device(host)["inputs"]["video"], video, atol=1e-6, rtol=0)


def _mean_colour(clip: dict[str, torch.Tensor]) -> torch.Tensor:
    return clip["video"].mean(dim=(1, 2, 3))  # (3,)


def test_a_plugin_stream_that_derives_from_the_video_gets_it_in_the_worker():
    table, reader = synthetic()
    stream = InputStream("mean_colour", "(B, 3) float", derive=_mean_colour, needs=("video",))
    derived = LoaderSettings(inputs=("mean_colour", "video"), streams=(stream,), num_frames=16, video_size=48)
    plain = LoaderSettings(inputs=("video",), num_frames=16, video_size=48)
    batches = [next(ClipLoader(table, "train", settings, reader=reader, batch_size=4, seed=2).batches())
               for settings in (derived, plain)]
    inputs = batches[0]["inputs"]
    torch.testing.assert_close(inputs["video"], batches[1]["inputs"]["video"], atol=1e-6, rtol=0)
    torch.testing.assert_close(inputs["mean_colour"], inputs["video"].mean(dim=(2, 3, 4)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_gpu_makes_the_video_resizing_in_float_within_a_level_of_the_cpu():
    table, reader = synthetic(per_class=4)
    videos = [next(ClipLoader(table, "train", SETTINGS, reader=reader, batch_size=16, seed=3, device=device)
                   .batches())["inputs"]["video"].cpu() for device in ("cpu", "cuda")]
    assert (videos[0] - videos[1]).abs().max() <= 4 / 255  # 0.5 level rounded, scaled by [-1, 1] and jitter
