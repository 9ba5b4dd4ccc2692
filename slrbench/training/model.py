"""The trained model: backbone, head network (FC1 per feature) and an optional auxiliary branch."""
from __future__ import annotations

import torch
from torch import nn

from slrbench.models.heads import HeadNetwork


class SignModel(nn.Module):
    """Backbone -> named features -> FC1 logits; the branch is used for the training loss only."""

    # Submodules that only the training loss uses: absent from an inference model and from best/,
    # so they are the one difference a strict weight load allows.
    TRAINING_ONLY = ("branch",)

    def __init__(self, backbone: nn.Module, num_classes: int, branch: nn.Module | None = None):
        super().__init__()
        self.backbone = backbone
        self.heads = HeadNetwork(dict(backbone.feature_dims), num_classes)
        self.branch = branch

    def prepare(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """On-device input preparation of the backbone (e.g. keypoint heatmaps), before the mixup."""
        return self.backbone.prepare_inputs(batch)

    def forward(self, inputs: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        features = self.backbone(inputs)  # {name: (B, D)}
        return features, self.heads(features)  # {name: (B, N)}

    @classmethod
    def is_training_only(cls, key: str) -> bool:
        """Whether a state-dict key belongs to a training-only submodule (e.g. FC2 `branch.fc2.f.weight`)."""
        return key.partition(".")[0] in cls.TRAINING_ONLY

    def inference_state_dict(self) -> dict[str, torch.Tensor]:
        """Backbone and FC1 only: the auxiliary branch is dropped at inference."""
        return {key: value for key, value in self.state_dict().items() if not self.is_training_only(key)}
