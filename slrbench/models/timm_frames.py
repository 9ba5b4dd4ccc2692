"""Frame encoders: any timm 2-D model applied to every frame, then pooled over time.

The model is created with `pretrained=False` (random initialisation) or, given `weights`, from
that local file through timm's own loader (`pretrained_cfg_overlay={"file": ...}`), which adapts
the first convolution to the input channels and drops the classifier. Nothing is downloaded.
Frames of video (3 channels) or of keypoint heatmaps (K channels) are batched through the 2-D
model: (B, C, T, H, W) -> (B·T, C, H, W) -> (B·T, D) -> (B, D, T), then a mean over time or a
temporal conv (kernel 3, D -> D) + ReLU and the mean. One feature: `v` (video) or `k` (keypoints).
"""
from __future__ import annotations

import pickle
import warnings
from typing import Any

import torch
from torch import nn

from slrbench.data.heatmaps import heatmaps_from_keypoints, sigma_for_crop
from slrbench.errors import UsageError
from slrbench.inputs import LINEAR, InputStream
from slrbench.interfaces import BackboneBase, BackboneContext


def create_frame_model(name: str, in_channels: int, weights: Any) -> nn.Module:
    """A timm model without classifier (`num_classes=0`), random or from a local file."""
    import timm

    if not timm.is_model(name):
        raise UsageError(f"unknown timm model '{name}' (see timm.list_models())")
    if weights is None:
        return timm.create_model(name, pretrained=False, num_classes=0, in_chans=in_channels)
    if not weights.is_file():
        raise UsageError(f"timm weights file {weights} does not exist")
    try:
        with warnings.catch_warnings():  # torch's notes about the file's pickle protocol: the line below says it
            warnings.simplefilter("ignore")
            return timm.create_model(name, pretrained=True, num_classes=0, in_chans=in_channels,
                                     pretrained_cfg_overlay={"file": str(weights)})
    except (RuntimeError, pickle.UnpicklingError, OSError, ValueError, EOFError, KeyError) as error:
        # a refused pickle, a truncated or foreign file: torch's advice to load it unsafely is not passed on
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        reason = reason.split(" No automatic")[0].split(" If this checkpoint")[0].split(" Please file an issue")[0]
        raise UsageError(f"timm weights file {weights} cannot be loaded as {name} weights ({reason[:200]}); "
                         "weights files are read as tensors only, never as code") from None


class TimmFrameEncoder(BackboneBase, nn.Module):
    def __init__(self, config: Any, context: BackboneContext):
        super().__init__()
        self.config, self.context = config, context
        keypoints = config.stream == "keypoints"
        self.inputs = ("keypoints",) if keypoints else ("video",)
        self.input_key = "heatmaps" if keypoints else "video"
        self.frames = create_frame_model(config.model, context.num_keypoints if keypoints else 3, config.weights)
        dim = int(self.frames.num_features)
        self.temporal = None
        if config.temporal == "conv":
            self.temporal = nn.Sequential(nn.Conv1d(dim, dim, 3, padding=1), nn.ReLU(inplace=True))
        self.feature_dims = {"k" if keypoints else "v": dim}

    def feature_groups(self) -> dict[str, str]:
        return {name: "keypoint" if name == "k" else "video" for name in self.feature_dims}

    def input_blends(self, delivered: dict[str, InputStream]) -> dict[str, str]:
        return {self.input_key: LINEAR}  # frames or drawn heatmaps

    def prepare_inputs(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Keypoints -> heatmaps (B, K, T, h, h) on the device (σ widened by the crop's zoom, as
        in VKNet); video passes through."""
        if self.input_key in batch:
            return {self.input_key: batch[self.input_key]}
        size = self.context.heatmap_size
        sigma = self.config.heatmap_sigma * size / 112
        if self.config.heatmap_sigma_follows_crop:
            sigma = sigma_for_crop(sigma, batch.get("keypoint_zoom"))
        return {"heatmaps": heatmaps_from_keypoints(batch["keypoints"], size, sigma, self.config.score_threshold)}

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.input_key not in inputs:
            inputs = self.prepare_inputs(inputs)
        clip = inputs[self.input_key]  # (B, C, T, H, W)
        batch, channels, frames, height, width = clip.shape
        flat = clip.transpose(1, 2).reshape(batch * frames, channels, height, width)  # (B·T, C, H, W)
        per_frame = self.frames(flat).reshape(batch, frames, -1).transpose(1, 2)  # (B, D, T)
        if self.temporal is not None:
            per_frame = self.temporal(per_frame)
        (name,) = self.feature_dims
        return {name: per_frame.mean(dim=2)}
