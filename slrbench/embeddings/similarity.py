"""Cosine similarities between gloss vectors (NLA-SLR Sec. 3.3.1: s = ‖E‖₂ ‖e‖₂ᵀ).

A zero vector (an out-of-vocabulary gloss) has similarity 0 to everything, itself included.
"""
from __future__ import annotations

import numpy as np


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    """(N, D) -> (N, N) cosine similarities, row-wise L2-normalised; zero rows give zeros."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=np.float64), where=norms > 0)
    return unit @ unit.T


def nearest(similarity: np.ndarray, row: int, top: int) -> list[tuple[int, float]]:
    """The `top` most similar other glosses of gloss `row`, best first."""
    scores = similarity[row].copy()
    scores[row] = -np.inf
    order = np.argsort(-scores, kind="stable")[:top]
    return [(int(index), float(scores[index])) for index in order if np.isfinite(scores[index])]
