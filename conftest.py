"""Before collection, pip-install the example plugin for real (through its entry point) into a
temporary site folder placed first on the path, so every test, the CLI subprocesses and the
plugin's own tests see it as an installed distribution, without changing the environment."""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLE_PLUGIN = Path(__file__).resolve().parent / "plugins" / "slrbench-posegcn"


def pytest_configure(config):
    site = Path(tempfile.mkdtemp(prefix="slrbench-plugin-site-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(EXAMPLE_PLUGIN)],
        check=True,
    )
    sys.path.insert(0, str(site))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    os.environ.pop("SLRBENCH_LOAD_PLUGINS", None)
    importlib.invalidate_caches()
    from slrbench.registry import reset_default_registry

    reset_default_registry()


def pytest_unconfigure(config):
    for entry in list(sys.path):
        if Path(entry).name.startswith("slrbench-plugin-site-"):
            shutil.rmtree(entry, ignore_errors=True)
