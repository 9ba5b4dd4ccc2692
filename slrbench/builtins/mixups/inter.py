"""Mixups with an auxiliary gloss branch: `inter` / `sign` (Eqs. 3-6) and `contrastive` (Table 14).

The batch itself is mixed by intra-modality mixup when `intra_probability` > 0 (`sign`: 0.75);
the branch (built per head group) adds its loss and, for inter-modality, folds FC2 into FC1.
"""
from __future__ import annotations

import torch

from slrbench.builtins.mixups import (
    AuxiliaryMixupConfig, ContrastiveMixupConfig, InterMixupConfig, IntraMixupConfig,
)
from slrbench.builtins.mixups.intra import IntraMixup
from slrbench.errors import UsageError
from slrbench.interfaces import MixedBatch, MixupBase, MixupContext
from slrbench.models.branches import ContrastiveBranch, InterModalityBranch, loss_weight


class GlossBranchMixup(MixupBase):
    """Intra-modality mixing of the batch plus a gloss branch on the chosen head groups."""

    description = "inter-modality mixup"

    def __init__(self, config: AuxiliaryMixupConfig, context: MixupContext):
        if context.gloss_vectors is None:
            raise UsageError(
                f"{self.description} needs gloss words and a word embedder, and this benchmark has label "
                "indices only; use --mixup intra"
            )
        self.config = config
        self.gloss_vectors = context.gloss_vectors
        self.intra = IntraMixup(IntraMixupConfig(alpha=config.alpha, probability=config.intra_probability), context)

    def mix(self, inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator | None = None
            ) -> MixedBatch:
        return self.intra.mix(inputs, labels, generator)

    def branch_dims(self, feature_dims: dict[str, int], feature_groups: dict[str, str]) -> dict[str, int]:
        chosen = {name: dim for name, dim in feature_dims.items() if feature_groups[name] in self.config.groups}
        if not chosen:
            raise UsageError(f"mixup.groups={list(self.config.groups)} selects none of the heads "
                             f"{', '.join(feature_dims)}; add 'other' or the matching group")
        return chosen


class InterModalityMixup(GlossBranchMixup):
    config: InterMixupConfig

    def auxiliary_branch(self, feature_dims: dict[str, int], feature_groups: dict[str, str]) -> InterModalityBranch:
        return InterModalityBranch(
            self.branch_dims(feature_dims, feature_groups), self.gloss_vectors, loss_weight(self.config.weight_schedule, self.config.weight),
            momentum_base=self.config.momentum_base, efficient=self.config.efficient,
        )


class ContrastiveMixup(GlossBranchMixup):
    description = "contrastive mixup"
    config: ContrastiveMixupConfig

    def auxiliary_branch(self, feature_dims: dict[str, int], feature_groups: dict[str, str]) -> ContrastiveBranch:
        return ContrastiveBranch(
            self.branch_dims(feature_dims, feature_groups), self.gloss_vectors, loss_weight(self.config.weight_schedule, self.config.weight),
            temperature=self.config.temperature, learn_temperature=self.config.learn_temperature,
        )
