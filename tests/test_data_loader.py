"""The loader serves real and synthetic clips; unreadable samples are skipped and counted."""
from __future__ import annotations

import shutil

import numpy as np
import torch

from data_roots import SAMPLES, TEST_VIDEO, wlasl_root
from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.interfaces import DatasetContext
from slrbench.registry import default_registry

SMALL = LoaderSettings(num_frames=16, video_size=32, heatmap_size=16)


def build(name, root=None, options=None):
    return default_registry().build("datasets", name, options or {}, DatasetContext(root))


def real_root(tmp_path):
    """WLASL annotations with two real videos (one with .pose keypoints), one corrupt video, the rest missing."""
    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    (root / "keypoints").mkdir()
    for video_id in ("69241", "65225"):
        shutil.copy(TEST_VIDEO, root / "videos" / f"{video_id}.mp4")
    (root / "videos" / "68011.mp4").write_bytes(b"not a video" * 100)
    shutil.copy(SAMPLES / "mediapipe.pose", root / "keypoints" / "69241.pose")
    np.save(root / "keypoints" / "65225.npy", np.random.default_rng(0).uniform(0, 500, (58, 133, 3)).astype(np.float32))
    return root


def test_real_clips_come_out_in_the_backbone_layout(tmp_path):
    table = build("wlasl", real_root(tmp_path)).manifest("wlasl100")
    table = table[table["sample_id"].isin(["69241", "65225"])]
    settings = LoaderSettings(num_frames=64, video_size=224, heatmap_size=112)
    loader = ClipLoader(table, "train", settings, batch_size=2, seed=1)
    batch = next(loader.batches())
    assert batch["inputs"]["video"].shape == (2, 3, 64, 224, 224) and batch["inputs"]["video"].dtype == torch.float32
    assert -1 <= batch["inputs"]["video"].min() and batch["inputs"]["video"].max() <= 1
    assert batch["inputs"]["keypoints"].shape == (2, 64, 63, 3)
    assert batch["label"].tolist() == [0, 0] and sorted(batch["sample_id"]) == ["65225", "69241"]
    assert sum(loader.report.decoders.values()) == 2


def test_corrupt_and_missing_videos_are_skipped_and_counted_never_a_worker_crash(tmp_path):
    table = build("wlasl", real_root(tmp_path)).manifest("wlasl100")
    table = table[table["label"] == 0]  # 'book': two good videos, one corrupt, the rest missing
    loader = ClipLoader(table, table["split"].iloc[0], LoaderSettings(("video",), 16, 32, 16),
                        batch_size=4, num_workers=2, seed=0)
    served = [sample for batch in loader.batches() for sample in batch["sample_id"]]
    assert sorted(served) == ["65225", "69241"]
    report = loader.report.as_dict()
    assert report["skipped"] == (table["split"] == "train").sum() - 2
    assert "68011" in report["skipped_samples"] and "missing" in report["skipped_samples"]["68208"]


def test_test_views_are_start_middle_end_of_one_decode(tmp_path):
    table = build("wlasl", real_root(tmp_path)).manifest("wlasl100")
    table = table[table["sample_id"] == "65225"].assign(split="test")
    loader = ClipLoader(table, "test", SMALL, views=3, batch_size=1)
    batch = next(loader.batches())
    start, middle, end = (view["keypoints"] for view in batch["views"])
    assert batch["inputs"] is batch["views"][1]
    assert not torch.equal(start, end) and start.shape == (1, 16, 63, 3)


def test_synthetic_clips_come_out_in_memory_with_keypoints_on_the_heatmap_grid():
    dataset = build("synthetic", options={"train_per_class": 1, "val_per_class": 1, "test_per_class": 1})
    loader = ClipLoader(dataset.manifest("synthetic"), "test", LoaderSettings(num_frames=32, video_size=64, heatmap_size=32),
                        reader=dataset.clip_reader(), batch_size=5)
    batch = next(loader.batches())
    keypoints = batch["inputs"]["keypoints"]
    assert batch["inputs"]["video"].shape == (5, 3, 32, 64, 64) and keypoints.shape == (5, 32, 63, 3)
    inside = ((keypoints[..., :2] >= -0.5) & (keypoints[..., :2] <= 31.5)).float().mean()
    assert inside > 0.99  # the whole frame at test: only points the signer moves out of it fall outside
    assert torch.equal(batch["inputs"]["keypoint_zoom"], torch.ones(5, 2))
    assert loader.report.as_dict()["decoders"] == {"synthetic": 5}


def test_the_central_test_crop_is_an_option_and_its_zoom_travels_with_the_keypoints():
    dataset = build("synthetic", options={"train_per_class": 1, "val_per_class": 1, "test_per_class": 1})
    settings = {"num_frames": 16, "video_size": 64, "heatmap_size": 32}

    def first(**extra):
        loader = ClipLoader(dataset.manifest("synthetic"), "test", LoaderSettings(**settings, **extra),
                            reader=dataset.clip_reader(), batch_size=3)
        return next(loader.batches())["inputs"]

    full, central = first(), first(test_view="center-crop")
    assert torch.allclose(central["keypoint_zoom"], torch.full((3, 2), 256 / 224))
    # the central box of a 64-pixel frame is 56 pixels from 4: the same points, magnified around the centre
    expected = (full["keypoints"][..., :2] + 0.5) * 2 - 0.5  # back to frame pixels
    expected = (expected - 4 + 0.5) * 32 / 56 - 0.5
    assert torch.allclose(central["keypoints"][..., :2], expected, atol=1e-4)
    assert not torch.equal(central["video"], full["video"])
    loader = ClipLoader(dataset.manifest("synthetic"), "train", LoaderSettings(**settings),
                        reader=dataset.clip_reader(), batch_size=4)
    zoom = next(loader.batches())["inputs"]["keypoint_zoom"]  # random boxes: area 0.7-1, aspect 0.75-1.3
    assert zoom.shape == (4, 2) and bool((zoom >= 1).all()) and bool((zoom[:, 0] * zoom[:, 1] <= 1 / 0.68).all())


def test_loader_randomness_depends_on_seed_and_epoch_not_on_workers():
    dataset = build("synthetic", options={"num_classes": 4, "train_per_class": 2, "val_per_class": 1, "test_per_class": 1})
    table = dataset.manifest("synthetic")

    def first(workers, epoch, seed=0):
        loader = ClipLoader(table, "train", SMALL, reader=dataset.clip_reader(), batch_size=8,
                            num_workers=workers, seed=seed)
        return next(loader.batches(epoch=epoch, index_batches=[list(range(8))]))["inputs"]["keypoints"]

    assert torch.equal(first(0, 0), first(2, 0))
    assert not torch.equal(first(0, 0), first(0, 1))


def test_a_keypoint_track_shorter_than_its_video_is_counted_not_silently_padded(tmp_path):
    """The loader repeats a short track's last keypoints; the report names the sample (issue 15, item 7)."""
    import pandas as pd

    shutil.copy(TEST_VIDEO, tmp_path / "clip.mp4")  # 58 frames
    np.save(tmp_path / "short.npy", np.full((20, 133, 3), 0.5, np.float32))
    np.save(tmp_path / "whole.npy", np.full((58, 133, 3), 0.5, np.float32))
    table = pd.DataFrame([{"sample_id": name, "split": "test", "label": 0, "video": str(tmp_path / "clip.mp4"),
                           "keypoints": str(tmp_path / f"{name}.npy"), "keypoints_frame": ""}
                          for name in ("short", "whole")])
    loader = ClipLoader(table, "test", LoaderSettings(num_frames=16, video_size=32, heatmap_size=16), batch_size=2)
    assert sorted(sample for batch in loader.batches() for sample in batch["sample_id"]) == ["short", "whole"]
    assert loader.report.as_dict()["short_keypoint_tracks"] == {"short": "20 keypoint frames for a clip up to frame 58"}
