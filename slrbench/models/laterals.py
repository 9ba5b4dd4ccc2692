"""Bidirectional lateral connections of VKNet (NLA-SLR Sec. 3.2, appendix A, Figure 6).

After each of the blocks B1..B4 (never B5) two streams exchange features by element-wise
addition; both directions are computed from the tensors before this fusion:

- video <-> keypoint (same clip length; the keypoint stream has half the spatial size):
  video -> keypoint Conv3d (1, 3, 3), stride (1, 2, 2); keypoint -> video ConvTranspose3d
  (1, 3, 3), stride (1, 2, 2), output padding (0, 1, 1);
- 64 <-> 32 frames (same modality; the 32-frame stream has half the length):
  64 -> 32 Conv3d (3, 1, 1), stride (2, 1, 1); 32 -> 64 ConvTranspose3d (3, 1, 1), stride (2, 1, 1).

No biases; Kaiming initialisation.
"""
from __future__ import annotations

import torch
from torch import nn

LATERAL_BLOCKS = 4  # after B1..B4


def _init(layer: nn.Module) -> nn.Module:
    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
    return layer


def _down(channels: int, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> nn.Conv3d:
    padding = tuple(k // 2 for k in kernel)
    return _init(nn.Conv3d(channels, channels, kernel, stride, padding, bias=False))


def _up(channels: int, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> nn.ConvTranspose3d:
    padding = tuple(k // 2 for k in kernel)
    output_padding = tuple(s - 1 for s in stride)
    return _init(nn.ConvTranspose3d(channels, channels, kernel, stride, padding, output_padding, bias=False))


class LateralPair(nn.Module):
    """Both directions between a large stream and a small one, one layer per fused block.

    `to_small[i]` maps the large stream's block-i output onto the small stream's grid (stride 2),
    `to_large[i]` the other way (transposed conv). Which axis is halved depends on the pair:
    spatial for video <-> keypoint, temporal for 64 <-> 32 frames.
    """

    def __init__(self, channels: tuple[int, ...], kernel: tuple[int, int, int], stride: tuple[int, int, int]):
        super().__init__()
        self.to_small = nn.ModuleList(_down(c, kernel, stride) for c in channels[:LATERAL_BLOCKS])
        self.to_large = nn.ModuleList(_up(c, kernel, stride) for c in channels[:LATERAL_BLOCKS])

    def forward(self, block: int, large: torch.Tensor, small: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Fuse after block `block` (0-based): returns (large + up(small), small + down(large))."""
        return large + self.to_large[block](small), small + self.to_small[block](large)


def video_keypoint_laterals(channels: tuple[int, ...]) -> LateralPair:
    """Video (large, H x W) <-> keypoint (small, H/2 x W/2) streams of one clip length."""
    return LateralPair(channels, (1, 3, 3), (1, 2, 2))


def temporal_laterals(channels: tuple[int, ...]) -> LateralPair:
    """64-frame (large, T) <-> 32-frame (small, T/2) streams of one modality."""
    return LateralPair(channels, (3, 1, 1), (2, 1, 1))


def zero_laterals(model: nn.Module) -> None:
    """Start every lateral connection at zero: the streams begin independent and learn to fuse.
    (Option `lateral_init=zero`; the reference's Kaiming start suits streams initialised from
    trained single-stream models, as the paper's staged training does.)"""
    for pair in model.modules():
        if isinstance(pair, LateralPair):
            for layer in pair.modules():
                if isinstance(layer, (nn.Conv3d, nn.ConvTranspose3d)):
                    nn.init.zeros_(layer.weight)
