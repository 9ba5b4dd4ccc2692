"""`slrbench compare`: groups of fake-but-valid run directories, compared from predictions.parquet."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import run_cli
from slrbench.data.synthetic import GLOSSES
from slrbench.evaluation.metrics import compute_metrics
from slrbench.evaluation.predictions import predictions_table, read_predictions, write_predictions
from slrbench.evaluation.rundir import write_json

NUM_SAMPLES = 200
LABELS = np.arange(NUM_SAMPLES) % len(GLOSSES)  # 10 test samples per gloss


def fake_probabilities(accuracy: float, seed: int, num_samples: int = NUM_SAMPLES) -> np.ndarray:
    """(M, N): the label ranks first with probability `accuracy`, else another class does; samples
    of 'cold' that go wrong put 'winter' a close second (a VS-S pair in GloVe)."""
    rng = np.random.default_rng(seed)
    labels = LABELS[:num_samples]
    logits = rng.normal(size=(num_samples, len(GLOSSES)))
    rows = np.arange(num_samples)
    right = rng.random(num_samples) < accuracy
    wrong_class = (labels + rng.integers(1, len(GLOSSES), num_samples)) % len(GLOSSES)
    winner = np.where(right, labels, wrong_class)
    logits[rows, winner] = logits.max(axis=1) + 1.5
    cold, winter = GLOSSES.index("cold"), GLOSSES.index("winter")
    confused = (labels == cold) & ~right
    logits[confused, winter] = logits[confused].max(axis=1) + 0.1
    logits[confused, cold] = logits[confused, winter] - 0.05
    probabilities = np.exp(logits)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def make_run(folder: Path, variant: str | None, seed: int, accuracy: float, *, data_seed: int | None = None,
             sample_prefix: str = "s", backbone: str = "vknet") -> Path:
    probabilities = fake_probabilities(accuracy, seed if data_seed is None else data_seed)
    labels = LABELS[:len(probabilities)]
    folder.mkdir(parents=True)
    plugins = {"dataset": "synthetic", "backbone": backbone, "smoother": "lang", "mixup": "sign", "embedder": "glove"}
    write_json(folder / "config.json", {"plan": {
        "settings": {"variant": variant, "seed": seed, "benchmark": "synthetic", **plugins},
        "plugins": {kind: {"name": name, "options": {}} for kind, name in plugins.items()}}})
    write_json(folder / "class_names.json", list(GLOSSES))
    write_json(folder / "metrics.json", compute_metrics(probabilities, labels, len(GLOSSES)).as_dict())
    table = predictions_table([f"{sample_prefix}{i:04d}" for i in range(len(labels))], labels, probabilities,
                              {"f": probabilities[np.arange(len(labels)), labels]})
    write_predictions(folder, table, {"num_classes": len(GLOSSES), "split": "test", "crops": 1})
    return folder


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A study layout: DIR/<variant>/seed-<s>/, 'good' right 80 % of the time, 'bad' 50 %, and
    'same' holding the very predictions of 'bad'."""
    root = tmp_path_factory.mktemp("study")
    for seed in (1, 2, 3):
        make_run(root / "bad" / f"seed-{seed}", "bad", seed, 0.5)
        make_run(root / "good" / f"seed-{seed}", "good", seed, 0.8, data_seed=100 + seed)
        make_run(root / "same" / f"seed-{seed}", "same", seed, 0.5)
    return root


def csv_of(result) -> pd.DataFrame:
    assert result.returncode == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout))


def top1_of(folder: Path) -> float:
    table, _ = read_predictions(folder)
    return 100 * float((table["pred_1"] == table["label"]).mean())


def test_csv_means_match_hand_computation_and_good_beats_bad(study):
    table = csv_of(run_cli("compare", str(study), "--format", "csv"))
    top1 = table[(table["metric"] == "per_instance_top1") & (table["subset"] == "all")].set_index("group")
    assert list(top1.index) == ["bad", "good", "same"]  # order of appearance; the first is the baseline
    assert top1.loc["bad", "baseline"] and not top1.loc["good", "baseline"]
    for group in ("bad", "good"):
        by_hand = [top1_of(study / group / f"seed-{seed}") for seed in (1, 2, 3)]
        assert top1.loc[group, "mean"] == pytest.approx(np.mean(by_hand), abs=1e-4)
        assert top1.loc[group, "std"] == pytest.approx(np.std(by_hand, ddof=1), abs=1e-4)
        assert top1.loc[group, "ci_low"] < top1.loc[group, "mean"] < top1.loc[group, "ci_high"]
        assert top1.loc[group, "runs"] == 3 and top1.loc[group, "seeds"] == "1;2;3"
    assert top1.loc["good", "diff"] == pytest.approx(top1.loc["good", "mean"] - top1.loc["bad", "mean"], abs=1e-4)
    assert top1.loc["good", "p_holm"] < 0.01 and top1.loc["good", "significant"]
    assert top1.loc["good", "test"] == "paired bootstrap"
    assert top1.loc["same", "diff"] == 0 and top1.loc["same", "p"] == 1 and not top1.loc["same", "significant"]
    assert set(table["metric"]) == {"per_instance_top1", "per_instance_top5", "per_class_top1", "per_class_top5"}


def test_markdown_names_groups_and_the_significant_difference(study, tmp_path):
    plot = tmp_path / "compare.png"
    result = run_cli("compare", str(study), "--baseline", "same", "--plot", str(plot))
    assert result.returncode == 0, result.stderr
    assert "| same (baseline) | 3" in result.stdout
    assert "| vs same" in result.stdout and "paired bootstrap" in result.stdout
    assert "significant at 5 % after Holm (per-instance top-1): good (+" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*partial*"))


def test_a_study_records_the_variant_order_and_so_the_default_baseline(study, tmp_path):
    for variant in ("bad", "good"):
        shutil.copytree(study / variant, tmp_path / "study" / variant)
    write_json(tmp_path / "study" / "study.json", {"variants": ["good", "bad"], "seeds": [1, 2, 3]})
    table = csv_of(run_cli("compare", str(tmp_path / "study"), "--format", "csv"))
    assert table["group"].iloc[0] == "good" and table["baseline"].iloc[0]


def test_latex_is_a_booktabs_tabular_with_comment_notes(study):
    result = run_cli("compare", str(study / "bad"), str(study / "same"), "--by", "dir", "--format", "latex")
    assert result.returncode == 0, result.stderr
    assert "\\begin{tabular}" in result.stdout and "\\toprule" in result.stdout and "$\\pm$" in result.stdout
    assert "bad (baseline) & 3 & 1, 2, 3 &" in result.stdout  # --by dir: each DIR is a group
    assert "% no difference from bad is significant at 5 % after Holm" in result.stdout


def test_two_single_runs_use_the_exact_mcnemar_test(study):
    table = csv_of(run_cli("compare", str(study / "bad" / "seed-1"), str(study / "good" / "seed-1"),
                           "--format", "csv"))
    tests = table.set_index(["group", "metric"])["test"]
    assert tests[("good", "per_instance_top1")] == "McNemar (exact)"
    assert tests[("good", "per_class_top1")] == "paired bootstrap"  # McNemar has no per-class form


def test_grouping_by_backbone_and_the_eval_folder(study, tmp_path):
    shutil.copytree(study / "bad", tmp_path / "runs" / "bad")
    make_run(tmp_path / "runs" / "other" / "seed-1", None, 1, 0.8, backbone="posegcn")
    evaluation = tmp_path / "runs" / "other" / "seed-1" / "eval-crops3"
    evaluation.mkdir()
    shutil.copy(study / "good" / "seed-1" / "predictions.parquet", evaluation)
    shutil.copy(study / "good" / "seed-1" / "metrics.json", evaluation)
    table = csv_of(run_cli("compare", str(tmp_path / "runs"), "--by", "backbone", "--format", "csv"))
    assert set(table["group"]) == {"vknet", "posegcn"}
    result = run_cli("compare", str(tmp_path / "runs"), "--eval", "eval-crops3", "--format", "csv")
    table = csv_of(result)
    assert set(table["group"]) == {"other"}  # no variant: the parent folder names the group
    top1 = table[table["metric"] == "per_instance_top1"]["mean"].iloc[0]
    assert top1 == pytest.approx(top1_of(study / "good" / "seed-1"), abs=1e-4)
    assert result.stderr.count("skipped") == 3 and "eval-crops3" in result.stderr


def test_unfinished_run_is_skipped_and_repeated_seed_warned(study, tmp_path):
    shutil.copytree(study / "bad", tmp_path / "bad")
    shutil.copytree(study / "bad" / "seed-1", tmp_path / "bad" / "seed-1-again")
    (tmp_path / "bad" / "seed-4").mkdir()
    write_json(tmp_path / "bad" / "seed-4" / "config.json", {"plan": {"settings": {}, "plugins": {}}})
    result = run_cli("compare", str(tmp_path / "bad"), "--format", "csv")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("skipped" in line and "seed-4" in line for line in lines)
    assert any("seed 1 2 times" in line for line in lines)


def test_runs_on_other_samples_give_one_error_line(study, tmp_path):
    make_run(tmp_path / "other-data", "other", 1, 0.5, sample_prefix="x")
    result = run_cli("compare", str(study / "bad"), str(tmp_path / "other-data"))
    assert result.returncode == 2
    assert result.stderr.count("error:") == 1 and "different test samples" in result.stderr
    assert "other-data" in result.stderr


def test_bad_input_is_one_line(study):
    result = run_cli("compare", str(study), "--baseline", "god")
    assert result.returncode == 2 and "did you mean 'good'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("compare", str(study), "-o", "embedder.path=x")
    assert result.returncode == 2 and "--visigns" in result.stderr


def test_visigns_split_by_the_baseline_with_glove(study):
    result = run_cli("compare", str(study / "bad"), str(study / "good"), "--visigns", "--format", "csv",
                     env={"SLRBENCH_CACHE": str(study / "cache")})
    table = csv_of(result)
    visigns = table[table["subset"].isin(["VS-S", "VS-D", "non-VS"])].set_index(["group", "subset"])
    assert set(visigns.index) == {(g, s) for g in ("bad", "good") for s in ("VS-S", "VS-D", "non-VS")}
    assert visigns.loc[("bad", "VS-S"), "samples"] > 0  # the cold / winter confusions
    assert visigns["samples"].groupby("subset").first().sum() == pytest.approx(NUM_SAMPLES, abs=0.01)
    markdown = run_cli("compare", str(study / "bad"), str(study / "good"), "--visigns",
                       env={"SLRBENCH_CACHE": str(study / "cache")})
    assert markdown.returncode == 0, markdown.stderr
    assert "VS-S (n" in markdown.stdout and "| vs bad | subset |" in markdown.stdout
    assert any(line.startswith("| good ") and "| VS-D " in line for line in markdown.stdout.splitlines())
