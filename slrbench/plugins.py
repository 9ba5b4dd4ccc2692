"""Loading plugins: the built-ins, then third-party distributions from the `slrbench` entry points.

`SLRBENCH_LOAD_PLUGINS` chooses which third-party distributions load: unset loads all installed,
an empty value loads none, `a,b` loads only those. A plugin that fails to import, or implements a
hook that does not exist, is recorded as a failure (shown as a warning) instead of crashing.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.metadata as metadata
import os
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Mapping

import pluggy

from slrbench import hookspecs
from slrbench.builtins import BUILTIN_PLUGIN_MODULES

ENTRY_POINT_GROUP = "slrbench"
LOAD_PLUGINS_ENV = "SLRBENCH_LOAD_PLUGINS"
CORE_DISTRIBUTION = "slrbench"
HOOK_NAMES = tuple(name for name in dir(hookspecs) if name.startswith("register_"))


@dataclass(frozen=True)
class PluginSource:
    """One module registered with pluggy, and the distribution it came from."""

    plugin_name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@dataclass(frozen=True)
class LoadFailure:
    """A plugin that could not be loaded; shown as a warning, never raised at the CLI."""

    plugin_name: str
    distribution: str
    reason: str

    def message(self) -> str:
        return f"plugin '{self.plugin_name}' from {self.distribution} was not loaded: {self.reason}"


@dataclass
class LoadedPlugins:
    manager: pluggy.PluginManager
    sources: dict[str, PluginSource] = field(default_factory=dict)
    failures: list[LoadFailure] = field(default_factory=list)


def normalize_distribution(name: str) -> str:
    """PEP 503 normalisation, so `slrbench_posegcn` and `SLRBench-PoseGCN` name the same thing."""
    return re.sub(r"[-_.]+", "-", name).lower()


def selected_distributions(environ: Mapping[str, str]) -> set[str] | None:
    """The distributions `SLRBENCH_LOAD_PLUGINS` allows (None: all; empty set: none)."""
    value = environ.get(LOAD_PLUGINS_ENV)
    if value is None:
        return None
    return {normalize_distribution(part) for part in value.split(",") if part.strip()}


def load_plugins(environ: Mapping[str, str] | None = None) -> LoadedPlugins:
    """Register the built-ins and the selected third-party plugins with a new plugin manager."""
    environ = os.environ if environ is None else environ
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    loaded = LoadedPlugins(manager)
    version = _distribution_version(CORE_DISTRIBUTION)
    for module_name in BUILTIN_PLUGIN_MODULES:
        register_module(loaded, importlib.import_module(module_name), module_name, CORE_DISTRIBUTION, version)
    wanted = selected_distributions(environ)
    found: set[str] = set()
    for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        distribution = entry_point.dist.name if entry_point.dist else "unknown distribution"
        found.add(normalize_distribution(distribution))
        if wanted is not None and normalize_distribution(distribution) not in wanted:
            continue
        version = entry_point.dist.version if entry_point.dist else "?"
        try:
            module = entry_point.load()
        except Exception as error:  # any import-time error of third-party code becomes a warning
            loaded.failures.append(LoadFailure(entry_point.name, distribution, f"import failed: {error!r}"))
            continue
        register_module(loaded, module, entry_point.name, distribution, version)
    for missing in sorted((wanted or set()) - found):
        loaded.failures.append(
            LoadFailure(missing, missing, f"{LOAD_PLUGINS_ENV} names it, but no installed distribution provides it")
        )
    return loaded


def register_module(loaded: LoadedPlugins, module: ModuleType, plugin_name: str, distribution: str, version: str) -> None:
    """Register one module of hook implementations (a notebook can register a plugin this way)."""
    manager = loaded.manager
    if manager.has_plugin(plugin_name):
        other = loaded.sources[plugin_name].distribution
        loaded.failures.append(
            LoadFailure(plugin_name, distribution, f"the plugin name is already taken by {other}; rename the entry point")
        )
        return
    try:
        manager.register(module, name=plugin_name)
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        if manager.has_plugin(plugin_name):
            manager.unregister(name=plugin_name)
        loaded.failures.append(LoadFailure(plugin_name, distribution, _explain_validation_error(error)))
        return
    hooks = tuple(
        name
        for name in HOOK_NAMES
        if any(impl.plugin_name == plugin_name for impl in getattr(manager.hook, name).get_hookimpls())
    )
    unmarked = [n for n in HOOK_NAMES if callable(getattr(module, n, None)) and n not in hooks]
    for name in unmarked:
        loaded.failures.append(
            LoadFailure(plugin_name, distribution, f"function '{name}' is not decorated with @slrbench.hookimpl")
        )
    loaded.sources[plugin_name] = PluginSource(plugin_name, distribution, version, hooks)


def _explain_validation_error(error: pluggy.PluginValidationError) -> str:
    message = str(error)
    unknown = re.search(r"unknown hook '(\w+)'", message)
    if unknown:
        close = difflib.get_close_matches(unknown.group(1), HOOK_NAMES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"it implements '{unknown.group(1)}', which is not a slrbench hook{hint}; hooks: {', '.join(HOOK_NAMES)}"
    return message


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        from slrbench import __version__

        return __version__
