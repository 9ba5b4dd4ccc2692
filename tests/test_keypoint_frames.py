"""Keypoint coordinates are read in the frame they were made in (the reference pickle's 256 x 256,
an extraction's recorded video sizes, a user's declaration) and land in the decoded video's pixels."""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from data_roots import SAMPLES, TEST_VIDEO, nmfs_csl_root, wlasl_root
from slrbench.data.keypoints import parse_frame, rescale_keypoints
from slrbench.data.loader import LoaderSettings, load_sample
from slrbench.data.sources import FileClipReader, read_row_keypoints
from slrbench.errors import UsageError
from slrbench.extraction.store import KeypointStore
from slrbench.interfaces import DatasetContext
from slrbench.registry import default_registry

REFERENCE_PICKLE = "keypoints_hrnet_dark_coco_wholebody.pkl"
VIDEO_SIZE = (540, 720)  # tests/data/samples/test_video.mp4
SMALL = LoaderSettings(num_frames=16, video_size=32, heatmap_size=16)


def build(name, root, options=None):
    return default_registry().build("datasets", name, options or {}, DatasetContext(root))


def signer_points(size: tuple[int, int], frames: int = 58, seed: int = 0) -> np.ndarray:
    """(T, 133, 3) points spread over the middle of a `size` frame, confidently detected."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.2, 0.8, (frames, 133, 2)) * np.asarray(size, np.float32)
    return np.concatenate([xy, np.full((frames, 133, 1), 0.9)], axis=-1).astype(np.float32)


def write_pickle(path: Path, table: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as handle:
        pickle.dump(table, handle)


def root_with_video(tmp_path: Path) -> Path:
    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    shutil.copy(TEST_VIDEO, root / "videos" / "69241.mp4")
    return root


def row_of(dataset, sample_id: str = "69241") -> dict:
    table = dataset.manifest(next(iter(dataset.benchmarks)))
    return table[table["sample_id"] == sample_id].iloc[0].to_dict()


def keypoints_out(row: dict, settings: LoaderSettings = SMALL, train: bool = True, seed: int = 3):
    source = FileClipReader().open(row, "video" in settings.inputs, True)
    return load_sample(source, settings, train, 1, np.random.default_rng(seed))["views"][0]["keypoints"]


def test_frames_parse_and_rescale_half_pixel_aligned():
    assert parse_frame("") is None and parse_frame("video") is None and parse_frame(float("nan")) is None
    assert parse_frame("256x512") == (256, 512)
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        parse_frame("256")
    points = np.array([[[-0.5, -0.5, 1], [255.5, 127.5, 0.4]]], np.float32)  # the frame's outer edges
    moved = rescale_keypoints(points, (256, 128), (512, 512))
    assert np.allclose(moved[0, :, :2], [[-0.5, -0.5], [511.5, 511.5]]) and np.allclose(moved[..., 2], points[..., 2])


def test_reference_pickle_at_256_is_rescaled_into_the_real_video(tmp_path):
    root = root_with_video(tmp_path)
    in_video = signer_points(VIDEO_SIZE)
    write_pickle(root / REFERENCE_PICKLE, {"69241": rescale_keypoints(in_video, VIDEO_SIZE, (256, 256))})
    (root / "keypoints").mkdir()
    np.save(root / "keypoints" / "65225.npy", in_video)  # the same points, already in the video's pixels
    shutil.copy(TEST_VIDEO, root / "videos" / "65225.mp4")
    dataset = build("wlasl", root)
    reference, own_pixels = row_of(dataset), row_of(dataset, "65225")
    assert reference["keypoints_frame"] == "256x256" and own_pixels["keypoints_frame"] == ""
    assert read_row_keypoints(reference).frame_size == (256, 256)
    expected = keypoints_out(own_pixels)
    assert np.allclose(keypoints_out(reference), expected, atol=1e-3)
    assert not np.allclose(keypoints_out({**reference, "keypoints_frame": ""}), expected, atol=1)  # unrescaled: off
    # keypoints only: the box is drawn in the declared frame, the same part of the image
    only = LoaderSettings(inputs=("keypoints",), num_frames=16, video_size=32, heatmap_size=16)
    assert np.allclose(keypoints_out(reference, only), expected, atol=0.1)


def test_nmfs_csl_reference_pickle_is_512_and_npy_files_are_the_videos_pixels(tmp_path):
    root = nmfs_csl_root(tmp_path)
    write_pickle(root / REFERENCE_PICKLE, {"P00/sign_0000": np.zeros((4, 133, 3), np.float32)})
    (root / "keypoints" / "P01").mkdir(parents=True)
    np.save(root / "keypoints" / "P01" / "sign_0001.npy", np.zeros((4, 133, 3), np.float32))
    dataset = build("nmfs-csl", root)
    assert row_of(dataset, "P00/sign_0000.mp4")["keypoints_frame"] == "512x512"
    assert row_of(dataset, "P01/sign_0001.mp4")["keypoints_frame"] == ""
    assert read_row_keypoints(row_of(dataset, "P01/sign_0001.mp4")).frame_size is None


def test_the_dataset_option_overrides_the_frame_of_pickles_and_npy_not_pose(tmp_path):
    root = root_with_video(tmp_path)
    write_pickle(root / REFERENCE_PICKLE, {"69241": signer_points(VIDEO_SIZE)})
    (root / "keypoints").mkdir()
    shutil.copy(SAMPLES / "mediapipe.pose", root / "keypoints" / "65225.pose")
    assert row_of(build("wlasl", root, {"keypoints_frame": "1280x720"}))["keypoints_frame"] == "1280x720"
    video = build("wlasl", root, {"keypoints_frame": "video"})
    assert row_of(video)["keypoints_frame"] == "" and read_row_keypoints(row_of(video)).frame_size is None
    assert row_of(video, "65225")["keypoints_frame"] == ""
    assert read_row_keypoints(row_of(video, "65225")).frame_size == (1250, 1250)  # the .pose header's
    with pytest.raises(UsageError, match="keypoints_frame"):
        build("wlasl", root, {"keypoints_frame": "256"})


def test_an_extracted_pickle_records_each_videos_size_and_is_not_rescaled(tmp_path):
    root = root_with_video(tmp_path)
    in_video = signer_points(VIDEO_SIZE)
    store = KeypointStore(root / "keypoints.pkl", {"extractor": "test", "options": {}})
    store.begin(restart=False)
    store.save("69241", in_video, VIDEO_SIZE)
    assert store.finish({}, {}) == 1
    later = KeypointStore(root / "keypoints.pkl", {"extractor": "test", "options": {}})  # a second run adds one
    base = later.existing()
    later.begin(restart=False)
    later.save("65225", in_video[:10], (1280, 720))
    assert later.finish(base, {}) == 2
    meta = json.loads((root / "keypoints.pkl.meta.json").read_text())
    assert meta["frame_sizes"] == {"69241": "540x720", "65225": "1280x720"} and "source video" in meta["coordinates"]
    row = row_of(build("wlasl", root))
    assert row["keypoints_frame"] == "540x720"
    assert read_row_keypoints(row).frame_size == VIDEO_SIZE
    assert np.allclose(keypoints_out(row), keypoints_out({**row, "keypoints_frame": ""}), atol=1e-6)


def test_a_manifest_column_declares_the_frame_and_bad_values_are_one_line_errors(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((4, 133, 3), np.float32))
    header = "sample_id,split,label,gloss,video,keypoints,start,end,keypoints_frame\n"
    (tmp_path / "manifest.csv").write_text(header + "a,train,0,x,,a.npy,,,256x256\nb,train,1,y,,k.pkl#b,,,\n")
    dataset = build("manifest", tmp_path)
    assert row_of(dataset, "a")["keypoints_frame"] == "256x256" and row_of(dataset, "b")["keypoints_frame"] == ""
    filled = build("manifest", tmp_path, {"keypoints_frame": "512x512"})  # only the empty cell
    assert (row_of(filled, "a")["keypoints_frame"], row_of(filled, "b")["keypoints_frame"]) == ("256x256", "512x512")
    (tmp_path / "manifest.csv").write_text(header + "a,train,0,x,,a.npy,,,256 by 256\n")
    with pytest.raises(UsageError, match=r"line 2: keypoints_frame: keypoint frame '256 by 256'"):
        build("manifest", tmp_path)
    (tmp_path / "manifest.csv").write_text(header + "a,train,0,x,,a.pose,,,256x256\n")
    with pytest.raises(UsageError, match="a .pose file declares its own frame"):
        build("manifest", tmp_path)
