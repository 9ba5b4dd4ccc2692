"""`slrbench predict` on the real sample video: a tiny trained run (keypoints from a .pose file), an
imported reference checkpoint (video decoded and run through S3D), sliding windows, bad inputs."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from report_runs import tiny_run
from slrbench.cli.app import app

SAMPLES = Path(__file__).parent / "data" / "samples"
VIDEO = SAMPLES / "test_video.mp4"
POSE = SAMPLES / "mediapipe.pose"


def predict(*args: str, cache: Path | None = None):
    env = {"COLUMNS": "200", **({"SLRBENCH_CACHE": str(cache)} if cache else {})}
    return CliRunner().invoke(app, ["predict", *args], env=env)


def test_a_trained_run_names_a_gloss_of_its_classes_with_probabilities(tmp_path_factory):
    run = tiny_run(tmp_path_factory)
    result = predict(str(run), str(VIDEO), "--keypoints", str(POSE), "--top", "3", "--json")
    assert result.exit_code == 0, result.output
    [answer] = json.loads(result.stdout)
    glosses = json.loads((run / "class_names.json").read_text())
    guesses = answer["predictions"]
    assert answer["video"] == str(VIDEO) and len(guesses) == 3
    assert [g["gloss"] for g in guesses] == [glosses[g["class"]] for g in guesses]
    probabilities = [g["probability"] for g in guesses]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-6
    table = predict(str(run), str(VIDEO), "--keypoints", str(POSE), "--crops", "3")
    assert table.exit_code == 0 and guesses[0]["gloss"] in table.stdout and "probability" in table.stdout


def test_an_unreadable_video_is_one_line_and_the_others_still_get_their_answer(tmp_path_factory, tmp_path):
    run = tiny_run(tmp_path_factory)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 10)
    result = predict(str(run), str(broken), str(VIDEO), "--keypoints", str(POSE), "--keypoints", str(POSE), "--json")
    assert result.exit_code == 1
    answers = json.loads(result.stdout)
    assert [a["video"] for a in answers] == [str(broken), str(VIDEO)]
    assert str(broken) in answers[0]["error"] and "\n" not in answers[0]["error"]
    assert len(answers[1]["predictions"]) == 5
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [f"error: {answers[0]['error']}"]


def test_window_and_stride_write_a_timeline_csv_and_png(tmp_path_factory, tmp_path):
    pytest.importorskip("matplotlib")
    run = tiny_run(tmp_path_factory)
    result = predict(str(run), str(VIDEO), "--keypoints", str(POSE), "--window", "1", "--stride", "0.5",
                     "--top", "2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "test_video.timeline.csv")
    assert list(table.columns) == ["start_s", "end_s", "start_frame", "end_frame", "gloss_1", "class_1",
                                   "probability_1", "gloss_2", "class_2", "probability_2"]
    assert len(table) == 3 and table["start_s"].is_monotonic_increasing  # 1.94 s: 0-1, 0.5-1.5, the tail
    assert table["end_frame"].iloc[-1] == 58 and (table["probability_1"] >= table["probability_2"]).all()
    assert (tmp_path / "test_video.timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_imported_reference_checkpoint_predicts_from_the_decoded_video(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_reference_checkpoint import class_checkpoint

    out = tmp_path / "imported"
    made = CliRunner().invoke(app, ["import-checkpoint", "--from", "nla-slr", str(class_checkpoint(tmp_path, 100)),
                                    "--out", str(out), "--benchmark", "msasl100", "--backbone", "video-32"])
    assert made.exit_code == 0, made.output
    result = predict(str(out), str(VIDEO), "--top", "2", "--json")
    assert result.exit_code == 0, result.output
    # the backbone is zeros, so FC1's bias decides: class r has bias r (no class names without the data)
    assert [(g["class"], g["gloss"]) for g in json.loads(result.stdout)[0]["predictions"]] == [(99, "99"), (98, "98")]


@pytest.mark.skipif(importlib.util.find_spec("mediapipe") is not None, reason="mediapipe is installed here")
def test_a_keypoint_run_without_an_extractor_names_the_extra_or_the_keypoints_option(tmp_path_factory, tmp_path):
    result = predict(str(tiny_run(tmp_path_factory)), str(VIDEO), "--extractor", "mediapipe", cache=tmp_path)
    assert result.exit_code == 2
    assert 'pip install "slrbench[mediapipe]"' in result.output and "--keypoints" in result.output


def test_keypoints_are_extracted_once_with_the_chosen_extractor_and_cached(tmp_path_factory, tmp_path):
    pytest.importorskip("onnxruntime")
    from onnx_models import export_spot_locator

    run = tiny_run(tmp_path_factory)
    model = export_spot_locator(tmp_path / "spot.onnx", batch=None)  # a real (tiny) RTMPose-shaped ONNX model
    args = [str(run), str(VIDEO), "--extractor", "rtmpose", "-o", f"extractor.path={model}", "--json"]
    first = predict(*args, cache=tmp_path / "cache")
    assert first.exit_code == 0, first.output
    [cached] = (tmp_path / "cache" / "keypoints").glob("rtmpose-*.npy")
    assert np.load(cached).shape == (58, 133, 3)  # one row per decoded frame, in the video's pixels
    model.unlink()  # the second prediction must not need the extractor at all
    second = predict(*args, cache=tmp_path / "cache")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == json.loads(first.stdout)


def test_usage_errors_come_before_any_work(tmp_path):
    assert "one per video" in predict(str(tmp_path), str(VIDEO), str(VIDEO), "--keypoints", str(POSE)).output
    assert "--stride needs --window" in predict(str(tmp_path), str(VIDEO), "--stride", "1").output
    assert "not a folder" in predict(str(tmp_path / "nothing"), str(VIDEO)).output
