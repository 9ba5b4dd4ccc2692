"""Auxiliary branches of the head network, trained beside FC1 and dropped at inference.

`InterModalityBranch` (NLA-SLR Sec. 3.3.2): per head, a gloss mapper (gloss dim -> D) and FC2;
its loss is Eq. 5 weighted by γ(t), and after every optimizer step FC1 <- μ FC1 + (1 - μ) FC2
(Eq. 6). `ContrastiveBranch` (Table 14's alternative): a CLIP-style InfoNCE between the vision
feature and the mapped features of all N glosses.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from slrbench.interfaces import AuxiliaryBranchBase, MixedBatch
from slrbench.models.inter_modality import (
    gloss_logits, inter_modality_loss_direct, inter_modality_losses, mixed_hard_targets,
)
from slrbench.training.schedules import classifier_momentum, inter_modality_weight


def loss_weight(schedule: str, scale: float) -> Callable[[float], float]:
    """γ(progress): the paper's cosine decay, or a constant."""
    if schedule == "cosine":
        return lambda progress: scale * inter_modality_weight(progress)
    return lambda progress: scale


class GlossBranch(AuxiliaryBranchBase, nn.Module):
    """Shared part: the gloss vectors E (N, g) as a buffer and one mapper Linear(g, D) per head."""

    def __init__(self, feature_dims: dict[str, int], gloss_vectors: np.ndarray, weight: Callable[[float], float]):
        super().__init__()
        self.register_buffer("gloss_vectors", torch.as_tensor(np.asarray(gloss_vectors), dtype=torch.float32))
        gloss_dim = self.gloss_vectors.shape[1]
        self.mappers = nn.ModuleDict({name: nn.Linear(gloss_dim, dim) for name, dim in feature_dims.items()})
        self.weight = weight

    @property
    def num_classes(self) -> int:
        return self.gloss_vectors.shape[0]

    def after_optimizer_step(self, classifiers: nn.ModuleDict, progress: float) -> None:
        """Nothing to integrate by default."""

    def scheduled_values(self, progress: float) -> dict[str, float]:
        """γ, the weight of the auxiliary loss."""
        return {"gamma": self.weight(progress)}


class InterModalityBranch(GlossBranch):
    def __init__(self, feature_dims: dict[str, int], gloss_vectors: np.ndarray, weight: Callable[[float], float],
                 momentum_base: float, efficient: bool = True):
        super().__init__(feature_dims, gloss_vectors, weight)
        self.fc2 = nn.ModuleDict({name: nn.Linear(dim, self.num_classes) for name, dim in feature_dims.items()})
        self.momentum_base = momentum_base
        self.efficient = efficient  # False: the literal formula, B x N x D blend per head (for comparisons)

    def loss(self, features: dict[str, torch.Tensor], mixed: MixedBatch, progress: float) -> torch.Tensor:
        targets = mixed_hard_targets(mixed.labels_a, mixed.labels_b, mixed.lam, self.num_classes)  # (B, N)
        if not self.efficient:
            total = sum(inter_modality_loss_direct(features[name], self.mappers[name](self.gloss_vectors),
                                                   self.fc2[name], targets) for name in self.fc2)
            return self.weight(progress) * total
        a = torch.stack([self.fc2[name](features[name]) for name in self.fc2])  # (H, B, N)
        g = torch.stack([gloss_logits(self.gloss_vectors, self.mappers[name], self.fc2[name]) for name in self.fc2])
        return self.weight(progress) * inter_modality_losses(a, g, targets).sum()

    def scheduled_values(self, progress: float) -> dict[str, float]:
        """γ and μ, the momentum of Eq. 6."""
        return {**super().scheduled_values(progress), "mu": classifier_momentum(progress, self.momentum_base)}

    @torch.no_grad()
    def after_optimizer_step(self, classifiers: nn.ModuleDict, progress: float) -> None:
        """Eq. 6: θ1 <- μ θ1 + (1 - μ) θ2 for every head with a branch."""
        momentum = classifier_momentum(progress, self.momentum_base)
        for name, fc2 in self.fc2.items():
            fc1 = classifiers[name]
            fc1.weight.mul_(momentum).add_(fc2.weight, alpha=1.0 - momentum)
            fc1.bias.mul_(momentum).add_(fc2.bias, alpha=1.0 - momentum)


class ContrastiveBranch(GlossBranch):
    def __init__(self, feature_dims: dict[str, int], gloss_vectors: np.ndarray, weight: Callable[[float], float],
                 temperature: float, learn_temperature: bool):
        super().__init__(feature_dims, gloss_vectors, weight)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)), requires_grad=learn_temperature)

    def loss(self, features: dict[str, torch.Tensor], mixed: MixedBatch, progress: float) -> torch.Tensor:
        targets = mixed_hard_targets(mixed.labels_a, mixed.labels_b, mixed.lam, self.num_classes)  # (B, N)
        scale = self.log_scale.exp().clamp(max=100.0)  # CLIP's cap on the logit scale
        total = 0.0
        for name, mapper in self.mappers.items():
            vision = F.normalize(features[name].float(), dim=1)  # (B, D)
            glosses = F.normalize(mapper(self.gloss_vectors).float(), dim=1)  # (N, D)
            logits = scale * vision @ glosses.t()  # (B, N)
            total = total + torch.sum(-targets * F.log_softmax(logits, dim=1), dim=1).mean()
        return self.weight(progress) * total
