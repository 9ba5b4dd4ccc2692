"""`slrbench eval` builds only what inference needs and loads the run's weights strictly.

One small real run (the example plugin's ST-GCN, lang smoothing and sign mixup, so the run has an
inter-modality branch and gloss vectors from a file) is trained once and evaluated several ways.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from helpers import run_cli

DATA = ["--benchmark", "synthetic", "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=4",
        "-o", "dataset.val_per_class=1", "-o", "dataset.test_per_class=2", "-o", "dataset.frame_size=32",
        "-o", "run.num_frames=16", "-o", "run.heatmap_size=32", "-o", "run.video_size=32", "--workers", "0",
        "--seed", "5"]
MODEL = ["--backbone", "posegcn", "-o", "backbone.width=8", "-o", "backbone.blocks=2", "-o", "backbone.dropout=0",
         "--smoother", "lang", "--mixup", "sign"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished run whose gloss vectors came from a file that has since been deleted."""
    from slrbench.data.synthetic import GLOSSES

    folder = tmp_path_factory.mktemp("eval")
    vectors = folder / "vectors.json"
    vectors.write_text(json.dumps({gloss: [float(i == j) for j in range(8)] for i, gloss in enumerate(GLOSSES[:4])}))
    run_dir = folder / "run"
    result = run_cli("run", *DATA, *MODEL, "--embedder", "precomputed", "-o", f"embedder.path={vectors}",
                     "--epochs", "1", "--batch-size", "8", "--out", str(run_dir),
                     env={"SLRBENCH_CACHE": str(folder / "train-cache")})
    assert result.returncode == 0, result.stderr
    vectors.unlink()
    return run_dir


def evaluate(run_dir: Path, *extra: str):
    """`slrbench eval` with an empty embedding cache: gloss vectors could come only from the deleted file."""
    cache = run_dir.parent / "empty-cache"
    return run_cli("eval", str(run_dir), *extra, env={"SLRBENCH_CACHE": str(cache)})


def test_eval_needs_no_embedder_and_reproduces_the_runs_metrics(trained):
    result = evaluate(trained)
    assert result.returncode == 0, result.stderr
    keys = ("per_instance_top1", "per_instance_top5", "per_class_top1", "per_class_top5", "num_samples")
    run_metrics = json.loads((trained / "metrics.json").read_text())
    eval_metrics = json.loads((trained / "eval-crops1" / "metrics.json").read_text())
    assert {key: eval_metrics[key] for key in keys} == {key: run_metrics[key] for key in keys}
    assert not (trained.parent / "empty-cache").exists(), "evaluation embedded glosses"


def test_eval_of_the_last_checkpoint_accepts_its_training_only_tensors(trained, tmp_path):
    """checkpoint/ holds the branch (FC2, gloss mappers): the one difference a strict load allows."""
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    assert any(key.startswith("branch.") for key in load_file(str(copy / "checkpoint" / "model.safetensors")))
    shutil.rmtree(copy / "best")
    result = evaluate(copy)
    assert result.returncode == 0, result.stderr


def _edit_best_weights(run_dir: Path, edit) -> Path:
    path = run_dir / "best" / "model.safetensors"
    weights = load_file(str(path))
    edit(weights)
    save_file(weights, str(path))
    return path


def test_eval_stops_with_one_line_when_an_inference_tensor_is_missing(trained, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained, copy, ignore=shutil.ignore_patterns("eval-*"))
    head = next(key for key in load_file(str(copy / "best" / "model.safetensors")) if key.startswith("heads."))
    path = _edit_best_weights(copy, lambda weights: weights.pop(head))
    result = evaluate(copy)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and str(path) in lines[0] and f"lacks {head}" in lines[0]
    assert "restore the run's own weights" in lines[0]
    assert not (copy / "eval-crops1").exists()


def test_eval_stops_on_an_unexpected_key_or_a_shape_mismatch(trained, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    stray = next(iter(load_file(str(copy / "best" / "model.safetensors"))))
    path = _edit_best_weights(copy, lambda weights: weights.update({"extra.weight": weights[stray].clone()}))
    result = evaluate(copy)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"{path} does not fit" in result.stderr and "has unexpected extra.weight" in result.stderr

    def widen_a_head(weights):
        weights.pop("extra.weight")
        head = next(key for key in weights if key.startswith("heads.") and key.endswith(".bias"))
        weights[head] = weights[head].new_zeros(weights[head].shape[0] + 1)

    _edit_best_weights(copy, widen_a_head)
    result = evaluate(copy)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "has other shapes: heads." in result.stderr and "(5,) (model (4,))" in result.stderr
