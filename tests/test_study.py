"""`slrbench study` end to end: real `slrbench run` cells (the tiny posegcn configuration of
test_training_run.py, one epoch), interrupted and resumed, printed for a job array, and its one-line errors.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import run_cli

from slrbench.study import thread_environment

RECIPE = """\
benchmark = "synthetic"
epochs = 1
batch_size = 8
num_frames = 16
heatmap_size = 32
video_size = 32
workers = 0

[dataset]
num_classes = 6
train_per_class = 6
val_per_class = 2
test_per_class = 3
frame_size = 32

[backbone]
name = "posegcn"
width = 8
blocks = 2
dropout = 0

[mixup]
name = "sign"

[embedder]
name = "glove"

[variants.lang]
smoother = { name = "lang" }

[variants.vanilla]
smoother = { name = "vanilla" }
"""
CELLS = ["lang/seed-321", "lang/seed-322", "vanilla/seed-321", "vanilla/seed-322"]


def write_recipe(tmp_path: Path) -> Path:
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(RECIPE)
    return recipe


def study(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("study", "--config", str(tmp_path / "tiny.toml"), *args,
                   env={"SLRBENCH_CACHE": str(tmp_path / "cache")})


def _ctrl_c_reaches_this_process() -> None:
    """As in a terminal: SIGINT neither ignored nor blocked, whatever the test process inherited (a
    shell's background job ignores it, and some libraries block it in the thread that starts children)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_an_interrupted_study_resumes_and_a_finished_one_skips_every_cell(tmp_path):
    recipe, out = write_recipe(tmp_path), tmp_path / "study"
    arguments = ["--all-variants", "--seeds", "2", "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen([sys.executable, "-m", "slrbench", "study", "--config", str(recipe), *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_ctrl_c_reaches_this_process,
                               env={**os.environ, "SLRBENCH_CACHE": str(tmp_path / "cache"), "COLUMNS": "200"})
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and \
            not any((out / cell / "config.json").is_file() for cell in CELLS):
        time.sleep(0.05)
    assert process.poll() is None, f"the study ended before it was interrupted: {process.communicate()}"
    os.killpg(process.pid, signal.SIGINT)  # as a Ctrl-C in the terminal: the study and its cells
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode != 0, f"the study was not interrupted:\n{stdout}\n{stderr}"
    assert "continue with the same command: slrbench study" in stderr and len(stderr.strip().splitlines()) == 1
    interrupted = [cell for cell in CELLS if (out / cell / "config.json").is_file()
                   and not (out / cell / "metrics.json").is_file()]
    assert interrupted, "no cell was interrupted after it started"

    finished = study(tmp_path, *arguments)
    assert finished.returncode == 0, finished.stderr
    for cell in CELLS:
        assert (out / cell / "metrics.json").is_file() and (out / cell / "predictions.parquet").is_file(), cell
    for cell in interrupted:
        assert f"resume (interrupted run) {cell}" in finished.stdout
        assert "slrbench study resumes the interrupted run" in (out / f"{cell}.log").read_text()
    record = json.loads((out / "study.json").read_text())
    assert record["variants"] == ["lang", "vanilla"] and record["seeds"] == [321, 322]
    assert [f"{row['variant']}/seed-{row['seed']}" for row in record["cells"]] == CELLS
    assert record["recipe"]["text"] == RECIPE and "--variant lang --seed 321" in record["cells"][0]["command"]
    assert f"slrbench compare {out}" in finished.stdout

    logs = {cell: (out / f"{cell}.log").stat().st_size for cell in CELLS}
    again = study(tmp_path, *arguments)
    assert again.returncode == 0, again.stderr
    assert "all 4 cells finished earlier: nothing to run" in again.stdout
    assert {cell: (out / f"{cell}.log").stat().st_size for cell in CELLS} == logs


def test_printed_commands_run_the_unfinished_cells(tmp_path):
    write_recipe(tmp_path)
    out = tmp_path / "study"
    printed = study(tmp_path, "--variant", "vanilla", "--seed-list", "7", "--out", str(out), "--print-commands")
    assert printed.returncode == 0, printed.stderr
    commands = printed.stdout.splitlines()
    assert len(commands) == 1 and commands[0].startswith("cd /")
    assert f"--variant vanilla --seed 7 --out {out / 'vanilla' / 'seed-7'}" in commands[0]
    assert sorted(path.name for path in out.iterdir()) == ["study.json"]  # nothing else is written
    ran = subprocess.run(commands[0], shell=True, capture_output=True, text=True,
                         env={**os.environ, "SLRBENCH_CACHE": str(tmp_path / "cache")})
    assert ran.returncode == 0, ran.stderr
    assert (out / "vanilla" / "seed-7" / "metrics.json").is_file()
    again = study(tmp_path, "--variant", "vanilla", "--seed-list", "7", "--out", str(out), "--print-commands")
    assert again.returncode == 0 and again.stdout == "" and "all 1 cells are finished" in again.stderr


def test_failed_cells_are_reported_with_their_logs_and_the_others_go_on(tmp_path):
    write_recipe(tmp_path)
    out = tmp_path / "study"
    for seed in (1, 2):  # a folder whose config.json is not a run's: the run refuses it after torch starts
        (out / "vanilla" / f"seed-{seed}").mkdir(parents=True)
        (out / "vanilla" / f"seed-{seed}" / "config.json").write_text("{}")
    failed = study(tmp_path, "--variant", "vanilla", "--seed-list", "1,2", "--out", str(out), "--jobs", "2")
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        f"error: vanilla/seed-{seed} failed (exit code 2); its log: {out / 'vanilla' / f'seed-{seed}.log'}"
        for seed in (1, 2)]
    assert "holds files slrbench did not write" in (out / "vanilla" / "seed-2.log").read_text()


def test_bad_choices_and_a_changed_study_are_one_line_errors(tmp_path):
    recipe, out = write_recipe(tmp_path), tmp_path / "study"
    unknown = study(tmp_path, "--variant", "lnag", "--seeds", "2", "--out", str(out))
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines() == [
        f"error: {recipe} has no variant 'lnag'; variants: lang, vanilla"]
    unchosen = study(tmp_path, "--seeds", "2", "--out", str(out))
    assert unchosen.returncode == 2 and len(unchosen.stderr.strip().splitlines()) == 1
    assert "--all-variants" in unchosen.stderr
    seed_option = study(tmp_path, "--all-variants", "--seeds", "1", "--out", str(out), "-o", "run.seed=3")
    assert seed_option.returncode == 2 and "--seed-list" in seed_option.stderr
    assert not out.exists()

    first = study(tmp_path, "--variant", "lang", "--seeds", "1", "--out", str(out), "--print-commands")
    assert first.returncode == 0, first.stderr
    other_options = study(tmp_path, "--variant", "lang", "--seeds", "1", "--out", str(out), "--print-commands",
                          "-o", "run.lr=0.01")
    assert other_options.returncode == 2 and len(other_options.stderr.strip().splitlines()) == 1
    assert "holds a study run with no -o options" in other_options.stderr
    recipe.write_text(RECIPE.replace('smoother = { name = "lang" }', 'smoother = { name = "lang", epsilon = 0.1 }'))
    changed = study(tmp_path, "--variant", "lang", "--seeds", "1", "--out", str(out), "--print-commands")
    assert changed.returncode == 2 and "variant 'lang' meant something else" in changed.stderr
    recipe.write_text(RECIPE)
    grown = study(tmp_path, "--all-variants", "--seeds", "2", "--out", str(out), "--print-commands")
    assert grown.returncode == 0 and len(grown.stdout.splitlines()) == 4
    assert len(json.loads((out / "study.json").read_text())["cells"]) == 4


def test_jobs_share_the_cpu_threads():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    environment = thread_environment(2)
    assert environment["OMP_NUM_THREADS"] == environment["MKL_NUM_THREADS"] == str(max(1, cpus // 2))
    assert thread_environment(10_000)["OMP_NUM_THREADS"] == "1"
