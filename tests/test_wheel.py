"""The wheel is complete: built from the checkout, installed (not editable) into a fresh virtual
environment outside it, it runs the demo, the published-results table and the plugin list.

The fresh environment gets its dependencies from this one's site-packages through a `.pth` line
(nothing is downloaded); the wheel's own `slrbench` comes first on its path, and the editable
install's import hook is not loaded there, so a file missing from the wheel fails the test.
"""
from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_FILES = ("slrbench/recipes/demo.toml", "slrbench/reference_results/nla-slr.csv")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(out), str(ROOT)], check=True, cwd=out)
    (built,) = out.glob("slrbench-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the wheel."""
    env = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env)
    purelib = Path(sysconfig.get_paths(vars={"base": str(env), "platbase": str(env)})["purelib"])
    (purelib / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--no-deps",
                    "--quiet", str(wheel)], check=True)
    return env / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run([str(bin_dir / "slrbench"), *args], capture_output=True, text=True, cwd=cwd, env=environ,
                          timeout=600)


def test_the_wheel_holds_every_runtime_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(RUNTIME_FILES) <= names


def test_the_installed_wheel_runs_the_demo_the_table_and_the_list(installed, tmp_path):
    where = subprocess.run([str(installed / "python"), "-c", "import slrbench; print(slrbench.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert str(ROOT) not in where  # the wheel's copy, not the checkout
    listed = run(installed, "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "vknet" in {plugin["name"] for plugin in json.loads(listed.stdout)["plugins"]}
    demo = run(installed, "run", "--epochs", "1", "--out", str(tmp_path / "demo"), cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (tmp_path / "demo" / "metrics.json").is_file()
    table = run(installed, "table", str(tmp_path / "demo"), "--reference", "nla-slr", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "synthetic" in table.stdout and "Per-instance Top-1" in table.stdout
