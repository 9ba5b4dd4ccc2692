"""The registry: lookups, suggestions, lazy factories, availability and option validation."""
from __future__ import annotations

import subprocess
import sys
import types

import pytest

from slrbench import PluginSpec, hookimpl
from slrbench.errors import OptionsError, UsageError
from slrbench.kinds import KINDS, resolve_kind
from slrbench.plugins import load_plugins, register_module
from slrbench.registry import Registry


@pytest.fixture
def builtin_registry() -> Registry:
    return Registry(load_plugins({"SLRBENCH_LOAD_PLUGINS": ""}))


def test_builtins_register_through_the_hooks(builtin_registry):
    assert set(builtin_registry.plugins("smoothers")) == {"none", "vanilla", "lang"}
    assert set(builtin_registry.plugins("mixups")) >= {"none", "intra"}
    assert builtin_registry.get("embedders", "precomputed").distribution == "slrbench"
    assert builtin_registry.find_benchmark("manifest").name == "manifest"


def test_unknown_name_suggests_the_closest_and_lists_the_rest(builtin_registry):
    with pytest.raises(UsageError) as error:
        builtin_registry.get("smoother", "vanila")
    assert str(error.value) == "unknown smoother 'vanila' (did you mean 'vanilla'?); available: none, vanilla, lang"


def test_unknown_benchmark_and_kind_are_usage_errors(builtin_registry):
    with pytest.raises(UsageError, match="unknown benchmark 'manifst' \\(did you mean 'manifest'\\?\\)"):
        builtin_registry.find_benchmark("manifst")
    with pytest.raises(UsageError, match="unknown plugin kind 'smothers' \\(did you mean 'smoothers'\\?\\)"):
        resolve_kind("smothers")


def test_kinds_accept_singular_and_plural():
    for kind in KINDS:
        assert resolve_kind(kind.name) is resolve_kind(kind.singular) is kind


def test_bad_options_give_one_line_per_field(builtin_registry):
    with pytest.raises(OptionsError) as error:
        builtin_registry.resolve_options("mixups", "intra", {"alpha": -1, "probability": 2, "colour": "red"})
    assert error.value.lines() == [
        "mixup.alpha: must be greater than 0 (got -1)",
        "mixup.probability: must be less than or equal to 1 (got 2)",
        "mixup.colour: unknown option; known options: alpha, probability",
    ]


def test_a_required_option_is_reported(builtin_registry):
    with pytest.raises(OptionsError, match="embedder.path: required option is missing"):
        builtin_registry.resolve_options("embedders", "precomputed", {})


def test_listing_imports_no_factory_module():
    """Listing must not import the heavy module behind a lazy factory, nor torch."""
    code = (
        "import sys; from slrbench.registry import default_registry; r = default_registry();"
        "[r.plugins(k) for k in ('backbones','smoothers','mixups','embedders','datasets')];"
        "print(sorted(m for m in sys.modules if m.startswith(('torch', 'slrbench.builtins.smoothers.tables', 'pandas'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_factory_strings_must_name_an_attribute():
    with pytest.raises(ValueError, match="must look like 'package.module:attr'"):
        PluginSpec(name="x", factory="package.module")
    with pytest.raises(ValueError, match="non-empty word"):
        PluginSpec(name="two words", factory="a:b")
    missing = PluginSpec(name="x", factory="slrbench.builtins.smoothers.tables:NoSuchClass")
    with pytest.raises(ImportError, match="has no attribute 'NoSuchClass'"):
        missing.load_factory()


def test_missing_required_modules_make_a_plugin_unavailable():
    module = types.ModuleType("needs_missing")

    @hookimpl
    def register_backbones(register):
        register(PluginSpec(name="needy", factory="no_such_module_xyz.model:Net", requires=("no_such_module_xyz",)))
        register(PluginSpec(name="needy-extra", factory="no_such_module_xyz.model:Net", requires=("no_such_module_xyz",),
                            install="needs-missing-dist[gpu]"))

    module.register_backbones = register_backbones
    loaded = load_plugins({"SLRBENCH_LOAD_PLUGINS": ""})
    register_module(loaded, module, "needs-missing", "needs-missing-dist", "0.1")
    registry = Registry(loaded)
    plugin = registry.get("backbone", "needy")
    assert plugin.distribution == "needs-missing-dist"
    assert plugin.unavailable_reason() == "needs no_such_module_xyz: pip install no_such_module_xyz"
    extra = registry.get("backbone", "needy-extra").unavailable_reason()
    assert extra == 'needs no_such_module_xyz: pip install "needs-missing-dist[gpu]"'
    with pytest.raises(UsageError, match="backbone 'needy' is not available: needs no_such_module_xyz"):
        registry.build("backbone", "needy", {}, None)
