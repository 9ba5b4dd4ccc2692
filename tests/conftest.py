"""Fixtures shared by the tests. The example plugin is installed for every test by the
repository's top-level conftest.py."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def make_distribution(tmp_path):
    """Write an installed-looking distribution (dist-info with entry points) into a site folder."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)

    def make(name: str, modules: dict[str, str], entry_points: dict[str, str], version: str = "1.0") -> Path:
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = "\n".join(f"{key} = {value}" for key, value in entry_points.items())
        (info / "entry_points.txt").write_text(f"[slrbench]\n{lines}\n")
        return site

    return make


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small tensors: one thread is as fast, and far faster when other jobs share the CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
