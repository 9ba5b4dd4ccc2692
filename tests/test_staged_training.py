"""Staged training: `--init-from`, a recipe's `[stages]` and `--stage all`, end to end on the
synthetic benchmark (single streams -> VKNet-64), and the paper recipe's chain and warnings."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from helpers import run_cli

RECIPE = """
benchmark = "synthetic"
epochs = 1
batch_size = 8
num_frames = 16
video_size = 64
heatmap_size = 32
workers = 0
seed = 5
stages_dir = "{stages}"
out = "{out}"
init_from = ["stage:video-64", "stage:keypoint-64"]

[dataset]
num_classes = 4
train_per_class = 4
val_per_class = 1
test_per_class = 2
frame_size = 64

[backbone]
name = "vknet-64"
width = 0.125

[smoother]
name = "lang"

[mixup]
name = "sign"

[embedder]
name = "glove"

[stages.video-64]
backbone = {{ name = "video-64", width = 0.125 }}

[stages.keypoint-64]
backbone = {{ name = "keypoint-64", width = 0.125 }}
"""


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """One `--stage all` of a three-step recipe: video-64, keypoint-64, then VKNet-64 from both."""
    folder = tmp_path_factory.mktemp("staged")
    recipe = folder / "recipe.toml"
    recipe.write_text(RECIPE.format(stages=folder / "stages", out=folder / "final"))
    env = {"SLRBENCH_CACHE": str(folder / "cache")}
    result = run_cli("run", "--config", str(recipe), "--stage", "all", env=env)
    assert result.returncode == 0, result.stderr
    return folder, recipe, env, result


def test_stage_all_trains_every_stage_then_the_run(staged):
    folder, _, _, result = staged
    for run in (folder / "stages" / "video-64", folder / "stages" / "keypoint-64", folder / "final"):
        assert (run / "metrics.json").is_file(), run
    assert result.stdout.index("stage video-64") < result.stdout.index("stage keypoint-64") < result.stdout.index("init:")
    config = json.loads((folder / "final" / "config.json").read_text())
    assert config["plan"]["settings"]["init_from"] == [str(folder / "stages" / "video-64"),
                                                       str(folder / "stages" / "keypoint-64")]
    stage_config = json.loads((folder / "stages" / "video-64" / "config.json").read_text())
    assert stage_config["plan"]["settings"]["stage"] == "video-64"
    assert stage_config["plan"]["plugins"]["backbone"]["name"] == "video-64"


def test_the_init_report_lists_loaded_and_fresh_tensors_by_source(staged):
    folder = staged[0]
    report = json.loads((folder / "final" / "init_report.json").read_text())
    video, keypoint = str(folder / "stages" / "video-64"), str(folder / "stages" / "keypoint-64")
    loaded = report["loaded"]
    assert loaded["backbone.video64.b1.0.conv_s.weight"] == video
    assert loaded["backbone.keypoint64.b5.2.branch3.1.conv.weight"] == keypoint
    assert loaded["heads.classifiers.v64.weight"] == video and loaded["heads.classifiers.k64.weight"] == keypoint
    assert not any(key.startswith("backbone.video_keypoint_64.") for key in loaded)
    fresh = set(report["fresh"])
    assert {"backbone.video_keypoint_64.to_small.0.weight", "heads.classifiers.f64.weight"} <= fresh
    assert report["counts"] == {"loaded": len(loaded), "fresh": len(report["fresh"]), "skipped": len(report["skipped"])}


def _fresh_model(folder: Path, seed: int = 5):
    """The final run's model, built afresh from its recorded plan (no --init-from applied)."""
    from slrbench.registry import default_registry
    from slrbench.runconfig import RunPlan
    from slrbench.training.build import build_parts

    record = json.loads((folder / "final" / "config.json").read_text())
    torch.manual_seed(seed)
    return build_parts(default_registry(), RunPlan.read(record["plan"], default_registry(), "config.json"),
                       cache_dir=folder / "cache")


def test_init_from_copies_every_stream_tensor_of_the_single_stream_runs(staged):
    from slrbench.training.initialise import initialise_from_runs

    folder = staged[0]
    parts = _fresh_model(folder)
    before = {key: value.clone() for key, value in parts.model.state_dict().items()}
    sources = [folder / "stages" / "video-64", folder / "stages" / "keypoint-64"]
    initialise_from_runs(parts.model, sources, parts.class_names)
    after = parts.model.state_dict()
    for source in sources:
        weights = load_file(str(source / "best" / "model.safetensors"))
        for key, value in weights.items():
            assert torch.equal(after[key], value), key
    lateral = "backbone.video_keypoint_64.to_large.0.weight"
    assert torch.equal(after[lateral], before[lateral])  # laterals keep their fresh initialisation


def test_a_model_of_other_classes_gives_everything_but_its_classifiers(staged):
    from slrbench.training.initialise import initialise_from_runs

    folder = staged[0]
    parts = _fresh_model(folder)
    before = parts.model.state_dict()["heads.classifiers.f64.weight"].clone()
    other_classes = ["gloss-a", "gloss-b", "gloss-c", "gloss-d"]
    report = initialise_from_runs(parts.model, [folder / "final"], other_classes)
    assert report.skipped[f"{folder / 'final'}: heads.classifiers.f64.weight"] == "class-dependent, trained on other classes"
    assert "backbone.video_keypoint_64.to_small.0.weight" in report.loaded
    assert torch.equal(parts.model.state_dict()["heads.classifiers.f64.weight"], before)


def test_finished_stages_are_not_trained_again(staged):
    folder, recipe, env, _ = staged
    result = run_cli("run", "--config", str(recipe), "--stage", "all", "--out", str(folder / "again"), env=env)
    assert result.returncode == 0, result.stderr
    assert "stage video-64" not in result.stdout and (folder / "again" / "metrics.json").is_file()


def test_a_shape_mismatch_is_one_line_before_training(staged, tmp_path):
    folder, recipe, env, _ = staged
    out = tmp_path / "wider"
    result = run_cli("run", "--config", str(recipe), "-o", "backbone.width=0.25", "--out", str(out), env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "has shape" in result.stderr and "in this model" in result.stderr
    assert not out.exists()


def test_a_missing_stage_is_one_line_naming_the_command(tmp_path):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(RECIPE.format(stages=tmp_path / "stages", out=tmp_path / "final"))
    result = run_cli("run", "--config", str(recipe))
    assert result.returncode == 2 and "--stage all" in result.stderr and "video-64" in result.stderr
    unknown = run_cli("run", "--config", str(recipe), "--stage", "video-128", "--dry-run")
    assert unknown.returncode == 2 and "stages: video-64, keypoint-64" in unknown.stderr
    assert not (tmp_path / "stages").exists()


def test_the_paper_recipe_shows_the_kinetics_start_and_the_stage_chain():
    recipe = Path(__file__).resolve().parents[1] / "benchmarks" / "main.toml"
    result = run_cli("run", "--config", str(recipe), "--variant", "wlasl2000", "--data-root", "data/wlasl",
                     "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    chain = {row["stage"]: row for row in plan["stages"]}
    assert list(chain) == ["video-64", "keypoint-64", "vknet-64", "video-32", "keypoint-32", "vknet-32", "this run"]
    assert all(chain[s]["start"] == "kinetics_weights torchvision" for s in ("video-64", "keypoint-64", "video-32",
                                                                             "keypoint-32"))
    assert chain["vknet-64"]["start"].endswith("wlasl2000-stages/video-64, results/runs/wlasl2000-stages/keypoint-64")
    assert chain["this run"]["backbone"] == "vknet" and "vknet-32" in chain["this run"]["start"]
    assert plan["warnings"] == []
    msasl = json.loads(run_cli("run", "--config", str(recipe), "--variant", "msasl1000", "--data-root", "d",
                               "--dry-run", "--json").stdout)
    assert msasl["settings"]["init_from"] == ["results/runs/wlasl2000"] and "stages" not in msasl


def test_a_random_start_on_a_paper_benchmark_warns_and_the_table_shows_it(staged, tmp_path):
    result = run_cli("run", "--benchmark", "wlasl100", "--data-root", "data/wlasl", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "warning: not comparable with the paper: this run starts from random weights" in result.stdout
    assert "--stage all" in result.stdout
    run = tmp_path / "run"
    shutil.copytree(staged[0] / "final", run)
    config = json.loads((run / "config.json").read_text())
    assert config["warnings"] == []  # a synthetic run is not a paper run
    config["warnings"] = ["not comparable with the paper: this run starts from random weights"]
    (run / "config.json").write_text(json.dumps(config))
    table = run_cli("table", str(run))
    assert table.returncode == 0, table.stderr
    assert "†" in table.stdout.splitlines()[2]
    assert table.stdout.strip().splitlines()[-1].startswith("† ") and "random weights" in table.stdout


def test_an_error_line_keeps_its_brackets(tmp_path):
    """Error lines are text, not markup: `[stages]` reaches the user as written."""
    recipe = tmp_path / "bad.toml"
    recipe.write_text("stages = 3\n")
    result = run_cli("run", "--config", str(recipe), "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {recipe}: [stages] must hold one table per stage ([stages.NAME])"
