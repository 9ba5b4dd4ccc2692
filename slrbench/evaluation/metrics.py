"""Per-instance and per-class top-1 / top-5 accuracy, as the reference computes them.

Per-instance top-k: the mean over test samples. Per-class top-k: the mean over classes of each
class's own accuracy; classes without test samples are left out of the mean and counted.
Metrics are not plugins: comparability is the point of a benchmark.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Metrics:
    per_instance_top1: float  # percent
    per_instance_top5: float
    per_class_top1: float
    per_class_top5: float
    num_samples: int
    num_classes: int
    num_classes_without_samples: int

    def as_dict(self) -> dict:
        return asdict(self)


def top_k_hits(scores: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(M, N) scores, (M,) labels -> (M,) bool: is the label among the k best scores."""
    k = min(k, scores.shape[1])
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return (best == labels[:, None]).any(axis=1)


def per_class_accuracy(hits: np.ndarray, labels: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy of each class (NaN where a class has no sample) and the sample count per class."""
    counts = np.bincount(labels, minlength=num_classes)
    correct = np.bincount(labels, weights=hits.astype(np.float64), minlength=num_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, correct / counts, np.nan), counts


def compute_metrics(scores: np.ndarray, labels: np.ndarray, num_classes: int) -> Metrics:
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        raise ValueError("no samples to evaluate")
    top1, top5 = top_k_hits(scores, labels, 1), top_k_hits(scores, labels, 5)
    class_top1, counts = per_class_accuracy(top1, labels, num_classes)
    class_top5, _ = per_class_accuracy(top5, labels, num_classes)
    return Metrics(
        per_instance_top1=100.0 * float(top1.mean()),
        per_instance_top5=100.0 * float(top5.mean()),
        per_class_top1=100.0 * float(np.nanmean(class_top1)),
        per_class_top5=100.0 * float(np.nanmean(class_top5)),
        num_samples=int(len(labels)),
        num_classes=int(num_classes),
        num_classes_without_samples=int((counts == 0).sum()),
    )
