"""The head network (NLA-SLR Sec. 3.3): one classifier (FC1) per named backbone feature.

Only FC1 is kept at inference; the auxiliary branches (inter-modality mixup, contrastive) live
in their own modules (`slrbench.models.inter_modality`) and are dropped.
"""
from __future__ import annotations

import torch
from torch import nn


class HeadNetwork(nn.Module):
    """FC1 of every head: features {name: (B, D)} -> logits {name: (B, N)}."""

    def __init__(self, feature_dims: dict[str, int], num_classes: int):
        super().__init__()
        self.classifiers = nn.ModuleDict({name: nn.Linear(dim, num_classes) for name, dim in feature_dims.items()})

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {name: classifier(features[name]) for name, classifier in self.classifiers.items()}
