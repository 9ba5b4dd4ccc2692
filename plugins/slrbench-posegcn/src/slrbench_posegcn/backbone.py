"""`posegcn`: a spatio-temporal graph convolution network (ST-GCN, Yan et al. 2018) over keypoints.

It encodes the loader's raw keypoints (no heatmaps), so it is a light keypoint-only baseline
next to NLA-SLR's heatmap S3D stream. Its single feature is named `pose`: the mean over frames
and keypoints of the last block's output.
"""
from __future__ import annotations

import torch
from torch import nn

from slrbench.interfaces import BackboneContext
from slrbench_posegcn.blocks import SpatioTemporalBlock
from slrbench_posegcn.plugin import PoseGCNConfig
from slrbench_posegcn.skeleton import normalized_adjacency

DOWNSAMPLING_BLOCKS = (1, 3)  # these blocks halve the frame count (64 frames -> 16), as ST-GCN does


def block_widths(width: int, blocks: int) -> list[int]:
    """Output channels of each block: `width` for the first, twice that for every later one."""
    return [width] + [2 * width] * (blocks - 1)


class PoseGCN(nn.Module):
    """keypoints (B, T, K, 3) -> {"pose": (B, C)}; C = width for one block, else 2 * width.

    Coordinates are scaled from heatmap pixels to [-1, 1]; with `use_scores` the confidence
    score is a third input channel. Batch norm runs on running statistics in eval mode, so
    a sample's features never depend on the rest of its batch.
    """

    inputs = ("keypoints",)

    def __init__(self, config: PoseGCNConfig, context: BackboneContext):
        super().__init__()
        self.heatmap_size = context.heatmap_size
        self.use_scores = config.use_scores
        in_channels = 3 if config.use_scores else 2
        # Per-point, per-channel input normalisation (ST-GCN's data BN): hands and body move differently.
        self.input_norm = nn.BatchNorm1d(in_channels * context.num_keypoints)
        adjacency = normalized_adjacency(context.num_keypoints)  # (K, K)
        widths = block_widths(config.width, config.blocks)
        self.blocks = nn.Sequential(*(
            SpatioTemporalBlock(
                in_channels=block_in,
                out_channels=block_out,
                adjacency=adjacency,
                temporal_stride=2 if index in DOWNSAMPLING_BLOCKS else 1,
                dropout=config.dropout,
            )
            for index, (block_in, block_out) in enumerate(zip([in_channels] + widths[:-1], widths))
        ))
        self.feature_dims = {"pose": widths[-1]}

    def scaled_keypoints(self, keypoints: torch.Tensor) -> torch.Tensor:
        """(B, T, K, 3) in heatmap pixels -> (B, T, K, C_in) with x, y in [-1, 1] (and the score)."""
        coordinates = keypoints[..., :2] / self.heatmap_size * 2 - 1
        if not self.use_scores:
            return coordinates
        return torch.cat([coordinates, keypoints[..., 2:3]], dim=-1)

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        points = self.scaled_keypoints(inputs["keypoints"])  # (B, T, K, C_in)
        b, t, k, c = points.shape
        flat = points.permute(0, 2, 3, 1).reshape(b, k * c, t)  # (B, K * C_in, T)
        normalized = self.input_norm(flat).reshape(b, k, c, t)  # (B, K, C_in, T)
        features = self.blocks(normalized.permute(0, 2, 3, 1))  # (B, C_in, T, K) -> (B, C, T', K)
        return {"pose": features.mean(dim=(2, 3))}  # (B, C)
