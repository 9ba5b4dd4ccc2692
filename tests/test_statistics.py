"""Statistics behind `slrbench compare`: exact McNemar, Holm, the hierarchical and paired bootstrap."""
from __future__ import annotations

import math

import numpy as np
import pytest

from slrbench.evaluation import statistics
from slrbench.evaluation.metrics import compute_metrics
from slrbench.evaluation.predictions import predictions_table


def paired_hits(only_a: int, only_b: int, both: int = 20, neither: int = 5) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([1] * only_a + [0] * only_b + [1] * both + [0] * neither, dtype=bool)
    b = np.array([0] * only_a + [1] * only_b + [1] * both + [0] * neither, dtype=bool)
    return a, b


def test_mcnemar_exact_p_by_hand():
    # b = 10, c = 2: p = 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2 * 79 / 4096
    assert statistics.mcnemar_exact(*paired_hits(10, 2)) == pytest.approx(158 / 4096)
    assert statistics.mcnemar_exact(*paired_hits(2, 10)) == pytest.approx(0.03857421875)


def test_mcnemar_is_one_for_balanced_or_no_discordant_pairs():
    assert statistics.mcnemar_exact(*paired_hits(3, 3)) == 1.0  # 2 * 42 / 64 > 1, capped
    assert statistics.mcnemar_exact(*paired_hits(0, 0)) == 1.0


def test_mcnemar_handles_thousands_of_discordant_pairs():
    p = statistics.mcnemar_exact(*paired_hits(2600, 2400))
    z = (2600 - 2400 - 1) / math.sqrt(5000)  # normal approximation with continuity: p ≈ erfc(z / √2)
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=0.05)


def test_holm_on_a_hand_list():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4 x 0.005, 3 x 0.01, 2 x 0.03, max(1 x 0.04, 0.06)
    adjusted = statistics.holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_leaves_untested_entries_out_of_the_family():
    adjusted = statistics.holm([math.nan, 0.02, 0.04, 0.9])
    assert math.isnan(adjusted[0])
    assert adjusted[1:] == pytest.approx([0.06, 0.08, 0.9])


def test_bootstrap_interval_of_a_bernoulli_sample_matches_the_normal_approximation():
    hits = np.random.default_rng(3).random(2000) < 0.7
    summary = statistics.summarise(statistics.point_values(hits), statistics.replicate_values(hits))
    mean = hits.mean()
    half_width = 100 * 1.96 * math.sqrt(mean * (1 - mean) / len(hits))
    assert summary.low < 70.0 < summary.high
    assert summary.mean == pytest.approx(100 * mean)
    assert (summary.high - summary.low) / 2 == pytest.approx(half_width, rel=0.1)
    assert math.isnan(summary.std)  # one run: no spread over seeds


def test_bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    covered = 0
    for trial in range(100):
        hits = rng.random(300) < 0.6
        summary = statistics.summarise(statistics.point_values(hits),
                                       statistics.replicate_values(hits, resamples=500, seed=trial))
        covered += summary.low <= 60.0 <= summary.high
    assert 85 <= covered <= 100


def test_seed_to_seed_spread_widens_the_interval():
    rng = np.random.default_rng(1)
    same = np.tile(rng.random(1000) < 0.6, (3, 1))
    spread = np.stack([rng.random(1000) < p for p in (0.5, 0.6, 0.7)])

    def width(hits: np.ndarray) -> float:
        means = statistics.resample_runs(statistics.replicate_values(hits), np.random.default_rng(0))
        low, high = statistics.percentile_interval(means)
        return high - low

    assert width(spread) > 2 * width(same)


def test_known_difference_is_detected():
    rng = np.random.default_rng(2)
    worse = rng.random((3, 200)) < 0.5
    better = rng.random((3, 200)) < 0.8
    difference = statistics.paired_difference(statistics.point_values(worse), statistics.replicate_values(worse),
                                              statistics.point_values(better), statistics.replicate_values(better))
    assert difference.test == "paired bootstrap"
    assert difference.p < 0.01
    assert difference.low > 0 and difference.delta == pytest.approx(100 * (better.mean() - worse.mean()))


def test_identical_runs_give_p_one():
    hits = np.random.default_rng(4).random((1, 200)) < 0.6
    points, replicates = statistics.point_values(hits), statistics.replicate_values(hits)
    difference = statistics.paired_difference(points, replicates, points, replicates)
    assert difference.p == 1.0
    assert (difference.delta, difference.low, difference.high) == (0.0, 0.0, 0.0)


def test_groups_of_the_same_seeds_are_not_significantly_different():
    # seeds are drawn independently in each group, so the interval keeps the seed-to-seed spread
    hits = np.random.default_rng(4).random((3, 200)) < np.array([[0.5], [0.6], [0.7]])
    points, replicates = statistics.point_values(hits), statistics.replicate_values(hits)
    difference = statistics.paired_difference(points, replicates, points, replicates)
    assert difference.delta == 0.0 and difference.low < 0.0 < difference.high
    assert difference.p > 0.5


def test_two_single_runs_use_mcnemar():
    a, b = paired_hits(10, 2)
    difference = statistics.paired_difference(statistics.point_values(a), statistics.replicate_values(a),
                                              statistics.point_values(b), statistics.replicate_values(b),
                                              mcnemar_hits=(a, b))
    assert difference.test == "McNemar (exact)"
    assert difference.p == pytest.approx(158 / 4096)
    assert difference.low < difference.delta < difference.high


def test_per_class_mean_leaves_out_classes_without_samples():
    labels = np.array([0] * 20 + [1] * 20 + [3] * 20)  # class 2 has no sample
    hits = np.array([1] * 20 + [0] * 20 + [1] * 10 + [0] * 10, dtype=bool)
    assert statistics.point_values(hits, labels) == pytest.approx([50.0])  # (100 + 0 + 50) / 3, not / 4
    uniform = np.array([1] * 20 + [0] * 20 + [1] * 20, dtype=bool)
    replicates = statistics.replicate_values(uniform, resamples=200, labels=labels)
    assert replicates == pytest.approx(np.full((1, 200), 200 / 3))  # every class is drawn: (100 + 0 + 100) / 3


def test_point_values_match_compute_metrics():
    rng = np.random.default_rng(5)
    labels = np.repeat(np.arange(8), 6)[:45]  # class 7 has 3 samples, none missing
    labels[labels == 4] = 5  # class 4 has none
    probabilities = rng.dirichlet(np.ones(9), size=len(labels))
    table = predictions_table([f"s{i:03d}" for i in range(len(labels))], labels, probabilities, {})
    expected = compute_metrics(probabilities, labels, 9)
    top1, top5 = (statistics.hits_from_predictions(table, k) for k in (1, 5))
    assert statistics.point_values(top1)[0] == pytest.approx(expected.per_instance_top1)
    assert statistics.point_values(top5)[0] == pytest.approx(expected.per_instance_top5)
    assert statistics.point_values(top1, labels)[0] == pytest.approx(expected.per_class_top1)
    assert statistics.point_values(top5, labels)[0] == pytest.approx(expected.per_class_top5)


def test_masks_restrict_each_run_to_its_subset():
    hits = np.array([[1, 1, 0, 0], [1, 0, 1, 0]], dtype=bool)
    masks = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=bool)
    assert statistics.point_values(hits, masks=masks) == pytest.approx([100.0, 50.0])


def test_results_are_reproducible():
    hits = np.random.default_rng(6).random((2, 500)) < 0.5
    assert np.array_equal(statistics.replicate_values(hits), statistics.replicate_values(hits))
