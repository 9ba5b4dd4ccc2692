"""The layers of `posegcn`: a graph convolution over keypoints and one ST-GCN block.

Tensors here are laid out (B, C, T, K): batch, channels, frames, keypoints, so that a
(kernel, 1) Conv2d is a temporal convolution applied to every keypoint separately.
"""
from __future__ import annotations

import torch
from torch import nn

TEMPORAL_KERNEL = 9  # frames seen by one temporal convolution, as in ST-GCN


class GraphConvolution(nn.Module):
    """Mix channels at every point (1x1 conv), then gather each point's neighbours.

    The neighbours come from the fixed normalised skeleton adjacency plus a learnable residual
    adjacency (initialised to zeros, so training starts from the skeleton and may add links the
    skeleton lacks, e.g. fingertip to mouth, or all links when there is no skeleton).
    """

    def __init__(self, in_channels: int, out_channels: int, adjacency: torch.Tensor):
        super().__init__()
        self.mix_channels = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)  # BN follows
        self.register_buffer("adjacency", adjacency.clone(), persistent=False)  # (K, K), rebuilt from the skeleton
        self.learned_adjacency = nn.Parameter(torch.zeros_like(adjacency))  # (K, K)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        mixed = self.mix_channels(features)  # (B, C_in, T, K) -> (B, C_out, T, K)
        adjacency = self.adjacency + self.learned_adjacency  # (K, K): column j gathers point j's neighbours
        return torch.einsum("bctk,kj->bctj", mixed, adjacency)  # (B, C_out, T, K)


class SpatioTemporalBlock(nn.Module):
    """graph conv -> BN -> ReLU -> temporal conv -> BN -> dropout, plus a shortcut, then ReLU.

    With `temporal_stride` 2 the block halves the number of frames (T -> ceil(T / 2)); the
    shortcut then strides too (a 1x1 conv + BN, also used when the channel count changes).
    """

    def __init__(self, in_channels: int, out_channels: int, adjacency: torch.Tensor, temporal_stride: int,
                 dropout: float):
        super().__init__()
        self.graph = GraphConvolution(in_channels, out_channels, adjacency)
        self.graph_norm = nn.BatchNorm2d(out_channels)
        self.temporal = nn.Conv2d(
            out_channels, out_channels, kernel_size=(TEMPORAL_KERNEL, 1), stride=(temporal_stride, 1),
            padding=(TEMPORAL_KERNEL // 2, 0), bias=False,
        )
        self.temporal_norm = nn.BatchNorm2d(out_channels)
        self.dropout = nn.Dropout(dropout)
        if in_channels == out_channels and temporal_stride == 1:
            self.shortcut: nn.Module = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=(temporal_stride, 1), bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        spatial = torch.relu(self.graph_norm(self.graph(features)))  # (B, C_in, T, K) -> (B, C_out, T, K)
        temporal = self.dropout(self.temporal_norm(self.temporal(spatial)))  # -> (B, C_out, T', K)
        return torch.relu(temporal + self.shortcut(features))  # (B, C_out, T', K)
