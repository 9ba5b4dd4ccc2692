"""Contract checks and test helpers for plugin authors.

Each `check_*` builds a plugin through the registry and raises `ContractError` (an AssertionError)
naming the plugin and the broken rule, or returns a small report. Use them in a plugin's own tests,
with the plugin registered in-process (no install needed) by `registered_plugins`:

    from slrbench.testing import check_backbone, registered_plugins
    import my_plugin.plugin

    def test_my_backbone():
        with registered_plugins(my_plugin.plugin):
            check_backbone("my-backbone")

or with the pytest fixture `slrbench_plugins` (this module is a pytest plugin: add
`pytest_plugins = ["slrbench.testing"]` to your conftest.py).
"""
from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Iterator

from slrbench.plugins import LOAD_PLUGINS_ENV, load_plugins, register_module
from slrbench.registry import Registry, using_registry
from slrbench.testing.backbones import check_backbone, example_backbone_inputs
from slrbench.testing.common import CHECK_CONTEXT, EXAMPLE_GLOSSES, ContractError, example_gloss_vectors
from slrbench.testing.datasets import check_dataset
from slrbench.testing.embedders import check_word_embedder
from slrbench.testing.extractors import check_keypoint_extractor, example_frames
from slrbench.testing.loggers import check_run_logger, example_history_rows
from slrbench.testing.mixups import check_mixup
from slrbench.testing.smoothers import check_label_smoother

__all__ = [
    "CHECK_CONTEXT", "EXAMPLE_GLOSSES", "ContractError", "check_backbone", "check_dataset", "check_keypoint_extractor",
    "check_label_smoother", "check_mixup", "check_run_logger", "check_word_embedder", "example_backbone_inputs",
    "example_frames", "example_gloss_vectors", "example_history_rows", "plugin_registry", "registered_plugins",
]


def plugin_registry(*modules: ModuleType, installed: bool = False) -> Registry:
    """A registry of the built-ins plus these modules' hooks, registered in-process as if installed
    (each as distribution `local:<module name>`); `installed=True` also loads installed plugins.
    A module whose hooks are malformed raises, naming it (a test should fail loudly)."""
    loaded = load_plugins(None if installed else {LOAD_PLUGINS_ENV: ""})
    for module in modules:
        before = len(loaded.failures)
        register_module(loaded, module, module.__name__, f"local:{module.__name__}", "0")
        if len(loaded.failures) > before:
            raise ContractError(loaded.failures[-1].message())
    registry = Registry(loaded)
    if registry.failures:
        raise ContractError("; ".join(failure.message() for failure in registry.failures))
    return registry


@contextlib.contextmanager
def registered_plugins(*modules: ModuleType, installed: bool = False) -> Iterator[Registry]:
    """`plugin_registry(...)` made the process's registry for the `with` block: the checks above and
    commands run in-process (`typer.testing.CliRunner`) see the modules' plugins."""
    with using_registry(plugin_registry(*modules, installed=installed)) as registry:
        yield registry


try:  # the fixture, when pytest is there (it is a test helper, not a dependency)
    import pytest
except ImportError:  # pragma: no cover
    pass
else:
    @pytest.fixture
    def slrbench_plugins() -> Iterator:
        """Call it with plugin modules to register them for the test: `slrbench_plugins(my.plugin)`
        returns the registry; it is the process's registry until the test ends."""
        stack = contextlib.ExitStack()

        def register(*modules: ModuleType, installed: bool = False) -> Registry:
            return stack.enter_context(registered_plugins(*modules, installed=installed))

        with stack:
            yield register
