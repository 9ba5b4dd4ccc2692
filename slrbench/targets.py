"""Soft-target tables shaped like NLA-SLR Eq. 2, for any similarity between classes.

1 - ε stays on the true class; ε is spread over the other classes by softmax(s / τ). `lang`
uses the cosine of gloss vectors; a plugin may pass any other similarity (e.g. spelling).
"""
from __future__ import annotations

import torch


def similarity_target_table(similarity: torch.Tensor, epsilon: float, temperature: float) -> torch.Tensor:
    """(N, N) similarity -> (N, N) float32 targets; row b is the soft label of class b."""
    n = similarity.shape[0]
    if n == 1:
        return torch.ones(1, 1)
    scores = similarity.double() / temperature
    scores.fill_diagonal_(float("-inf"))  # normalised over i != b only
    table = epsilon * torch.softmax(scores, dim=1)
    table.fill_diagonal_(1.0 - epsilon)
    return table.float()
