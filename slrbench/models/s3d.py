"""S3D (Xie et al., ECCV 2018) as the five-block encoder of NLA-SLR's VKNet (Sec. 3.2).

Layer design and channel plan follow the reference: separable 3-D convolutions ((1, k, k) spatial
conv + BN + ReLU, then (k, 1, 1) temporal conv + BN + ReLU), inception blocks Mixed_3b .. Mixed_5c,
BatchNorm eps 1e-3 and momentum 1e-3, no conv biases. Blocks B1..B5 end where the reference's
lateral connections attach; their outputs for a 64 x 224² clip are 64 x 32 x 112², 192 x 32 x 56²,
480 x 32 x 28², 832 x 16 x 14² and 1024 x 8 x 7². Submodule names (`conv_s`, `bn_t`, `branch1`, ...)
are those of the widely used S3D layout, so that `slrbench.models.s3d_weights` maps reference keys
by renumbering only. `width` scales every channel count (1.0: the reference). A video stream
starts with a fixed per-channel affine map of its input (`InputAffine`, identity unless a weights
loader sets it, see `slrbench.models.s3d_weights`).
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

BN_EPS = 1e-3
BN_MOMENTUM = 1e-3

# Inception blocks: (branch0, branch1 reduce, branch1, branch2 reduce, branch2, branch3 pool proj).
MIXED_PLAN = {
    "3b": (64, 96, 128, 16, 32, 32),
    "3c": (128, 128, 192, 32, 96, 64),
    "4b": (192, 96, 208, 16, 48, 64),
    "4c": (160, 112, 224, 24, 64, 64),
    "4d": (128, 128, 256, 24, 64, 64),
    "4e": (112, 144, 288, 32, 64, 64),
    "4f": (256, 160, 320, 32, 128, 128),
    "5b": (256, 160, 320, 32, 128, 128),
    "5c": (384, 192, 384, 48, 128, 128),
}
NUM_BLOCKS = 5


def scaled(channels: int, width: float) -> int:
    """A channel count under the width multiplier (at least 1)."""
    return max(1, int(round(channels * width)))


def set_batch_norm_momentum(module: nn.Module, momentum: float) -> None:
    """Set the running-statistics momentum of every BatchNorm in `module` (option `bn_momentum`)."""
    for norm in module.modules():
        if isinstance(norm, nn.modules.batchnorm._BatchNorm):
            norm.momentum = momentum


def _batch_norm(channels: int) -> nn.BatchNorm3d:
    return nn.BatchNorm3d(channels, eps=BN_EPS, momentum=BN_MOMENTUM, affine=True)


class BasicConv3d(nn.Module):
    """Conv3d (no bias) + BN + ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size=1, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = _batch_norm(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class SepConv3d(nn.Module):
    """(1, k, k) spatial conv + BN + ReLU, then (k, 1, 1) temporal conv + BN + ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, padding: int = 0):
        super().__init__()
        self.conv_s = nn.Conv3d(in_channels, out_channels, (1, kernel, kernel), (1, stride, stride),
                                (0, padding, padding), bias=False)
        self.bn_s = _batch_norm(out_channels)
        self.relu_s = nn.ReLU(inplace=True)
        self.conv_t = nn.Conv3d(out_channels, out_channels, (kernel, 1, 1), (stride, 1, 1), (padding, 0, 0),
                                bias=False)
        self.bn_t = _batch_norm(out_channels)
        self.relu_t = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu_s(self.bn_s(self.conv_s(x)))
        return self.relu_t(self.bn_t(self.conv_t(x)))


class Mixed(nn.Module):
    """Inception block: 1x1 | 1x1 -> sep3x3 | 1x1 -> sep3x3 | maxpool -> 1x1, concatenated."""

    def __init__(self, in_channels: int, plan: tuple[int, ...], width: float):
        super().__init__()
        b0, b1r, b1, b2r, b2, b3 = (scaled(c, width) for c in plan)
        self.branch0 = nn.Sequential(BasicConv3d(in_channels, b0))
        self.branch1 = nn.Sequential(BasicConv3d(in_channels, b1r), SepConv3d(b1r, b1, 3, padding=1))
        self.branch2 = nn.Sequential(BasicConv3d(in_channels, b2r), SepConv3d(b2r, b2, 3, padding=1))
        self.branch3 = nn.Sequential(nn.MaxPool3d(3, stride=1, padding=1), BasicConv3d(in_channels, b3))
        self.out_channels = b0 + b1 + b2 + b3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], dim=1)


def _mixed_stage(in_channels: int, names: tuple[str, ...], width: float) -> tuple[list[nn.Module], int]:
    modules = []
    for name in names:
        block = Mixed(in_channels, MIXED_PLAN[name], width)
        modules.append(block)
        in_channels = block.out_channels
    return modules, in_channels


class InputAffine(nn.Module):
    """x * scale + shift per input channel, fixed (buffers: never trained, but saved with the weights).

    Pretrained weights expect their own input convention (e.g. torchvision's mean/std-normalised RGB);
    slrbench feeds RGB in [-1, 1]. Mapping the input here, before the first convolution's zero
    padding, is exact; folding the map into that convolution's weights would not be at the borders.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.register_buffer("scale", torch.ones(channels))
        self.register_buffer("shift", torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, C, T, H, W)."""
        view = (1, -1) + (1,) * (x.dim() - 2)
        return x * self.scale.view(view) + self.shift.view(view)


class S3D(nn.Module):
    """Five blocks b1..b5 (the reference's `base` layers 0 | 1-3 | 4-6 | 7-12 | 13-15); with
    `input_affine`, an `InputAffine` before them (video streams)."""

    def __init__(self, in_channels: int = 3, width: float = 1.0, input_affine: bool = False):
        super().__init__()
        self.input_affine = InputAffine(in_channels) if input_affine else nn.Identity()
        c64, c192 = scaled(64, width), scaled(192, width)
        self.b1 = nn.Sequential(SepConv3d(in_channels, c64, 7, stride=2, padding=3))
        self.b2 = nn.Sequential(
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)), BasicConv3d(c64, c64), SepConv3d(c64, c192, 3, padding=1)
        )
        mixed3, c480 = _mixed_stage(c192, ("3b", "3c"), width)
        self.b3 = nn.Sequential(nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)), *mixed3)
        mixed4, c832 = _mixed_stage(c480, ("4b", "4c", "4d", "4e", "4f"), width)
        self.b4 = nn.Sequential(nn.MaxPool3d(3, 2, 1), *mixed4)
        mixed5, c1024 = _mixed_stage(c832, ("5b", "5c"), width)
        self.b5 = nn.Sequential(nn.MaxPool3d(2, 2, 0), *mixed5)
        self.block_channels = (c64, c192, c480, c832, c1024)
        self.out_channels = c1024

    @property
    def blocks(self) -> tuple[nn.Sequential, ...]:
        return (self.b1, self.b2, self.b3, self.b4, self.b5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> the last block's feature map (B, 1024·width, T/8, H/32, W/32)."""
        x = self.input_affine(x)
        for block in self.blocks:
            x = block(x)
        return x


@contextlib.contextmanager
def frozen_batch_norm_statistics(module: nn.Module) -> Iterator[None]:
    """Keep BN running statistics unchanged (momentum 0) while a checkpointed block is recomputed,
    so that gradient checkpointing updates them exactly once per step, as without it."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum, None if m.num_batches_tracked is None else m.num_batches_tracked.clone()) for m in norms]
    for norm in norms:
        norm.momentum = 0.0
    try:
        yield
    finally:
        for norm, (momentum, tracked) in zip(norms, saved):
            norm.momentum = momentum
            if tracked is not None:
                norm.num_batches_tracked.copy_(tracked)


def run_block(block: nn.Module, x: torch.Tensor, checkpointed: bool) -> torch.Tensor:
    """Apply `block`; with `checkpointed`, keep no activations and recompute them in backward."""
    if not (checkpointed and torch.is_grad_enabled()):
        return block(x)
    return checkpoint(block, x, use_reentrant=False,
                      context_fn=lambda: (contextlib.nullcontext(), frozen_batch_norm_statistics(block)))


def pool_features(x: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, C): mean over H, W and a temporal window of 2 (stride 1), then over
    time, as the reference's `avg_pool3d((2, H, W), stride=1)` + mean (window 1 when T = 1)."""
    x = x.mean(dim=(3, 4))  # (B, C, T)
    if x.shape[2] >= 2:
        x = (x[:, :, 1:] + x[:, :, :-1]) * 0.5  # (B, C, T - 1)
    return x.mean(dim=2)
