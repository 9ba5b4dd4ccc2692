"""Target tables of the smoothers that need no word embedder (NLA-SLR Eq. 1 and one-hot)."""
from __future__ import annotations

import torch

from slrbench.builtins.smoothers import OneHotConfig, VanillaSmoothingConfig
from slrbench.interfaces import SmootherContext


class OneHot:
    def __init__(self, config: OneHotConfig, context: SmootherContext):
        self.num_classes = context.num_classes

    def target_table(self) -> torch.Tensor:
        return torch.eye(self.num_classes)


class VanillaSmoothing:
    """Eq. 1: q[i] = 1 - ε for i = b, ε / (N - 1) otherwise."""

    def __init__(self, config: VanillaSmoothingConfig, context: SmootherContext):
        self.num_classes = context.num_classes
        self.epsilon = config.epsilon

    def target_table(self) -> torch.Tensor:
        n = self.num_classes
        if n == 1:
            return torch.ones(1, 1)
        table = torch.full((n, n), self.epsilon / (n - 1))
        table.fill_diagonal_(1.0 - self.epsilon)
        return table
