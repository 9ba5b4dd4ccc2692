"""`PluginSpec`: what a plugin registers: a name, a lazy factory, an option model, a summary."""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from slrbench.config import PluginConfig

Factory = Union[str, Callable[..., Any]]


@dataclass(frozen=True)
class PluginSpec:
    """A registered plugin description; the heavy code behind `factory` loads on first use.

    `factory` is a callable or a `"module:attr"` string. It is called as
    `factory(config, context)` with the validated option model and a kind-specific context.
    `requires` names the modules it needs; they are checked with `find_spec`, never imported.
    `benchmarks` (datasets only) names the standard benchmarks the dataset declares, so that
    `--benchmark wlasl100` finds its dataset without importing anything.
    """

    name: str
    factory: Factory
    config: type[PluginConfig] = PluginConfig
    summary: str = ""
    requires: tuple[str, ...] = field(default=())
    benchmarks: tuple[str, ...] = field(default=())  # datasets only: the standard benchmarks it declares

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip() or " " in self.name:
            raise ValueError(f"plugin name {self.name!r} must be a non-empty word without spaces")
        if isinstance(self.factory, str) and ":" not in self.factory:
            raise ValueError(
                f"plugin {self.name!r}: factory {self.factory!r} must look like 'package.module:attr'"
            )
        if not (isinstance(self.config, type) and issubclass(self.config, PluginConfig)):
            raise TypeError(f"plugin {self.name!r}: config must be a subclass of slrbench.PluginConfig")
        object.__setattr__(self, "requires", tuple(self.requires))
        object.__setattr__(self, "benchmarks", tuple(self.benchmarks))

    def missing_modules(self) -> list[str]:
        """Modules in `requires` that are not installed (checked without importing them)."""
        return [module for module in self.requires if not _module_installed(module)]

    def load_factory(self) -> Callable[..., Any]:
        """Import and return the factory (imports the heavy code on first use)."""
        if not isinstance(self.factory, str):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        module = importlib.import_module(module_name)
        try:
            return getattr(module, attr)
        except AttributeError:
            raise ImportError(f"plugin {self.name!r}: module {module_name!r} has no attribute {attr!r}") from None


def _module_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing or broken
        return False
