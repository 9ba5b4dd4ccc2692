"""A backbone's own clip geometry (frames, video size, keypoint channels) is what the loader cuts
for it, whatever the run's settings say: a plugin registered in-process, nothing in slrbench/
knowing about it, trains and evaluates end to end on the clips it declared."""
from __future__ import annotations

import json
import types

import torch
from torch import nn
from typer.testing import CliRunner

from slrbench import PluginConfig, PluginSpec, hookimpl
from slrbench.cli.app import app
from slrbench.inputs import ClipGeometry
from slrbench.interfaces import BackboneBase, BackboneContext
from slrbench.testing import check_backbone, registered_plugins

OWN_FRAMES, OWN_VIDEO, RIGHT_HAND = 4, 16, tuple(range(21, 42))
RUN = [
    "--benchmark", "synthetic", "--epochs", "1", "--batch-size", "4", "--workers", "0", "--seed", "3",
    "-o", "dataset.num_classes=4", "-o", "dataset.train_per_class=4", "-o", "dataset.val_per_class=1",
    "-o", "dataset.test_per_class=2", "-o", "dataset.frame_size=32", "-o", "run.num_frames=8",
    "-o", "run.video_size=32", "-o", "run.heatmap_size=16",
]
SEEN: list[dict[str, tuple[int, ...]]] = []  # the input shapes each forward received


class TinyClipNet(BackboneBase, nn.Module):
    """Wants 4 frames of 16 x 16 video and the right hand's 21 coordinates, whatever the run uses."""

    inputs = ("video", "keypoint_coordinates")

    def __init__(self, config: PluginConfig, context: BackboneContext):
        super().__init__()
        self.video = nn.Linear(3 * OWN_FRAMES * OWN_VIDEO * OWN_VIDEO, 8)
        self.hand = nn.Linear(OWN_FRAMES * len(RIGHT_HAND) * 3, 8)
        self.feature_dims = {"clip": 16}

    def clip_geometry(self, context: BackboneContext) -> ClipGeometry:
        return ClipGeometry(OWN_FRAMES, OWN_VIDEO, context.heatmap_size, RIGHT_HAND)

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        SEEN.append({name: tuple(tensor.shape) for name, tensor in inputs.items()})
        video = inputs["video"].flatten(1)  # (B, 3, 4, 16, 16) -> (B, 3072): fails on any other clip
        hand = inputs["keypoint_coordinates"].flatten(1)  # (B, 4, 21, 3) -> (B, 252)
        return {"clip": torch.cat([self.video(video), self.hand(hand)], dim=1)}


@hookimpl
def register_backbones(register):
    register(PluginSpec(name="tiny-clip", factory=TinyClipNet, inputs=TinyClipNet.inputs,
                        summary="declares its own clip geometry and keypoint channels"))


def geometry_plugin() -> types.ModuleType:
    module = types.ModuleType("geometry_plugin")
    module.register_backbones = register_backbones
    return module


def test_the_backbone_contract_builds_inputs_of_its_declared_geometry():
    with registered_plugins(geometry_plugin()):
        report = check_backbone("tiny-clip")
    assert report["feature_dims"] == {"clip": 16}


def test_the_loader_cuts_the_clip_the_backbone_declares_not_the_runs(tmp_path):
    SEEN.clear()
    with registered_plugins(geometry_plugin()):
        result = CliRunner().invoke(app, ["run", *RUN, "--backbone", "tiny-clip", "--smoother", "vanilla",
                                          "--mixup", "intra", "--out", str(tmp_path / "run")],
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert SEEN and all(shapes["video"][1:] == (3, OWN_FRAMES, OWN_VIDEO, OWN_VIDEO) for shapes in SEEN)
    assert all(shapes["keypoint_coordinates"][1:] == (OWN_FRAMES, len(RIGHT_HAND), 3) for shapes in SEEN)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["num_samples"] == 8
