"""The paper's Table 9 split of test samples into visually indistinguishable signs (VISigns).

For each sample, p1 and p2 are its two best (normalised ensemble) probabilities with glosses g1,
g2. δ = p1 - p2 ≤ 0.1 marks a potential VISign pair; it is VS-S when the cosine similarity of
g1 and g2 is ≥ 0.5 (similar meaning) and VS-D otherwise; all other samples are non-VS. The
paper also had native signers filter the pairs; this computes the automatic split only.
"""
from __future__ import annotations

import numpy as np

GROUPS = ("VS-S", "VS-D", "non-VS")


def visign_groups(probabilities: np.ndarray, similarity: np.ndarray, gap: float = 0.1,
                  similar: float = 0.5) -> np.ndarray:
    """(M, N) probabilities (rows sum to 1), (N, N) gloss cosine similarities -> (M,) group names."""
    order = np.argsort(-probabilities, axis=1)[:, :2]
    rows = np.arange(len(probabilities))
    p1, p2 = probabilities[rows, order[:, 0]], probabilities[rows, order[:, 1]]
    close = (p1 - p2) <= gap
    semantic = similarity[order[:, 0], order[:, 1]] >= similar
    return np.where(close, np.where(semantic, "VS-S", "VS-D"), "non-VS")


def accuracy_by_group(groups: np.ndarray, correct: np.ndarray) -> dict[str, dict[str, float | None]]:
    """Samples and top-1 accuracy (percent) of each group and overall; a group without samples
    has no accuracy (None: `null` in JSON, "–" in tables), never NaN."""
    report: dict[str, dict[str, float | None]] = {}
    for group in GROUPS:
        members = groups == group
        count = int(members.sum())
        report[group] = {"samples": count, "top1": 100.0 * float(correct[members].mean()) if count else None}
    report["overall"] = {"samples": int(len(correct)), "top1": 100.0 * float(correct.mean())}
    return report
