"""Test data: the MIT-licensed samples and the reference's key lists in tests/data (see its
README.md), and data roots built in tmp folders from annotation files generated in the official
schemas (annotation_fixtures.py). Nothing outside the repository is needed; `../shared/data`, when
present, adds real annotation excerpts for the few tests that compare against them."""
from __future__ import annotations

import ast
import gzip
from pathlib import Path

import pytest

from annotation_fixtures import write_msasl, write_nmfs_csl, write_wlasl

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = DATA / "samples"
TEST_VIDEO = SAMPLES / "test_video.mp4"  # a real signer: H.264, 540 x 720, 58 frames
REFERENCE = DATA / "reference"
KEYPOINT_INDICES = REFERENCE / "nla_slr_keypoint_indices.json"

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"  # optional extras
SHARED_ANNOTATIONS = SHARED_DATA / "annotations"
SHARED_SAMPLES = SHARED_DATA / "samples"
needs_shared_excerpts = pytest.mark.skipif(
    not SHARED_ANNOTATIONS.is_dir(),
    reason=f"real annotation excerpts not found at {SHARED_ANNOTATIONS} (optional; the generated fixtures cover this)",
)


def reference_state_dict_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """Key -> shape of a reference checkpoint's state dict (`nla-slr_state_dict_<name>.tsv.gz`), in file order."""
    with gzip.open(REFERENCE / f"nla-slr_state_dict_{name}.tsv.gz", "rt", encoding="utf-8") as handle:
        rows = (line.rstrip("\n").split("\t") for line in handle)
        return {key: ast.literal_eval(shape) for key, shape in rows}


def wlasl_root(tmp: Path) -> Path:
    return write_wlasl(tmp / "wlasl")


def msasl_root(tmp: Path) -> Path:
    return write_msasl(tmp / "msasl")


def nmfs_csl_root(tmp: Path) -> Path:
    return write_nmfs_csl(tmp / "nmfs-csl")
