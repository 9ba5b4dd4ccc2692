"""`slrbench similarity`: nearest glosses, a labelled CSV matrix and a heatmap, offline."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import run_cli


@pytest.mark.parametrize("embedder", ["glove", "bert"])
def test_similarity_writes_csv_and_png_offline(embedder, tmp_path):
    csv, png = tmp_path / "sim.csv", tmp_path / "sim.png"
    result = run_cli("similarity", "--embedder", embedder, "cold", "winter", "table", "afternoon",
                     "--out", str(csv), "--plot", str(png), "--cache-dir", str(tmp_path / "cache"),
                     env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    matrix = pd.read_csv(csv, index_col=0)
    assert list(matrix.columns) == list(matrix.index) == ["cold", "winter", "table", "afternoon"]
    assert matrix.loc["cold", "cold"] == pytest.approx(1.0)
    assert matrix.loc["cold", "winter"] > matrix.loc["cold", "table"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "cold" in result.stdout and "winter (" in result.stdout
    assert not list(tmp_path.glob(".*partial*"))  # nothing half-written left behind


def test_similarity_second_run_is_served_from_the_cache(tmp_path):
    args = ["similarity", "--embedder", "glove", "cold", "winter", "--cache-dir", str(tmp_path)]
    assert "computed" in run_cli(*args).stdout
    assert "cached" in run_cli(*args).stdout


def test_similarity_reports_out_of_vocabulary_glosses(tmp_path):
    result = run_cli("similarity", "--embedder", "glove", "cold", "xqzzyv", "--no-cache")
    assert result.returncode == 0
    assert "out of vocabulary (zero vector): xqzzyv" in result.stderr


def test_similarity_needs_glosses_or_a_benchmark():
    result = run_cli("similarity", "--embedder", "glove")
    assert result.returncode == 2 and "give either gloss words or --benchmark" in result.stderr
    result = run_cli("similarity", "--embedder", "glvoe", "cold")
    assert result.returncode == 2 and "did you mean 'glove'" in result.stderr


def test_similarity_over_a_benchmark(tmp_path):
    (tmp_path / "manifest.csv").write_text("sample_id,split,label,gloss\na,train,0,cold\nb,train,1,winter\nc,test,2,table\n")
    result = run_cli("similarity", "--embedder", "glove", "--benchmark", "manifest", "--data-root", str(tmp_path),
                     "--top", "1", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "winter (0.71)" in result.stdout
