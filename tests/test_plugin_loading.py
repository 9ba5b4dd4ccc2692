"""Third-party plugins through real entry points: selection, failures as warnings, duplicates.

Each test writes an installed distribution (dist-info with an `entry_points.txt`) into a site
folder and runs the CLI in a fresh process with that folder on PYTHONPATH.
"""
from __future__ import annotations

import json

from helpers import run_cli

GOOD_PLUGIN = """
from pydantic import Field
from slrbench import PluginConfig, PluginSpec, hookimpl

class PeakConfig(PluginConfig):
    epsilon: float = Field(0.1, ge=0, lt=1, description="mass moved off the true class")

@hookimpl
def register_label_smoothers(register):
    register(PluginSpec(name="peak", factory="peak_impl:Peak", config=PeakConfig, summary="test smoother"))
"""


def list_json(*args, **kwargs) -> dict:
    result = run_cli("list", "--json", *args, **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def names(document: dict, kind: str) -> set[str]:
    return {p["name"] for p in document["plugins"] if p["kind"] == kind}


def test_an_installed_plugin_is_listed_with_its_distribution(make_distribution):
    site = make_distribution("slrbench-peak", {"peak_plugin": GOOD_PLUGIN}, {"peak": "peak_plugin"}, version="2.3")
    document = list_json("smoothers", pythonpath=[site])
    peak = next(p for p in document["plugins"] if p["name"] == "peak")
    assert (peak["distribution"], peak["version"], peak["summary"]) == ("slrbench-peak", "2.3", "test smoother")
    assert peak["options"][0]["name"] == "epsilon" and peak["options"][0]["default"] == 0.1


def test_load_plugins_variable_selects_distributions(make_distribution):
    site = make_distribution("slrbench-peak", {"peak_plugin": GOOD_PLUGIN}, {"peak": "peak_plugin"})
    assert "peak" not in names(list_json(pythonpath=[site], env={"SLRBENCH_LOAD_PLUGINS": ""}), "smoothers")
    chosen = list_json(pythonpath=[site], env={"SLRBENCH_LOAD_PLUGINS": "slrbench_peak"})
    assert "peak" in names(chosen, "smoothers")
    assert "posegcn" not in names(chosen, "backbones")  # the example plugin was not chosen
    missing = list_json(pythonpath=[site], env={"SLRBENCH_LOAD_PLUGINS": "slrbench-peak,nope"})
    assert any("'nope'" in w and "no installed distribution" in w for w in missing["warnings"])


def test_a_plugin_that_fails_to_import_is_a_warning(make_distribution):
    site = make_distribution("slrbench-broken", {"broken_plugin": "import no_such_dependency_abc\n"},
                             {"broken": "broken_plugin"})
    result = run_cli("list", pythonpath=[site])
    assert result.returncode == 0
    assert "warning: plugin 'broken' from slrbench-broken was not loaded: import failed" in result.stderr
    assert "no_such_dependency_abc" in result.stderr
    assert "vanilla" in result.stdout
    plugins = json.loads(run_cli("plugins", "--json", pythonpath=[site]).stdout)
    assert [f["plugin"] for f in plugins["failures"]] == ["broken"]


def test_a_misspelt_hook_fails_loudly_with_a_suggestion(make_distribution):
    source = GOOD_PLUGIN.replace("def register_label_smoothers", "def register_label_smoother")
    site = make_distribution("slrbench-typo", {"typo_plugin": source}, {"typo": "typo_plugin"})
    document = list_json(pythonpath=[site])
    [warning] = [w for w in document["warnings"] if "typo" in w]
    assert "'register_label_smoother', which is not a slrbench hook" in warning
    assert "did you mean 'register_label_smoothers'" in warning
    assert "peak" not in names(document, "smoothers")


def test_an_undecorated_hook_is_reported(make_distribution):
    source = GOOD_PLUGIN.replace("@hookimpl\n", "")
    site = make_distribution("slrbench-plain", {"plain_plugin": source}, {"plain": "plain_plugin"})
    document = list_json(pythonpath=[site])
    assert any("'register_label_smoothers' is not decorated with @slrbench.hookimpl" in w for w in document["warnings"])


def test_a_hook_that_raises_registers_nothing_and_warns(make_distribution):
    source = GOOD_PLUGIN + "\n@hookimpl\ndef register_mixups(register):\n    register('not a spec')\n"
    site = make_distribution("slrbench-odd", {"odd_plugin": source}, {"odd": "odd_plugin"})
    document = list_json(pythonpath=[site])
    assert any("register_mixups failed: it registered a str, not a slrbench.PluginSpec" in w for w in document["warnings"])
    assert "peak" in names(document, "smoothers")  # its other hook still registered


def test_a_duplicate_name_is_an_error_naming_both_distributions(make_distribution):
    source = GOOD_PLUGIN.replace('name="peak"', 'name="vanilla"')
    site = make_distribution("slrbench-clash", {"clash_plugin": source}, {"clash": "clash_plugin"})
    result = run_cli("list", pythonpath=[site])
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: smoother 'vanilla' is registered by both slrbench and slrbench-clash; "
        "uninstall one, or choose plugins with SLRBENCH_LOAD_PLUGINS"
    )
    assert run_cli("list", pythonpath=[site], env={"SLRBENCH_LOAD_PLUGINS": ""}).returncode == 0
