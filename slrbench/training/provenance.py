"""What a run records about where it came from: package versions and the git revision."""
from __future__ import annotations

import importlib.metadata as metadata
import subprocess
from pathlib import Path

PACKAGES = ("slrbench", "torch", "torchvision", "timm", "numpy", "pandas", "pydantic", "transformers", "gensim",
            "decord", "av", "safetensors")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def git_revision() -> dict[str, str | bool | None]:
    """The checkout slrbench runs from (None outside a git checkout, e.g. a wheel install)."""
    folder = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}
