"""Shared test helpers (import as `from helpers import run_cli`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, env: dict[str, str] | None = None, pythonpath: list[Path] = ()) -> subprocess.CompletedProcess:
    """Run `python -m slrbench ARGS` in a fresh process (real entry-point discovery)."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), environment.get("PYTHONPATH", "")])
    environment["COLUMNS"] = (env or {}).get("COLUMNS", "200")
    return subprocess.run([sys.executable, "-m", "slrbench", *args], capture_output=True, text=True, env=environment)
