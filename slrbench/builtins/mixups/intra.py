"""Intra-modality Mixup (NLA-SLR Sec. 3.4): every stream blended with the same λ and partner.

Video and heatmaps of both temporal scales must be mixed with one λ ~ Beta(α, α) and one
permutation, or the streams would disagree about which sign they show.
"""
from __future__ import annotations

import numpy as np
import torch

from slrbench.builtins.mixups import IntraMixupConfig, NoMixupConfig
from slrbench.interfaces import MixedBatch, MixupContext


class NoMixup:
    needs_embedder = False
    def __init__(self, config: NoMixupConfig, context: MixupContext):
        pass

    def mix(self, inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator | None = None):
        return MixedBatch(inputs=dict(inputs), labels_a=labels, labels_b=labels, lam=1.0)


class IntraMixup:
    needs_embedder = False
    def __init__(self, config: IntraMixupConfig, context: MixupContext):
        self.config = config

    def mix(self, inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator | None = None):
        if torch.rand((), generator=generator).item() >= self.config.probability:
            return MixedBatch(inputs=dict(inputs), labels_a=labels, labels_b=labels, lam=1.0)
        # λ from numpy, seeded by the torch generator, so one generator state fixes the whole draw
        seed = int(torch.randint(0, 2**62, (), generator=generator).item())
        lam = float(np.random.default_rng(seed).beta(self.config.alpha, self.config.alpha))
        order = torch.randperm(labels.shape[0], generator=generator).to(labels.device)
        mixed = {
            name: tensor if name in self.config.unmixed else lam * tensor + (1.0 - lam) * tensor[order]
            for name, tensor in inputs.items()
        }
        return MixedBatch(inputs=mixed, labels_a=labels, labels_b=labels[order], lam=lam)
