"""Evaluation: top-k metrics, head ensembling and crops, VISign groups, tables."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from slrbench.evaluation.ensemble import ensemble_probabilities
from slrbench.interfaces import BackboneBase
from slrbench.evaluation.metrics import compute_metrics
from slrbench.evaluation.tables import render
from slrbench.evaluation.visigns import accuracy_by_group, visign_groups


def test_per_instance_and_per_class_accuracy_by_hand():
    # class 0: 3 samples (2 right), class 1: 1 sample (right), class 2: none
    scores = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1]])
    labels = np.array([0, 0, 0, 1])
    metrics = compute_metrics(scores, labels, num_classes=3)
    assert metrics.per_instance_top1 == pytest.approx(75.0)
    assert metrics.per_class_top1 == pytest.approx((2 / 3 + 1) / 2 * 100)  # class 2 left out
    assert metrics.num_classes_without_samples == 1
    assert metrics.per_instance_top5 == 100.0  # 3 classes: top-5 always hits


def test_top5_misses_when_the_label_ranks_sixth():
    scores = np.tile(np.arange(10, dtype=float), (1, 1))  # class 9 best, class 4 sixth
    assert compute_metrics(scores, np.array([4]), 10).per_instance_top5 == 0.0
    assert compute_metrics(scores, np.array([5]), 10).per_instance_top5 == 100.0


class _Declared(BackboneBase):
    def __init__(self, groups):
        self.feature_dims, self.groups = {name: 1 for name in groups}, groups

    def feature_groups(self):
        return self.groups


def test_default_heads_are_the_declared_joint_features_else_all():
    joint = _Declared({"v64": "video", "k64": "keypoint", "f64": "joint", "v32": "video", "f32": "joint", "f": "joint"})
    assert joint.default_heads() == ("f64", "f32", "f")
    assert _Declared({"pose": "keypoint", "f": "other"}).default_heads() == ("pose", "f")  # a name means nothing
    assert BackboneBase.feature_groups(_Declared({"v64": "video"})) == {"v64": "other"}  # the default


def test_ensemble_sums_softmaxes_of_chosen_heads_and_averages_views():
    torch.manual_seed(0)
    views = [{"f": torch.randn(2, 4), "v64": torch.randn(2, 4)} for _ in range(3)]
    probabilities = ensemble_probabilities(views, ["f"])
    expected = sum(torch.softmax(view["f"].double(), 1) for view in views) / 3
    assert np.allclose(probabilities, expected.numpy())
    with pytest.raises(KeyError, match="no head named k64"):
        ensemble_probabilities(views, ["k64"])


def test_visign_groups_follow_table_9():
    similarity = np.array([[1, 0.8, 0.1], [0.8, 1, 0.2], [0.1, 0.2, 1]])
    probabilities = np.array([
        [0.45, 0.40, 0.15],  # δ 0.05, cold/winter similar -> VS-S
        [0.45, 0.10, 0.45],  # δ 0, dissimilar -> VS-D
        [0.90, 0.05, 0.05],  # δ 0.85 -> non-VS
    ])
    groups = visign_groups(probabilities, similarity)
    assert groups.tolist() == ["VS-S", "VS-D", "non-VS"]
    report = accuracy_by_group(groups, np.array([True, False, True]))
    assert report["VS-S"] == {"samples": 1, "top1": 100.0} and report["overall"]["top1"] == pytest.approx(200 / 3)
    empty = accuracy_by_group(np.array(["non-VS", "non-VS"]), np.array([True, False]))
    assert empty["VS-S"] == {"samples": 0, "top1": None} and empty["non-VS"]["top1"] == 50.0


def test_tables_render_in_three_formats():
    import pandas as pd

    rows = pd.DataFrame([{"method": "run_a", "benchmark": "synthetic", "crops": 1, "per_instance_top1": 50.0,
                          "per_instance_top5": 90.0, "per_class_top1": 48.5, "per_class_top5": float("nan")}])
    markdown = render(rows, "markdown")
    assert markdown.splitlines()[0].startswith("| method") and "| 50.00" in markdown and "–" in markdown
    assert render(rows, "csv").splitlines()[1].startswith("run_a,synthetic,1,50.00")
    latex = render(rows, "latex")
    assert latex.startswith("\\begin{tabular}") and "run\\_a" in latex
