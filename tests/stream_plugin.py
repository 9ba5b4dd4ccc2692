"""A third-party plugin module for the tests, registered in-process (`slrbench.testing`):
a backbone that consumes an input stream of its own (keypoint velocities, derived in the loader's
workers from the normalised coordinates), one that consumes a stream no mixup can blend, and a
mixup that mixes the labels but blends only `video`. Nothing in slrbench/ knows about them."""
from __future__ import annotations

import torch
from torch import nn

from slrbench import PluginConfig, PluginSpec, hookimpl
from slrbench.inputs import InputStream
from slrbench.interfaces import BackboneBase, MixedBatch, MixupBase

VELOCITY = InputStream(
    "keypoint_velocity", "(B, T, K, 2) float: frame-to-frame change of x, y in crop units (0 at the first frame)",
    derive="stream_plugin:keypoint_velocity", needs=("keypoint_coordinates",),
)
HANDSHAPE_IDS = InputStream(
    "handshape_ids", "(B, T) long: a handshape class per frame", blend="categorical",
    derive="stream_plugin:handshape_ids", needs=("keypoint_coordinates",),
)


def keypoint_velocity(clip: dict[str, torch.Tensor]) -> torch.Tensor:
    xy = clip["keypoint_coordinates"][..., :2]  # (T, K, 2)
    return torch.cat([torch.zeros_like(xy[:1]), xy[1:] - xy[:-1]], dim=0)


def handshape_ids(clip: dict[str, torch.Tensor]) -> torch.Tensor:
    return (clip["keypoint_coordinates"][:, 0, 0] > 0).long()  # (T,)


class SmallConfig(PluginConfig):
    width: int = 16


class VelocityNet(BackboneBase, nn.Module):
    inputs = ("keypoint_velocity",)

    def __init__(self, config: SmallConfig, context):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(2 * context.num_keypoints, config.width), nn.ReLU())
        self.feature_dims = {"motion": config.width}

    def feature_groups(self) -> dict[str, str]:
        return {"motion": "keypoint"}

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        velocity = inputs["keypoint_velocity"]  # (B, T, K, 2)
        return {"motion": self.encode(velocity.flatten(2)).mean(dim=1)}


class HandshapeNet(BackboneBase, nn.Module):
    inputs = ("handshape_ids",)

    def __init__(self, config: SmallConfig, context):
        super().__init__()
        self.embed = nn.Embedding(2, config.width)
        self.feature_dims = {"shape": config.width}

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"shape": self.embed(inputs["handshape_ids"]).mean(dim=1)}


class VideoOnlyMixup(MixupBase):
    """Wrong on purpose: mixes the labels of every input but blends only `video`."""

    def __init__(self, config: PluginConfig, context):
        pass

    def mix(self, inputs, labels, generator=None):
        order = torch.randperm(labels.shape[0], generator=generator)
        mixed = {name: 0.5 * x + 0.5 * x[order] if name == "video" else x for name, x in inputs.items()}
        return MixedBatch(mixed, labels, labels[order], 0.5)


@hookimpl
def register_backbones(register):
    register(PluginSpec(name="velocity-net", factory=VelocityNet, config=SmallConfig, inputs=("keypoint_velocity",),
                        streams=(VELOCITY,), summary="MLP over keypoint velocities (a plugin's own stream)"))
    register(PluginSpec(name="handshape-net", factory=HandshapeNet, config=SmallConfig, inputs=("handshape_ids",),
                        streams=(HANDSHAPE_IDS,), summary="embeds per-frame handshape ids (not blendable)"))


@hookimpl
def register_mixups(register):
    register(PluginSpec(name="video-only", factory=VideoOnlyMixup, blends=("linear",),
                        summary="mixes labels, blends only video (broken on purpose)"))
