"""The registry: every plugin of every kind, looked up by name, with its options validated.

Hooks are called per plugin module, so each registered name knows the distribution it came from:
that is what makes a duplicate name an error naming both distributions.
"""
from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

from slrbench.config import PluginConfig, validate_options
from slrbench.errors import SlrbenchError, UsageError
from slrbench.interfaces import KIND_BASES
from slrbench.kinds import KINDS, Kind, resolve_kind
from slrbench.plugins import LoadedPlugins, LoadFailure, load_plugins
from slrbench.spec import PluginSpec


class DuplicatePluginError(SlrbenchError):
    """Two distributions registered the same name for the same kind."""


@dataclass(frozen=True)
class RegisteredPlugin:
    kind: Kind
    spec: PluginSpec
    distribution: str
    version: str

    @property
    def name(self) -> str:
        return self.spec.name

    def needs_gloss_vectors(self) -> bool:
        """Whether the plugin declares that it needs the class glosses' vectors (no import)."""
        return self.spec.needs_gloss_vectors

    def unavailable_reason(self) -> str | None:
        """Why the plugin cannot be built here, or None when it can."""
        missing = self.spec.missing_modules()
        if not missing:
            return None
        return f"needs {', '.join(missing)}: {self.spec.install_hint(missing)}"


class Registry:
    """All plugins, one table per kind, filled from the hooks on first use."""

    def __init__(self, loaded: LoadedPlugins):
        self.loaded = loaded
        self._tables: dict[str, dict[str, RegisteredPlugin]] = {}
        self._hook_failures: list[LoadFailure] = []

    @property
    def failures(self) -> list[LoadFailure]:
        for kind in KINDS:
            self.plugins(kind)
        return self.loaded.failures + self._hook_failures

    def plugins(self, kind: Kind | str) -> dict[str, RegisteredPlugin]:
        kind = kind if isinstance(kind, Kind) else resolve_kind(kind)
        if kind.name not in self._tables:
            self._tables[kind.name] = self._collect(kind)
        return self._tables[kind.name]

    def get(self, kind: Kind | str, name: str) -> RegisteredPlugin:
        kind = kind if isinstance(kind, Kind) else resolve_kind(kind)
        table = self.plugins(kind)
        if name in table:
            return table[name]
        close = difflib.get_close_matches(name, table, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(table) or "none registered"
        raise UsageError(f"unknown {kind.singular} '{name}'{hint}; available: {known}")

    def resolve_options(self, kind: Kind | str, name: str, values: Mapping[str, Any] | None = None) -> PluginConfig:
        """Validate user options for a plugin (one line per bad field on failure)."""
        plugin = self.get(kind, name)
        return validate_options(plugin.spec.config, dict(values or {}), plugin.kind.singular)

    def find_benchmark(self, benchmark: str) -> RegisteredPlugin:
        """The dataset plugin that declares a standard benchmark such as `wlasl100`."""
        owners = {name: plugin for plugin in self.plugins("datasets").values() for name in plugin.spec.benchmarks}
        if benchmark in owners:
            return owners[benchmark]
        close = difflib.get_close_matches(benchmark, owners, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UsageError(f"unknown benchmark '{benchmark}'{hint}; available: {', '.join(sorted(owners)) or 'none'}")

    def build(self, kind: Kind | str, name: str, config: PluginConfig | Mapping[str, Any] | None, context: Any) -> Any:
        """Import the plugin's factory and call it as `factory(config, context)`."""
        plugin = self.get(kind, name)
        reason = plugin.unavailable_reason()
        if reason:
            raise UsageError(f"{plugin.kind.singular} '{name}' is not available: {reason}")
        if not isinstance(config, PluginConfig):
            config = self.resolve_options(plugin.kind, name, config)
        built = plugin.spec.load_factory()(config, context)
        base = KIND_BASES.get(plugin.kind.name)
        if base is not None and not isinstance(built, base):
            raise UsageError(f"{plugin.kind.singular} '{name}' from {plugin.distribution} must subclass "
                             f"slrbench.interfaces.{base.__name__} (its optional members and their defaults)")
        return built

    def _collect(self, kind: Kind) -> dict[str, RegisteredPlugin]:
        table: dict[str, RegisteredPlugin] = {}
        caller = getattr(self.loaded.manager.hook, kind.hook)
        for impl in caller.get_hookimpls():  # in registration order: built-ins first
            source = self.loaded.sources[impl.plugin_name]
            staged: list[PluginSpec] = []
            try:
                impl.function(**{argument: staged.append for argument in impl.argnames})
                for spec in staged:
                    if not isinstance(spec, PluginSpec):
                        raise TypeError(f"it registered a {type(spec).__name__}, not a slrbench.PluginSpec")
            except Exception as error:  # a broken third-party hook must not crash the CLI
                reason = f"{kind.hook} failed: {error}"
                self._hook_failures.append(LoadFailure(impl.plugin_name, source.distribution, reason))
                continue
            for spec in staged:  # only a hook that ran to the end registers anything
                if spec.name in table:
                    raise DuplicatePluginError(
                        f"{kind.singular} '{spec.name}' is registered by both {table[spec.name].distribution} and "
                        f"{source.distribution}; uninstall one, or choose plugins with SLRBENCH_LOAD_PLUGINS"
                    )
                table[spec.name] = RegisteredPlugin(kind, spec, source.distribution, source.version)
        return table


_process_registry: Optional[Registry] = None


def default_registry() -> Registry:
    """The registry of this process (plugins chosen by the environment at first use)."""
    global _process_registry
    if _process_registry is None:
        _process_registry = Registry(load_plugins())
    return _process_registry


def reset_default_registry() -> None:
    """Forget the process's registry; the next `default_registry()` loads the plugins again."""
    global _process_registry
    _process_registry = None


@contextlib.contextmanager
def using_registry(registry: Registry) -> Iterator[Registry]:
    """Make `registry` the process's registry for a while (a plugin's tests, a notebook), so that
    commands run in-process, e.g. through typer's CliRunner, see its plugins."""
    global _process_registry
    previous, _process_registry = _process_registry, registry
    try:
        yield registry
    finally:
        _process_registry = previous
