"""Small real ONNX models with RTMPose's signature, for testing the RTMPose extractor offline.

`export_spot_locator` writes a "bright spot locator": input (N, 3, H, W) named "input", outputs
"simcc_x" (N, K, W * r) and "simcc_y" (N, K, H * r) like an RTMPose SimCC head. It finds the
pixels of channel 0 that are brighter than the normalisation mean, sums them into a column and a
row profile, smooths these (so a square's flat profile peaks at its centre) and repeats every
position r times; every one of the K points then decodes at the spot's centre, with score
tanh(profile / SCORE_SCALE) in [0, 1): 0 where nothing is bright.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

SCORE_SCALE = 10.0  # a 16-pixel white square seen at half size scores about 0.9


class SpotLocator(nn.Module):
    """(N, 3, H, W) normalised image -> SimCC-like (N, K, W * r), (N, K, H * r) centred on the bright spot."""

    def __init__(self, num_points: int = 133, split_ratio: int = 2, sigma: float = 2.0):
        super().__init__()
        self.num_points, self.split_ratio = num_points, split_ratio
        radius = int(3 * sigma)
        taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
        kernel = torch.exp(-taps**2 / (2 * sigma**2))
        self.register_buffer("kernel", (kernel / kernel.sum()).view(1, 1, -1))

    def _simcc(self, profile: torch.Tensor) -> torch.Tensor:
        """(N, L) profile -> (N, K, L * r) scores in [0, 1)."""
        smooth = nn.functional.conv1d(profile.unsqueeze(1), self.kernel, padding=self.kernel.shape[-1] // 2)
        repeated = smooth.squeeze(1).unsqueeze(-1).repeat(1, 1, self.split_ratio).flatten(1)  # (N, L * r)
        return torch.tanh(repeated / SCORE_SCALE).unsqueeze(1).repeat(1, self.num_points, 1)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        bright = torch.relu(image[:, 0])  # (N, H, W): channel 0 above its mean
        return self._simcc(bright.sum(1)), self._simcc(bright.sum(2))


class SingleOutput(nn.Module):
    """A model with one output: not an RTMPose signature."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image.mean(dim=(2, 3))


def _export(module: nn.Module, path: Path, input_size: tuple[int, int], batch: int | None,
            output_names: list[str]) -> Path:
    width, height = input_size
    example = torch.zeros(batch or 1, 3, height, width)
    dynamic_axes = None if batch else {name: {0: "batch"} for name in ["input", *output_names]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated, but needs no network
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module.eval(), (example,), str(path), input_names=["input"], output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17, dynamo=False)
    return path


def export_spot_locator(path: Path, input_size: tuple[int, int] = (192, 256), batch: int | None = 1,
                        num_points: int = 133, split_ratio: int = 2) -> Path:
    """Write a SpotLocator ONNX model; input_size is (width, height) as in "RTMPose 192x256";
    batch None gives a dynamic batch dimension, an int a fixed one."""
    return _export(SpotLocator(num_points, split_ratio), path, input_size, batch, ["simcc_x", "simcc_y"])


def export_single_output_model(path: Path, input_size: tuple[int, int] = (192, 256)) -> Path:
    """Write a model with RTMPose's input but only one output (a wrong signature)."""
    return _export(SingleOutput(), path, input_size, 1, ["features"])
