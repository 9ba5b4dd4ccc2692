"""Intra-modality Mixup (NLA-SLR Sec. 3.4): every input blended with the same λ and partner.

Video and heatmaps of both temporal scales (or a coordinate backbone's skeletons) must be mixed
with one λ ~ Beta(α, α) and one permutation, or the streams would disagree about which sign they
show. What to blend is declared, not guessed: every input whose blend kind is "linear"
(`MixupContext.input_blends`); "sample" inputs (a crop's zoom) travel with their sample.
"""
from __future__ import annotations

import numpy as np
import torch

from slrbench.builtins.mixups import IntraMixupConfig, NoMixupConfig
from slrbench.inputs import BUILTIN_STREAMS, LINEAR, SAMPLE
from slrbench.interfaces import MixedBatch, MixupBase, MixupContext


class NoMixup(MixupBase):
    def __init__(self, config: NoMixupConfig, context: MixupContext):
        pass

    def mix(self, inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator | None = None):
        return MixedBatch(inputs=dict(inputs), labels_a=labels, labels_b=labels, lam=1.0)


class IntraMixup(MixupBase):
    def __init__(self, config: IntraMixupConfig, context: MixupContext):
        self.config = config
        self.input_blends = dict(context.input_blends)

    def blend_kind(self, name: str) -> str:
        """The declared kind of an input (a built-in stream's own when the context names none)."""
        if name in self.input_blends:
            return self.input_blends[name]
        return BUILTIN_STREAMS[name].blend if name in BUILTIN_STREAMS else LINEAR

    def mix(self, inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator | None = None):
        if torch.rand((), generator=generator).item() >= self.config.probability:
            return MixedBatch(inputs=dict(inputs), labels_a=labels, labels_b=labels, lam=1.0)
        # λ from numpy, seeded by the torch generator, so one generator state fixes the whole draw
        seed = int(torch.randint(0, 2**62, (), generator=generator).item())
        lam = float(np.random.default_rng(seed).beta(self.config.alpha, self.config.alpha))
        order = torch.randperm(labels.shape[0], generator=generator).to(labels.device, non_blocking=True)  # no GPU wait
        mixed = {}
        for name, tensor in inputs.items():
            kind = self.blend_kind(name)
            if kind == SAMPLE:
                mixed[name] = tensor
            elif kind == LINEAR:
                mixed[name] = lam * tensor + (1.0 - lam) * tensor[order]
            else:
                raise ValueError(f"intra-modality mixup cannot blend input '{name}' of kind '{kind}'")
        return MixedBatch(inputs=mixed, labels_a=labels, labels_b=labels[order], lam=lam)
