"""The reference's data bundle as a data root of the standard benchmarks: layout detection, the
reference's subsets, class order and frame counts, `data check`, and hostile or broken bundles."""
from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bundle_fixtures import FRAMES, MSASL_WORDS, WLASL_WORDS, write_msasl_bundle, write_nmfs_csl_bundle, write_wlasl_bundle
from data_roots import wlasl_root
from safety_files import RunsCommand
from slrbench.cli.app import app
from slrbench.data.benchmark import open_benchmark
from slrbench.errors import UsageError
from slrbench.registry import default_registry


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bundles")
    return {"wlasl": write_wlasl_bundle(folder / "wlasl"), "msasl": write_msasl_bundle(folder / "msasl"),
            "nmfs-csl": write_nmfs_csl_bundle(folder / "nmfs-csl")}


def opened(benchmark: str, root: Path, **options):
    return open_benchmark(default_registry(), benchmark, root, options)


def check(*args: str):
    return CliRunner().invoke(app, ["data", "check", *args], catch_exceptions=False)


def test_wlasl_subsets_keep_the_listed_names_and_number_classes_by_sorted_gloss(bundles):
    wlasl100, wlasl300 = opened("wlasl100", bundles["wlasl"]), opened("wlasl300", bundles["wlasl"])
    assert wlasl300.class_names() == sorted(WLASL_WORDS) != list(WLASL_WORDS)
    assert wlasl100.class_names() == sorted(WLASL_WORDS[:3])  # 100.json lists the first three words' videos
    table = wlasl300.manifest()
    assert len(table) == 4 * 6 and not table["sample_id"].duplicated().any()  # the augmentation entry is gone
    for row in table.to_dict("records"):
        assert wlasl300.class_names()[row["label"]] == row["gloss"]
        assert row["video"].endswith(f"WLASL2000.zip#WLASL2000/{row['sample_id']}.mp4")
        assert row["end"] == FRAMES - 2 and row["keypoints_frame"] == "256x256"  # seq_len - 2 frames
    assert sorted(set(table["split"])) == ["test", "train", "val"]  # dev.pkl (gzip) is the val split


def test_msasl_subsets_keep_the_first_k_classes_in_the_class_files_order(bundles):
    msasl100, msasl200 = opened("msasl100", bundles["msasl"]), opened("msasl200", bundles["msasl"])
    assert msasl100.class_names()[:4] == list(MSASL_WORDS) and msasl100.info.num_classes == 100
    assert msasl200.info.num_classes == 120  # the class file has 120
    assert len(msasl100.manifest()) == 4 * 6 and len(msasl200.manifest()) == 5 * 6  # class 110 only in msasl200
    row = msasl100.manifest().iloc[0]
    assert row["video"].endswith(f"msasl_frames1.zip#msasl_frames1/train/{row['sample_id']}/%04d.png")
    assert row["end"] == FRAMES


def test_nmfs_csl_integer_labels_give_an_index_only_benchmark_in_sorted_label_order(bundles):
    nmfs = opened("nmfs-csl", bundles["nmfs-csl"])
    assert nmfs.class_names() is None and nmfs.info.num_classes == 4 and not nmfs.info.has_glosses
    table = nmfs.manifest()
    label_of_name = {name: int(name.split("_")[1]) for name in table["sample_id"]}
    assert all(sorted({7, 3, 12, 5}).index(label_of_name[row.sample_id]) == row.label for row in table.itertuples())
    assert set(table["keypoints_frame"]) == {"512x512"} and table["video"].str.endswith("image_%05d.jpg").all()
    assert any("only 4 of its 1067 classes" in line for line in nmfs.warnings())


@pytest.mark.parametrize("benchmark, dataset", [("wlasl300", "wlasl"), ("msasl100", "msasl"), ("nmfs-csl", "nmfs-csl")])
def test_data_check_decodes_every_window_from_the_zips_and_names_the_layout(bundles, benchmark, dataset):
    result = check("--benchmark", benchmark, "--data-root", str(bundles[dataset]), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["layout"].startswith("the reference's bundle (train.pkl, dev.pkl, test.pkl; videos from")
    for counts in report["splits"].values():
        assert counts["usable"] == counts["videos_present"] == counts["keypoints_present"] == counts["annotated"] > 0
        assert counts["unreadable"] == counts["keypoints_outside_frame"] == counts["keypoints_length_mismatch"] == 0
    text = check("--benchmark", benchmark, "--data-root", str(bundles[dataset]))
    assert "read from the reference's bundle" in text.output


def test_the_layout_option_chooses_and_a_root_holding_both_is_a_one_line_error(bundles, tmp_path):
    with pytest.raises(UsageError, match="WLASL_v0.3.json is missing"):
        opened("wlasl100", bundles["wlasl"], layout="official")
    official = wlasl_root(tmp_path)
    with pytest.raises(UsageError, match="train.pkl is missing; the reference's bundle has"):
        opened("wlasl100", official, layout="bundle")
    (official / "train.pkl").write_bytes((bundles["wlasl"] / "train.pkl").read_bytes())
    result = check("--benchmark", "wlasl100", "--data-root", str(official))
    assert result.exit_code == 2 and "holds both the official WLASL_v0.3.json and the reference's bundle" in result.output
    assert "-o dataset.layout=official or -o dataset.layout=bundle" in result.output
    assert len(result.output.strip().splitlines()) == 1
    report = json.loads(check("--benchmark", "wlasl100", "--data-root", str(official), "-o", "dataset.layout=official",
                              "--json").stdout)
    assert report["layout"] == "the official annotation files (WLASL_v0.3.json and videos/<video_id>.mp4)"


def copy_bundle(source: Path, target: Path) -> Path:
    target.mkdir()
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_hostile_split_pickle_runs_no_code_and_is_one_line(bundles, tmp_path, compressed):
    root = copy_bundle(bundles["wlasl"], tmp_path / "bundle")
    marker = tmp_path / "pwned"
    data = pickle.dumps([RunsCommand(marker)], protocol=4)
    (root / "train.pkl").write_bytes(gzip.compress(data) if compressed else data)
    result = check("--benchmark", "wlasl100", "--data-root", str(root))
    assert result.exit_code == 2 and not marker.exists()
    assert "train.pkl: refusing to load posix.system" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_entries_and_missing_subset_files_are_one_line_each(bundles, tmp_path):
    root = copy_bundle(bundles["wlasl"], tmp_path / "bundle")
    entries = pickle.loads((root / "test.pkl").read_bytes())
    entries[1]["seq_len"] = "40"
    del entries[2]["video_file"]
    (root / "test.pkl").write_bytes(pickle.dumps(entries))
    result = check("--benchmark", "wlasl100", "--data-root", str(root))
    assert result.exit_code == 2
    assert "test.pkl: entry 1: seq_len: must be a valid integer (got '40')" in " ".join(result.output.split())
    assert "test.pkl: entry 2: video_file: required field is missing" in " ".join(result.output.split())
    (root / "test.pkl").write_bytes((bundles["wlasl"] / "test.pkl").read_bytes())
    (root / "100.json").unlink()
    result = check("--benchmark", "wlasl100", "--data-root", str(root))
    assert result.exit_code == 2 and "100.json is missing: the reference's bundle lists the videos of wlasl100" in \
        " ".join(result.output.split())
    assert check("--benchmark", "wlasl300", "--data-root", str(root)).exit_code == 0  # other subsets still read


def test_a_bundle_without_its_video_zip_still_serves_keypoints_and_says_so(bundles, tmp_path):
    root = copy_bundle(bundles["nmfs-csl"], tmp_path / "bundle")
    (root / "NMFs-CSL_video.zip").unlink()
    report = json.loads(check("--benchmark", "nmfs-csl", "--data-root", str(root), "--json").stdout)
    assert report["splits"]["train"]["videos_missing"] == 12 and report["splits"]["train"]["usable"] == 12
    assert any("NMFs-CSL_video.zip is not in" in line and "keypoint-only" in line for line in report["warnings"])


def test_an_archive_of_other_members_is_named_with_an_example(bundles, tmp_path):
    import zipfile

    root = copy_bundle(bundles["wlasl"], tmp_path / "bundle")
    with zipfile.ZipFile(root / "WLASL2000.zip", "w") as archive:
        archive.writestr("videos/00000.mp4", b"not this layout")
    warnings = opened("wlasl300", root).warnings()
    assert any("expected members like 'WLASL2000/00000.mp4'" in line and "'videos/00000.mp4'" in line
               for line in warnings)


@pytest.mark.parametrize("dataset", ["wlasl", "msasl", "nmfs-csl"])
def test_bundle_datasets_keep_the_dataset_contract(bundles, dataset):
    from slrbench.testing import check_dataset

    report = check_dataset(dataset, data_root=bundles[dataset])
    assert all(sizes.get("train") for sizes in report["benchmarks"].values())
