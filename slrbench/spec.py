"""`PluginSpec`: what a plugin registers: a name, a lazy factory, an option model, a summary, and
what the core must know about the plugin without importing it (its declared capabilities)."""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

from slrbench.config import PluginConfig
from slrbench.inputs import BUILTIN_STREAMS, InputStream

Factory = Union[str, Callable[..., Any]]


@dataclass(frozen=True)
class PluginSpec:
    """A registered plugin description; the heavy code behind `factory` loads on first use.

    `factory` is a callable or a `"module:attr"` string. It is called as
    `factory(config, context)` with the validated option model and a kind-specific context.
    `requires` names the modules it needs; they are checked with `find_spec`, never imported.
    `install` is what a user passes to pip to get them (e.g. `slrbench[embedders]`, or your
    package's own extra); without it the hint names the missing modules.
    `benchmarks` (datasets only) names the standard benchmarks the dataset declares, so that
    `--benchmark wlasl100` finds its dataset without importing anything.

    Declared capabilities (read by the core without importing the factory; `slrbench list --json`):
    `needs_gloss_vectors` (smoothers, mixups): the run embeds the class glosses and passes them in
    the context. `inputs` (backbones): the input streams it consumes (`slrbench.inputs`), and
    `streams` the new ones it defines. `blends` (mixups): the blend kinds of inputs it mixes
    ("linear"); empty for a mixup that leaves samples and labels unmixed. `test_options`: small
    options `check_backbone`, `check_mixup` and `check_label_smoother` build the plugin with.
    """

    name: str
    factory: Factory
    config: type[PluginConfig] = PluginConfig
    summary: str = ""
    requires: tuple[str, ...] = field(default=())
    install: str = ""  # the pip requirement that brings `requires`, e.g. "slrbench[embedders]"
    benchmarks: tuple[str, ...] = field(default=())  # datasets only: the standard benchmarks it declares
    needs_gloss_vectors: bool = False
    inputs: tuple[str, ...] = field(default=())
    streams: tuple[InputStream, ...] = field(default=())
    blends: tuple[str, ...] = field(default=())
    test_options: Mapping[str, Any] = field(default_factory=dict)

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
        for name in ("benchmarks", "inputs", "streams", "blends"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        own = {stream.name for stream in self.streams}
        if any(not isinstance(stream, InputStream) for stream in self.streams):
            raise TypeError(f"plugin {self.name!r}: streams must be slrbench.inputs.InputStream objects")
        unknown = [name for name in self.inputs if name not in BUILTIN_STREAMS and name not in own]
        if unknown:
            raise ValueError(f"plugin {self.name!r}: unknown input streams {unknown}; built-in: "
                             f"{', '.join(BUILTIN_STREAMS)}, or define them in `streams`")

    def declarations(self) -> dict[str, Any]:
        """What this plugin declares beyond its options, as `list --json` and `describe` show it."""
        report: dict[str, Any] = {}
        if self.benchmarks:
            report["benchmarks"] = list(self.benchmarks)
        if self.needs_gloss_vectors:
            report["needs_gloss_vectors"] = True
        if self.inputs:
            report["inputs"] = list(self.inputs)
        if self.streams:
            report["streams"] = {stream.name: {"layout": stream.layout, "blend": stream.blend,
                                               "needs": list(stream.needs)} for stream in self.streams}
        if self.blends:
            report["blends"] = list(self.blends)
        return report

    def missing_modules(self) -> list[str]:
        """Modules in `requires` that are not installed (checked without importing them)."""
        return [module for module in self.requires if not _module_installed(module)]

    def install_hint(self, missing: list[str]) -> str:
        """The pip command that brings the missing modules."""
        return f'pip install "{self.install}"' if self.install else f"pip install {' '.join(missing)}"

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
