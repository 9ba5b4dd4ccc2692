"""`posegcn`: a spatio-temporal graph convolution network (ST-GCN, Yan et al. 2018) over keypoints.

It encodes keypoint coordinates (the loader's `keypoint_coordinates` stream, normalised to the
crop; no heatmaps), so it is a light keypoint-only baseline next to NLA-SLR's heatmap S3D stream.
Its single feature is named `pose` (group keypoint): the mean over frames and keypoints of the
last block's output. Mixups blend the coordinates (the blend of two skeletons), as declared by
the stream itself; nothing here needs to say so.
"""
from __future__ import annotations

import torch
from torch import nn

from slrbench.interfaces import BackboneBase, BackboneContext
from slrbench_posegcn.blocks import SpatioTemporalBlock
from slrbench_posegcn.plugin import PoseGCNConfig
from slrbench_posegcn.skeleton import normalized_adjacency

DOWNSAMPLING_BLOCKS = (1, 3)  # these blocks halve the frame count (64 frames -> 16), as ST-GCN does


def block_widths(width: int, blocks: int) -> list[int]:
    """Output channels of each block: `width` for the first, twice that for every later one."""
    return [width] + [2 * width] * (blocks - 1)


class PoseGCN(BackboneBase, nn.Module):
    """keypoint_coordinates (B, T, K, 3) -> {"pose": (B, C)}; C = width for one block, else 2 * width.

    x, y arrive in [-1, 1] of the crop; with `use_scores` the confidence score is a third input
    channel. Batch norm runs on running statistics in eval mode, so
    a sample's features never depend on the rest of its batch.
    """

    inputs = ("keypoint_coordinates",)

    def __init__(self, config: PoseGCNConfig, context: BackboneContext):
        super().__init__()
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

    def feature_groups(self) -> dict[str, str]:
        return {"pose": "keypoint"}

    def point_channels(self, keypoints: torch.Tensor) -> torch.Tensor:
        """(B, T, K, 3) x, y in [-1, 1], score -> (B, T, K, C_in): x, y (and the score)."""
        return keypoints if self.use_scores else keypoints[..., :2]

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        points = self.point_channels(inputs["keypoint_coordinates"])  # (B, T, K, C_in)
        b, t, k, c = points.shape
        flat = points.permute(0, 2, 3, 1).reshape(b, k * c, t)  # (B, K * C_in, T)
        normalized = self.input_norm(flat).reshape(b, k, c, t)  # (B, K, C_in, T)
        features = self.blocks(normalized.permute(0, 2, 3, 1))  # (B, C_in, T, K) -> (B, C, T', K)
        return {"pose": features.mean(dim=(2, 3))}  # (B, C)
