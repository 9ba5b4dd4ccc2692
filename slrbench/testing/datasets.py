"""Contract check of datasets: declared benchmarks, a valid manifest, class names."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from slrbench.errors import SlrbenchError
from slrbench.interfaces import MANIFEST_COLUMNS, OPTIONAL_MANIFEST_COLUMNS, SPLITS, DatasetContext
from slrbench.registry import Registry, default_registry
from slrbench.testing.common import ContractError, require


def check_dataset(
    name: str,
    options: Mapping[str, Any] | None = None,
    data_root: Path | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Declared benchmarks match the registration; manifests have the documented columns and labels."""
    registry = registry or default_registry()
    label = f"dataset '{name}'"
    plugin = registry.get("datasets", name)
    dataset = registry.build("datasets", name, dict(options or {}), DatasetContext(data_root=data_root))
    benchmarks = dict(getattr(dataset, "benchmarks", {}))
    require(bool(benchmarks), label, "must declare at least one benchmark")
    require(set(benchmarks) == set(plugin.spec.benchmarks), label,
            f"declares {sorted(benchmarks)} but registered {sorted(plugin.spec.benchmarks)}")
    sizes = {}
    for benchmark, info in benchmarks.items():
        require(info.name == benchmark and info.num_classes >= 1, label, f"benchmark '{benchmark}' is malformed")
        table = dataset.manifest(benchmark)
        missing = [c for c in MANIFEST_COLUMNS if c not in table.columns and c not in OPTIONAL_MANIFEST_COLUMNS]
        require(not missing, label, f"manifest of '{benchmark}' lacks columns {missing}")
        require(set(table["split"]) <= set(SPLITS), label, f"splits must be among {SPLITS}")
        labels = table["label"]
        require(labels.dtype.kind in "iu", label, "labels must be integers")
        require(bool(((labels >= 0) & (labels < info.num_classes)).all()), label,
                f"labels of '{benchmark}' must lie in [0, {info.num_classes})")
        require(table["sample_id"].is_unique, label, "sample ids must be unique")
        names = dataset.class_names(benchmark)
        if info.has_glosses:
            require(isinstance(names, list) and len(names) == info.num_classes, label,
                     f"class_names('{benchmark}') must list {info.num_classes} glosses")
        else:
            require(names is None, label, f"class_names('{benchmark}') must be None for an index-only benchmark")
        sizes[benchmark] = table["split"].value_counts().to_dict()
    try:
        dataset.manifest("no-such-benchmark")
    except SlrbenchError:
        pass
    else:
        raise ContractError(f"{label}: manifest() of an unknown benchmark must raise a SlrbenchError")
    return {"benchmarks": sizes}
