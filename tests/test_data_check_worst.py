"""`data check --show-worst N`: keypoint tracks are ranked by how broken they look (missing hands,
points outside the frame, few confident points), the worst are drawn as `slrbench show` draws them
(a real PNG contact sheet and an MP4) into their own folder, never into the data root, and samples
without keypoints are listed, not drawn."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from signer_dataset_fixtures import write_lsa64
from slrbench.cli.app import app
from slrbench.data.keypoint_quality import keypoint_quality, worst_tracks

LEFT_HAND, RIGHT_HAND = slice(91, 112), slice(112, 133)  # COCO-WholeBody, as the .npy files hold them


def check(*args: str):
    return CliRunner().invoke(app, ["data", "check", *args], env={"COLUMNS": "200"})


@pytest.fixture
def damaged_root(tmp_path):
    """Four LSA64 samples (64 x 64 videos): one without hands and with the rest of its points far
    outside the frame, one without its left hand, two clean; and a fifth without keypoints."""
    root = write_lsa64(tmp_path / "lsa64", signs=(1,), signers=5, repetitions=1)
    broken = root / "keypoints" / "001_002_001.npy"
    points = np.load(broken)
    points[:, LEFT_HAND, 2] = 0
    points[:, RIGHT_HAND, 2] = 0
    points[..., :2] += 500
    np.save(broken, points)
    one_hand = root / "keypoints" / "001_004_001.npy"
    points = np.load(one_hand)
    points[:, LEFT_HAND, 2] = 0.05
    np.save(one_hand, points)
    (root / "keypoints" / "001_005_001.npy").unlink()
    return root


def test_a_track_without_hands_and_outside_the_frame_scores_worse_than_a_clean_one():
    rng = np.random.default_rng(0)
    clean = np.concatenate([rng.uniform(10, 90, (20, 63, 2)), np.full((20, 63, 1), 0.9)], axis=-1)
    broken = clean.copy()
    broken[:, :42, 2] = 0  # both hands lost
    broken[:, 42:, :2] += 1000  # the rest far outside the 100 x 100 frame
    good, bad = keypoint_quality("clean", clean, (100, 100)), keypoint_quality("broken", broken, (100, 100))
    assert good.badness == 0 and good.reasons == []
    assert (bad.left_hand_missing, bad.right_hand_missing, bad.outside) == (1.0, 1.0, 1.0)
    assert bad.badness == pytest.approx((1 + 1 + (1 - 21 / 63)) / 3)
    assert "left hand missing in 100% of frames" in bad.reasons and "100% of confident points outside the frame" in bad.reasons
    assert [quality.sample_id for quality in worst_tracks([good, bad], 1)] == ["broken"]


def test_show_worst_ranks_the_damaged_sample_first_and_draws_its_contact_sheet(damaged_root, tmp_path):
    out = tmp_path / "worst"
    before = sorted(damaged_root.rglob("*"))
    result = check("--benchmark", "lsa64", "--data-root", str(damaged_root), "--show-worst", "2", "--show-dir", str(out))
    assert result.exit_code == 0, result.output
    assert "001_002_001" in result.stdout and "right hand missing in 100% of frames" in result.stdout
    assert "1 checked sample(s) have no readable keypoints (listed, not drawn): 001_005_001" in result.stdout
    with (out / "worst.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["sample_id"] for row in rows] == ["001_002_001", "001_004_001"]
    assert "left hand missing" in rows[1]["reasons"] and "right hand" not in rows[1]["reasons"]
    with Image.open(out / "01_001_002_001.sheet.png") as sheet:
        assert sheet.format == "PNG" and sheet.size[0] > 100
    assert (out / "01_001_002_001.mp4").stat().st_size > 0
    assert sorted(path.name for path in out.iterdir()) == [
        "01_001_002_001.mp4", "01_001_002_001.sheet.png", "02_001_004_001.mp4", "02_001_004_001.sheet.png", "worst.csv"]
    assert sorted(damaged_root.rglob("*")) == before  # nothing written into the data root


def test_show_worst_in_json_names_the_files_and_a_second_run_replaces_the_folder(damaged_root, tmp_path):
    out = tmp_path / "worst"
    for count in ("3", "1"):
        result = check("--benchmark", "lsa64", "--data-root", str(damaged_root), "--show-worst", count,
                       "--show-dir", str(out), "--json")
        assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [row["sample_id"] for row in report["worst_keypoints"]] == ["001_002_001"]
    assert report["worst_keypoints"][0]["sheet"] == str(out / "01_001_002_001.sheet.png")
    assert report["without_keypoints"] == ["001_005_001"]
    assert sorted(path.name for path in out.iterdir()) == ["01_001_002_001.mp4", "01_001_002_001.sheet.png", "worst.csv"]


def test_show_worst_on_the_synthetic_benchmark_draws_into_the_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = check("--benchmark", "synthetic", "-o", "dataset.num_classes=6", "-o", "dataset.frame_size=48",
                   "--sample", "2", "--show-worst", "1")
    assert result.exit_code == 0, result.output
    sheets = list((tmp_path / "data-check-worst" / "synthetic").glob("01_*.sheet.png"))
    with Image.open(sheets[0]) as sheet:
        assert sheet.format == "PNG"


def test_show_dir_inside_the_data_root_or_over_a_foreign_folder_is_one_line(damaged_root, tmp_path):
    result = check("--benchmark", "lsa64", "--data-root", str(damaged_root), "--show-worst", "1",
                   "--show-dir", str(damaged_root / "worst"))
    assert result.exit_code == 2 and "is inside --data-root" in result.output and not (damaged_root / "worst").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = check("--benchmark", "lsa64", "--data-root", str(damaged_root), "--show-worst", "1",
                   "--show-dir", str(foreign))
    assert result.exit_code == 2 and "not a folder `data check --show-worst` wrote" in result.output
    assert (foreign / "notes.txt").read_text() == "keep me"
    result = check("--benchmark", "lsa64", "--data-root", str(damaged_root), "--show-dir", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--show-dir needs --show-worst N" in result.output
