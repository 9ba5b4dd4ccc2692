"""`slrbench report RUN_DIR`: one self-contained HTML page from a real (tiny) run, and what it says
when the run is partial, the folder is not a run, no embedder is at hand or matplotlib is missing."""
from __future__ import annotations

import json
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import run_cli
from report_runs import tiny_run
from slrbench.cli.app import app
from slrbench.report.analysis import confused_pairs

SECTIONS = ("warnings", "training", "metrics", "per-class", "confusions", "settings")


class PageParts(HTMLParser):
    """Every tag with its attributes, to check what the page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(path: Path) -> PageParts:
    parts = PageParts()
    parts.feed(path.read_text(encoding="utf-8"))
    return parts


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return tiny_run(tmp_path_factory)


@pytest.fixture(autouse=True)
def vector_cache(run_dir, monkeypatch) -> None:
    monkeypatch.setenv("SLRBENCH_CACHE", str(run_dir.parent / "cache"))
    monkeypatch.setenv("COLUMNS", "200")


def report(*args: str):
    return CliRunner().invoke(app, ["report", *args])


def copy_of(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("checkpoint", "best", ".slrbench.lock"))
    return copy


def test_a_run_gets_one_self_contained_page_with_every_section(run_dir, tmp_path):
    run = copy_of(run_dir, tmp_path)
    result = run_cli("report", str(run), env={"SLRBENCH_CACHE": str(run_dir.parent / "cache")})
    assert result.returncode == 0, result.stderr
    page = run / "report.html"
    assert f"wrote {page}" in result.stdout
    assert not [p.name for p in run.iterdir() if "partial" in p.name]  # written through a temporary file
    parts = parse(page)
    links = [attrs[key] for _, attrs in parts.tags for key in ("src", "href", "srcset", "data") if key in attrs]
    assert links and all(link.startswith(("data:image/png;base64,", "#")) for link in links), links
    assert not parts.all("script") and not parts.all("link") and not parts.all("iframe")
    assert [attrs["id"] for attrs in parts.all("section")] == list(SECTIONS)
    assert len(parts.all("img")) == 4  # curves, metrics, per-class, confusions
    text = page.read_text(encoding="utf-8")
    metrics = json.loads((run / "metrics.json").read_text())
    assert f"{metrics['per_instance_top1']:.2f}" in text
    assert "no numbers for the benchmark &#x27;synthetic&#x27;" in text
    assert "VS-S" in text and "&#x27;glove&#x27; word vectors" in text
    glosses = json.loads((run / "class_names.json").read_text())
    assert all(gloss in text for gloss in glosses)  # the per-class table lists every class of six


def test_out_writes_elsewhere_and_published_numbers_join_a_benchmark_the_paper_reports(run_dir, tmp_path):
    run = copy_of(run_dir, tmp_path)
    config = json.loads((run / "config.json").read_text())
    config["plan"]["settings"]["benchmark"] = "wlasl100"
    config["warnings"] = ["not comparable with the paper: trained from random weights in one stage"]
    (run / "config.json").write_text(json.dumps(config))
    out = tmp_path / "pages" / "wlasl.html"
    out.parent.mkdir()
    result = report(str(run), "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert not (run / "report.html").exists()
    assert "nla-slr (published, nla-slr)" in text and "nla-slr (published, nla-slr-3crop)" in text
    published = pd.read_csv(Path(__file__).parents[1] / "slrbench" / "reference_results" / "nla-slr.csv")
    row = published[(published["benchmark"] == "wlasl100") & (published["setting"] == "nla-slr")].iloc[0]
    assert f"{row['per_instance_top1']:.2f}" in text
    assert "not comparable with the paper: trained from random weights" in text


def test_a_run_without_an_evaluation_gets_a_page_of_what_it_has(run_dir, tmp_path):
    run = copy_of(run_dir, tmp_path)
    for name in ("metrics.json", "predictions.parquet", "per_class.csv"):
        (run / name).unlink()
    result = report(str(run))
    assert result.exit_code == 0, result.output
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "no test evaluation yet" in text and f"slrbench eval {run}" in text
    assert len(parse(run / "report.html").all("img")) == 1  # the training curves


def test_a_corrupt_history_is_a_note_not_a_crash(run_dir, tmp_path):
    run = copy_of(run_dir, tmp_path)
    (run / "history.csv").write_bytes(b"\xff\xfe\x00garbage")
    result = report(str(run))
    assert result.exit_code == 0, result.output
    assert "history.csv cannot be read" in (run / "report.html").read_text(encoding="utf-8")


def test_an_embedder_that_is_not_available_is_said_on_the_page(run_dir, tmp_path):
    run = copy_of(run_dir, tmp_path)
    result = report(str(run), "--embedder", "fasttext")  # needs a model file this machine lacks
    assert result.exit_code == 0, result.output
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "no gloss similarity: the embedder &#x27;fasttext&#x27; is not available here" in text
    assert "VISigns (the paper" not in text and len(parse(run / "report.html").all("img")) == 4


@pytest.mark.parametrize("target, message", [
    ("missing", "does not exist"),
    ("papers", "is not a slrbench run directory"),
    ("notes.txt", "is a file, not a folder"),
])
def test_a_folder_that_is_not_a_run_is_one_line(tmp_path, target, message):
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "draft.tex").write_text("results\n")
    (tmp_path / "notes.txt").write_text("a file\n")
    result = report(str(tmp_path / target))
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "papers"]


def test_out_that_is_a_folder_or_not_html_is_one_line(run_dir, tmp_path):
    run = copy_of(run_dir, tmp_path)
    for out, message in ((tmp_path, "is a folder"), (tmp_path / "report.pdf", "use one of .html, .htm")):
        result = report(str(run), "--out", str(out))
        assert result.exit_code == 2 and message in result.output, result.output
    assert not (run / "report.html").exists()


def test_without_matplotlib_the_error_is_the_pip_line(run_dir, tmp_path, monkeypatch):
    run = copy_of(run_dir, tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    result = report(str(run))
    assert result.exit_code == 2 and 'pip install "slrbench[report]"' in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (run / "report.html").exists()


def test_confused_pairs_count_both_directions_and_rank_by_errors():
    predictions = pd.DataFrame({"label": [0, 0, 1, 2, 2, 1], "pred_1": [1, 1, 0, 0, 2, 1]})
    pairs = confused_pairs(predictions, ["cold", "winter", "hot"], similarity=None)
    assert pairs[["gloss_a", "gloss_b", "a_as_b", "b_as_a", "errors"]].values.tolist() == [
        ["cold", "winter", 2, 1, 3], ["cold", "hot", 0, 1, 1]]
