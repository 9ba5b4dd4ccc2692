"""`slrbench run` end to end on the synthetic benchmark: outputs, exact resume, DDP = accumulation.

A small keypoint-only configuration (the example plugin's ST-GCN, no dropout) keeps each run to
seconds on a CPU.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from helpers import run_cli

DATA = [
    "--benchmark", "synthetic", "--embedder", "glove",
    "-o", "dataset.num_classes=6", "-o", "dataset.train_per_class=6", "-o", "dataset.val_per_class=2",
    "-o", "dataset.test_per_class=3", "-o", "dataset.frame_size=32", "-o", "run.num_frames=16", "-o", "run.heatmap_size=32", "-o", "run.video_size=32", "--workers", "0", "--seed", "5",
]
POSEGCN = ["--backbone", "posegcn", "--smoother", "lang", "--mixup", "sign",
           "-o", "backbone.width=8", "-o", "backbone.blocks=2", "-o", "backbone.dropout=0"]
SMALL = DATA + POSEGCN


def run(out: Path, *extra: str, model: list[str] = POSEGCN) -> subprocess.CompletedProcess:
    return run_cli("run", *DATA, *model, "--out", str(out), *extra, env={"SLRBENCH_CACHE": str(out.parent / "cache")})


def test_a_run_writes_the_run_directory(tmp_path):
    result = run(tmp_path / "run", "--epochs", "2", "--batch-size", "8")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "run"
    config = json.loads((folder / "config.json").read_text())
    assert config["effective_batch_size"] == 8 and config["world_size"] == 1 and config["accumulation_steps"] == 1
    assert config["plan"]["plugins"]["mixup"]["name"] == "sign" and config["versions"]["torch"]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["num_samples"] == 18 and 0 <= metrics["per_instance_top1"] <= 100
    assert len(pd.read_csv(folder / "history.csv")) == 2
    predictions = pd.read_parquet(folder / "predictions.parquet")
    assert list(predictions.columns[:4]) == ["sample_id", "label", "pred_1", "pred_2"] and len(predictions) == 18
    assert [c for c in predictions.columns if c.startswith("head_")] == ["head_pose"]
    top1 = (predictions["pred_1"] == predictions["label"]).mean() * 100
    assert abs(top1 - metrics["per_instance_top1"]) < 1e-9
    assert ((predictions["true_score"] >= 0) & (predictions["true_score"] <= predictions["score_1"] + 1e-12)).all()
    assert (folder / "best" / "model.safetensors").is_file() and (folder / "checkpoint" / "state.pt").is_file()
    assert "per-instance" in result.stdout and "per-class" in result.stdout


def test_eval_table_and_visigns_work_on_a_run(tmp_path):
    folder = tmp_path / "run"
    assert run(folder, "--epochs", "1", "--batch-size", "8").returncode == 0
    evaluated = run_cli("eval", str(folder), "--crops", "3")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads((folder / "eval-crops3" / "metrics.json").read_text())["crops"] == 3
    table = run_cli("table", str(folder), "--reference", "nla-slr", "--format", "csv")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].startswith("method,benchmark,crops,per_instance_top1")
    visigns = run_cli("visigns", str(folder), "--embedder", "glove", "--json")
    assert visigns.returncode == 0, visigns.stderr
    report = json.loads(visigns.stdout)
    assert sum(report[group]["samples"] for group in ("VS-S", "VS-D", "non-VS")) == report["overall"]["samples"] == 18
    no_close_pairs = run_cli("visigns", str(folder), "--embedder", "glove", "--gap", "-1")  # VS-S, VS-D empty
    assert no_close_pairs.returncode == 0, no_close_pairs.stderr
    assert "nan" not in no_close_pairs.stdout and "no test sample fell in VS-S, VS-D" in no_close_pairs.stdout


def test_a_killed_run_resumes_to_the_same_metrics(tmp_path):
    straight = tmp_path / "straight"
    assert run(straight, "--epochs", "4", "--batch-size", "8").returncode == 0
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "slrbench", "run", *SMALL, "--out", str(killed), "--epochs", "4", "--batch-size", "8"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "SLRBENCH_CACHE": str(tmp_path / "cache")})
    history = killed / "history.csv"
    while process.poll() is None and not (history.is_file() and len(pd.read_csv(history)) >= 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(pd.read_csv(history)) < 4, "the run finished before it could be killed"
    resumed = run(killed, "--epochs", "4", "--batch-size", "8", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    first, second = (json.loads((folder / "metrics.json").read_text()) for folder in (straight, killed))
    assert first == second
    assert pd.read_csv(straight / "history.csv")["loss"].tolist() == pd.read_csv(history)["loss"].tolist()


# A backbone without BatchNorm (timm's ConvNeXt uses LayerNorm): BatchNorm running statistics
# follow rank 0 under DDP on CPU (SyncBatchNorm needs CUDA), the one thing that would differ.
DDP_MODEL = ["--backbone", "timm-frames", "-o", "backbone.model=convnext_atto", "-o", "backbone.stream=keypoints",
             "--smoother", "lang", "--mixup", "sign"]


@pytest.mark.skipif(sys.platform != "linux", reason="gloo process groups are tested on Linux")
def test_two_processes_match_one_process_with_the_same_global_batch(tmp_path):
    """DDP (2 CPU processes, gloo, 4 clips each) vs 1 process accumulating 2 x 4 clips.

    Stated tolerance: epoch losses and test top-1 / top-5 agree to 1e-3 (relative for losses,
    percentage points for metrics): only the order of floating-point sums differs.
    """
    single = tmp_path / "single"
    result = run(single, "--epochs", "2", "--batch-size", "8", "--micro-batch-size", "4", model=DDP_MODEL)
    assert result.returncode == 0, result.stderr
    ddp = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "slrbench", "run", *DATA, *DDP_MODEL, "--out", str(ddp), "--epochs", "2", "--batch-size", "8"]
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, "SLRBENCH_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((ddp / "config.json").read_text())
    assert config["world_size"] == 2 and config["effective_batch_size"] == 8 and config["micro_batch_size"] == 4
    losses = [pd.read_csv(folder / "history.csv")["loss"] for folder in (single, ddp)]
    assert (abs(losses[0] - losses[1]) <= 1e-3 * losses[0].abs()).all()
    metrics = [json.loads((folder / "metrics.json").read_text()) for folder in (single, ddp)]
    for key in ("per_instance_top1", "per_instance_top5", "per_class_top1", "per_class_top5"):
        assert abs(metrics[0][key] - metrics[1][key]) <= 1e-3, key
