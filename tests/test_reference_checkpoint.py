"""Importing released NLA-SLR checkpoints: state dicts with the reference's key names and shapes
(`../shared/reference/nla-slr_state_dict_*.tsv`) land, tensor by tensor, where they belong."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from slrbench.cli.app import app
from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext
from slrbench.models.reference_checkpoint import import_reference_state
from slrbench.registry import default_registry
from slrbench.training.model import SignModel

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
LAYOUTS = {"rgb_frame64": "video-64", "pose_frame64": "keypoint-64", "two_frame64": "vknet-64",
           "nla_slr_wlasl_2000": "vknet"}
PREFIX = "recognition_network."


def reference_shapes(name: str) -> dict[str, tuple[int, ...]]:
    path = REFERENCE / f"nla-slr_state_dict_{name}.tsv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    rows = (line.split("\t") for line in path.read_text().splitlines())
    return {key: ast.literal_eval(shape) for key, shape in rows}


def labelled_state(name: str) -> dict[str, torch.Tensor]:
    """Every tensor filled with its own key number (expanded views: no memory for 131 M values)."""
    return {key: torch.tensor(float(i)).expand(shape) for i, (key, shape) in enumerate(reference_shapes(name).items())}


@pytest.mark.parametrize("name, backbone", LAYOUTS.items())
def test_every_reference_key_is_mapped_to_the_tensor_it_holds(name, backbone):
    state = labelled_state(name)
    imported = import_reference_state(state)
    assert imported.backbone == backbone and imported.num_classes == 2000 and imported.num_keypoints == 63
    assert set(imported.mapped) | set(imported.unused) == {key.removeprefix(PREFIX) for key in state}
    assert imported.unused == {}
    tensors = {**imported.weights, **imported.training_only}
    for key, target in imported.mapped.items():
        assert tensors[target].shape == state[PREFIX + key].shape
        if not target.endswith("b1.0.conv_s.weight"):
            assert torch.equal(tensors[target], state[PREFIX + key]), (key, target)


def test_keys_land_where_they_belong_in_the_full_model():
    imported = import_reference_state(labelled_state("nla_slr_wlasl_2000"))
    mapped = imported.mapped
    expected = {
        "visual_backbone_fourstream.ts_high.rgb_stream.backbone.base.0.bn_s.running_var": "backbone.video64.b1.0.bn_s.running_var",
        "visual_backbone_fourstream.ts_low.pose_stream.backbone.base.9.branch2.1.conv_t.weight":
            "backbone.keypoint32.b4.2.branch2.1.conv_t.weight",
        "visual_backbone_fourstream.ts_low.rgb_stream.backbone.base.15.branch3.1.bn.bias": "backbone.video32.b5.2.branch3.1.bn.bias",
        "visual_backbone_fourstream.ts_high.pose_stream.backbone.base.3.conv_t.weight": "backbone.keypoint64.b2.2.conv_t.weight",
        # rgb_stream_lateral is keypoint -> video (transposed conv), pose_stream_lateral video -> keypoint
        "visual_backbone_fourstream.ts_high.rgb_stream_lateral.2.conv.weight": "backbone.video_keypoint_64.to_large.2.weight",
        "visual_backbone_fourstream.ts_low.pose_stream_lateral.0.conv.weight": "backbone.video_keypoint_32.to_small.0.weight",
        "visual_backbone_fourstream.rgb_low2high.3.conv.weight": "backbone.video_temporal.to_large.3.weight",
        "visual_backbone_fourstream.pose_high2low.1.conv.weight": "backbone.keypoint_temporal.to_small.1.weight",
        "visual_head_rgb_h.gloss_output_layer.weight": "heads.classifiers.v64.weight",
        "visual_head_kp_l.gloss_output_layer.bias": "heads.classifiers.k32.bias",
        "visual_head_fuse.gloss_output_layer.weight": "heads.classifiers.f.weight",
        "visual_head_fuse_h.word_fused_gloss_output_layer.weight": "branch.fc2.f64.weight",
        "visual_head_fuse_l.word_emb_mapper.bias": "branch.mappers.f32.bias",
    }
    assert {key: mapped[key] for key in expected} == expected
    assert all(key.startswith(("backbone.", "heads.classifiers.")) for key in imported.weights)
    assert all(key.startswith(("branch.fc2.", "branch.mappers.")) for key in imported.training_only)
    assert len(imported.training_only) == 28  # FC2 and gloss mapper (weight, bias) of seven heads
    assert imported.lateral_options == {"video_keypoint_laterals": True, "video_video_laterals": True,
                                        "keypoint_keypoint_laterals": True}


def test_video_first_convolutions_turn_bgr_into_rgb():
    state = {key: torch.randn(shape) if shape else torch.tensor(0) for key, shape in reference_shapes("rgb_frame64").items()}
    imported = import_reference_state(state)
    source = state["recognition_network.visual_backbone.backbone.base.0.conv_s.weight"]
    assert torch.equal(imported.weights["backbone.video64.b1.0.conv_s.weight"], source[:, [2, 1, 0]])


def test_imported_weights_load_strictly_into_the_slrbench_model():
    imported = import_reference_state(labelled_state("two_frame64"))
    backbone = default_registry().build("backbones", imported.backbone, imported.lateral_options, BackboneContext())
    model = SignModel(backbone, imported.num_classes)
    model.load_state_dict(imported.weights, strict=True)
    assert model.backbone.video64.b4[3].branch1[1].conv_s.weight.flatten()[0] == imported.weights[
        "backbone.video64.b4.3.branch1.1.conv_s.weight"].flatten()[0]


def test_ddp_prefix_single_stream_scale_and_missing_laterals():
    state = {f"module.{key}": value for key, value in labelled_state("two_frame64").items()}
    imported = import_reference_state(state, backbone="vknet-32")
    assert imported.backbone == "vknet-32" and "heads.classifiers.f32.weight" in imported.weights
    without = {k: v for k, v in labelled_state("two_frame64").items() if "rgb_stream_lateral" not in k}
    imported = import_reference_state(without)
    assert imported.lateral_options == {"video_keypoint_laterals": False}
    assert len(imported.unused) == 4 and all("one direction" in reason for reason in imported.unused.values())
    with pytest.raises(UsageError, match="imports as video-64 or video-32"):
        import_reference_state(labelled_state("rgb_frame64"), backbone="vknet")


def test_unknown_keys_are_listed_as_unused():
    state = labelled_state("rgb_frame64")
    state["recognition_network.visual_head.word_emb_tab"] = torch.zeros(2000, 300)
    state["recognition_network.visual_head.bn.weight"] = torch.zeros(4)
    assert set(import_reference_state(state).unused) == {"visual_head.word_emb_tab", "visual_head.bn.weight"}


def test_a_shape_mismatch_or_a_missing_tensor_is_a_clear_error():
    state = labelled_state("rgb_frame64")
    key = "recognition_network.visual_backbone.backbone.base.8.branch0.0.conv.weight"
    state[key] = torch.zeros(190, 480, 1, 1, 1)
    with pytest.raises(UsageError, match=r"base\.8\.branch0\.0\.conv\.weight' has shape \(190, 480, 1, 1, 1\) but "
                                         r"slrbench's 'backbone\.video64\.b4\.1\.branch0\.0\.conv\.weight' needs \(192,"):
        import_reference_state(state)
    state = labelled_state("rgb_frame64")
    del state[key]
    with pytest.raises(UsageError, match="lacks 1 tensors"):
        import_reference_state(state)
    with pytest.raises(UsageError, match="not an NLA-SLR checkpoint"):
        import_reference_state({"encoder.weight": torch.zeros(2)})


def test_import_checkpoint_writes_a_complete_run_directory(tmp_path):
    state = {key: torch.randn(shape) if shape else torch.tensor(5) for key, shape in reference_shapes("rgb_frame64").items()}
    file = tmp_path / "best.ckpt"
    torch.save({"epoch": 37, "global_step": 1000, "model_state": state, "optimizer_state": {"state": {}},
                "best_score": torch.tensor(61.0)}, file)
    out = tmp_path / "runs" / "imported"
    runner = CliRunner()
    result = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out),
                                 "--benchmark", "wlasl2000"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["best", "config.json", "import_report.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["imported"]  # no temporary left behind
    config = json.loads((out / "config.json").read_text())
    assert config["plan"]["plugins"]["backbone"]["name"] == "video-64" and config["num_classes"] == 2000
    assert config["plan"]["settings"]["benchmark"] == "wlasl2000" and config["imported_from"]["epoch"] == 37
    assert config["imported_from"]["best_score"] == 61.0 and config["heads"] == ["v64"]
    weights = load_file(str(out / "best" / "model.safetensors"))
    backbone = default_registry().build("backbones", "video-64", {}, BackboneContext())
    assert set(weights) == set(SignModel(backbone, 2000).inference_state_dict())
    assert torch.equal(weights["heads.classifiers.v64.bias"], state["recognition_network.visual_head.gloss_output_layer.bias"])
    report = json.loads((out / "import_report.json").read_text())
    assert report["counts"] == {"inference": len(state), "training_only": 0, "unused": 0}

    again = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out)])
    assert again.exit_code == 2 and "pass --force" in again.output
    forced = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(file), "--out", str(out),
                                 "--backbone", "video-32", "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / "config.json").read_text())["heads"] == ["v32"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["imported"]


def test_import_checkpoint_validates_before_reading(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["import-checkpoint", "--from", "slrt", str(tmp_path / "x.ckpt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "unknown checkpoint format; available: nla-slr" in result.output
    result = runner.invoke(app, ["import-checkpoint", "--from", "nla-slr", str(tmp_path / "x.ckpt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "does not exist" in result.output
