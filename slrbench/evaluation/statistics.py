"""Statistics behind `slrbench compare`, computed from per-sample hits (pure numpy).

A run is a hit vector: is the label among its top-k predictions, per test sample. Two sources
of chance move a mean accuracy: the training seed and the finite test set. Intervals therefore
come from a hierarchical bootstrap: every replicate draws the test samples with replacement (one
draw shared by every run, so runs stay paired on the same samples) and, within each group, the
runs (seeds) with replacement; the group's replicate value is the mean over the drawn runs.

    interval     the 2.5 / 97.5 percentiles of the replicate values (percentile bootstrap)
    difference   B - A of the group means, from the same replicates (paired on the samples)
    p            two-sided percentile-bootstrap p: 2 * min(#(Δ* <= 0) + 1, #(Δ* >= 0) + 1) / (B + 1),
                 at most 1; p < 0.05 when the 95 % interval excludes 0 (up to the +1), and p = 1
                 when every replicate difference is 0 (identical runs)
    McNemar      exact (binomial on the discordant samples) when both groups are one run each
    Holm         step-down correction over the comparisons with one baseline

Per-class accuracy is the mean over the classes that have samples (in the test set, and in a
replicate: the classes that were drawn), as `slrbench.evaluation.metrics` computes it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from slrbench.evaluation.metrics import per_class_accuracy

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0  # a fixed seed: the same inputs give the same intervals and p-values
LEVEL = 0.95
CELLS_PER_CHUNK = 2_000_000  # replicates x samples drawn at once (16 MB of int64 counts)


@dataclass(frozen=True)
class Summary:
    """One group's metric: mean and std over its runs, and the bootstrap interval of the mean."""
    runs: int
    mean: float
    std: float  # ddof=1; NaN for one run
    low: float
    high: float


@dataclass(frozen=True)
class Difference:
    """Group B minus baseline A: the difference of means, its interval and a two-sided p."""
    delta: float
    low: float
    high: float
    p: float
    test: str  # "paired bootstrap" or "McNemar (exact)"


def hits_from_predictions(table: pd.DataFrame, k: int) -> np.ndarray:
    """(M,) bool from a predictions table: is the label among pred_1 .. pred_k."""
    columns = [f"pred_{rank}" for rank in range(1, k + 1) if f"pred_{rank}" in table]
    return (table[columns].to_numpy() == table["label"].to_numpy()[:, None]).any(axis=1)


def point_values(hits: np.ndarray, labels: np.ndarray | None = None, masks: np.ndarray | None = None) -> np.ndarray:
    """(R, M) hits -> (R,) percent: per-instance accuracy (over the masked samples, if masks),
    or per-class accuracy when `labels` are given."""
    hits = np.atleast_2d(hits)
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        return np.array([100.0 * np.nanmean(per_class_accuracy(row, labels, int(labels.max()) + 1)[0])
                         for row in hits])
    return _weighted_values(hits, np.ones((1, hits.shape[1])), None, masks)[:, 0]


def replicate_values(hits: np.ndarray, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                     labels: np.ndarray | None = None, masks: np.ndarray | None = None) -> np.ndarray:
    """(R, M) hits -> (R, B) percent: each run's metric on each replicate's draw of test samples.

    Every run sees the same draws (paired); per-class when `labels` are given; `masks` (R, M)
    restrict each run to its own subset of samples (NaN where a replicate drew none of them)."""
    hits = np.atleast_2d(hits)
    if labels is not None and masks is not None:
        raise ValueError("per-class values over masked subsets are not supported")
    parts = [_weighted_values(hits, weights, labels, masks)
             for weights in _sample_weights(hits.shape[1], resamples, seed)]
    return np.concatenate(parts, axis=1)


def summarise(points: np.ndarray, replicates: np.ndarray, seed: int = DEFAULT_SEED) -> Summary:
    """A group from its runs' values (R,) and replicate values (R, B)."""
    means = resample_runs(replicates, np.random.default_rng(seed))
    low, high = percentile_interval(means)
    std = float(np.std(points, ddof=1)) if len(points) > 1 else math.nan
    return Summary(len(points), float(np.mean(points)), std, low, high)


def paired_difference(points_a: np.ndarray, replicates_a: np.ndarray, points_b: np.ndarray,
                      replicates_b: np.ndarray, seed: int = DEFAULT_SEED,
                      mcnemar_hits: tuple[np.ndarray, np.ndarray] | None = None) -> Difference:
    """B - A on the same test samples; runs are drawn within each group.

    `mcnemar_hits` (A's and B's hit vectors over the compared samples) asks for the exact McNemar
    test instead of the bootstrap p; it is used when both groups are single runs."""
    rng = np.random.default_rng(seed)
    deltas = resample_runs(replicates_b, rng) - resample_runs(replicates_a, rng)
    low, high = percentile_interval(deltas)
    delta = float(np.mean(points_b) - np.mean(points_a))
    if mcnemar_hits is not None and len(points_a) == len(points_b) == 1:
        return Difference(delta, low, high, mcnemar_exact(*mcnemar_hits), "McNemar (exact)")
    return Difference(delta, low, high, bootstrap_p(deltas), "paired bootstrap")


def resample_runs(replicates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(R, B) -> (B,): per replicate, the mean over R runs drawn with replacement."""
    runs, resamples = replicates.shape
    drawn = rng.integers(0, runs, size=(resamples, runs))
    return np.take_along_axis(replicates.T, drawn, axis=1).mean(axis=1)


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` interval of bootstrap values (NaN replicates left out)."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return math.nan, math.nan
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_p(deltas: np.ndarray) -> float:
    """Two-sided percentile-bootstrap p of a difference: twice the smaller tail beyond 0, +1 corrected."""
    deltas = deltas[~np.isnan(deltas)]
    if len(deltas) == 0:
        return math.nan
    tail = min(np.count_nonzero(deltas <= 0), np.count_nonzero(deltas >= 0))
    return min(1.0, 2.0 * (tail + 1) / (len(deltas) + 1))


def mcnemar_exact(hits_a: np.ndarray, hits_b: np.ndarray) -> float:
    """Exact two-sided McNemar p: 2 * P(X <= min(b, c)), X ~ Binomial(b + c, 1/2), at most 1.

    b: samples only A gets right, c: samples only B gets right (the concordant ones carry no
    information about which run is better). Exact integer arithmetic, so no scipy is needed."""
    hits_a, hits_b = np.asarray(hits_a, dtype=bool), np.asarray(hits_b, dtype=bool)
    only_a, only_b = int(np.count_nonzero(hits_a & ~hits_b)), int(np.count_nonzero(~hits_a & hits_b))
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    term, tail = 1, 0  # term = C(n, k), updated in place: C(n, k+1) = C(n, k) (n - k) / (k + 1)
    for k in range(min(only_a, only_b) + 1):
        tail += term
        term = term * (discordant - k) // (k + 1)
    return min(1.0, 2 * tail / 2 ** discordant)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values, in the given order; NaN entries are not in the family."""
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(len(p), np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    factors = len(order) - np.arange(len(order))  # m, m - 1, ..., 1
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    return adjusted


def _sample_weights(num_samples: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Chunks of (b, M) counts: how often each test sample is drawn in each replicate."""
    rng = np.random.default_rng(seed)
    chunk = max(1, CELLS_PER_CHUNK // num_samples)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        drawn = rng.integers(0, num_samples, size=(size, num_samples))
        drawn += (np.arange(size) * num_samples)[:, None]  # one bincount for the whole chunk
        yield np.bincount(drawn.ravel(), minlength=size * num_samples).reshape(size, num_samples)


def _weighted_values(hits: np.ndarray, weights: np.ndarray, labels: np.ndarray | None,
                     masks: np.ndarray | None) -> np.ndarray:
    """(R, M) hits, (b, M) sample counts -> (R, b) percent (float32 sums: counts stay exact below 2^24)."""
    if labels is not None:
        return _weighted_class_means(hits, weights, np.asarray(labels, dtype=np.int64))
    weights, hits = weights.astype(np.float32), hits.astype(np.float32)
    # (b, M) @ (M, R), then transposed: far faster than (R, M) @ (M, b) with a transposed operand
    if masks is None:
        return 100.0 * (weights @ hits.T).T.astype(np.float64) / weights.sum(axis=1, dtype=np.float64)[None, :]
    masks = masks.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * (weights @ (hits * masks).T).T.astype(np.float64) / (weights @ masks.T).T


def _weighted_class_means(hits: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-class accuracy under sample counts: classes with no drawn sample are left out."""
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0])  # first sample of each class
    sorted_weights = weights[:, order].astype(np.float32)  # counts are exact in float32; half the memory
    counts = np.add.reduceat(sorted_weights, starts, axis=1)  # (b, C present)
    present = counts > 0
    sorted_hits = hits[:, order].astype(bool)
    values = np.empty((len(hits), len(weights)))
    for run, run_hits in enumerate(sorted_hits):
        correct = np.zeros_like(counts)
        columns = np.flatnonzero(run_hits)  # only the hit samples count: sum their weights per class
        if len(columns):
            segment = np.searchsorted(starts, columns, side="right") - 1  # each hit's class segment
            first = np.flatnonzero(np.r_[True, np.diff(segment) != 0])
            correct[:, segment[first]] = np.add.reduceat(sorted_weights[:, columns], first, axis=1)
        accuracy = np.divide(correct, counts, out=np.zeros_like(correct), where=present)
        values[run] = 100.0 * accuracy.sum(axis=1, dtype=np.float64) / present.sum(axis=1)
    return values
