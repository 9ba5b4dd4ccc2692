"""The `mediapipe` extractor on a real signer (tests/data/samples/test_video.mp4).

MediaPipe's last wheel with Holistic needs numpy < 2, so these tests run in an environment of
their own (`./quickstart test-mediapipe`, which CI runs); elsewhere they skip.

The sample's signer signs with her right hand; her left hand stays below the frame throughout.
So the tests ask MediaPipe to find the right hand whenever it is raised into view, and never to
invent a left hand.
"""
from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from data_roots import TEST_VIDEO, wlasl_root
from helpers import run_cli

pytest.importorskip("mediapipe", reason="mediapipe is not installed (./quickstart test-mediapipe runs these tests)")

from slrbench.interfaces import ExtractorContext  # noqa: E402
from slrbench.registry import default_registry  # noqa: E402
from slrbench.testing import check_keypoint_extractor  # noqa: E402

LEFT_HAND, RIGHT_HAND, FACE = slice(91, 112), slice(112, 133), 23
NOSE, LEFT_EYE, RIGHT_EYE, LEFT_WRIST, RIGHT_WRIST = 0, 1, 2, 9, 10


def test_mediapipe_keeps_the_extractor_contract():
    report = check_keypoint_extractor("mediapipe")
    assert report["frames"] == 12


@pytest.fixture(scope="module")
def sample_keypoints():
    from slrbench.extraction.extract import extract_one

    extractor = default_registry().build("extractors", "mediapipe", {}, ExtractorContext())
    return extract_one(extractor, TEST_VIDEO)


def test_the_right_hand_is_found_whenever_it_is_raised(sample_keypoints):
    points = sample_keypoints
    assert points.shape == (58, 133, 3) and points.dtype == np.float32
    wrist = points[:, RIGHT_WRIST]
    raised = (wrist[:, 1] < 620) & (wrist[:, 2] > 0.5)  # the pose's right wrist is well inside the 720-px frame
    found = (points[:, RIGHT_HAND, 2] > 0).all(axis=1)
    assert raised.sum() >= 15
    assert (found & raised).sum() >= 0.6 * raised.sum()  # measured: 17 of 24 frames (MediaPipe 0.10.21, CPU)
    assert (points[found][:, RIGHT_HAND, 1].mean(axis=1) < 720).all()  # a hand it finds is (mostly) in view
    # The hand model's wrist agrees with the pose model's: the sides are not swapped.
    distance = np.linalg.norm(points[found, 112, :2] - wrist[found, :2], axis=1)
    assert np.median(distance) < 40


def test_no_left_hand_is_invented(sample_keypoints):
    points = sample_keypoints
    assert (points[:, LEFT_WRIST, 1] > 720).all()  # below the frame in every frame
    assert (points[:, LEFT_HAND, 2] == 0).all()


def test_the_face_is_mapped_in_ibug_order(sample_keypoints):
    face = sample_keypoints[:, FACE:FACE + 68]
    assert (face[..., 2] == 1).all()  # the face is found in every frame
    jaw, mouth = face[:, 0:17], face[:, 48:68]
    assert (jaw[:, 0, 0] < jaw[:, 16, 0]).all()  # iBUG 0 is the signer's right, on the image's left
    assert (jaw[:, 8, 1] >= jaw[:, :, 1].max(axis=1) - 1).all()  # the chin is the lowest jaw point
    nose = sample_keypoints[:, NOSE]
    assert ((mouth[..., 1].mean(axis=1) > nose[:, 1]) & (mouth[..., 1].mean(axis=1) < jaw[:, 8, 1])).all()
    assert (sample_keypoints[:, LEFT_EYE, 0] > sample_keypoints[:, RIGHT_EYE, 0]).all()
    assert (face[:, 45, 0] > face[:, 36, 0]).all()  # iBUG 45 (left eye, outer) right of 36 (right eye, outer)


def test_one_command_turns_a_data_root_into_keypoints_the_loader_reads(tmp_path):
    import torch

    from slrbench.data.heatmaps import heatmaps_from_keypoints
    from slrbench.data.loader import ClipLoader, LoaderSettings
    from slrbench.interfaces import DatasetContext

    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    for video_id in ("69241", "65225"):
        shutil.copy(TEST_VIDEO, root / "videos" / f"{video_id}.mp4")
    (root / "videos" / "68011.mp4").write_bytes(b"not a video" * 100)
    result = run_cli("keypoints", "extract", "--benchmark", "wlasl100", "--data-root", str(root),
                     "--extractor", "mediapipe", "--workers", "2", "--json")
    assert result.returncode == 1, result.stderr  # the corrupt video fails; the others are written
    report = json.loads(result.stdout)
    assert (report["extracted"], report["failed"], report["entries"]) == (2, 1, 2)
    assert report["missing"] == report["videos"] - 3
    with open(root / "keypoints.pkl", "rb") as handle:
        table = pickle.load(handle)
    assert set(table) == {"69241", "65225"} and table["69241"].shape == (58, 133, 3)

    dataset = default_registry().build("datasets", "wlasl", {}, DatasetContext(root))
    manifest = dataset.manifest("wlasl100")
    rows = manifest[manifest["sample_id"].isin(["69241", "65225"])].assign(split="test")
    assert rows["keypoints"].str.endswith("keypoints.pkl#69241").any()
    loader = ClipLoader(rows, "test", LoaderSettings(("keypoints",), num_frames=32, video_size=64, heatmap_size=32),
                        batch_size=2)
    batch = next(loader.batches())
    keypoints = batch["inputs"]["keypoints"]
    assert keypoints.shape == (2, 32, 63, 3) and not loader.report.skipped
    maps = heatmaps_from_keypoints(keypoints, 32)
    right_hand = maps[:, 21:42]  # NLA-SLR channels: left hand 0-20, right hand 21-41
    assert (right_hand.amax(dim=(-1, -2)) > 0.5).any() and torch.isfinite(maps).all()
    assert (maps[:, :21] == -1).all()  # no left hand: empty maps
