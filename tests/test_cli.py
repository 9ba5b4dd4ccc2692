"""The command line: help, list, plugins and describe, and that listing never imports torch."""
from __future__ import annotations

import json
import subprocess
import sys

from helpers import run_cli


def test_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("list", "plugins", "describe", "run"):
        assert command in result.stdout


def test_help_and_list_do_not_import_torch():
    for args in (["--help"], ["list"], ["list", "--json"], ["plugins"]):
        code = (
            "import sys\nfrom slrbench.cli.app import app\n"
            f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'numpy', 'pandas', 'transformers', 'gensim') if m in sys.modules]\n"
            "sys.stderr.write(repr(heavy))\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.stderr.strip().endswith("[]"), (args, result.stderr)


def test_list_json_shows_builtins_and_the_installed_example_plugin():
    document = json.loads(run_cli("list", "--json").stdout)
    by_name = {(p["kind"], p["name"]): p for p in document["plugins"]}
    assert ("smoothers", "vanilla") in by_name and ("mixups", "intra") in by_name
    posegcn = by_name[("backbones", "posegcn")]
    assert posegcn["distribution"] == "slrbench-posegcn" and posegcn["available"]
    assert by_name[("smoothers", "spelling")]["distribution"] == "slrbench-posegcn"
    assert {"name", "type", "default", "description", "constraints", "required"} <= set(posegcn["options"][0])
    assert document["warnings"] == []


def test_list_one_kind_in_plain_text():
    result = run_cli("list", "smoothers")
    assert result.returncode == 0
    assert "vanilla" in result.stdout and "epsilon" not in result.stdout  # options only on request
    assert not any(line.split()[:1] == ["posegcn"] for line in result.stdout.splitlines())  # no backbones
    detailed = run_cli("list", "smoothers", "--options").stdout
    assert "epsilon: float = 0.2 (≥0, <1)" in detailed


def test_list_puts_each_plugin_on_one_line_of_80_columns():
    lines = run_cli("list", env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    from slrbench.kinds import KINDS
    from slrbench.registry import default_registry

    registry = default_registry()
    for kind in KINDS:
        for name in registry.plugins(kind):
            assert sum(line.split()[:1] == [name] for line in lines) >= 1, (kind.name, name)
    posegcn = next(line for line in lines if line.split()[0] == "posegcn")
    assert posegcn.endswith("slrbench-posegcn 0.1.0")  # a third party's plugin names its source


def test_list_unknown_kind_exits_2():
    result = run_cli("list", "smothers")
    assert result.returncode == 2 and "did you mean 'smoothers'" in result.stderr


def test_plugins_json_shows_distributions_versions_and_hooks():
    rows = json.loads(run_cli("plugins", "--json").stdout)["plugins"]
    example = next(row for row in rows if row["distribution"] == "slrbench-posegcn")
    assert example["version"] == "0.1.0"
    assert example["hooks"] == ["register_backbones", "register_label_smoothers"]
    core_hooks = {hook for row in rows if row["distribution"] == "slrbench" for hook in row["hooks"]}
    assert {"register_label_smoothers", "register_mixups", "register_word_embedders", "register_datasets"} <= core_hooks


def test_describe_resolves_options():
    report = json.loads(run_cli("describe", "smoother", "vanilla", "-o", "smoother.epsilon=0.1", "--json").stdout)
    assert report["options"] == {"epsilon": 0.1} and report["distribution"] == "slrbench"


def test_describe_backbone_reports_parameters_and_features():
    report = json.loads(run_cli("describe", "backbone", "posegcn", "-o", "backbone.width=16", "--json").stdout)
    assert report["parameters"] == report["trainable_parameters"] > 0
    assert sum(report["block_parameters"].values()) == report["parameters"]
    assert list(report["inputs"]) == ["keypoint_coordinates"]
    assert all(isinstance(size, int) and size > 0 for size in report["feature_dims"].values())
    wider = json.loads(run_cli("describe", "backbone", "posegcn", "-o", "backbone.width=32", "--json").stdout)
    assert wider["parameters"] > report["parameters"]


def test_describe_rejects_options_of_another_kind():
    result = run_cli("describe", "smoother", "vanilla", "-o", "mixup.alpha=1")
    assert result.returncode == 2 and "options for mixup do not apply to a smoother" in result.stderr
