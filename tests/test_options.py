"""Options: `-o KIND.KEY=VALUE`, `--config FILE.toml` with the same keys, validation before work."""
from __future__ import annotations

import json

import pytest

from helpers import run_cli
from slrbench.config import parse_assignments, parse_value
from slrbench.errors import UsageError

KINDS = {"smoother": "smoother", "smoothers": "smoother", "backbone": "backbone"}
RUN = ["run", "--dry-run", "--json", "--benchmark", "manifest", "--backbone", "posegcn", "--smoother", "vanilla",
       "--mixup", "intra", "--embedder", "precomputed", "-o", "embedder.path=vectors.npz"]


@pytest.mark.parametrize("text, value", [
    ("0.1", 0.1), ("1e-3", 0.001), ("64", 64), ("true", True), ("[1, 2]", [1, 2]), ("lang", "lang"),
    ('"quoted"', "quoted"), ("some/path.npz", "some/path.npz"),
])
def test_values_are_read_as_toml_literals_else_strings(text, value):
    assert parse_value(text) == value


def test_assignments_group_by_singular_kind():
    parsed = parse_assignments(["smoothers.epsilon=0.1", "smoother.temperature = 2", "backbone.width=32"], KINDS)
    assert parsed == {"smoother": {"epsilon": 0.1, "temperature": 2}, "backbone": {"width": 32}}


@pytest.mark.parametrize("bad", ["epsilon=0.1", "smoother.epsilon", "=1", "smoother.=1"])
def test_malformed_assignments_are_usage_errors(bad):
    with pytest.raises(UsageError, match="must look like KIND.KEY=VALUE"):
        parse_assignments([bad], KINDS)


def test_unknown_kind_in_an_assignment():
    with pytest.raises(UsageError, match="unknown kind 'smoothr'"):
        parse_assignments(["smoothr.epsilon=1"], KINDS)


def test_a_bad_value_prints_one_line_per_field_and_exits_2():
    result = run_cli(*RUN, "-o", "smoother.epsilon=1.5", "-o", "mixup.alpha=0", "-o", "backbone.widht=8")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: backbone.widht: unknown option; known options: " + ", ".join(_posegcn_options()),
        "error: smoother.epsilon: must be less than 1 (got 1.5)",
        "error: mixup.alpha: must be greater than 0 (got 0)",
    ]


def _posegcn_options() -> list[str]:
    from slrbench.registry import default_registry

    return list(default_registry().get("backbones", "posegcn").spec.config.model_fields)


def test_unknown_plugin_names_are_all_reported_with_suggestions():
    result = run_cli("run", "--dry-run", "--benchmark", "manifst", "--smoother", "vanila", "--backbone", "posegcn",
                     "--mixup", "intra", "--embedder", "precomputed", "-o", "embedder.path=v.npz")
    assert result.returncode == 2
    assert "error: unknown benchmark 'manifst' (did you mean 'manifest'?)" in result.stderr
    assert "error: unknown smoother 'vanila' (did you mean 'vanilla'?); available: none, vanilla, lang, spelling" in result.stderr


def test_run_settings_are_validated():
    result = run_cli(*RUN, "--crops", "2", "--epochs", "0")
    assert result.returncode == 2
    assert "error: run.epochs: must be greater than or equal to 1 (got 0)" in result.stderr
    assert "error: run.crops: must be 1 or 3 (got 2)" in result.stderr


def test_config_file_and_flags_agree_and_flags_win(tmp_path):
    config = tmp_path / "recipe.toml"
    config.write_text(
        'benchmark = "manifest"\nepochs = 7\n'
        '[backbone]\nname = "posegcn"\nwidth = 16\n'
        '[smoother]\nname = "vanilla"\nepsilon = 0.1\n'
        '[mixup]\nname = "intra"\n'
        '[embedder]\nname = "precomputed"\npath = "vectors.npz"\n'
    )
    from_file = json.loads(run_cli("run", "--dry-run", "--json", "--config", str(config)).stdout)
    from_flags = json.loads(run_cli(*RUN, "--epochs", "7", "-o", "backbone.width=16", "-o", "smoother.epsilon=0.1").stdout)
    assert from_file == from_flags
    assert from_file["plugins"]["smoother"] == {"name": "vanilla", "options": {"epsilon": 0.1}}
    assert from_file["plugins"]["dataset"]["name"] == "manifest"
    overridden = json.loads(run_cli("run", "--dry-run", "--json", "--config", str(config), "--epochs", "3",
                                    "-o", "smoother.epsilon=0.05").stdout)
    assert overridden["settings"]["epochs"] == 3
    assert overridden["plugins"]["smoother"]["options"]["epsilon"] == 0.05


def test_config_file_errors_name_the_file(tmp_path):
    missing = run_cli("run", "--dry-run", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and f"config file {tmp_path / 'nope.toml'} does not exist" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("epochs = = 3\n")
    result = run_cli("run", "--dry-run", "--config", str(broken))
    assert result.returncode == 2 and f"config file {broken} is not valid TOML" in result.stderr
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("epoch = 3\n")
    result = run_cli("run", "--dry-run", "--config", str(unknown))
    assert "error: run.epoch: unknown option; known options: benchmark" in result.stderr


def test_bad_run_input_is_one_line_before_training(tmp_path):
    """Issue 7's list: a missing data root, an embedder without its model file, lang without glosses."""
    no_root = run_cli("run", "--benchmark", "wlasl100", "--backbone", "keypoint-64", "--smoother", "vanilla",
                      "--mixup", "none", "--data-root", str(tmp_path / "nowhere"), "--epochs", "1")
    assert no_root.returncode == 2 and "WLASL_v0.3.json" in no_root.stderr
    assert len(no_root.stderr.strip().splitlines()) == 1
    no_model = run_cli("run", "--smoother", "lang", "--embedder", "fasttext", "--out", str(tmp_path / "a"),
                       "-o", "embedder.path=" + str(tmp_path / "cc.en.300.bin"), "--epochs", "1")
    assert no_model.returncode == 2 and "cc.en.300.bin does not exist" in no_model.stderr
    missing_path = run_cli("run", "--embedder", "fasttext", "--dry-run")
    assert missing_path.returncode == 2 and "embedder.path: required option is missing" in missing_path.stderr
    assert not (tmp_path / "a" / "checkpoint").exists()


def test_every_recipe_variant_resolves():
    import tomllib
    from pathlib import Path

    recipes = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.toml"))
    assert len(recipes) >= 12
    for recipe in recipes:
        for variant in tomllib.loads(recipe.read_text())["variants"]:
            result = run_cli("run", "--dry-run", "--json", "--config", str(recipe), "--variant", variant)
            assert result.returncode == 0, (recipe.name, variant, result.stderr)
            assert json.loads(result.stdout)["settings"]["variant"] == variant


def test_a_variant_naming_another_plugin_replaces_its_options(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('benchmark = "synthetic"\n[smoother]\nname = "lang"\ntemperature = 0.3\n'
                      '[variants.plain]\nsmoother = { name = "vanilla", epsilon = 0.1 }\n'
                      '[variants.hotter]\nsmoother = { temperature = 0.9 }\n')
    plain = json.loads(run_cli("run", "--dry-run", "--json", "--config", str(recipe), "--variant", "plain").stdout)
    assert plain["plugins"]["smoother"] == {"name": "vanilla", "options": {"epsilon": 0.1}}
    hotter = json.loads(run_cli("run", "--dry-run", "--json", "--config", str(recipe), "--variant", "hotter").stdout)
    assert hotter["plugins"]["smoother"]["options"] == {"epsilon": 0.2, "temperature": 0.9}
    missing = run_cli("run", "--dry-run", "--config", str(recipe))
    assert missing.returncode == 2 and "choose one with --variant: plain, hotter" in missing.stderr
