"""Runs on the reference's bundle: the paper recipes read its word vectors, a short training run and
`eval` on a bundle of each schema, and a checkpoint in the reference's key layout imported with
`--data-root` on a bundle, then evaluated on its test split."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from bundle_fixtures import WLASL_WORDS, write_msasl_bundle, write_nmfs_csl_bundle, write_wlasl_bundle
from data_roots import reference_state_dict_shapes, wlasl_root
from helpers import run_cli
from slrbench.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
TINY = """
epochs = 1
batch_size = 4
num_frames = 16
video_size = 64
heatmap_size = 32
workers = 0
seed = 4
data_word_vectors = true

[backbone]
name = "vknet-64"
width = 0.125

[smoother]
name = "{smoother}"

[mixup]
name = "{mixup}"

[embedder]
name = "fasttext"
path = "models/not-here.bin"
"""


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bundles")
    return {"wlasl": write_wlasl_bundle(folder / "wlasl"), "msasl": write_msasl_bundle(folder / "msasl"),
            "nmfs-csl": write_nmfs_csl_bundle(folder / "nmfs-csl")}


def dry_run(*args: str) -> dict:
    result = CliRunner().invoke(app, ["run", "--dry-run", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("variant, dataset, vectors", [
    ("wlasl300", "wlasl", "wlasl_word_embeddings.pkl"), ("msasl100", "msasl", "msasl_word_embeddings_fasttext.pkl")])
def test_paper_recipes_read_the_bundles_word_vectors_unless_the_command_line_chooses(bundles, variant, dataset,
                                                                                    vectors):
    recipe = ["--config", str(ROOT / "benchmarks" / "main.toml"), "--variant", variant]
    plan = dry_run(*recipe, "--data-root", str(bundles[dataset]))
    assert plan["plugins"]["embedder"] == {"name": "precomputed", "options": {
        "path": str(bundles[dataset] / vectors), "on_unknown": "zero"}}
    assert any(f"the data root's word vectors {bundles[dataset] / vectors}" in note for note in plan["notes"])
    chosen = dry_run(*recipe, "--data-root", str(bundles[dataset]), "--embedder", "glove")
    assert chosen["plugins"]["embedder"]["name"] == "glove"
    assert not any("word vectors" in note for note in chosen["notes"])
    own_model = dry_run(*recipe, "--data-root", str(bundles[dataset]), "-o", "embedder.path=models/crawl.bin")
    assert own_model["plugins"]["embedder"] == {"name": "fasttext", "options": {
        "path": "models/crawl.bin", "limit": None, "on_unknown": "zero"}}


def test_recipes_keep_their_embedder_without_bundle_vectors_or_the_setting(bundles, tmp_path):
    official = dry_run("--config", str(ROOT / "benchmarks" / "main.toml"), "--variant", "wlasl100",
                       "--data-root", str(wlasl_root(tmp_path)))
    assert official["plugins"]["embedder"]["name"] == "fasttext" and not official["notes"]
    ablation = dry_run("--config", str(ROOT / "benchmarks" / "table15-embedders.toml"), "--variant", "glove",
                       "--data-root", str(bundles["wlasl"]))  # the embedder ablation compares embedders
    assert ablation["plugins"]["embedder"]["name"] == "glove"


@pytest.mark.parametrize("dataset, benchmark, smoother, mixup", [
    ("wlasl", "wlasl300", "lang", "sign"), ("msasl", "msasl200", "lang", "sign"),
    ("nmfs-csl", "nmfs-csl", "vanilla", "intra")])
def test_a_short_run_and_eval_on_a_bundle_of_each_schema(bundles, tmp_path, dataset, benchmark, smoother, mixup):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY.format(smoother=smoother, mixup=mixup))
    out = tmp_path / "run"
    env = {"SLRBENCH_CACHE": str(tmp_path / "cache")}
    result = run_cli("run", "--config", str(recipe), "--benchmark", benchmark, "--data-root", str(bundles[dataset]),
                     "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    config = json.loads((out / "config.json").read_text())
    embedder = config["plan"]["plugins"]["embedder"]
    if dataset == "nmfs-csl":  # no word vectors in its bundle: the recipe's embedder, which nothing needs
        assert embedder["name"] == "fasttext"
    else:
        assert embedder["name"] == "precomputed" and embedder["options"]["path"].startswith(str(bundles[dataset]))
    metrics = json.loads((out / "metrics.json").read_text())
    test_samples = {"wlasl": 8, "msasl": 10, "nmfs-csl": 8}[dataset]
    assert metrics["num_samples"] == test_samples and not metrics.get("skipped_samples")
    evaluated = run_cli("eval", str(out), "--crops", "3", env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads((out / "eval-crops3" / "metrics.json").read_text())["num_samples"] == test_samples


def reference_checkpoint(tmp_path: Path, layout: str, classes: int) -> Path:
    """A checkpoint in the reference's key layout whose backbone is zeros and whose FC1 bias of row r
    is r: every clip is predicted as the reference's last row, which names the class it is for."""
    shapes = {key: tuple(classes if size == 2000 else size for size in shape)
              for key, shape in reference_state_dict_shapes(layout).items()}
    state = {key: torch.zeros(()).expand(shape).clone() if shape else torch.tensor(0) for key, shape in shapes.items()}
    (bias,) = [key for key in state if key.endswith("gloss_output_layer.bias")]  # visual_head(_keypoint)
    state[bias] = torch.arange(classes, dtype=torch.float32)
    file = tmp_path / f"{layout}.ckpt"
    torch.save({"epoch": 99, "model_state": state}, file)
    return file


@pytest.mark.parametrize("dataset, benchmark, layout, last_class", [
    ("wlasl", "wlasl300", "rgb_frame64", sorted(WLASL_WORDS)[-1]),
    ("msasl", "msasl100", "pose_frame64", None),
    ("nmfs-csl", "nmfs-csl", "pose_frame64", None)])
def test_an_imported_reference_checkpoint_evaluates_on_the_bundles_test_split(bundles, tmp_path, dataset, benchmark,
                                                                             layout, last_class):
    classes = {"wlasl": 4, "msasl": 100, "nmfs-csl": 4}[dataset]
    out = tmp_path / "imported"
    result = run_cli("import-checkpoint", "--from", "nla-slr", str(reference_checkpoint(tmp_path, layout, classes)),
                     "--out", str(out), "--benchmark", benchmark, "--data-root", str(bundles[dataset]))
    assert result.returncode == 0, result.stderr
    assert "rows kept in order" in " ".join(result.stdout.split())  # the bundle numbers classes as the reference
    evaluated = run_cli("eval", str(out))
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads((out / "eval-crops1" / "metrics.json").read_text())
    assert metrics["num_samples"] == 8 and metrics["num_classes"] == classes
    # every clip goes to the reference's last row: right for the test clips of the class it names only
    per_class = pd.read_csv(out / "eval-crops1" / "per_class.csv")
    tested = per_class[per_class["samples"] > 0]
    if dataset == "msasl":  # row 99 is 'sign099', a class without test clips: nothing is right
        assert (tested["top1"] == 0).all() and metrics["per_instance_top1"] == 0
    else:  # the last of the sorted training labels ('water'; NMFs-CSL: label 12), class 3 of 4 here
        assert tested.set_index("class")["top1"].to_dict() == {0: 0, 1: 0, 2: 0, 3: 100}
        assert metrics["per_instance_top1"] == 25
    if last_class is not None:
        names = json.loads((out / "class_names.json").read_text())
        assert names[-1] == last_class and names == sorted(WLASL_WORDS)
