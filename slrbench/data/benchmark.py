"""From a benchmark name to its dataset: the one path every command takes (`run`, `eval`,
`data check`, `keypoints extract`, `similarity` / `smooth`, `import-checkpoint`).

The dataset plugin is found by the benchmarks it declares (no import), then built with the
user's options and data root; what commands ask of it is read here, once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

from slrbench.config import PluginConfig
from slrbench.interfaces import BenchmarkInfo, DatasetContext

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from slrbench.registry import Registry


@dataclass(frozen=True)
class OpenBenchmark:
    name: str  # the benchmark, e.g. wlasl100
    dataset_name: str  # the dataset plugin that declares it, e.g. wlasl
    dataset: Any  # the built dataset (slrbench.interfaces.Dataset)

    @property
    def info(self) -> BenchmarkInfo:
        return self.dataset.benchmarks[self.name]

    def manifest(self) -> pd.DataFrame:
        return self.dataset.manifest(self.name)

    def class_names(self) -> Optional[list[str]]:
        names = self.dataset.class_names(self.name)
        return None if names is None else list(names)

    def clip_reader(self) -> Any:
        """The dataset's in-memory clip reader, or None when its clips are files."""
        return self.dataset.clip_reader()

    def warnings(self) -> list[str]:
        """The dataset's warnings about this benchmark."""
        return list(self.dataset.warnings(self.name))


def open_benchmark(registry: Registry, benchmark: str, data_root: Optional[Path],
                   options: Union[PluginConfig, Mapping[str, Any], None] = None) -> OpenBenchmark:
    """Find the dataset plugin declaring `benchmark` and build it (an unknown name: one line with the
    closest); `options` are the dataset's options, validated here unless they already are."""
    plugin = registry.find_benchmark(benchmark)
    dataset = registry.build("datasets", plugin.name, options if options is not None else {},
                             DatasetContext(data_root))
    return OpenBenchmark(benchmark, plugin.name, dataset)
