"""One tiny real run for the report tests (two epochs of the keypoint-only ST-GCN on a six-gloss
synthetic benchmark, seconds on a CPU), made once per test session and shared by both modules."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli
from test_training_run import DATA, POSEGCN

_made: dict[str, Path] = {}


def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run directory (trained and evaluated); treat it as read-only, copy it to change it."""
    if "run" not in _made:
        folder = tmp_path_factory.mktemp("report-run") / "run"
        result = run_cli("run", *DATA, *POSEGCN, "--out", str(folder), "--epochs", "2", "--batch-size", "8",
                         env={"SLRBENCH_CACHE": str(folder.parent / "cache")})
        assert result.returncode == 0, result.stderr
        _made["run"] = folder
    return _made["run"]
