"""`slrbench data check` counts what a data root holds, per split, and writes nothing there."""
from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil

import pytest
from typer.testing import CliRunner

from data_roots import SAMPLES, TEST_VIDEO, msasl_root, nmfs_csl_root, wlasl_root
from slrbench.cli.app import app

runner = CliRunner()


def snapshot(root):
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_check_counts_missing_videos_and_one_corrupt_file(tmp_path):
    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    (root / "keypoints").mkdir()
    shutil.copy(TEST_VIDEO, root / "videos" / "69241.mp4")  # train
    shutil.copy(TEST_VIDEO, root / "videos" / "65225.mp4")  # train
    (root / "videos" / "68011.mp4").write_bytes(b"corrupt" * 64)  # train, corrupt
    shutil.copy(SAMPLES / "mediapipe.pose", root / "keypoints" / "69241.pose")
    before = snapshot(root)
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(root), "--json"])
    assert result.exit_code == 2, result.output  # val and test have no usable sample: the report, then one line
    assert result.stderr.count("error:") == 1 and "no usable sample in split(s) val, test" in result.stderr
    report = json.loads(result.stdout)
    assert snapshot(root) == before
    assert (report["benchmark"], report["num_classes"]) == ("wlasl100", 20)
    assert report["splits"]["train"] == {"annotated": 309, "checked": 309, "usable": 2, "videos_present": 3,
                                         "videos_missing": 306, "keypoints_present": 1, "unreadable": 1,
                                         "keypoints_outside_frame": 0, "keypoints_length_mismatch": 1}
    assert report["splits"]["val"] == {"annotated": 70, "checked": 70, "usable": 0, "videos_present": 0,
                                       "videos_missing": 70, "keypoints_present": 0, "unreadable": 0,
                                       "keypoints_outside_frame": 0, "keypoints_length_mismatch": 0}
    assert report["unusable_splits"] == ["val", "test"]
    assert report["splits"]["test"]["annotated"] == 65
    assert [p["sample_id"] for p in report["problems"]] == ["68011"]


def test_check_on_msasl_annotations_in_plain_text(tmp_path):
    result = runner.invoke(app, ["data", "check", "--benchmark", "msasl100", "--data-root", str(msasl_root(tmp_path))])
    assert result.exit_code == 2, result.output  # annotations only: no split has a usable sample
    assert "msasl100 (msasl): 100 classes" in result.stdout
    for split, samples in (("train", 146), ("val", 39), ("test", 25)):  # label < 100 only, none usable
        assert re.search(rf"^{split} +{samples} +0 ", result.stdout, re.MULTILINE), result.stdout


def test_check_nmfs_csl_and_synthetic_json(tmp_path):
    result = runner.invoke(app, ["data", "check", "--benchmark", "nmfs-csl", "--data-root", str(nmfs_csl_root(tmp_path)), "--json"])
    report = json.loads(result.stdout)
    assert report["num_classes"] == 1067 and report["splits"]["train"]["videos_missing"] == 20
    assert report["splits"]["val"]["annotated"] == 0
    result = runner.invoke(app, ["data", "check", "--benchmark", "synthetic", "-o", "dataset.num_classes=4", "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["splits"]["test"] == {"annotated": 32, "checked": 32, "usable": 32, "videos_present": 32,
                                        "videos_missing": 0, "keypoints_present": 32, "unreadable": 0,
                                        "keypoints_outside_frame": 0, "keypoints_length_mismatch": 0}


def test_check_errors_are_one_line_with_exit_code_2(tmp_path):
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl10", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "did you mean 'wlasl100'" in result.output
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "WLASL_v0.3.json is missing" in result.output


def wlasl_with_reference_pickle(tmp_path, points_in, video: bool = True):
    """The WLASL annotations with the reference-named pickle (declared 256 x 256) holding one sample's
    points spread over a `points_in` frame, beside the real 540 x 720 video or without it."""
    import numpy as np

    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    if video:
        shutil.copy(TEST_VIDEO, root / "videos" / "69241.mp4")
    xy = np.random.default_rng(0).uniform(0.2, 0.8, (58, 133, 2)) * np.asarray(points_in, np.float32)
    points = np.concatenate([xy, np.full((58, 133, 1), 0.9)], axis=-1).astype(np.float32)
    (root / "keypoints_hrnet_dark_coco_wholebody.pkl").write_bytes(pickle.dumps({"69241": points}))
    return root


@pytest.mark.parametrize("video", [True, False], ids=["beside-the-video", "declared-frame-only"])
def test_check_counts_and_warns_about_keypoints_in_another_frame(tmp_path, video):
    root = wlasl_with_reference_pickle(tmp_path, (1920, 1080), video)  # 1080p coordinates, declared 256 x 256
    before = snapshot(root)
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(root), "--json"])
    assert result.exit_code == 2, result.output  # val and test have no files
    report = json.loads(result.stdout)
    assert snapshot(root) == before
    assert report["splits"]["train"]["keypoints_outside_frame"] == 1 and report["splits"]["train"]["unreadable"] == 0
    warning = next(w for w in report["warnings"] if "outside the frame" in w)
    assert "sample 69241" in warning and "-o dataset.keypoints_frame=WxH" in warning
    assert ("540x720 video" if video else "declared 256x256 frame") in warning
    # declaring the frame they were made in silences it
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(root), "--json",
                                 "-o", "dataset.keypoints_frame=1920x1080"])
    report = json.loads(result.stdout)
    assert report["splits"]["train"]["keypoints_outside_frame"] == 0
    assert not any("outside the frame" in w for w in report["warnings"])


def test_check_stays_quiet_about_reference_keypoints_in_their_256_frame(tmp_path):
    root = wlasl_with_reference_pickle(tmp_path, (256, 256))
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(root)])
    assert result.exit_code == 2, result.output  # val and test have no files
    assert "outside the frame" not in result.output
    assert "outside" in result.stdout and "frame" in result.stdout  # the column's header (wrapped when narrow)
    report = json.loads(runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(root),
                                            "--json"]).stdout)
    assert report["splits"]["train"]["keypoints_present"] == 1
    assert sum(split["keypoints_outside_frame"] for split in report["splits"].values()) == 0
