"""`slrbench export`: a tiny real run as a shareable model folder that round-trips through `predict`,
`eval` and `--init-from`, also as `hf-hub:ORG/NAME` (snapshot_download replaced: nothing downloads),
and one-line errors for what cannot be exported or used."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file
from typer.testing import CliRunner

from report_runs import tiny_run
from slrbench.cli.app import app
from test_training_run import DATA, POSEGCN

SAMPLES = Path(__file__).parent / "data" / "samples"
VIDEO, POSE = SAMPLES / "test_video.mp4", SAMPLES / "mediapipe.pose"
ENV = {"COLUMNS": "200"}


def cli(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny run and its export (made once; read-only: copy it to change it)."""
    run = tiny_run(tmp_path_factory)
    out = run.parent / "exported"
    if not out.exists():
        result = cli("export", str(run), "--out", str(out))
        assert result.exit_code == 0, result.output
    return run, out


def top_k(model: str | Path) -> list:
    result = cli("predict", str(model), str(VIDEO), "--keypoints", str(POSE), "--top", "6", "--crops", "3", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]["predictions"]


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_export_writes_inference_weights_plan_classes_metrics_card_and_manifest(tmp_path_factory):
    import hashlib

    run, out = exported(tmp_path_factory)
    names = {path.name for path in out.iterdir()}
    assert {"model.safetensors", "config.json", "class_names.json", "metrics.json", "README.md",
            "slrbench-export.json"} <= names and not {"best", "checkpoint", "history.csv"} & names
    weights, best = load_file(str(out / "model.safetensors")), load_file(str(run / "best" / "model.safetensors"))
    assert not any(key.startswith("branch.") for key in weights)
    assert all((weights[key] == best[key]).all() for key in weights) and set(weights) <= set(best)
    manifest = json.loads((out / "slrbench-export.json").read_text())
    assert manifest["format"] == "slrbench-model" and manifest["format_version"] == 1
    assert manifest["weights"]["sha256"] == hashlib.sha256((out / "model.safetensors").read_bytes()).hexdigest()
    config = json.loads((out / "config.json").read_text())
    assert config["plan"]["settings"]["out"] is None and "git" not in config  # nothing of the author's machine
    assert json.loads((out / "class_names.json").read_text()) == json.loads((run / "class_names.json").read_text())
    assert json.loads((out / "metrics.json").read_text()) == json.loads((run / "metrics.json").read_text())
    card = (out / "README.md").read_text()
    for part in ("# posegcn on synthetic (6 classes)", "## Test results", "| per-instance |", "## Training",
                 "slrbench predict", "--init-from", "## Licence"):
        assert part in card


def test_predict_on_the_export_gives_exactly_the_run_directory_s_top_k(tmp_path_factory):
    run, out = exported(tmp_path_factory)
    assert top_k(out) == top_k(run)


def test_eval_on_the_export_needs_out_and_reproduces_the_run_s_metrics(tmp_path_factory, tmp_path):
    run, out = exported(tmp_path_factory)
    before = sorted(path.name for path in out.iterdir())
    assert "--out" in one_error_line(cli("eval", str(out)))
    result = cli("eval", str(out), "--out", str(tmp_path / "eval"))
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    recorded = json.loads((run / "metrics.json").read_text())
    assert metrics["per_instance_top1"] == pytest.approx(recorded["per_instance_top1"])
    assert metrics["per_class_top5"] == pytest.approx(recorded["per_class_top5"])
    assert sorted(path.name for path in out.iterdir()) == before  # the export is never written into
    assert "inside" in one_error_line(cli("eval", str(out), "--out", str(out / "eval")))


def test_init_from_the_export_loads_its_weights(tmp_path_factory):
    import torch

    from slrbench.registry import default_registry
    from slrbench.training.build import build_backbone
    from slrbench.training.eval_run import recorded_plan
    from slrbench.training.initialise import initialise_from_runs
    from slrbench.training.model import SignModel

    run, out = exported(tmp_path_factory)
    registry = default_registry()
    plan = recorded_plan(registry, out, json.loads((out / "config.json").read_text())["plan"])
    torch.manual_seed(0)
    model = SignModel(build_backbone(registry, plan)[0], 6)
    classes = json.loads((out / "class_names.json").read_text())
    report = initialise_from_runs(model, [out], classes)
    weights = load_file(str(out / "model.safetensors"))
    assert set(report.loaded) == set(weights)  # classifiers too: the same classes
    state = model.state_dict()
    assert all(torch.equal(state[key], value) for key, value in weights.items())
    dry = cli("run", *DATA, *POSEGCN, "--init-from", str(out), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output  # an export counts as a finished source


def test_an_imported_reference_checkpoint_exports_and_predicts_the_same(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_reference_checkpoint import class_checkpoint

    imported = tmp_path / "imported"
    made = cli("import-checkpoint", "--from", "nla-slr", str(class_checkpoint(tmp_path, 100)), "--out", str(imported),
               "--benchmark", "msasl100", "--backbone", "video-32")
    assert made.exit_code == 0, made.output
    result = cli("export", str(imported), "--out", str(tmp_path / "exported"))
    assert result.exit_code == 0, result.output
    assert not any(key.startswith("branch.") for key in load_file(str(tmp_path / "exported" / "model.safetensors")))
    answers = [cli("predict", str(model), str(VIDEO), "--top", "2", "--json") for model in (imported, tmp_path / "exported")]
    assert all(answer.exit_code == 0 for answer in answers), answers[1].output
    assert json.loads(answers[0].stdout) == json.loads(answers[1].stdout)


def test_hf_hub_without_huggingface_hub_is_one_line_with_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails as if it were not installed
    line = one_error_line(cli("predict", "hf-hub:someone/sign-model", str(VIDEO), "--keypoints", str(POSE)))
    assert "pip install huggingface_hub" in line and "hf-hub:someone/sign-model" in line


def test_hf_hub_resolves_through_snapshot_download(tmp_path_factory, monkeypatch):
    hub = pytest.importorskip("huggingface_hub")
    run, out = exported(tmp_path_factory)
    asked = []

    def snapshot_download(repo_id: str, revision: str | None = None) -> str:  # a local folder: nothing downloads
        asked.append((repo_id, revision))
        return str(out)

    monkeypatch.setattr(hub, "snapshot_download", snapshot_download)
    assert top_k("hf-hub:someone/sign-model@v1") == top_k(run)
    assert asked == [("someone/sign-model", "v1")]
    assert "ORG/NAME" in one_error_line(cli("predict", "hf-hub:not a name", str(VIDEO)))
    dry = cli("run", *DATA, *POSEGCN, "--init-from", "hf-hub:someone/sign-model", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["settings"]["init_from"] == [str(out)]  # the fetched folder starts the run
    monkeypatch.setattr(hub, "snapshot_download", lambda repo_id, revision=None: str(run))
    assert "slrbench-export.json" in one_error_line(cli("eval", "hf-hub:someone/a-run", "--out", "x"))

    def offline(repo_id: str, revision: str | None = None) -> str:
        raise OSError("no network here")

    monkeypatch.setattr(hub, "snapshot_download", offline)
    assert "cannot fetch" in one_error_line(cli("predict", "hf-hub:someone/sign-model", str(VIDEO)))


def test_what_cannot_be_exported_is_one_line_and_nothing_is_written(tmp_path_factory, tmp_path):
    run, _ = exported(tmp_path_factory)
    assert "not a folder" in one_error_line(cli("export", str(tmp_path / "nothing"), "--out", str(tmp_path / "a")))
    (tmp_path / "empty").mkdir()
    assert "config.json" in one_error_line(cli("export", str(tmp_path / "empty"), "--out", str(tmp_path / "a")))
    unfinished = tmp_path / "unfinished"
    shutil.copytree(run, unfinished, ignore=shutil.ignore_patterns("best", ".slrbench.lock"))
    assert "no best weights" in one_error_line(cli("export", str(unfinished), "--out", str(tmp_path / "a")))
    (tmp_path / "file").write_text("mine")
    assert "is a file" in one_error_line(cli("export", str(run), "--out", str(tmp_path / "file")))
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    assert "not an exported model" in one_error_line(cli("export", str(run), "--out", str(tmp_path / "foreign")))
    assert "inside" in one_error_line(cli("export", str(run), "--out", str(run / "export")))
    assert not (tmp_path / "a").exists() and (tmp_path / "foreign" / "notes.txt").read_text() == "mine"
    assert not (run / "export").exists()


def test_an_earlier_export_is_replaced_only_with_force(tmp_path_factory, tmp_path):
    run, _ = exported(tmp_path_factory)
    out = tmp_path / "model"
    assert cli("export", str(run), "--out", str(out)).exit_code == 0
    assert "--force" in one_error_line(cli("export", str(run), "--out", str(out)))
    assert cli("export", str(run), "--out", str(out), "--force", "--json").exit_code == 0


def test_a_corrupted_export_is_refused_before_its_weights_are_used(tmp_path_factory, tmp_path):
    _, out = exported(tmp_path_factory)
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    data = bytearray((broken / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (broken / "model.safetensors").write_bytes(bytes(data))
    assert "sha256" in one_error_line(cli("predict", str(broken), str(VIDEO), "--keypoints", str(POSE)))
    assert "sha256" in one_error_line(cli("eval", str(broken), "--out", str(tmp_path / "eval")))
    (broken / "slrbench-export.json").write_text("{trunc")
    assert "slrbench-export.json" in one_error_line(cli("export", str(broken), "--out", str(tmp_path / "again")))


def test_the_command_list_stays_free_of_torch():
    code = "import sys; from slrbench.cli.app import app; assert 'torch' not in sys.modules, 'torch imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
