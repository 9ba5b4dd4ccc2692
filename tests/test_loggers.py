"""Run loggers (`--logger`): a real run with csv, TensorBoard and W&B, resumed after a session that
logged past its checkpoint, read back with TensorBoard's own reader and W&B's offline files; the
plan's logger choices; the contract check on a logger that writes where it must not."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from typer.testing import CliRunner

from slrbench import PluginSpec, hookimpl, testing
from slrbench.cli.app import app
from slrbench.errors import OptionsError
from slrbench.interfaces import RunLoggerBase
from slrbench.registry import default_registry
from slrbench.runconfig import RunPlan, resolve_run_plan

pytest.importorskip("tensorboard", reason='the logger tests need pip install "slrbench[logging]"')
pytest.importorskip("wandb", reason='the logger tests need pip install "slrbench[logging]"')

# 4 classes x 4 training clips, batch 8: two optimizer steps per epoch, a few seconds on a CPU.
TINY_RUN = [
    "--benchmark", "synthetic", "--embedder", "glove", "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=4",
    "-o", "dataset.val_per_class=1", "-o", "dataset.test_per_class=2", "-o", "dataset.frame_size=32",
    "-o", "run.num_frames=16", "-o", "run.heatmap_size=32", "-o", "run.video_size=32", "--workers", "0", "--seed", "5",
    "--backbone", "posegcn", "--smoother", "lang", "--mixup", "sign", "-o", "backbone.width=8", "-o", "backbone.blocks=2",
    "--batch-size", "8", "--logger", "csv", "--logger", "tensorboard", "--logger", "wandb",
]
STEPS_PER_EPOCH = 2
HISTORY_COLUMNS = ["epoch", "lr", "loss", "train_top1", "val_top1", "val_top5", "seconds", "best"]  # before loggers


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory) -> Path:
    """One epoch; then a session that 'crashed' after logging step 3 (past the checkpoint at step 2);
    then the run resumed to two epochs. In-process (the command's own code path), which saves the
    two interpreters' torch imports."""
    from torch.utils.tensorboard import SummaryWriter

    root = tmp_path_factory.mktemp("logged")
    run_dir = root / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))  # gloss vectors; W&B's service log
        patch.setenv("COLUMNS", "200")
        first = CliRunner().invoke(app, ["run", *TINY_RUN, "--epochs", "1", "--out", str(run_dir)])
        assert first.exit_code == 0, first.output
        crashed = SummaryWriter(str(run_dir / "tensorboard"))
        crashed.add_scalar("step/loss", 99.0, 3)
        crashed.add_scalar("epoch/loss", 99.0, 3)
        crashed.close()
        resumed = CliRunner().invoke(app, ["run", *TINY_RUN, "--epochs", "2", "--out", str(run_dir), "--resume"])
        assert resumed.exit_code == 0, resumed.output
    return run_dir


def test_history_csv_keeps_its_columns_and_adds_the_loss_parts_schedules_and_measures(logged_run):
    history = pd.read_csv(logged_run / "history.csv")
    assert list(history.columns[:len(HISTORY_COLUMNS)]) == HISTORY_COLUMNS
    assert history["epoch"].tolist() == [1, 2] and history["best"].dtype == bool
    assert {"loss_cls_pose", "loss_aux", "gamma", "mu", "clips_per_second", "peak_rss_mb", "val_class_top1",
            "val_class_top5"} <= set(history.columns)
    assert ((history["loss_cls_pose"] + history["loss_aux"] - history["loss"]).abs() <= 1e-4 * history["loss"]).all()
    assert history["gamma"].tolist() == [1.0, 0.5] and history["mu"].tolist() == [0.99, 0.995]  # cosine, E = 2
    assert (history["clips_per_second"] > 0).all() and (history["peak_rss_mb"] > 100).all()


def test_config_records_the_loggers_and_their_options(logged_run):
    config = json.loads((logged_run / "config.json").read_text())
    assert config["loggers"] == ["csv", "tensorboard", "wandb"]
    assert [choice["name"] for choice in config["plan"]["loggers"]] == ["tensorboard", "wandb"]
    assert config["plan"]["loggers"][1]["options"]["mode"] == "offline"


def test_tensorboard_events_hold_every_step_and_epoch_once_after_a_resume(logged_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(logged_run / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    step_tags = {"step/loss", "step/loss_cls_pose", "step/loss_aux", "step/lr", "step/clips_per_second"}
    epoch_tags = {f"epoch/{name}" for name in ("epoch", "lr", "loss", "train_top1", "val_top1", "val_top5", "seconds",
                                               "loss_cls_pose", "loss_aux", "gamma", "mu", "clips_per_second",
                                               "peak_rss_mb", "val_class_top1", "val_class_top5")}
    test_tags = {f"test/{name}" for name in ("per_instance_top1", "per_instance_top5", "per_class_top1",
                                             "per_class_top5", "num_samples")}
    assert step_tags | epoch_tags | test_tags == tags
    steps = {tag: [event.step for event in events.Scalars(tag)] for tag in tags}
    assert all(steps[tag] == [1, 2, 3, 4] for tag in step_tags), steps  # the crashed session's step 3 purged
    assert all(steps[tag] == [2, 4] for tag in epoch_tags | test_tags), steps  # both sessions evaluated
    history = pd.read_csv(logged_run / "history.csv")
    losses = [event.value for event in events.Scalars("epoch/loss")]
    assert losses == pytest.approx(history["loss"].tolist(), rel=1e-4)
    metrics = json.loads((logged_run / "metrics.json").read_text())
    assert events.Scalars("test/per_class_top1")[-1].value == pytest.approx(metrics["per_class_top1"], rel=1e-5)
    assert "run/plan/text_summary" in events.Tags()["tensors"]


def wandb_records(path: Path):
    """The records of a W&B transaction log (`run-ID.wandb`): a 7-byte header, then LevelDB-style
    32 KiB blocks of chunks (4-byte CRC, 2-byte length, 1-byte type: 1 full, 2 first, 3 middle, 4 last)."""
    from wandb.proto import wandb_internal_pb2

    data, block, position, pending = path.read_bytes(), 32768, 7, b""
    assert data[:4] == b":W&B", path
    while position + 7 <= len(data):
        if block - position % block < 7:  # a block's tail too short for a header is padding
            position += block - position % block
            continue
        length, kind = int.from_bytes(data[position + 4:position + 6], "little"), data[position + 6]
        pending += data[position + 7:position + 7 + length]
        position += 7 + length
        if kind in (1, 4):
            yield wandb_internal_pb2.Record.FromString(pending)
            pending = b""
        elif kind == 0:
            break


def test_wandb_wrote_one_offline_run_per_session_with_the_metrics(logged_run):
    folder = logged_run / "wandb"
    run_id = (folder / "slrbench-run-id").read_text().strip()
    sessions = sorted(folder.glob("offline-run-*"))
    assert len(sessions) == 2 and all(path.name.startswith("offline-run-") and run_id in path.name for path in sessions)
    assert not list(folder.glob("run-*")), "an online run folder: the logger must stay offline by default"
    logged: dict[int, dict[str, float]] = {}
    names = set()
    for session in sessions:
        for record in wandb_records(session / f"run-{run_id}.wandb"):
            kind = record.WhichOneof("record_type")
            if kind == "run":
                assert record.run.run_id == run_id and record.run.project == "slrbench"
                names.add(record.run.display_name)
            if kind == "history":
                items = {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
                logged.setdefault(record.history.step.num, {}).update(items)
    assert names == {"run"} and sorted(logged) == [1, 2, 3, 4]
    assert all("step/loss_cls_pose" in logged[step] for step in logged)
    assert [step for step in logged if "epoch/loss" in logged[step]] == [2, 4]
    history = pd.read_csv(logged_run / "history.csv")
    assert logged[4]["epoch/gamma"] == 0.5 and logged[4]["epoch/loss"] == pytest.approx(history["loss"].iloc[-1], rel=1e-5)
    metrics = json.loads((logged_run / "metrics.json").read_text())
    assert logged[4]["test/per_instance_top1"] == pytest.approx(metrics["per_instance_top1"])


# --- choosing loggers ----------------------------------------------------------------------------
def plan(document: dict | None = None, loggers: list[str] | None = None, *assignments: str) -> RunPlan:
    return resolve_run_plan(default_registry(), document or {}, {"benchmark": "synthetic", "loggers": loggers},
                            list(assignments))


def test_csv_is_the_only_logger_by_default_and_the_plan_records_as_before():
    default = plan()
    assert default.loggers == [] and default.logger_choices()[0][0] == "csv" and "loggers" not in default.record()
    assert plan(loggers=["csv"]).record() == default.record()


def test_a_recipe_chooses_loggers_and_the_flags_replace_its_list():
    recipe = {"loggers": {"tensorboard": {"flush_seconds": 5}, "wandb": {"project": "nla-slr"}}}
    chosen = plan(recipe)
    assert [(c.name, c.options.model_dump().get("flush_seconds")) for c in chosen.loggers] == [("tensorboard", 5), ("wandb", None)]
    assert chosen.loggers[1].options.project == "nla-slr" and chosen.loggers[1].options.mode == "offline"
    assert [c.name for c in plan({"loggers": ["wandb"]}).loggers] == ["wandb"]
    flagged = plan(recipe, ["wandb"], "logger.wandb.mode=online")
    assert [(c.name, c.options.mode, c.options.project) for c in flagged.loggers] == [("wandb", "online", "nla-slr")]
    assert plan(recipe, ["csv"]).loggers == []
    again = RunPlan.read(json.loads(json.dumps(flagged.record())), default_registry(), "config.json")
    assert again == flagged


def test_bad_logger_choices_are_one_line_each():
    with pytest.raises(OptionsError) as caught:
        plan({"loggers": ["tensorbord"]}, None, "logger.wandb.mode=online", "logger.mode=x")
    assert caught.value.lines() == [
        "logger.wandb: options given, but the run does not log with 'wandb'; add --logger wandb",
        "option 'logger.mode': a logger option names its logger: logger.NAME.KEY=VALUE (e.g. "
        "logger.wandb.mode=online); choose loggers with --logger NAME",
        "unknown logger 'tensorbord' (did you mean 'tensorboard'?); available: csv, tensorboard, wandb",
    ]
    with pytest.raises(OptionsError, match=r"logger.wandb.mode: must be 'offline', 'online' or 'disabled'"):
        plan(None, ["wandb"], "logger.wandb.mode=cloud")
    with pytest.raises(OptionsError, match="loggers: must be a list of logger names"):
        plan({"loggers": "wandb"})


def test_a_missing_logger_package_stops_the_run_in_one_line_with_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # find_spec: not installed
    with pytest.raises(OptionsError) as caught:
        plan(None, ["tensorboard"])
    assert caught.value.lines() == [
        "logger 'tensorboard' is not available: needs tensorboard: pip install \"slrbench[logging]\""]


# --- the contract check --------------------------------------------------------------------------
class BesideTheRun(RunLoggerBase):
    """Writes its file next to the run directory instead of inside it."""

    def __init__(self, config, context):
        self.path = context.run_dir.parent / "stray.log"

    def log_epoch(self, step, row):
        self.path.write_text(json.dumps(dict(row)))


def test_the_contract_check_catches_a_logger_writing_beside_the_run_directory():
    module = types.ModuleType("stray_logger")
    module.register_run_loggers = hookimpl(lambda register: register(PluginSpec(name="stray", factory=BesideTheRun)))
    with testing.registered_plugins(module):
        with pytest.raises(testing.ContractError, match=r"logger 'stray': must write inside its run directory only"):
            testing.check_run_logger("stray")
        assert testing.check_run_logger("csv") == {"files": ["history.csv"]}
