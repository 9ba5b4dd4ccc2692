"""The official annotation files give the right samples, splits and class order."""
from __future__ import annotations

import json

import pytest

from data_roots import ANNOTATIONS, msasl_root, needs_shared_data, nmfs_csl_root, wlasl_root
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, DatasetContext
from slrbench.registry import default_registry


def build(name, root, options=None):
    return default_registry().build("datasets", name, options or {}, DatasetContext(root))


@needs_shared_data
def test_wlasl_excerpt_counts_per_split_and_gloss_order(tmp_path):
    dataset = build("wlasl", wlasl_root(tmp_path))
    table = dataset.manifest("wlasl100")
    assert list(table.columns) == list(MANIFEST_COLUMNS)
    assert table["split"].value_counts().to_dict() == {"train": 350, "val": 84, "test": 65}
    entries = json.loads((ANNOTATIONS / "WLASL_v0.3.excerpt-first20.json").read_text())
    assert dataset.class_names("wlasl100") == [entry["gloss"] for entry in entries]
    assert dataset.class_names("wlasl100")[:3] == ["book", "drink", "computer"]
    first = table.set_index("sample_id").loc["69241"]
    assert (first["label"], first["gloss"], first["video"].endswith("videos/69241.mp4")) == (0, "book", True)


@needs_shared_data
def test_wlasl_frame_range_becomes_zero_based_half_open(tmp_path):
    table = build("wlasl", wlasl_root(tmp_path)).manifest("wlasl300").set_index("sample_id")
    entries = json.loads((ANNOTATIONS / "WLASL_v0.3.excerpt-first20.json").read_text())
    trimmed = next(i for e in entries for i in e["instances"] if i["frame_start"] > 1)
    row = table.loc[trimmed["video_id"]]
    assert (row["start"], row["end"]) == (trimmed["frame_start"] - 1, trimmed["frame_end"])


@needs_shared_data
def test_an_excerpt_declares_every_benchmark_and_warns_it_is_incomplete(tmp_path):
    dataset = build("wlasl", wlasl_root(tmp_path))
    assert set(dataset.benchmarks) == {"wlasl100", "wlasl300", "wlasl1000", "wlasl2000"}
    assert dataset.benchmarks["wlasl2000"].num_classes == 20
    assert any(w.startswith("wlasl100:") and "20 of its 100" in w for w in dataset.warnings("wlasl100"))


@needs_shared_data
def test_msasl_excerpt_counts_per_split_and_class_names(tmp_path):
    dataset = build("msasl", msasl_root(tmp_path))
    table = dataset.manifest("msasl100")
    assert table["split"].value_counts().to_dict() == {"train": 472, "val": 153, "test": 102}
    assert set(table["label"]) == set(range(10))
    names = json.loads((ANNOTATIONS / "MSASL_classes.json").read_text())
    assert dataset.class_names("msasl1000") == names and dataset.class_names("msasl100") == names[:100]
    assert dataset.benchmarks["msasl500"].num_classes == 500
    assert (table["gloss"] == [names[label] for label in table["label"]]).all()


@needs_shared_data
def test_msasl_clip_names_follow_the_documented_layout(tmp_path):
    table = build("msasl", msasl_root(tmp_path)).manifest("msasl100").set_index("sample_id")
    assert table.loc["train-00000", "video"].endswith("videos/7y5Ye-2-ZBs_0_52.mp4")
    assert table.index.is_unique


def test_nmfs_csl_reads_split_lists_with_label_indices_only(tmp_path):
    dataset = build("nmfs-csl", nmfs_csl_root(tmp_path))
    table = dataset.manifest("nmfs-csl")
    assert table["split"].value_counts().to_dict() == {"train": 20, "test": 5}
    assert dataset.benchmarks["nmfs-csl"].num_classes == 1067 and not dataset.benchmarks["nmfs-csl"].has_glosses
    assert dataset.class_names("nmfs-csl") is None


def test_nmfs_csl_label_out_of_range_names_the_file(tmp_path):
    root = nmfs_csl_root(tmp_path)
    (root / "test.txt").write_text("P50/a.mp4 1067\n")
    with pytest.raises(UsageError, match="1067"):
        build("nmfs-csl", root)
    (root / "test.txt").write_text("P50/a.mp4\n")
    with pytest.raises(UsageError, match=r"test.txt: line 1"):
        build("nmfs-csl", root)


def test_missing_annotation_file_is_one_line_naming_the_file(tmp_path):
    with pytest.raises(UsageError, match=r"WLASL_v0.3.json is missing") as error:
        build("wlasl", tmp_path)
    assert "\n" not in str(error.value)
    with pytest.raises(UsageError, match="needs --data-root"):
        build("msasl", None)


def test_benchmarks_resolve_without_importing_the_readers():
    registry = default_registry()
    assert registry.find_benchmark("wlasl2000").name == "wlasl"
    assert registry.find_benchmark("msasl200").name == "msasl"
    assert registry.find_benchmark("nmfs-csl").name == "nmfs-csl"
    assert registry.find_benchmark("synthetic").name == "synthetic"


def test_a_benchmark_name_opens_its_dataset_through_one_path():
    from slrbench.data.benchmark import open_benchmark

    opened = open_benchmark(default_registry(), "synthetic", None, {"num_classes": 4})
    assert (opened.dataset_name, opened.info.num_classes, len(opened.class_names())) == ("synthetic", 4, 4)
    assert opened.clip_reader() is not None and set(opened.manifest()["label"]) == {0, 1, 2, 3}
    with pytest.raises(UsageError, match="unknown benchmark 'wlasl10' \\(did you mean"):
        open_benchmark(default_registry(), "wlasl10", None)
