"""`slrbench data check` counts what a data root holds, per split, and writes nothing there."""
from __future__ import annotations

import hashlib
import json
import shutil

from typer.testing import CliRunner

from data_roots import SAMPLES, TEST_VIDEO, msasl_root, needs_shared_data, nmfs_csl_root, wlasl_root
from slrbench.cli.app import app

runner = CliRunner()


def snapshot(root):
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@needs_shared_data
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
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert snapshot(root) == before
    assert (report["benchmark"], report["num_classes"]) == ("wlasl100", 20)
    assert report["splits"]["train"] == {"annotated": 350, "videos_present": 3, "videos_missing": 347,
                                         "keypoints_present": 1, "unreadable": 1}
    assert report["splits"]["val"] == {"annotated": 84, "videos_present": 0, "videos_missing": 84,
                                       "keypoints_present": 0, "unreadable": 0}
    assert report["splits"]["test"]["annotated"] == 65
    assert [p["sample_id"] for p in report["problems"]] == ["68011"]


@needs_shared_data
def test_check_on_the_msasl_excerpt_in_plain_text(tmp_path):
    result = runner.invoke(app, ["data", "check", "--benchmark", "msasl100", "--data-root", str(msasl_root(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "msasl100 (msasl): 100 classes" in result.stdout
    assert "472" in result.stdout and "153" in result.stdout and "102" in result.stdout


def test_check_nmfs_csl_and_synthetic_json(tmp_path):
    result = runner.invoke(app, ["data", "check", "--benchmark", "nmfs-csl", "--data-root", str(nmfs_csl_root(tmp_path)), "--json"])
    report = json.loads(result.stdout)
    assert report["num_classes"] == 1067 and report["splits"]["train"]["videos_missing"] == 20
    assert report["splits"]["val"]["annotated"] == 0
    result = runner.invoke(app, ["data", "check", "--benchmark", "synthetic", "-o", "dataset.num_classes=4", "--json"])
    report = json.loads(result.stdout)
    assert report["splits"]["test"] == {"annotated": 32, "videos_present": 32, "videos_missing": 0,
                                        "keypoints_present": 32, "unreadable": 0}


def test_check_errors_are_one_line_with_exit_code_2(tmp_path):
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl10", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "did you mean 'wlasl100'" in result.output
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "WLASL_v0.3.json is missing" in result.output
