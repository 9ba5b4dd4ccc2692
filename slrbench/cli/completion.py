"""Shell completion of plugin and benchmark names from the registry (`slrbench --install-completion`)."""
from __future__ import annotations

from typing import Callable


def plugin_names(kind: str) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        from slrbench.registry import default_registry

        return [name for name in default_registry().plugins(kind) if name.startswith(incomplete)]

    return complete


def benchmark_names(incomplete: str) -> list[str]:
    from slrbench.registry import default_registry

    names = (b for plugin in default_registry().plugins("datasets").values() for b in plugin.spec.benchmarks)
    return sorted(name for name in names if name.startswith(incomplete))
