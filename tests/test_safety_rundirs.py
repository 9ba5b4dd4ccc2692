"""Run directories owned and locked (issue 15, item 3): a marker says slrbench made the folder, a
second process on it stops with one line naming the holder, `run --out` and `import-checkpoint
--force` never touch a folder of other files, a run that failed before its first epoch reruns as it
was, `--resume` names the options that differ, a failed `keypoints extract` does not lock in its options.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from slrbench.cli.app import app
from slrbench.errors import UsageError
from slrbench.ownership import LOCK, MARKER, RunDirLock, claim_run_dir, read_marker

from helpers import run_cli
from test_training_run import DATA, POSEGCN

SMALL = [*DATA, *POSEGCN, "--batch-size", "8"]


def run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("run", *SMALL, "--out", str(out), *extra, env={"SLRBENCH_CACHE": str(out.parent / "cache")})


def tree(folder: Path) -> dict[str, str]:
    """Every path under `folder` with the sha256 of its bytes ("dir" for folders)."""
    return {str(path.relative_to(folder)): "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))}


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# --- the marker: run --out ------------------------------------------------------------------------
def test_run_refuses_a_folder_of_user_files_a_file_and_a_foreign_marker_writing_nothing(tmp_path):
    user = tmp_path / "analysis"
    user.mkdir()
    (user / "predictions.csv").write_text("mine\n")
    (user / "config.json").write_text('{"lr": 1}\n')
    before = tree(tmp_path)
    assert "holds files slrbench did not write" in one_error_line(run(user, "--epochs", "1"))
    note = tmp_path / "notes.txt"
    note.write_text("keep me\n")
    assert "is a file, not a folder" in one_error_line(run(note, "--epochs", "1"))
    assert "is a file, not a folder" in one_error_line(run(note / "run", "--epochs", "1"))
    (user / MARKER).write_bytes(b"\x00garbage")
    assert "is not slrbench's" in one_error_line(run(user, "--epochs", "1"))
    (user / MARKER).unlink()
    assert tree(tmp_path) == {**before, "notes.txt": hashlib.sha256(b"keep me\n").hexdigest()}


def test_a_run_marks_its_folder_and_an_empty_folder_may_become_a_run(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = run(folder, "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert read_marker(folder)["made_by"] == "slrbench run" and (folder / "metrics.json").is_file()
    # the lock is free once the run is over
    RunDirLock.acquire(folder).release()


# --- the lock -------------------------------------------------------------------------------------
def test_a_second_run_on_the_same_out_stops_naming_the_holder_and_a_killed_holder_frees_it(tmp_path):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "slrbench", "run", *SMALL, "--out", str(out), "--epochs", "200"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "SLRBENCH_CACHE": str(tmp_path / "cache")})
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None and not (out / "config.json").is_file():
            time.sleep(0.05)
        assert first.poll() is None and (out / "config.json").is_file(), "the first run did not start"
        config = (out / "config.json").read_bytes()
        line = one_error_line(run(out, "--epochs", "200"))
        assert f"pid {first.pid} on {socket.gethostname()}" in line and "in use by another slrbench process" in line
        line = one_error_line(run(out, "--epochs", "200", "--resume"))
        assert f"pid {first.pid}" in line
        assert (out / "config.json").read_bytes() == config  # the second run wrote nothing
        with pytest.raises(UsageError, match=f"pid {first.pid}"):
            claim_run_dir(out, "run")  # the same in-process
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    RunDirLock.acquire(out).release()  # the kernel released the dead holder's lock: nothing stale


# --- rerunning and resuming -----------------------------------------------------------------------
def test_a_run_that_failed_before_its_first_epoch_reruns_and_resume_names_what_differs(tmp_path):
    out = tmp_path / "run"
    assert run(out, "--epochs", "1").returncode == 0
    finished = tree(out)
    # A finished run is not overwritten by accident ...
    assert "already holds a run; pass --resume" in one_error_line(run(out, "--epochs", "1"))
    # ... and --resume with other options names each field that differs, old -> new.
    line = one_error_line(run(out, "--epochs", "2", "--resume", "-o", "backbone.width=16", "-o", "run.lr=0.01"))
    assert "plugins.backbone.options.width: 8 -> 16" in line and "settings.lr: 0.001 -> 0.01" in line
    assert "epochs" not in line.split("started with:")[1].split("; resume")[0]
    assert tree(out) == finished | {LOCK: tree(out)[LOCK]}  # the lock names its latest holder
    # What a run that died before its first checkpoint leaves: the marker, config.json, class names.
    for name in ("checkpoint", "best"):
        shutil.rmtree(out / name)
    for name in ("metrics.json", "history.csv", "per_class.csv", "predictions.parquet"):
        (out / name).unlink()
    result = run(out, "--epochs", "1")  # the identical command
    assert result.returncode == 0, result.stderr
    assert (out / "metrics.json").is_file() and (out / "checkpoint" / "state.pt").is_file()


def test_resume_of_a_folder_without_a_run_says_so_and_leaves_nothing(tmp_path):
    out = tmp_path / "typo"
    assert "holds no run to resume" in one_error_line(run(out, "--epochs", "1", "--resume"))
    assert not out.exists()  # the folder claimed for the check is removed again


# --- import-checkpoint --force --------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    from test_reference_checkpoint import reference_shapes, with_classes

    state = {key: torch.zeros(shape) for key, shape in with_classes(reference_shapes("rgb_frame64"), 1000).items()}
    file = tmp_path_factory.mktemp("checkpoint") / "best.ckpt"
    torch.save({"epoch": 3, "model_state": state}, file)
    return file


def import_into(checkpoint: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, ["import-checkpoint", "--from", "nla-slr", str(checkpoint), "--out", str(out),
                                    "--benchmark", "msasl1000", *extra])


def test_import_force_replaces_only_a_directory_slrbench_made(tmp_path, checkpoint):
    user = tmp_path / "papers"
    (user / "drafts").mkdir(parents=True)
    (user / "drafts" / "paper.tex").write_text("results\n")
    note = tmp_path / "model.txt"
    note.write_text("a file\n")
    before = tree(tmp_path)
    for out, message in ((user, "holds files slrbench did not write"), (note, "is a file, not a folder")):
        result = import_into(checkpoint, out, "--force")
        assert result.exit_code == 2 and message in result.output and result.exception.__class__ is SystemExit
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert tree(tmp_path) == before  # nothing deleted, no hidden or .old leftovers
    imported = tmp_path / "imported"
    assert import_into(checkpoint, imported).exit_code == 0
    assert read_marker(imported)["made_by"] == "slrbench import-checkpoint"
    (imported / "best" / "model.safetensors").unlink()
    assert import_into(checkpoint, imported, "--force").exit_code == 0
    assert (imported / "best" / "model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imported", "model.txt", "papers"]
    # `run --out` on an imported checkpoint is refused, not trained over
    assert "holds an imported checkpoint" in one_error_line(run(imported, "--epochs", "1"))


def test_import_waits_for_no_run_it_would_replace(tmp_path, checkpoint):
    imported = tmp_path / "imported"
    assert import_into(checkpoint, imported).exit_code == 0
    holder = RunDirLock.acquire(imported)  # as a run working in it would
    try:
        result = import_into(checkpoint, imported, "--force")
        assert result.exit_code == 2 and "in use by another slrbench process" in result.output
    finally:
        holder.release()
    assert (imported / "best" / "model.safetensors").is_file()


# --- keypoints extract: a failed attempt does not lock in its options ----------------------------
def test_a_failed_extraction_does_not_refuse_the_corrected_command(tmp_path):
    from data_roots import TEST_VIDEO, wlasl_root
    from onnx_models import export_spot_locator

    model = export_spot_locator(tmp_path / "locator.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    root = wlasl_root(tmp_path)
    (root / "videos").mkdir()
    shutil.copy(TEST_VIDEO, root / "videos" / "69241.mp4")

    def extract(path: Path) -> subprocess.CompletedProcess:
        return run_cli("keypoints", "extract", "--benchmark", "wlasl100", "--data-root", str(root), "--extractor",
                       "rtmpose", "-o", f"extractor.path={path}", "--json")

    assert "not a loadable ONNX model" in one_error_line(extract(broken))
    result = extract(model)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["extracted"] == 1 and (root / "keypoints.pkl").is_file()


def test_the_lock_file_names_its_holder_and_the_marker_survives_a_second_claim(tmp_path):
    out = tmp_path / "run"
    lock = claim_run_dir(out, "run")
    try:
        pid, host = (out / LOCK).read_text().split()
        assert int(pid) == os.getpid() and host == socket.gethostname()
        marker = (out / MARKER).read_bytes()
    finally:
        lock.release()
    claim_run_dir(out, "run").release(remove_unused=True)  # not created by this claim: kept
    assert (out / MARKER).read_bytes() == marker
