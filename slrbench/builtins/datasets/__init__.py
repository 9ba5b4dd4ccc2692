"""Built-in datasets. `manifest` reads any layout described by a manifest CSV."""
from pathlib import Path
from typing import Optional

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class ManifestConfig(PluginConfig):
    path: Optional[Path] = Field(
        None, description="manifest CSV; default: manifest.csv at the top of --data-root"
    )
    num_classes: Optional[int] = Field(None, ge=1, description="number of classes; default: largest label + 1")


@hookimpl
def register_datasets(register):
    register(PluginSpec(
        name="manifest",
        factory="slrbench.builtins.datasets.manifest:ManifestDataset",
        config=ManifestConfig,
        summary="Any layout, described by a manifest CSV (sample_id, split, label, gloss, video, keypoints, start, end)",
        requires=("pandas",),
        benchmarks=("manifest",),
    ))
