"""From head logits to one score per class (reference: log of the sum of the chosen heads'
softmaxes; 3-crop averages the softmaxes of the three temporal views). Which heads by default is
the backbone's declaration (`BackboneBase.default_heads`: its joint features, as the reference)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

def ensemble_probabilities(view_logits: Sequence[dict[str, torch.Tensor]], heads: Sequence[str]) -> np.ndarray:
    """Mean over views of Σ_heads softmax(logits): (M, N) float64, rows summing to len(heads)."""
    missing = [name for name in heads if name not in view_logits[0]]
    if missing:
        raise KeyError(f"no head named {', '.join(missing)}; heads: {', '.join(view_logits[0])}")
    total = None
    for logits in view_logits:
        summed = sum(torch.softmax(logits[name].double(), dim=1) for name in heads)
        total = summed if total is None else total + summed
    return (total / len(view_logits)).cpu().numpy()


def prediction_scores(probabilities: np.ndarray) -> np.ndarray:
    """The reference's prediction: the log of the summed softmaxes."""
    return np.log(np.clip(probabilities, 1e-30, None))
