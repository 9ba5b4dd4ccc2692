"""`slrbench keypoints extract` end to end, with the `rtmpose` extractor on a small real ONNX model
(tests/onnx_models.py) and real videos: output, failures, resume after a kill, refusing to mix
extractors, workers, and `slrbench run` training on what it wrote."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from data_roots import TEST_VIDEO, wlasl_root
from helpers import run_cli
from onnx_models import export_spot_locator


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return export_spot_locator(tmp_path_factory.mktemp("onnx") / "locator.onnx")


def extract(root: Path, model: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_cli("keypoints", "extract", "--benchmark", "wlasl100", "--data-root", str(root), "--extractor",
                     "rtmpose", "-o", f"extractor.path={model}", "--json", *extra)
    return result, (json.loads(result.stdout) if result.stdout.strip() else {})


def wlasl_with_videos(tmp_path: Path, corrupt: bool = True) -> Path:
    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    for video_id in ("69241", "65225"):
        shutil.copy(TEST_VIDEO, root / "videos" / f"{video_id}.mp4")
    if corrupt:
        (root / "videos" / "68011.mp4").write_bytes(b"not a video" * 100)
    return root


def test_a_data_root_becomes_the_reference_pickle_with_a_failure_report(tmp_path, model):
    root = wlasl_with_videos(tmp_path)
    result, report = extract(root, model)
    assert result.returncode == 1, result.stderr  # the corrupt video
    assert (report["extracted"], report["failed"], report["entries"]) == (2, 1, 2)
    assert report["missing"] == report["videos"] - 3 > 0
    with open(root / "keypoints.pkl", "rb") as handle:
        table = pickle.load(handle)
    assert set(table) == {"69241", "65225"}
    assert table["69241"].shape == (58, 133, 3) and table["69241"].dtype == np.float32
    meta = json.loads((root / "keypoints.pkl.meta.json").read_text())
    assert meta["extractor"] == "rtmpose" and meta["options"]["path"] == str(model) and meta["slrbench"]
    assert meta["frame_sizes"] == {"69241": "540x720", "65225": "540x720"}  # the frame of the coordinates
    failures = (root / "keypoints.pkl.failures.csv").read_text().splitlines()
    assert failures[0] == "key,video,reason" and len(failures) == 1 + report["failed"] + report["missing"]
    assert any(line.startswith("68011,") and "missing" not in line for line in failures)
    assert not any(p.name.endswith(".parts") for p in root.iterdir())  # no leftovers

    # Again: only the failed video is retried; once it is fixed the command succeeds.
    result, report = extract(root, model)
    assert (result.returncode, report["skipped"], report["extracted"], report["failed"]) == (1, 2, 0, 1)
    shutil.copy(TEST_VIDEO, root / "videos" / "68011.mp4")
    result, report = extract(root, model)
    assert (result.returncode, report["extracted"], report["failed"], report["entries"]) == (0, 1, 0, 3), result.stderr

    # The dataset now finds every extracted video in the pickle.
    from slrbench.interfaces import DatasetContext
    from slrbench.registry import default_registry

    manifest = default_registry().build("datasets", "wlasl", {}, DatasetContext(root)).manifest("wlasl100")
    present = manifest[manifest["sample_id"].isin(["69241", "65225", "68011"])]
    assert present["keypoints"].str.contains(r"keypoints\.pkl#").all()
    assert (present["keypoints_frame"] == "540x720").all()  # the first run's sizes survive the merges


def test_mixing_extractor_options_is_refused_and_force_starts_over(tmp_path, model):
    root = wlasl_with_videos(tmp_path, corrupt=False)
    assert extract(root, model)[0].returncode == 0
    result, _ = extract(root, model, "-o", "extractor.padding=1.5")
    assert result.returncode == 2 and "made by extractor rtmpose" in result.stderr and "--force" in result.stderr
    result, report = extract(root, model, "-o", "extractor.padding=1.5", "--force")
    assert result.returncode == 0 and report["extracted"] == 2
    assert json.loads((root / "keypoints.pkl.meta.json").read_text())["options"]["padding"] == 1.5


def test_a_pickle_not_written_by_slrbench_is_never_overwritten(tmp_path, model):
    root = wlasl_with_videos(tmp_path, corrupt=False)
    foreign = {"69241": np.zeros((58, 133, 3), np.float32)}
    (root / "keypoints.pkl").write_bytes(pickle.dumps(foreign))
    result, _ = extract(root, model)
    assert result.returncode == 2 and "was not written by `slrbench keypoints extract`" in result.stderr
    assert pickle.loads((root / "keypoints.pkl").read_bytes()).keys() == foreign.keys()


def test_a_killed_extraction_resumes_and_never_leaves_a_partial_pickle(tmp_path, model):
    root = wlasl_with_videos(tmp_path, corrupt=False)
    for number in range(10):
        shutil.copy(TEST_VIDEO, root / "videos" / f"{number:05d}.mp4")
    manifest = root / "manifest.csv"
    videos = sorted(p.stem for p in (root / "videos").glob("*.mp4"))
    manifest.write_text("sample_id,split,label,gloss,video,keypoints\n" + "".join(
        f"{v},train,{i % 2},g{i % 2},videos/{v}.mp4,keypoints.pkl#{v}\n" for i, v in enumerate(videos)))
    command = [sys.executable, "-m", "slrbench", "keypoints", "extract", "--benchmark", "manifest", "--data-root",
               str(root), "--extractor", "rtmpose", "-o", f"extractor.path={model}", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    parts = root / ".keypoints.pkl.parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(parts.glob("*.npy"))) < 2 and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    finished = len(list(parts.glob("*.npy")))
    assert 2 <= finished < len(videos), "the run ended before it could be interrupted"
    assert not (root / "keypoints.pkl").exists()
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["skipped"] == finished and report["extracted"] == len(videos) - finished
    assert len(pickle.loads((root / "keypoints.pkl").read_bytes())) == len(videos) and not parts.exists()


def test_workers_give_the_same_keypoints_as_one_process(tmp_path, model):
    one, two = wlasl_with_videos(tmp_path / "one", corrupt=False), wlasl_with_videos(tmp_path / "two", corrupt=False)
    assert extract(one, model)[0].returncode == 0
    result, report = extract(two, model, "--workers", "2")
    assert result.returncode == 0 and report["extracted"] == 2, result.stderr
    first, second = (pickle.loads((r / "keypoints.pkl").read_bytes()) for r in (one, two))
    assert first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)


def test_bad_requests_are_one_line_errors(tmp_path, model):
    root = wlasl_with_videos(tmp_path, corrupt=False)
    result = run_cli("keypoints", "extract", "--benchmark", "wlasl100", "--data-root", str(root), "--extractor",
                     "rtmpos")
    assert result.returncode == 2 and "unknown extractor 'rtmpos' (did you mean 'rtmpose'?)" in result.stderr
    result = run_cli("keypoints", "extract", "--benchmark", "synthetic", "--extractor", "rtmpose",
                     "-o", f"extractor.path={model}")
    assert result.returncode == 2 and "no video files" in result.stderr
    result, _ = extract(root, tmp_path / "nothing.onnx")
    assert result.returncode == 2 and "nothing.onnx" in result.stderr
    assert not (root / "keypoints.pkl").exists()


def test_slrbench_run_trains_on_the_extracted_keypoints(tmp_path, model):
    root = tmp_path / "signs"
    (root / "videos").mkdir(parents=True)
    rows = []
    for number in range(8):  # real frames, four per class; class 1 plays the video backwards
        name = f"clip{number}"
        shutil.copy(TEST_VIDEO, root / "videos" / f"{name}.mp4")
        split = "train" if number < 4 else ("val" if number < 6 else "test")
        rows.append(f"{name},{split},{number % 2},{'hello' if number % 2 == 0 else 'goodbye'},videos/{name}.mp4,"
                    f"keypoints.pkl#{name}\n")
    (root / "manifest.csv").write_text("sample_id,split,label,gloss,video,keypoints\n" + "".join(rows))
    result = run_cli("keypoints", "extract", "--benchmark", "manifest", "--data-root", str(root), "--extractor",
                     "rtmpose", "-o", f"extractor.path={model}")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "run"
    result = run_cli("run", "--benchmark", "manifest", "--data-root", str(root), "--backbone", "posegcn",
                     "--smoother", "vanilla", "--mixup", "none", "--embedder", "glove", "--epochs", "1",
                     "--batch-size", "2", "--workers", "0", "-o", "backbone.width=8", "-o", "backbone.blocks=2",
                     "-o", "run.num_frames=16", "-o", "run.heatmap_size=32", "--out", str(out),
                     env={"SLRBENCH_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_samples"] == 2 and metrics["skipped_samples"] == 0


def test_a_data_root_without_videos_writes_nothing_and_says_so(tmp_path, model):
    root = wlasl_root(tmp_path)
    result, report = extract(root, model)
    assert result.returncode == 1 and report["entries"] == 0 and report["missing"] == report["videos"]
    assert "no video could be read" in result.stderr
    assert not (root / "keypoints.pkl").exists() and not (root / "keypoints.pkl.meta.json").exists()
    assert (root / "keypoints.pkl.failures.csv").is_file()
