"""Swapping a plugin from the default command keeps the recipe's other choices and drops the
replaced plugin's options (issue 18); every registered plugin resolves from `slrbench run --KIND
NAME --dry-run`, and every backbone trains one tiny epoch."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slrbench.cli.app import app
from slrbench.plugin_swap import merge_plugin_options
from slrbench.registry import default_registry

DATA = ["--benchmark", "synthetic", "--embedder", "glove", "--workers", "0", "--epochs", "1", "--batch-size", "4",
        "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=2", "-o", "dataset.val_per_class=1",
        "-o", "dataset.test_per_class=1", "-o", "dataset.frame_size=32", "-o", "run.num_frames=16",
        "-o", "run.video_size=64", "-o", "run.heatmap_size=32", "--smoother", "vanilla", "--mixup", "none"]


def slrbench(*args: str):
    return CliRunner().invoke(app, list(args))


def names(kind: str) -> list[str]:
    return list(default_registry().plugins(kind))


def test_a_swap_drops_the_replaced_plugins_recipe_options_only():
    merged, notes = merge_plugin_options(
        {"backbone": {"width": 0.125, "bn_momentum": 0.1}, "smoother": {"epsilon": 0.3}},
        {"backbone": {"blocks": 2}},
        {"backbone": "vknet-64", "smoother": "lang"}, {"backbone": "posegcn", "smoother": "lang"})
    assert merged == {"backbone": {"blocks": 2}, "smoother": {"epsilon": 0.3}}
    assert notes == ["backbone 'posegcn' replaces the recipe's 'vknet-64': its options bn_momentum, width are dropped"]
    same, quiet = merge_plugin_options({"backbone": {"width": 0.125}}, {"backbone": {"width": 0.25}},
                                       {"backbone": "vknet-64"}, {"backbone": "vknet-64"})
    assert same == {"backbone": {"width": 0.25}} and quiet == []


def test_the_default_command_with_another_backbone_keeps_the_rest_of_the_recipe():
    result = slrbench("run", "--backbone", "posegcn", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["plugins"]["backbone"]["name"] == "posegcn"
    assert plan["plugins"]["smoother"]["name"] == "lang" and plan["settings"]["epochs"] == 8  # the demo's
    assert plan["notes"] == ["backbone 'posegcn' replaces the recipe's 'vknet-64': its options bn_momentum, "
                             "video_keypoint_laterals, width are dropped"]


def test_command_line_options_follow_the_new_plugin_and_a_misfit_is_still_an_error():
    fitting = slrbench("run", "-o", "backbone.name=posegcn", "-o", "backbone.blocks=2", "--dry-run", "--json")
    assert fitting.exit_code == 0, fitting.output
    assert json.loads(fitting.output)["plugins"]["backbone"]["options"]["blocks"] == 2
    misfit = slrbench("run", "--backbone", "posegcn", "-o", "backbone.bn_momentum=0.5", "--dry-run")
    assert misfit.exit_code == 2
    assert "backbone.bn_momentum: unknown option; known options: width, blocks, dropout, use_scores" in misfit.output


@pytest.mark.parametrize("kind", ["backbones", "smoothers", "mixups", "embedders"])
def test_every_registered_plugin_resolves_from_the_default_command(kind, tmp_path):
    from embedder_models import train_fasttext, train_word2vec

    needs_file = {"fasttext": lambda: train_fasttext(tmp_path), "word2vec": lambda: train_word2vec(tmp_path),
                  "precomputed": lambda: _gloss_file(tmp_path / "glosses.json")}
    flag = f"--{kind.removesuffix('s')}"
    for name in names(kind):
        extra = ["-o", f"embedder.path={needs_file[name]()}"] if name in needs_file else []
        result = slrbench("run", flag, name, *extra, "--dry-run", "--json")
        assert result.exit_code == 0, f"{flag} {name}: {result.output}"
        assert json.loads(result.output)["plugins"][kind.removesuffix("s")]["name"] == name


def _gloss_file(path: Path) -> Path:
    path.write_text(json.dumps({"cold": [1.0, 0.0], "winter": [0.9, 0.1]}))
    return path


@pytest.mark.parametrize("backbone", names("backbones"))
def test_every_backbone_trains_one_tiny_epoch(backbone, tmp_path, one_torch_thread):
    small = default_registry().get("backbones", backbone).spec.test_options
    options = [item for key, value in small.items() for item in ("-o", f"backbone.{key}={value}")]
    result = slrbench("run", *DATA, "--backbone", backbone, *options, "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["num_samples"] == 4 and 0 <= metrics["per_instance_top1"] <= 100


def test_a_recipe_with_a_wrongly_typed_name_is_still_one_line(tmp_path):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text("benchmark = 5\n[backbone]\nname = 7\nwidth = 0.5\n")
    result = slrbench("run", "--config", str(recipe), "--backbone", "posegcn", "--dry-run")
    assert result.exit_code == 2 and "benchmark" in result.output and "Traceback" not in result.output
