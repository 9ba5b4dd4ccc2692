"""Data roots for the data tests, built in tmp folders from the shared excerpts (never copied
into the repository). Tests that need the shared files skip when ../shared/data is absent."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ANNOTATIONS = SHARED_DATA / "annotations"
SAMPLES = SHARED_DATA / "samples"
TEST_VIDEO = SAMPLES / "test_video.mp4"

needs_shared_data = pytest.mark.skipif(
    not ANNOTATIONS.is_dir(), reason=f"shared test data not found at {SHARED_DATA} (checkout without ../shared)"
)


def _require_shared_data() -> None:
    if not ANNOTATIONS.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (checkout without ../shared)")


def wlasl_root(tmp: Path) -> Path:
    _require_shared_data()
    root = tmp / "wlasl"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ANNOTATIONS / "WLASL_v0.3.excerpt-first20.json", root / "WLASL_v0.3.json")
    return root


def msasl_root(tmp: Path) -> Path:
    _require_shared_data()
    root = tmp / "msasl"
    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test"):
        shutil.copy(ANNOTATIONS / f"MSASL_{split}.excerpt-label-lt-10.json", root / f"MSASL_{split}.json")
    shutil.copy(ANNOTATIONS / "MSASL_classes.json", root / "MSASL_classes.json")
    return root


def nmfs_csl_root(tmp: Path) -> Path:
    """Made-up NMFs-CSL split lists (the real ones come with the dataset)."""
    root = tmp / "nmfs-csl"
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.txt").write_text("".join(f"P{i:02d}/sign_{i % 7:04d}.mp4 {i % 7}\n" for i in range(20)))
    (root / "test.txt").write_text("# signer P50\n" + "".join(f"P50/sign_{i:04d}.mp4 {i}\n" for i in range(5)) + "\n")
    return root
