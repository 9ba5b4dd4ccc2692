"""Hostile files (issue 15, items 1-2): no code runs from a pickle or checkpoint, and a video that
lies about itself is one named, counted failure, never the end of the process (docs/safety.md)."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from data_roots import wlasl_root
from safety_files import (RunsCommand, claims_2_31_frames, claims_2_31_samples, hostile_pickle, keypoint_table,
                          lasts_24_days, random_bytes, sample_video, truncated)
from slrbench.cli.app import app
from slrbench.data.decoding import VideoUnreadable, open_video
from slrbench.data.keypoints import KeypointsUnavailable, has_keypoints, read_keypoints
from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.data.video_probe import VideoLimits
from slrbench.errors import UsageError
from slrbench.safe_pickle import PickleRefused, load_plain_torch_file, read_data_pickle

runner = CliRunner()
KEYPOINTS_ONLY = LoaderSettings(inputs=("keypoint_coordinates",), num_frames=8, video_size=32, heatmap_size=16)


# --- pickles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("stealthy", [False, True], ids=["os.system", "stealthy-eval"])
def test_a_pickle_that_would_run_code_is_refused_naming_the_file_and_the_global(tmp_path, stealthy):
    marker = tmp_path / "marker"
    path = hostile_pickle(tmp_path / "keypoints.pkl", marker, ("a",), stealthy)
    with pytest.raises(PickleRefused) as caught:
        read_data_pickle(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert ("builtins.eval" if stealthy else "posix.system") in message
    with pytest.raises(KeypointsUnavailable, match="refusing to load"):
        read_keypoints(f"{path}#a")
    assert has_keypoints(f"{path}#a")  # present, so `data check` reads it and reports why
    assert not marker.exists()


@pytest.mark.parametrize("protocol", range(6))
def test_plain_keypoint_pickles_of_every_protocol_still_load(tmp_path, protocol):
    table = keypoint_table(("a", "b")) | {"meta": [1, 2.5, "x", b"y", None, (True,), {3}], "n": np.float64(2.5),
                                          "big_endian": np.arange(6, dtype=">f8").reshape(2, 3)}
    path = tmp_path / "keypoints.pkl"
    path.write_bytes(pickle.dumps(table, protocol=protocol))
    loaded = read_data_pickle(path)
    assert all(np.array_equal(loaded[k], table[k]) for k in ("a", "b", "big_endian"))
    assert loaded["meta"] == table["meta"] and loaded["n"] == 2.5
    track = read_keypoints(f"{path}#b")
    assert track.values.shape == (8, 63, 3) and track.values.flags.writeable


@pytest.mark.parametrize("value", [np.array([None], dtype=object), np.zeros(2, dtype=[("x", "f4")]),
                                   np.array(["text"]), torch.zeros(2)], ids=["object", "structured", "str", "tensor"])
def test_arrays_that_are_not_plain_numbers_are_refused(tmp_path, value):
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps({"a": value}, protocol=4))
    with pytest.raises(PickleRefused, match="refusing to load"):
        read_data_pickle(path)


class DtypeWithFields:
    """numpy.dtype('f8') and then a state with a field past the item's end (numpy would accept it)."""

    def __reduce__(self):
        return (np.dtype, ("f8", False, True), (3, "<", None, ("a",), {"a": (np.dtype("f8"), 1000)}, 8, 1, 0x3F))


def test_a_pickle_cannot_give_a_dtype_fields_or_change_the_loaders_classes(tmp_path):
    path = tmp_path / "fields.pkl"
    path.write_bytes(pickle.dumps({"a": DtypeWithFields()}, protocol=4))
    with pytest.raises(PickleRefused, match="refusing to load a structured or subarray dtype"):
        read_data_pickle(path)
    # BUILD on a stand-in class itself with a slot state would set one of its attributes
    path.write_bytes(b"\x80\x02cnumpy\nndarray\nN}X\x08\x00\x00\x00__init__cbuiltins\ndict\ns\x86b.")
    with pytest.raises(PickleRefused, match="refusing to load changing _NdarrayClass.__init__"):
        read_data_pickle(path)
    assert np.array_equal(read_data_pickle(_dumped(tmp_path, {"a": np.ones(3)}))["a"], np.ones(3))


def _dumped(folder, value):
    path = folder / "plain.pkl"
    path.write_bytes(pickle.dumps(value, protocol=2))
    return path


def test_files_that_are_not_pickles_are_one_line_errors(tmp_path):
    (tmp_path / "empty.pkl").write_bytes(b"")
    (tmp_path / "text.pkl").write_text("not a pickle\n")
    (tmp_path / "dir.pkl").mkdir()
    os.mkfifo(tmp_path / "fifo.pkl")  # must not block
    for name in ("empty.pkl", "text.pkl", "dir.pkl", "fifo.pkl", "missing.pkl"):
        with pytest.raises(PickleRefused) as caught:
            read_data_pickle(tmp_path / name)
        assert str(caught.value).startswith(str(tmp_path / name)) and "\n" not in str(caught.value)


@pytest.mark.parametrize("stealthy", [False, True], ids=["os.system", "stealthy-eval"])
def test_data_check_reports_a_hostile_reference_pickle_as_named_unreadable_keypoints(tmp_path, stealthy):
    root = wlasl_root(tmp_path)
    marker = tmp_path / "marker"
    hostile_pickle(root / "keypoints_hrnet_dark_coco_wholebody.pkl", marker, ("69241", "65225"), stealthy)
    result = runner.invoke(app, ["data", "check", "--benchmark", "wlasl100", "--data-root", str(root), "--json"])
    assert result.exit_code in (0, 2), result.output
    report = json.loads(result.stdout)
    reasons = [problem["reason"] for problem in report["problems"]]
    assert reasons and all("refusing to load" in reason and "keypoints_hrnet" in reason for reason in reasons)
    assert report["splits"]["train"]["unreadable"] >= 2
    assert not marker.exists()


def _manifest(root, rows):
    (root / "manifest.csv").write_text("sample_id,split,label,gloss,video,keypoints\n" + "".join(
        f"{name},{split},{label},g{label},,{file}#{name}\n" for name, split, label, file in rows))


def test_the_loader_skips_and_counts_samples_of_a_hostile_pickle(tmp_path):
    marker = tmp_path / "marker"
    (tmp_path / "good.pkl").write_bytes(pickle.dumps(keypoint_table(("a", "b", "c", "d"))))
    hostile_pickle(tmp_path / "evil.pkl", marker, ("e", "f"), stealthy=True)
    rows = [(n, "train", i % 2, "good.pkl") for i, n in enumerate("abcd")] + [(n, "train", 0, "evil.pkl") for n in "ef"]
    records = [{"sample_id": n, "split": s, "label": l, "video": "", "keypoints": str(tmp_path / f"{f}#{n}"),
                "keypoints_frame": "256x256"} for n, s, l, f in rows]
    loader = ClipLoader(records, "train", KEYPOINTS_ONLY, train=False, batch_size=3)
    seen = [sample for batch in loader.batches() for sample in batch["sample_id"]]
    assert sorted(seen) == ["a", "b", "c", "d"]
    assert set(loader.report.skipped) == {"e", "f"} and "evil.pkl" in loader.report.skipped["e"]
    assert not marker.exists()


def test_run_on_a_hostile_pickle_stops_with_one_line_and_runs_nothing(tmp_path, one_torch_thread):
    marker = tmp_path / "marker"
    hostile_pickle(tmp_path / "keypoints.pkl", marker, tuple(f"s{i}" for i in range(12)))
    _manifest(tmp_path, [(f"s{i}", ("train", "train", "val", "test")[i % 4], i % 2, "keypoints.pkl") for i in range(12)])
    result = runner.invoke(app, ["run", "--benchmark", "manifest", "--data-root", str(tmp_path), "--backbone", "posegcn",
                                 "-o", "backbone.width=8", "-o", "backbone.blocks=1", "--epochs", "1", "--batch-size", "2",
                                 "--workers", "0", "-o", "run.num_frames=8", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    assert "refusing to load posix.system" in result.output and "Traceback" not in result.output
    assert not marker.exists()


def test_an_extraction_output_that_would_run_code_is_refused(tmp_path):
    from slrbench.extraction.store import KeypointStore

    marker = tmp_path / "marker"
    out = hostile_pickle(tmp_path / "keypoints.pkl", marker, ("a",))
    maker = {"extractor": "mediapipe", "options": {}}
    (tmp_path / "keypoints.pkl.meta.json").write_text(json.dumps(maker))
    with pytest.raises(UsageError, match=r"keypoints\.pkl: refusing to load posix\.system.*--force"):
        KeypointStore(out, maker).existing()
    assert not marker.exists()


def test_gloss_vectors_from_a_stealthy_pickle_are_refused(tmp_path):
    from slrbench.builtins.embedders.precomputed import read_gloss_vectors

    marker = tmp_path / "marker"
    with pytest.raises(UsageError, match="embedder.path: .*refusing to load builtins.eval"):
        read_gloss_vectors(hostile_pickle(tmp_path / "vectors.pkl", marker, ("cold",), stealthy=True))
    assert not marker.exists()


# --- checkpoints -----------------------------------------------------------------------------------
def test_checkpoint_errors_never_repeat_torchs_weights_only_advice(tmp_path):
    from slrbench.models.s3d_weights import read_state_dict
    from slrbench.training.checkpoints import WEIGHTS, load_checkpoint

    marker = tmp_path / "marker"
    folder = tmp_path / "last"
    folder.mkdir()
    torch.save({"epoch": 1, "extra": RunsCommand(marker)}, folder / "state.pt")
    (folder / WEIGHTS).write_bytes(b"truncated")
    for load, path in ((load_checkpoint, folder), (read_state_dict, folder / "state.pt")):
        with pytest.raises(UsageError) as caught:
            load(path)
        message = str(caught.value)
        assert "weights_only" not in message and "\n" not in message and str(folder / "state.pt") in message
        assert "not a plain tensor checkpoint (it names posix.system)" in message
    torch.save({"epoch": 1}, folder / "state.pt")
    with pytest.raises(UsageError, match=f"{WEIGHTS}: not a readable safetensors file"):
        load_checkpoint(folder)
    (folder / "state.pt").write_text("text")
    with pytest.raises(UsageError, match="not a readable torch weights file") as caught:
        load_plain_torch_file(folder / "state.pt")
    assert "weights_only" not in str(caught.value)
    assert not marker.exists()


# --- videos ----------------------------------------------------------------------------------------
LIARS = {"2^31 frames": claims_2_31_frames, "2^31 samples": claims_2_31_samples, "24 days": lasts_24_days,
         "truncated": truncated, "random bytes": random_bytes}
REASONS = {"2^31 frames": "claims 2,147,483,647 frames", "2^31 samples": "stsz claims 2,147,483,647 samples",
           "24 days": "SLRBENCH_VIDEO_MAX_SECONDS", "truncated": "truncated", "random bytes": "Invalid data"}


@pytest.mark.parametrize("decoder", ["auto", "decord", "pyav"])
@pytest.mark.parametrize("liar", list(LIARS))
def test_a_video_that_lies_is_refused_before_decoding_naming_the_file(tmp_path, liar, decoder):
    if decoder == "decord":
        pytest.importorskip("decord")
    path = tmp_path / "liar.mp4"
    path.write_bytes(LIARS[liar](sample_video()))
    with pytest.raises(VideoUnreadable) as caught:
        open_video(path, decoder).frames([0, 1])
    assert str(caught.value).startswith(f"{path}: ") and REASONS[liar] in str(caught.value)


def test_limits_come_from_the_environment_and_bound_what_one_read_decodes(tmp_path, monkeypatch):
    path = tmp_path / "real.mp4"
    path.write_bytes(sample_video())
    assert open_video(path).num_frames == 58
    monkeypatch.setenv("SLRBENCH_VIDEO_MAX_FRAMES", "10")
    with pytest.raises(VideoUnreadable, match="claims 58 frames .*SLRBENCH_VIDEO_MAX_FRAMES"):
        open_video(path)
    monkeypatch.setenv("SLRBENCH_VIDEO_MAX_FRAMES", "ten")
    with pytest.raises(UsageError, match="SLRBENCH_VIDEO_MAX_FRAMES='ten': must be a positive number"):
        open_video(path)
    monkeypatch.delenv("SLRBENCH_VIDEO_MAX_FRAMES")
    for decoder in ("auto", "pyav"):
        video = open_video(path, decoder, VideoLimits(max_decoded_mb=16))  # 540 x 720 RGB: 1.1 MB a frame
        assert video.frames(range(10)).shape == (10, 720, 540, 3)
        with pytest.raises(VideoUnreadable, match=f"{path}: 58 frames of 540x720 need 65 MB decoded"):
            video.frames(range(58))


def _wlasl_root_with_liars(tmp_path):
    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    data = sample_video()
    (root / "videos" / "69241.mp4").write_bytes(claims_2_31_frames(data))
    (root / "videos" / "65225.mp4").write_bytes(truncated(data))
    (root / "videos" / "68011.mp4").write_bytes(random_bytes(data))
    (root / "videos" / "68208.mp4").write_bytes(data)
    return root


def test_data_check_survives_a_2_31_frame_mp4_in_4_gb_of_address_space(tmp_path):
    """The crafted file made decord reserve ~51 GB and abort (exit 134, no output)."""
    root = _wlasl_root_with_liars(tmp_path)
    script = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        from slrbench.cli.app import app
        sys.argv = ["slrbench", "data", "check", "--benchmark", "wlasl100", "--data-root", {str(root)!r}, "--json"]
        app()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 2), result.stderr[-2000:]
    report = json.loads(result.stdout)
    problems = {p["sample_id"]: p["reason"] for p in report["problems"]}
    assert set(problems) >= {"69241", "65225", "68011"} and "68208" not in problems
    assert "claims 2,147,483,647 frames" in problems["69241"] and "truncated" in problems["65225"]
    assert all(reason.startswith(str(root / "videos" / f"{name}.mp4")) for name, reason in problems.items())
    assert "video_reader.cc" not in result.stderr and "[mov," not in result.stderr  # native noise silenced


def test_the_loader_counts_lying_videos_and_goes_on(tmp_path):
    root = _wlasl_root_with_liars(tmp_path)
    records = [{"sample_id": name, "split": "train", "label": 0, "video": str(root / "videos" / f"{name}.mp4"),
                "keypoints": ""} for name in ("69241", "65225", "68011", "68208")]
    settings = LoaderSettings(inputs=("video",), num_frames=4, video_size=32, heatmap_size=16)
    loader = ClipLoader(records, "train", settings, train=False, batch_size=2)
    seen = [sample for batch in loader.batches() for sample in batch["sample_id"]]
    assert seen == ["68208"] and set(loader.report.skipped) == {"69241", "65225", "68011"}
    assert all(reason.startswith(str(root / "videos")) for reason in loader.report.skipped.values())


def test_native_decoder_noise_is_silenced(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(random_bytes(b""))
    script = textwrap.dedent(f"""
        from slrbench.data.decoding import VideoUnreadable, open_video
        for decoder in ("auto", "decord", "pyav"):
            try:
                open_video({str(path)!r}, decoder)
            except VideoUnreadable as error:
                print(error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"{path}: ") and line.count(str(path)) == 1 for line in lines)
