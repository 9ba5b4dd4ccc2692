"""The official annotation files give the right samples, splits and class order."""
from __future__ import annotations

import json
import shutil

import pytest

from annotation_fixtures import msasl_classes, msasl_samples, wlasl_entries
from data_roots import SHARED_ANNOTATIONS, msasl_root, needs_shared_excerpts, nmfs_csl_root, wlasl_root
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, DatasetContext
from slrbench.registry import default_registry


def build(name, root, options=None):
    return default_registry().build("datasets", name, options or {}, DatasetContext(root))


def test_wlasl_counts_per_split_and_gloss_order(tmp_path):
    dataset = build("wlasl", wlasl_root(tmp_path))
    table = dataset.manifest("wlasl100")
    assert list(table.columns) == list(MANIFEST_COLUMNS)
    assert table["split"].value_counts().to_dict() == {"train": 309, "val": 70, "test": 65}
    assert dataset.class_names("wlasl100") == [entry["gloss"] for entry in wlasl_entries()]
    assert dataset.class_names("wlasl100")[:3] == ["book", "water", "mother"]
    first = table.set_index("sample_id").loc["69241"]
    assert (first["label"], first["gloss"], first["video"].endswith("videos/69241.mp4")) == (0, "book", True)
    leading_zero = table.set_index("sample_id").loc["01004"]  # ids are strings: "01004", not 1004
    assert leading_zero["video"].endswith("videos/01004.mp4")


def test_wlasl_frame_range_becomes_zero_based_half_open(tmp_path):
    table = build("wlasl", wlasl_root(tmp_path)).manifest("wlasl300").set_index("sample_id")
    instances = [i for e in wlasl_entries() for i in e["instances"]]
    trimmed = next(i for i in instances if i["frame_start"] > 1)
    row = table.loc[trimmed["video_id"]]
    assert (row["start"], row["end"]) == (trimmed["frame_start"] - 1, trimmed["frame_end"])
    ends_only = table.loc["68208"]  # frame_start 1, frame_end 60: from the first frame to frame 60
    assert (ends_only["start"], ends_only["end"]) == ("", 60)
    whole = table.loc["69241"]  # frame_start 1, frame_end -1: the whole video
    assert (whole["start"], whole["end"]) == ("", "")


def test_an_excerpt_declares_every_benchmark_and_warns_it_is_incomplete(tmp_path):
    dataset = build("wlasl", wlasl_root(tmp_path))
    assert set(dataset.benchmarks) == {"wlasl100", "wlasl300", "wlasl1000", "wlasl2000"}
    assert dataset.benchmarks["wlasl2000"].num_classes == 20
    assert any(w.startswith("wlasl100:") and "20 of its 100" in w for w in dataset.warnings("wlasl100"))


def test_msasl_counts_per_split_and_class_names(tmp_path):
    dataset = build("msasl", msasl_root(tmp_path))
    table = dataset.manifest("msasl100")
    assert table["split"].value_counts().to_dict() == {"train": 146, "val": 39, "test": 25}
    assert set(table["label"]) == set(range(10))  # label 100 and above belong to msasl200 and larger
    assert set(dataset.manifest("msasl200")["label"]) == set(range(10)) | {100, 130, 199}
    assert len(dataset.manifest("msasl1000")) == 150 + 41 + 27
    names = msasl_classes()
    assert dataset.class_names("msasl1000") == names and dataset.class_names("msasl100") == names[:100]
    assert dataset.benchmarks["msasl500"].num_classes == 500
    assert (table["gloss"] == [names[label] for label in table["label"]]).all()


def test_msasl_clip_names_follow_the_documented_layout(tmp_path):
    table = build("msasl", msasl_root(tmp_path)).manifest("msasl100").set_index("sample_id")
    assert table.loc["train-00000", "video"].endswith("videos/Qm1x-Y_9fZ0_0_52.mp4")  # url without https://
    assert table.index.is_unique
    assert table["video"].duplicated().sum() == 1  # a clip listed twice: two samples, one file


def _fields(entry: dict) -> tuple[tuple[str, str], ...]:
    """An object's fields with their JSON types (lists as 'list'), in name order (JSON objects are unordered)."""
    return tuple(sorted((key, type(value).__name__) for key, value in entry.items()))


@needs_shared_excerpts
def test_the_generated_annotations_have_the_fields_and_types_of_the_real_excerpts():
    real = json.loads((SHARED_ANNOTATIONS / "WLASL_v0.3.excerpt-first20.json").read_text())
    made = wlasl_entries()
    assert {_fields(e) for e in real} == {_fields(e) for e in made}
    assert {_fields(i) for e in real for i in e["instances"]} == {_fields(i) for e in made for i in e["instances"]}
    for entries in (real, made):  # the conventions: 25 fps, 1-based starts, -1 or an inclusive end after the start
        instances = [i for e in entries for i in e["instances"]]
        assert {i["fps"] for i in instances} == {25} and min(i["frame_start"] for i in instances) == 1
        assert all(i["frame_end"] == -1 or i["frame_end"] >= i["frame_start"] for i in instances)
    made_samples = msasl_samples()
    for split in ("train", "val", "test"):
        samples = json.loads((SHARED_ANNOTATIONS / f"MSASL_{split}.excerpt-label-lt-10.json").read_text())
        assert {_fields(s) for s in samples} == {_fields(s) for s in made_samples[split]}  # with and without review
        for sample in samples + made_samples[split]:  # normalised [y0, x0, y1, x1]; frames beside times in seconds
            assert all(0 <= v <= 1 for v in sample["box"]) and sample["box"][0] < sample["box"][2]
            assert sample["start"] <= sample["end"] and sample["start_time"] <= sample["end_time"]
    classes = json.loads((SHARED_ANNOTATIONS / "MSASL_classes.json").read_text())
    assert len(classes) == len(msasl_classes()) == 1000 and {type(c) for c in classes} == {str}


@needs_shared_excerpts
def test_the_real_excerpts_read_with_their_documented_counts(tmp_path):
    """../shared/data/README.md: 20 WLASL glosses with 499 instances; MS-ASL labels < 10, 472 / 153 / 102."""
    wlasl = tmp_path / "wlasl"
    wlasl.mkdir()
    shutil.copy(SHARED_ANNOTATIONS / "WLASL_v0.3.excerpt-first20.json", wlasl / "WLASL_v0.3.json")
    table = build("wlasl", wlasl).manifest("wlasl100")
    assert table["split"].value_counts().to_dict() == {"train": 350, "val": 84, "test": 65}
    msasl = tmp_path / "msasl"
    msasl.mkdir()
    for split in ("train", "val", "test"):
        shutil.copy(SHARED_ANNOTATIONS / f"MSASL_{split}.excerpt-label-lt-10.json", msasl / f"MSASL_{split}.json")
    shutil.copy(SHARED_ANNOTATIONS / "MSASL_classes.json", msasl / "MSASL_classes.json")
    table = build("msasl", msasl).manifest("msasl100")
    assert table["split"].value_counts().to_dict() == {"train": 472, "val": 153, "test": 102}
    assert table.set_index("sample_id").loc["train-00000", "video"].endswith("videos/7y5Ye-2-ZBs_0_52.mp4")


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
