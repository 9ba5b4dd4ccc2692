"""ASL Citizen, AUTSL and LSA64 roots in their authors' schemas give the right samples, splits
(signer-independent where the dataset defines them) and class names, and bad files one line each."""
from __future__ import annotations

import json

import pytest

from signer_dataset_fixtures import (
    ASL_CITIZEN_GLOSSES, ASL_CITIZEN_SIGNERS, autsl_sample_names, write_asl_citizen, write_autsl, write_lsa64,
)
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, DatasetContext
from slrbench.registry import default_registry


def build(name, root, options=None):
    return default_registry().build("datasets", name, options or {}, DatasetContext(root))


def signers_of(table, split):
    return {sample.split("_")[1] for sample in table.loc[table["split"] == split, "sample_id"]}


# --- ASL Citizen -------------------------------------------------------------------------------
def test_asl_citizen_class_index_is_the_sorted_training_glosses(tmp_path):
    dataset = build("asl-citizen", write_asl_citizen(tmp_path / "asl"))
    table = dataset.manifest("asl-citizen")
    assert list(table.columns) == list(MANIFEST_COLUMNS)
    assert dataset.class_names("asl-citizen") == sorted(ASL_CITIZEN_GLOSSES)
    assert table["split"].value_counts().to_dict() == {
        split: len(signers) * len(ASL_CITIZEN_GLOSSES) for split, signers in ASL_CITIZEN_SIGNERS.items()}
    for row in table.itertuples():
        assert dataset.class_names("asl-citizen")[row.label] == row.gloss
        assert row.video.endswith(f"videos/{row.sample_id}.mp4")
    assert any("an excerpt" in line for line in dataset.warnings("asl-citizen"))


def test_asl_citizen_reads_the_archive_folder_inside_the_data_root(tmp_path):
    write_asl_citizen(tmp_path / "ASL_Citizen")
    table = build("asl-citizen", tmp_path).manifest("asl-citizen")
    assert table["video"].str.contains("ASL_Citizen/videos/").all()


def test_asl_citizen_bad_rows_are_one_line_each(tmp_path):
    root = write_asl_citizen(tmp_path / "asl")
    test_csv = root / "splits" / "test.csv"
    lines = test_csv.read_text().splitlines()
    lines[1] = "P5,,BOOK,C_04_014"  # no video file
    lines.append("P5,0001-NEWSIGN.mp4,NEWSIGN,NA")  # a gloss no training sample has
    test_csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(UsageError) as error:
        build("asl-citizen", root)
    message = str(error.value)
    assert "test.csv: line 2: Video file: must not be empty" in message
    assert "gloss 'NEWSIGN' has no training sample in train.csv" in message


def test_asl_citizen_missing_column_names_the_header(tmp_path):
    root = write_asl_citizen(tmp_path / "asl")
    (root / "splits" / "val.csv").write_text("Participant,Video,Gloss\nP4,a.mp4,BOOK\n")
    with pytest.raises(UsageError, match=r"val.csv: header: column\(s\) 'Participant ID', 'Video file' missing"):
        build("asl-citizen", root)


# --- AUTSL -------------------------------------------------------------------------------------
def test_autsl_official_splits_are_signer_independent_with_english_names(tmp_path):
    dataset = build("autsl", write_autsl(tmp_path / "autsl"))
    table = dataset.manifest("autsl")
    assert dataset.benchmarks["autsl"].num_classes == 226
    names = dataset.class_names("autsl")
    assert (len(names), names[:3]) == (226, ["sister", "hurry", "open"])
    split_signers = {split: {sample.split("_")[0] for sample in table.loc[table["split"] == split, "sample_id"]}
                     for split in ("train", "val", "test")}
    assert split_signers == {"train": {"signer0", "signer1", "signer2"}, "val": {"signer3"}, "test": {"signer4"}}
    first, label = autsl_sample_names("val")[0]
    row = table.set_index("sample_id").loc[first]
    assert (row["label"], row["gloss"], row["split"]) == (label, names[label], "val")
    assert row["video"].endswith(f"val/{first}_color.mp4")


def test_autsl_turkish_names_and_depth_videos(tmp_path):
    dataset = build("autsl", write_autsl(tmp_path / "autsl"), {"class_names": "tr", "modality": "depth"})
    assert dataset.class_names("autsl")[:3] == ["abla", "acele", "açık"]
    assert dataset.manifest("autsl")["video"].str.endswith("_depth.mp4").all()


def test_autsl_english_names_two_signs_share_get_their_turkish_word(tmp_path):
    root = write_autsl(tmp_path / "autsl")
    sign_list = root / "SignList_ClassId_TR_EN.csv"
    sign_list.write_text(sign_list.read_text(encoding="utf-8").replace(",hurry\n", ",sister\n"), encoding="utf-8")
    assert build("autsl", root).class_names("autsl")[:2] == ["sister (abla)", "sister (acele)"]


def test_autsl_without_test_labels_warns_and_keeps_train_and_val(tmp_path):
    dataset = build("autsl", write_autsl(tmp_path / "autsl", test_labels=False))
    assert set(dataset.manifest("autsl")["split"]) == {"train", "val"}
    assert any("test_labels.csv not found" in line for line in dataset.warnings("autsl"))


def test_autsl_bad_label_lines_are_one_line_each(tmp_path):
    root = write_autsl(tmp_path / "autsl")
    with (root / "train_labels.csv").open("a") as handle:
        handle.write("signer9_sample1,226\nsigner9-sample2;3\n")
    with pytest.raises(UsageError) as error:
        build("autsl", root)
    assert "train_labels.csv: line 13: class 226 is not an AUTSL class (0..225)" in str(error.value)
    assert "train_labels.csv: line 14: expected 'signer<S>_sample<N>,<class id>'" in str(error.value)


# --- LSA64 -------------------------------------------------------------------------------------
def test_lsa64_signer_independent_and_signer_dependent_splits(tmp_path):
    dataset = build("lsa64", write_lsa64(tmp_path / "lsa64"))
    independent = dataset.manifest("lsa64")
    assert independent["split"].value_counts().to_dict() == {"train": 3 * 8 * 5, "val": 3 * 5, "test": 3 * 5}
    assert signers_of(independent, "test") == {"010"} and signers_of(independent, "val") == {"009"}
    dependent = dataset.manifest("lsa64-signer-dependent")
    assert dependent["split"].value_counts().to_dict() == {"train": 3 * 10 * 4, "test": 3 * 10}
    assert dependent.loc[dependent["split"] == "test", "sample_id"].str.endswith("_005").all()
    names = dataset.class_names("lsa64")
    assert len(names) == len(set(names)) == 64 and names[0] == "Opaque"
    row = independent.set_index("sample_id").loc["008_001_001"]
    assert (row["label"], row["gloss"]) == (7, names[7])


def test_lsa64_spanish_glosses_with_class_names_es(tmp_path):
    root = write_lsa64(tmp_path / "lsa64")
    dataset = build("lsa64", root, {"class_names": "es"})
    names = dataset.class_names("lsa64")
    assert len(names) == len(set(names)) == 64
    assert (names[0], names[1], names[7], names[17], names[63]) == (
        "Opaco", "Rojo", "Rojo (seña 8)", "Espumadera", "Encontrar")
    table = dataset.manifest("lsa64").set_index("sample_id")
    assert table.loc["002_001_001", "gloss"] == "Rojo" and table.loc["008_001_001", "gloss"] == "Rojo (seña 8)"
    assert build("lsa64", root).class_names("lsa64")[0] == "Opaque"  # default: English, as before


def test_lsa64_names_outside_the_scheme_are_refused(tmp_path):
    root = write_lsa64(tmp_path / "lsa64", signs=(1,), signers=1, repetitions=1)
    (root / "all" / "065_001_001.mp4").write_bytes((root / "all" / "001_001_001.mp4").read_bytes())
    (root / "all" / "clip.mp4").write_bytes(b"")
    with pytest.raises(UsageError) as error:
        build("lsa64", root)
    assert "065_001_001.mp4: sign 1..64, signer 1..10 and repetition 1..5 expected" in str(error.value)
    assert "clip.mp4: the name is not <sign>_<signer>_<repetition>.mp4" in str(error.value)


def test_lsa64_without_videos_says_where_to_put_them(tmp_path):
    with pytest.raises(UsageError, match="no LSA64 videos"):
        build("lsa64", tmp_path)


# --- data check and a short run on roots with real videos ----------------------------------------
ROOTS = {
    "asl-citizen": lambda tmp: write_asl_citizen(tmp / "asl", with_videos=True),
    "autsl": lambda tmp: write_autsl(tmp / "autsl", with_videos=True),
    "lsa64": lambda tmp: write_lsa64(tmp / "lsa64", signs=(1, 2), signers=10, repetitions=2),
}


@pytest.mark.parametrize("benchmark", ["asl-citizen", "autsl", "lsa64"])
def test_data_check_passes_on_a_root_in_the_authors_schema(tmp_path, benchmark):
    from typer.testing import CliRunner

    from slrbench.cli.app import app

    root = ROOTS[benchmark](tmp_path)
    result = CliRunner().invoke(app, ["data", "check", "--benchmark", benchmark, "--data-root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for split, counts in report["splits"].items():
        assert counts["usable"] == counts["annotated"] > 0, (split, counts)
        assert counts["unreadable"] == 0 and counts["videos_missing"] == 0


@pytest.mark.parametrize("benchmark", ["asl-citizen", "autsl", "lsa64"])
def test_a_short_run_trains_and_tests_on_a_root_in_the_authors_schema(tmp_path, benchmark):
    from helpers import run_cli

    root = ROOTS[benchmark](tmp_path)
    out = tmp_path / "run"
    result = run_cli("run", "--benchmark", benchmark, "--data-root", str(root), "--backbone", "posegcn",
                     "-o", "backbone.width=8", "-o", "backbone.blocks=2", "--smoother", "vanilla", "--mixup", "none",
                     "--epochs", "1", "--batch-size", "8", "-o", "run.num_frames=8", "--workers", "0", "--out", str(out),
                     env={"SLRBENCH_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    expected = len(build(benchmark, root).manifest(benchmark).query("split == 'test'"))
    assert metrics["num_samples"] == expected and not metrics.get("skipped_samples")


def test_the_dataset_papers_baselines_show_up_beside_runs_on_their_benchmarks():
    from slrbench.evaluation.tables import reference_rows

    rows = reference_rows("dataset-papers", ["autsl", "asl-citizen"])
    assert set(rows["benchmark"]) == {"autsl", "asl-citizen"}
    best = rows.set_index("method").loc["dataset-papers (published, cnn-fpm-blstm-attention-rgb-depth)"]
    assert (best["benchmark"], best["per_instance_top1"]) == ("autsl", 62.02)
    assert reference_rows("dataset-papers", ["wlasl2000"]).empty
    assert len(reference_rows("nla-slr", ["wlasl2000"])) == 2  # files with paper tables: tables 1-3 only


def test_a_declared_keypoints_frame_applies_to_npy_keypoints(tmp_path):
    root = write_lsa64(tmp_path / "lsa64", signs=(1,), signers=2, repetitions=1)
    table = build("lsa64", root, {"keypoints_frame": "1920x1080"}).manifest("lsa64")
    assert table["keypoints"].str.endswith(".npy").all() and (table["keypoints_frame"] == "1920x1080").all()
    assert (build("lsa64", root).manifest("lsa64")["keypoints_frame"] == "").all()  # default: the video's pixels
