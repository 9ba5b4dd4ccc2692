"""Issue 15, items 4-5: every hostile or careless input of the traceback list is one `error:` line
with exit code 2; every bad field is reported at once; counts are bounded and floats finite;
`data check` decodes what `run` reads and fails when a split has no usable sample; `--dry-run`
rejects what the real run rejects. Each case runs through the CLI (CliRunner, exceptions not caught)."""
from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from annotation_fixtures import msasl_samples, wlasl_entries, write_msasl, write_wlasl
from data_roots import TEST_VIDEO
from slrbench.cli.app import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def assert_one_error_line(result, expected: str = "") -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert [line.startswith("error:") for line in result.stderr.splitlines()].count(True) == 1, result.stderr
    assert expected in result.stderr, result.stderr


# --- data roots, each with one fault --------------------------------------------------------------
def wlasl_with(tmp: Path, mutate) -> Path:
    entries = wlasl_entries()
    mutate(entries)
    return write_wlasl(tmp / "wlasl", entries)


def msasl_with(tmp: Path, mutate) -> Path:
    samples = msasl_samples()
    mutate(samples["train"])
    return write_msasl(tmp / "msasl", samples)


def manifest_root(tmp: Path, text: str | bytes, name: str = "data") -> Path:
    root = tmp / name
    root.mkdir()
    (root / "manifest.csv").write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def _set(path: list, value):
    def mutate(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


WLASL_CASES = {
    "instances-is-a-string": (_set([0, "instances"], "abc"), "gloss 0: instances"),
    "missing-video-id": (_set([0, "instances", 0, "video_id"], KeyError), "instance 0: video_id: required"),
    "frame-start-one": (_set([0, "instances", 0, "frame_start"], "one"), "frame_start"),
    "gloss-null": (_set([0, "gloss"], None), "gloss 0: gloss"),
    "gloss-number": (_set([1, "gloss"], 7), "gloss 1: gloss"),
    "duplicate-gloss": (_set([1, "gloss"], "book"), "gloss 'book' already names class 0"),
    "no-instances": (_set([2, "instances"], KeyError), "gloss 2: instances: required"),
    "unknown-split": (_set([0, "instances", 0, "split"], "dev2"), "split"),
}
MSASL_CASES = {
    "label-six": (_set([0, "label"], "six"), "sample 0: label"),
    "missing-start": (_set([0, "start"], KeyError), "sample 0: start: required"),
    "label-out-of-range": (_set([0, "label"], 5000), "sample 0: label: 5000 is not a class"),
}


@pytest.mark.parametrize("case", sorted(WLASL_CASES))
def test_a_broken_wlasl_field_is_one_line_naming_file_entry_and_field(case, tmp_path):
    mutate, expected = WLASL_CASES[case]
    root = wlasl_with(tmp_path, mutate)
    for command in (["data", "check"], ["run", "--dry-run"]):
        assert_one_error_line(invoke(*command, "--benchmark", "wlasl100", "--data-root", str(root)), expected)


@pytest.mark.parametrize("case", sorted(MSASL_CASES))
def test_a_broken_msasl_field_is_one_line_naming_file_entry_and_field(case, tmp_path):
    mutate, expected = MSASL_CASES[case]
    root = msasl_with(tmp_path, mutate)
    assert_one_error_line(invoke("data", "check", "--benchmark", "msasl100", "--data-root", str(root)),
                          f"MSASL_train.json: {expected}")


MANIFEST_CASES = {
    "binary": (b"\xff\xfe\x00\x81" * 64, "not a text file"),
    "no-required-columns": ("video,keypoints\na.mp4,\n", "missing column(s) sample_id, split, label"),
    "label-word": ("sample_id,split,label\na,train,six\n", "line 2: label"),
    "start-word": ("sample_id,split,label,start\na,train,0,x\n", "line 2: start"),
    "duplicate-sample": ("sample_id,split,label\na,train,0\na,test,0\n", "sample_id: 'a' is already on line 2"),
    "gloss-on-two-labels": ("sample_id,split,label,gloss\na,train,0,cat\nb,train,1,cat\n", "gloss 'cat'"),
    "some-glosses-missing": ("sample_id,split,label,gloss\na,train,0,cat\nb,train,1,\n", "line 3: gloss: empty"),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_a_broken_manifest_is_one_line(case, tmp_path):
    text, expected = MANIFEST_CASES[case]
    root = manifest_root(tmp_path, text)
    assert_one_error_line(invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root)), expected)


def test_a_data_root_holding_pkl_marker_is_refused(tmp_path):
    root = manifest_root(tmp_path, "sample_id,split,label\na,train,0\n", name="my.pkl#x")
    assert_one_error_line(invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root)), "'.pkl#'")


# --- run settings and options ----------------------------------------------------------------------
@pytest.mark.parametrize("args, expected", [
    (["-o", "run.lr=inf"], "run.lr: must be a finite number"),
    (["-o", "run.weight_decay=nan"], "run.weight_decay: must be a finite number"),
    (["-o", "smoother.epsilon=nan"], "smoother.epsilon"),
    (["--epochs", "99999999999999999999999"], "run.epochs: must be less than or equal to 100000"),
    (["--batch-size", "10000000"], "run.batch_size"),
    (["-o", "run.num_frames=100000"], "run.num_frames"),
    (["--batch-size", "32", "--micro-batch-size", "5"], "not a multiple"),
])
def test_infinite_huge_or_indivisible_run_settings_are_refused(args, expected):
    assert_one_error_line(invoke("run", "--dry-run", *args), expected)


def test_every_bad_field_is_reported_at_once():
    result = invoke("run", "--dry-run", "-o", "run.lr=-1", "-o", "smoother.epsilon=5", "-o", "run.epochs=0",
                    "-o", "nonsense", "-o", "nokind.x=1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.count("error:") == 2  # malformed assignments first, all of them
    result = invoke("run", "--dry-run", "-o", "run.lr=-1", "-o", "smoother.epsilon=5", "-o", "run.epochs=0")
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 3 and any("smoother.epsilon" in line for line in lines), result.stderr


def test_dry_run_refuses_lang_on_an_index_only_benchmark(tmp_path):
    root = tmp_path / "nmfs"
    root.mkdir()
    (root / "train.txt").write_text("P01/a.mp4 0\nP01/b.mp4 1\n")
    (root / "test.txt").write_text("P50/a.mp4 0\n")
    result = invoke("run", "--dry-run", "--benchmark", "nmfs-csl", "--data-root", str(root), "--smoother", "lang",
                    "--mixup", "intra")
    assert_one_error_line(result, "smoother 'lang' needs gloss words")
    ok = invoke("run", "--dry-run", "--benchmark", "nmfs-csl", "--data-root", str(root), "--smoother", "vanilla",
                "--mixup", "intra")
    assert ok.exit_code == 0, ok.output


# --- files given to other commands -----------------------------------------------------------------
def test_binary_toml_and_glosses_files_and_bad_outputs_are_one_line(tmp_path):
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00\x81binary")
    assert_one_error_line(invoke("run", "--dry-run", "--config", str(binary)), "not a text file")
    glosses = tmp_path / "glosses.txt"
    glosses.write_bytes(b"\xff\xfe\x00\x81")
    assert_one_error_line(invoke("smooth", "--glosses-file", str(glosses)), "not a text file")
    assert_one_error_line(invoke("smooth", "--glosses-file", str(tmp_path)), "is a folder")
    assert_one_error_line(invoke("similarity", "cold", "winter", "--out", str(tmp_path)), "is a folder")
    assert_one_error_line(invoke("similarity", "cold", "--cache-dir", str(binary)), "is a file")
    words = tmp_path / "words.txt"
    words.write_text("cold\nhot\n")
    for command in (("similarity", "cold"), ("smooth", "--glosses-file", str(words))):  # a path below a file
        assert_one_error_line(invoke(*command, "--cache-dir", str(binary / "cache")), "bin.toml is a file, not a folder")
    assert_one_error_line(invoke("similarity", "cold", "--out", str(binary / "m.csv")), "bin.toml is a file, not a folder")
    assert_one_error_line(invoke("similarity", "cold", "--plot", str(tmp_path / "out.txt")), "--plot")
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.parametrize("config, metrics, expected", [
    ('{"plan": {"sett', '{}', "not valid JSON"),
    ('[1, 2]', '{}', "expected a JSON object"),
    ('{"plan": {"settings": {"benchmark": "synthetic"}, "plugins": {}}}', '{"per_inst', "not valid JSON"),
    ('{"plan": {"settings": {"benchmark": "synthetic"}, "plugins": {}}}', '{"per_instance_top1": 1}', "metrics.json"),
])
def test_truncated_run_files_are_one_line_for_table_and_eval(config, metrics, expected, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(config)
    (run / "metrics.json").write_text(metrics)
    assert_one_error_line(invoke("table", str(run)), expected)
    if not config.startswith('{"plan": {"settings"'):  # config.json itself is broken
        assert_one_error_line(invoke("eval", str(run)), "config.json")
    assert_one_error_line(invoke("table", str(run), "--out", str(tmp_path)), "is a folder")


def test_eval_on_a_foreign_config_is_one_line(tmp_path):
    (tmp_path / "config.json").write_text("[1, 2]")
    assert_one_error_line(invoke("eval", str(tmp_path)), "expected a JSON object")


def test_describe_with_blocked_timm_weights_is_one_line_without_torch_advice(tmp_path):
    class Hostile:
        def __reduce__(self):
            return (os.system, ("echo hostile",))

    weights = tmp_path / "weights.pth"
    weights.write_bytes(pickle.dumps({"conv1.weight": Hostile()}))
    result = invoke("describe", "backbone", "timm-frames", "-o", f"backbone.weights={weights}")
    assert_one_error_line(result, "cannot be loaded")
    assert "weights_only=False" not in result.output


@pytest.mark.parametrize("code, hint", [(28, "No space left on device; free some space"),
                                         (30, "Read-only file system; choose a writable folder")])
def test_a_full_disk_or_read_only_folder_is_one_line_naming_the_file(tmp_path, monkeypatch, code, hint):
    def fails(self, target):
        raise OSError(code, os.strerror(code))  # as a write or rename reports it: no file name

    monkeypatch.setattr(Path, "replace", fails)
    out = tmp_path / "matrix.csv"
    assert_one_error_line(invoke("similarity", "cold", "hot", "--no-cache", "--out", str(out)), f"{out}: {hint}")
    assert sorted(tmp_path.iterdir()) == []  # no temporary left


def test_a_checkpoint_that_fills_the_disk_is_an_os_error_naming_it(tmp_path, monkeypatch):
    import torch
    from safetensors import SafetensorError

    from slrbench.cli.output import storage_error_line
    from slrbench.training import checkpoints

    def full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(checkpoints, "save_file", full)
    with pytest.raises(OSError) as caught:
        checkpoints.save_checkpoint(tmp_path / "best", {"w": torch.zeros(2)}, {"epoch": 1})
    assert storage_error_line(caught.value).startswith(f"{tmp_path / 'best' / 'model.safetensors'}: No space left")
    assert sorted(tmp_path.iterdir()) == []
    hidden = OSError(28, "No space left on device", f"{tmp_path}/.run.7.partial/best/.model.8.partial.safetensors")
    assert storage_error_line(hidden).startswith(f"{tmp_path}/run/best/model.safetensors: No space left")


# --- data check checks what run reads --------------------------------------------------------------
def keypoint_manifest(tmp: Path) -> Path:
    """Keypoint-only samples: one with 0 frames, one whose pickle entry is a string, one good."""
    root = tmp / "kp"
    (root / "kp").mkdir(parents=True)
    np.save(root / "kp" / "empty.npy", np.zeros((0, 133, 3), np.float32))
    np.save(root / "kp" / "good.npy", np.full((10, 133, 3), 0.5, np.float32))
    (root / "kp.pkl").write_bytes(pickle.dumps({"word": "hello"}))
    (root / "manifest.csv").write_text("sample_id,split,label,gloss,video,keypoints,keypoints_frame\n"
                                       "a,train,0,x,,kp/empty.npy,\nb,train,1,y,,kp.pkl#word,\n"
                                       "c,test,0,x,,kp/good.npy,64x64\n")
    return root


def test_check_counts_bad_keypoint_entries_and_fails_on_a_split_without_usable_samples(tmp_path):
    root = keypoint_manifest(tmp_path)
    result = invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root), "--json")
    assert_one_error_line(result, "no usable sample in split(s) train")
    report = json.loads(result.stdout)
    assert report["splits"]["train"]["unreadable"] == 2 and report["splits"]["train"]["usable"] == 0
    assert report["splits"]["test"]["usable"] == 1
    reasons = " ".join(problem["reason"] for problem in report["problems"])
    assert "0 frames" in reasons or "no frames" in reasons


def test_keypoints_without_a_frame_or_a_video_fail_check_and_run_alike(tmp_path):
    """They passed `data check` and then failed every sample of the run with `.: missing`."""
    root = keypoint_manifest(tmp_path)
    (root / "manifest.csv").write_text("sample_id,split,label,gloss,video,keypoints\n"
                                       + "".join(f"{n},{s},{n % 2},g{n % 2},,kp/good.npy\n"
                                                 for n, s in enumerate(("train", "train", "val", "test"))))
    result = invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root), "--json")
    assert_one_error_line(result, "no usable sample in split(s) train, val, test")
    reasons = {problem["reason"] for problem in json.loads(result.stdout)["problems"]}
    assert reasons == {f"{root / 'kp' / 'good.npy'}: no keypoints_frame and no video to take the frame from; declare "
                       "the frame its coordinates are in (a manifest's keypoints_frame column WxH, or "
                       "-o dataset.keypoints_frame=WxH)"}
    from slrbench.data.keypoints import KeypointsUnavailable
    from slrbench.data.sources import FileClipReader

    row = {"sample_id": "a", "video": "", "keypoints": str(root / "kp" / "good.npy"), "keypoints_frame": ""}
    with pytest.raises(KeypointsUnavailable, match="no keypoints_frame and no video"):
        FileClipReader().open(row, need_video=False, need_keypoints=False).frame_size()  # what the loader asks
    ok = invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root), "-o", "dataset.keypoints_frame=64x64")
    assert ok.exit_code == 0, ok.output


def test_check_decodes_the_window_a_truncated_video_and_a_window_past_the_end_fail(tmp_path):
    root = tmp_path / "videos"
    root.mkdir()
    shutil.copy(TEST_VIDEO, root / "good.mp4")
    data = TEST_VIDEO.read_bytes()
    (root / "cut.mp4").write_bytes(data[: len(data) // 2])  # the header is whole, half the frames are gone
    np.save(root / "short.npy", np.full((20, 133, 3), 0.5, np.float32))
    (root / "manifest.csv").write_text("sample_id,split,label,video,keypoints,start\n"
                                       "good,train,0,good.mp4,short.npy,\ncut,train,1,cut.mp4,,\n"
                                       "late,test,0,good.mp4,,500\n")
    result = invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root), "--json")
    assert_one_error_line(result, "no usable sample in split(s) test")
    report = json.loads(result.stdout)
    assert {problem["sample_id"] for problem in report["problems"]} == {"cut", "late"}
    assert report["splits"]["train"]["usable"] == 1 and report["splits"]["train"]["keypoints_length_mismatch"] == 1
    assert any("another length than their video" in warning for warning in report["warnings"])
    sampled = json.loads(invoke("data", "check", "--benchmark", "manifest", "--data-root", str(root), "--json",
                                "--sample", "1").stdout)
    assert sampled["splits"]["train"]["checked"] == 1 and sampled["splits"]["train"]["annotated"] == 2


def test_a_diverging_run_stops_in_one_line_and_saves_no_nan_weights(tmp_path):
    """lr=1e30 is finite, so it passes validation; the loss becomes NaN or infinite in the first steps."""
    out = tmp_path / "run"
    result = invoke("run", "--benchmark", "synthetic", "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=4",
                    "-o", "dataset.val_per_class=1", "-o", "dataset.test_per_class=1", "-o", "dataset.frame_size=32",
                    "-o", "run.num_frames=16", "-o", "run.heatmap_size=32", "-o", "run.video_size=32",
                    "--workers", "0", "--backbone", "posegcn", "--smoother", "vanilla", "--mixup", "none",
                    "-o", "backbone.width=8", "-o", "backbone.blocks=2", "--epochs", "3", "--batch-size", "4",
                    "-o", "run.lr=1e30", "--out", str(out))
    assert_one_error_line(result, "training diverged")
    assert not (out / "best").exists() and not (out / "metrics.json").exists()


def test_a_run_table_in_a_recipe_says_where_run_settings_go(tmp_path):
    """`-o run.epochs=2` suggests a [run] table; the error says the settings go at the recipe's top level."""
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('benchmark = "synthetic"\n[run]\nepochs = 2\n')
    assert_one_error_line(invoke("run", "--config", str(recipe), "--dry-run"),
                          "a recipe's run settings go at its top level, before the first [table] (e.g. epochs = ...)")
