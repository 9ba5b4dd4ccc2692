"""Declared inputs: a plugin's own input stream trains end to end without a change to slrbench/,
mixups blend what the backbone declares or the run stops, coordinates arrive normalised to the
crop, and the Table 11 keypoint groups reach the loader."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import stream_plugin
from slrbench.cli.app import app
from slrbench.data.keypoint_layout import KEYPOINT_GROUPS, keypoint_group_channels
from slrbench.data.transforms import CropBox, crop_keypoints, normalise_keypoints
from slrbench.inputs import BUILTIN_STREAMS, InputStream, delivered_streams, stream_table
from slrbench.testing import ContractError, check_backbone, check_mixup, registered_plugins

TINY = [
    "--benchmark", "synthetic", "--epochs", "1", "--batch-size", "4", "--workers", "0", "--seed", "3",
    "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=4", "-o", "dataset.val_per_class=1",
    "-o", "dataset.test_per_class=2", "-o", "dataset.frame_size=32", "-o", "run.num_frames=8",
    "-o", "run.video_size=32", "-o", "run.heatmap_size=16",
]


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_plugin_stream_is_derived_in_the_loader_and_trains_with_the_default_mixup(tmp_path):
    with registered_plugins(stream_plugin):
        assert check_backbone("velocity-net")["input_blends"]["keypoint_velocity"] == "linear"
        assert check_mixup("sign", backbones=["velocity-net"])["backbones"]["velocity-net"].startswith("blends every")
        result = run("run", *TINY, "--backbone", "velocity-net", "--smoother", "lang", "--mixup", "sign",
                     "--embedder", "glove", "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["num_samples"] == 8 and metrics["heads"] == ["motion"]


def test_the_loader_delivers_a_derived_stream_computed_from_the_crop_coordinates():
    from slrbench.data.loader import ClipLoader, LoaderSettings
    from slrbench.registry import default_registry
    from slrbench.data.benchmark import open_benchmark

    with registered_plugins(stream_plugin):
        opened = open_benchmark(default_registry(), "synthetic", None, {"num_classes": 4, "train_per_class": 2,
                                                                         "val_per_class": 1, "test_per_class": 1})
        settings = LoaderSettings(inputs=("keypoint_velocity", "keypoint_coordinates"), streams=(stream_plugin.VELOCITY,),
                                  num_frames=8, video_size=32, heatmap_size=16)
        loader = ClipLoader(opened.manifest(), "train", settings, reader=opened.clip_reader(), batch_size=2)
        batch = next(loader.batches(0))["inputs"]
    assert set(batch) == {"keypoint_coordinates", "keypoint_zoom", "keypoint_velocity"}  # no video decoded
    coordinates = batch["keypoint_coordinates"][..., :2]
    assert torch.allclose(batch["keypoint_velocity"][:, 1:], coordinates[:, 1:] - coordinates[:, :-1])


def test_a_stream_no_mixup_can_blend_stops_the_run_before_training_with_one_line(tmp_path):
    with registered_plugins(stream_plugin):
        refused = run("run", *TINY, "--backbone", "handshape-net", "--smoother", "vanilla", "--mixup", "intra",
                      "--out", str(tmp_path / "refused"))
        report = check_mixup("intra", backbones=["handshape-net"])
        plain = run("run", *TINY, "--backbone", "handshape-net", "--smoother", "vanilla", "--mixup", "none",
                    "--out", str(tmp_path / "plain"))
    assert refused.exit_code == 2
    message = [line for line in refused.output.splitlines() if "handshape_ids" in line]
    assert message and "mixup 'intra' cannot blend input 'handshape_ids' (categorical)" in message[0]
    assert "--mixup none" in message[0] and not (tmp_path / "refused" / "metrics.json").exists()
    assert report["backbones"]["handshape-net"].startswith("refused before training")
    assert plain.exit_code == 0, plain.output


def test_a_mixup_that_mixes_labels_but_leaves_an_input_unblended_fails_its_contract():
    with registered_plugins(stream_plugin):
        check_mixup("video-only", backbones=["video-64"])  # it does blend video
        with pytest.raises(ContractError, match="input 'heatmaps' is not blended"):
            check_mixup("video-only", backbones=["keypoint-64"])


@pytest.mark.parametrize("mixup", ["intra", "sign", "contrastive"])
def test_every_built_in_mixup_blends_every_built_in_backbones_inputs(mixup):
    report = check_mixup(mixup)
    assert {"vknet", "keypoint-32", "timm-frames"} <= set(report["backbones"])
    assert all(outcome.startswith("blends every input") for outcome in report["backbones"].values())


def test_coordinates_are_normalised_to_the_crop_box():
    box = CropBox(x0=10, y0=20, width=40, height=80)
    corners = np.array([[[9.5, 19.5, 1.0], [49.5, 99.5, 0.3], [29.5, 59.5, 0.5]]])  # box edges and centre, (1, 3, 3)
    normalised = normalise_keypoints(corners, box)
    assert torch.allclose(normalised[0, :, :2], torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]))
    assert torch.allclose(normalised[..., 2], torch.tensor([[1.0, 0.3, 0.5]]))
    on_grid = crop_keypoints(corners, box, 16)  # the same point on a 16-pixel heatmap: x' = (u + 1) * 8 - 0.5
    assert torch.allclose(on_grid[..., :2], (normalised[..., :2] + 1) * 8 - 0.5)


def test_streams_must_be_declared_and_named_once():
    with pytest.raises(ValueError, match="already defined"):
        stream_table([InputStream("video", "again", derive="x:y")])
    with pytest.raises(ValueError, match="needs `derive`"):
        stream_table([InputStream("depth", "(B, 1, T, H, W)")])
    table = stream_table([stream_plugin.VELOCITY])
    assert list(delivered_streams(["keypoint_velocity"], table)) == [
        "keypoint_coordinates", "keypoint_zoom", "keypoint_velocity"]
    assert BUILTIN_STREAMS["keypoint_zoom"].blend == "sample"
    from slrbench import PluginSpec
    with pytest.raises(ValueError, match="unknown input streams"):
        PluginSpec(name="x", factory="a:b", inputs=("depth",))


def test_keypoint_groups_choose_the_channels_of_table_11():
    assert keypoint_group_channels(["hands", "mouth", "upper-body"]) is None
    assert keypoint_group_channels(["upper-body"]) == tuple(range(52, 63))
    assert len(keypoint_group_channels(["hands", "upper-body"])) == 53
    assert len(keypoint_group_channels(["hands", "mouth"])) == 52
    assert sum(len(channels) for channels in KEYPOINT_GROUPS.values()) == 63


def test_a_keypoint_subset_passes_the_backbone_contract_on_its_declared_channels():
    report = check_backbone("keypoint-64", options={"width": 0.125, "keypoint_groups": ["hands", "mouth"]})
    assert report["parameters"] > 0


def test_a_keypoint_subset_trains_on_its_own_channels(tmp_path):
    result = run("run", *TINY, "--backbone", "keypoint-64", "--smoother", "vanilla", "--mixup", "intra",
                 "-o", "backbone.width=0.125", "-o", 'backbone.keypoint_groups=["upper-body"]',
                 "-o", "run.num_frames=16", "-o", "run.heatmap_size=32",
                 "--out", str(tmp_path / "body"))
    assert result.exit_code == 0, result.output
    from safetensors.torch import load_file

    weights = load_file(str(tmp_path / "body" / "best" / "model.safetensors"))
    first_conv = next(value for key, value in weights.items() if key.startswith("backbone.keypoint64.") and value.dim() == 5)
    assert first_conv.shape[1] == 11  # eleven upper-body heatmaps


def test_list_json_shows_the_declarations():
    with registered_plugins(stream_plugin):
        records = json.loads(run("list", "--json").output)["plugins"]
    by_name = {(record["kind"], record["name"]): record for record in records}
    assert by_name[("backbones", "velocity-net")]["inputs"] == ["keypoint_velocity"]
    assert by_name[("backbones", "velocity-net")]["streams"]["keypoint_velocity"]["needs"] == ["keypoint_coordinates"]
    assert by_name[("mixups", "sign")]["blends"] == ["linear"] and by_name[("mixups", "sign")]["needs_gloss_vectors"]
    assert by_name[("smoothers", "lang")]["needs_gloss_vectors"] and "needs_gloss_vectors" not in by_name[("smoothers", "vanilla")]
