"""NLA-SLR's cosine schedules of the inter-modality branch, as functions of progress = e / E.

γ (the auxiliary loss weight) decays from 1 to 0: γ = (1 + cos(π e / E)) / 2.
μ (the FC1 <- μ FC1 + (1 - μ) FC2 momentum, Eq. 6) rises from μ_base to 1:
μ = 1 - (1 - μ_base) (1 + cos(π e / E)) / 2.
"""
from __future__ import annotations

import math


def cosine_decay(progress: float) -> float:
    """1 at progress 0, 0.5 halfway, 0 at the end."""
    return (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0))) / 2.0


def inter_modality_weight(progress: float) -> float:
    """γ at this point of training."""
    return cosine_decay(progress)


def classifier_momentum(progress: float, base: float = 0.99) -> float:
    """μ at this point of training."""
    return 1.0 - (1.0 - base) * cosine_decay(progress)
