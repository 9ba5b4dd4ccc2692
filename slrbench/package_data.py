"""Files slrbench ships inside the package (recipes, published results), found with
`importlib.resources`, so an installed wheel reads the same files as a checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_folder(name: str) -> Path:
    """A data folder inside the installed `slrbench` package. Wheels install as plain files, so the
    resource is a real folder that pandas and tomllib can open by path."""
    return Path(str(resources.files("slrbench").joinpath(name)))
