"""The typed run plan: written to config.json and read back by itself, options validated once."""
from __future__ import annotations

import json

import pytest

from slrbench.builtins.backbones import VideoShortStreamConfig
from slrbench.errors import UsageError
from slrbench.registry import default_registry
from slrbench.runconfig import RunPlan, resolve_run_plan

# config.json's `plan` section as `slrbench run` has written it since run directories existed.
RECORDED = {
    "settings": {"benchmark": "synthetic", "data_root": None, "backbone": "video-32", "smoother": "vanilla",
                 "mixup": "none", "embedder": "glove", "epochs": 100, "batch_size": 32, "micro_batch_size": None,
                 "lr": 0.001, "weight_decay": 0.001, "precision": "auto", "num_frames": 64, "video_size": 224,
                 "heatmap_size": 112, "workers": 2, "heads": None, "device": "auto", "crops": 1, "test_view": "full",
                 "seed": 321, "out": None, "resume": False, "variant": None, "init_from": [], "stage": None,
                 "stages_dir": None},
    "plugins": {
        "dataset": {"name": "synthetic", "options": {"seed": 0, "num_classes": 4, "train_per_class": 24,
                                                     "val_per_class": 6, "test_per_class": 8, "frame_size": 64,
                                                     "mean_frames": 40, "cache_dir": None}},
        "backbone": {"name": "video-32", "options": {"short_clip": "window", "width": 0.125, "bn_momentum": 0.001,
                                                     "channels_last": False, "gradient_checkpointing": False,
                                                     "kinetics_weights": None}},
        "smoother": {"name": "vanilla", "options": {"epsilon": 0.2}},
        "mixup": {"name": "none", "options": {}},
        "embedder": {"name": "glove", "options": {"path": None, "limit": None, "on_unknown": "zero"}},
    },
}


def resolved() -> RunPlan:
    return resolve_run_plan(default_registry(), {}, {"benchmark": "synthetic", "backbone": "video-32",
                                                     "smoother": "vanilla", "mixup": "none"},
                            ["dataset.num_classes=4", "backbone.width=0.125"])


def test_a_plan_reads_back_exactly_what_it_records():
    plan = resolved()
    document = json.loads(json.dumps(plan.record()))  # through JSON, as config.json
    again = RunPlan.read(document, default_registry(), "config.json")
    assert again == plan and again.record() == document
    assert list(document["plugins"]) == ["dataset", "backbone", "smoother", "mixup", "embedder"]


def test_the_recorded_format_of_existing_run_directories_still_reads():
    plan = RunPlan.read(RECORDED, default_registry(), "config.json")
    assert plan.record() == RECORDED == resolved().record()
    assert isinstance(plan.options("backbone"), VideoShortStreamConfig) and plan.options("backbone").width == 0.125
    assert plan.dataset == "synthetic" and plan.option("backbone", "kinetics_weights") is None
    assert plan.option("smoother", "kinetics_weights") is None


def test_options_are_validated_once_into_the_plugins_option_models():
    """A resolved plan carries the option models themselves, which the registry builds from as they are."""
    plan = resolved()
    registry = default_registry()
    assert type(plan.options("backbone")) is registry.get("backbones", "video-32").spec.config
    assert registry.resolve_options("smoothers", "vanilla", {}) == plan.options("smoother")


def test_a_bad_recorded_option_is_one_line_naming_the_file():
    broken = json.loads(json.dumps(RECORDED))
    broken["plugins"]["smoother"]["options"]["epsilon"] = 1.5
    with pytest.raises(UsageError) as caught:
        RunPlan.read(broken, default_registry(), "runs/x/config.json")
    assert caught.value.lines() == ["runs/x/config.json: smoother.epsilon: must be less than 1 (got 1.5)"]
    broken = json.loads(json.dumps(RECORDED))
    broken["settings"]["smoother"] = "lang"
    with pytest.raises(UsageError, match="runs/x/config.json: plan: .*'lang' in the settings but 'vanilla'"):
        RunPlan.read(broken, default_registry(), "runs/x/config.json")
