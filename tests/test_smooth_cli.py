"""`slrbench smooth`: soft labels of a vocabulary and the whole target table."""
from __future__ import annotations

import numpy as np

from helpers import run_cli


def test_smooth_shows_a_soft_label_and_writes_the_table(tmp_path):
    glosses = tmp_path / "glosses.txt"
    glosses.write_text("cold\nwinter\ntable\nafternoon\n")
    out = tmp_path / "table.npy"
    result = run_cli("smooth", "--smoother", "lang", "--embedder", "glove", "--glosses-file", str(glosses),
                     "--gloss", "cold", "--top", "2", "--out", str(out), "-o", "smoother.epsilon=0.1",
                     "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    table = np.load(out)
    assert table.shape == (4, 4) and np.allclose(table.sum(axis=1), 1.0, atol=1e-6)
    assert table[0, 0] == np.float32(0.9) and table[0, 1] > table[0, 2]
    lines = [line for line in result.stdout.splitlines() if "│" in line]
    assert "cold" in lines[0] and "0.9000" in lines[0] and "winter" in lines[1]  # top 2 of 'cold'


def test_smooth_vanilla_needs_no_semantics(tmp_path):
    glosses = tmp_path / "glosses.txt"
    glosses.write_text("a\nb\nc\n")
    out = tmp_path / "t.npy"
    result = run_cli("smooth", "--smoother", "vanilla", "--glosses-file", str(glosses), "--out", str(out),
                     "--cache-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert np.allclose(np.load(out), [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])


def test_smooth_errors_are_one_line(tmp_path):
    glosses = tmp_path / "glosses.txt"
    glosses.write_text("cold\nwinter\n")
    result = run_cli("smooth", "--glosses-file", str(glosses), "--gloss", "snow")
    assert result.returncode == 2 and "--gloss snow is not in the vocabulary (2 glosses)" in result.stderr
    result = run_cli("smooth", "--glosses-file", str(glosses), "-o", "smoother.epsilon=1")
    assert result.returncode == 2 and "smoother.epsilon: must be less than 1 (got 1)" in result.stderr
    result = run_cli("smooth")
    assert result.returncode == 2 and "give either --glosses-file FILE or --benchmark NAME" in result.stderr
