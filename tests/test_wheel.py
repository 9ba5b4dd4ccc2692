"""The wheel is complete and its core install is enough for the demo: built from the checkout,
installed (not editable) into a fresh virtual environment outside it that holds the core
dependencies only, it runs the demo, the published-results table and the plugin list; a plugin
whose extra is missing is listed as unavailable with the pip line that brings it.

The fresh environment gets its dependencies through a `.pth` line to a folder of links to this
environment's site-packages, less the distributions of the extras it should not have (nothing is
downloaded); the wheel's own `slrbench` comes first on its path, and the editable install's import
hook is not loaded there, so a file missing from the wheel fails the test.
"""
from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import sysconfig
import venv
import tomllib
import zipfile
from importlib import metadata
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


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0] for requirement in requirements}


def extra_requirements() -> dict[str, set[str]]:
    """Distribution names per extra of pyproject.toml that the core does not also need."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = requirement_names(project["dependencies"])
    return {extra: requirement_names(requirements) - core
            for extra, requirements in project["optional-dependencies"].items() if extra not in ("all", "dev")}


def site_without(extras: list[str], folder: Path) -> Path:
    """A folder of links to this environment's site-packages without the given extras' distributions."""
    hidden: set[str] = {"slrbench"}
    for extra in extras:
        for name in extra_requirements()[extra]:
            try:
                files = metadata.distribution(name).files or []
            except metadata.PackageNotFoundError:
                continue
            hidden.update(file.parts[0] for file in files if file.parts[0] != "..")
    folder.mkdir()
    for packages in map(Path, site.getsitepackages()):
        for entry in packages.iterdir():
            hide = entry.name in hidden or entry.suffix == ".pth" or entry.name.startswith("slrbench")
            if not hide and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


def fresh_environment(wheel: Path, root: Path, without: list[str]) -> Path:
    """bin/ of a fresh venv holding the wheel and the dependencies of every extra but `without`."""
    venv.EnvBuilder(with_pip=False).create(root / "env")
    purelib = Path(sysconfig.get_paths(vars={"base": str(root / "env"), "platbase": str(root / "env")})["purelib"])
    (purelib / "dependencies.pth").write_text(f"{site_without(without, root / 'dependencies')}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "env" / "bin" / "python"), "install",
                    "--no-deps", "--quiet", str(wheel)], check=True)
    return root / "env" / "bin"


OPTIONAL = ["embedders", "bert", "extract", "logging", "report", "mediapipe"]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The core install: no extra."""
    return fresh_environment(wheel, tmp_path_factory.mktemp("core"), OPTIONAL)


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


def listed(bin_dir: Path, cwd: Path) -> dict[str, dict]:
    result = run(bin_dir, "list", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {f"{plugin['kind']}:{plugin['name']}": plugin for plugin in json.loads(result.stdout)["plugins"]}


def test_the_core_install_names_the_extra_each_missing_plugin_needs(installed, tmp_path):
    plugins = listed(installed, tmp_path)
    expected = {"embedders:fasttext": "embedders", "embedders:word2vec": "embedders", "embedders:bert": "bert",
                "extractors:rtmpose": "extract", "extractors:mediapipe": "mediapipe",
                "loggers:tensorboard": "logging", "loggers:wandb": "logging"}
    for key, extra in expected.items():
        assert not plugins[key]["available"], key
        assert plugins[key]["unavailable_reason"].endswith(f'pip install "slrbench[{extra}]"'), plugins[key]
    assert plugins["embedders:glove"]["available"] and plugins["backbones:vknet"]["available"]
    used = run(installed, "similarity", "book", "read", "--embedder", "word2vec", "-o", "embedder.path=vectors.bin",
               "--no-cache", cwd=tmp_path)
    assert used.returncode != 0
    lines = used.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "slrbench[embedders]"' in lines[0], used.stderr


def test_the_embedders_extra_alone_brings_fasttext_word2vec_and_glove(wheel, tmp_path_factory, tmp_path):
    bin_dir = fresh_environment(wheel, tmp_path_factory.mktemp("embedders"), [e for e in OPTIONAL if e != "embedders"])
    plugins = listed(bin_dir, tmp_path)
    assert all(plugins[f"embedders:{name}"]["available"] for name in ("fasttext", "word2vec", "glove"))
    assert not plugins["embedders:bert"]["available"]
