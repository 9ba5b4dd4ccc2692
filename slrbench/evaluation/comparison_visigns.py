"""`slrbench compare --visigns`: the paper's Table 9 split, with every group scored on it.

As the paper splits the test set by its baseline's predictions (VKNet's two best glosses), the
split comes from the baseline group: a run with seed s is scored on the split of the baseline
run with seed s when there is one, else on the split of the baseline's first run. Each subset's
per-instance top-1 then gets the same statistics as the whole test set (mean ± std, CI, paired
test against the baseline, Holm over the groups).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from slrbench.evaluation.comparison import PRIMARY, MetricSpec, Run
from slrbench.evaluation.visigns import GROUPS, visign_groups


def visign_split(predictions: pd.DataFrame, similarity: np.ndarray, gap: float = 0.1,
                 similar: float = 0.5) -> np.ndarray:
    """(M,) VS-S / VS-D / non-VS of one run's samples from its two best classes and scores."""
    top2 = predictions[["pred_1", "pred_2"]].to_numpy()
    # only the two best probabilities matter: a two-entry distribution per sample is enough
    probabilities = np.zeros((len(predictions), len(similarity)))
    rows = np.arange(len(predictions))
    probabilities[rows, top2[:, 0]] = predictions["score_1"].to_numpy()
    probabilities[rows, top2[:, 1]] = predictions["score_2"].to_numpy()
    return visign_groups(probabilities, similarity, gap=gap, similar=similar)


def split_sources(groups: Mapping[str, Sequence[Run]], baseline: str) -> dict[Path, Path]:
    """For every run (by folder), the baseline run whose predictions define its split."""
    base_runs = groups[baseline]
    by_seed: dict[object, Path] = {}
    for run in base_runs:
        by_seed.setdefault(run.seed, run.folder)
    return {run.folder: by_seed.get(run.seed, base_runs[0].folder)
            for members in groups.values() for run in members}


def visign_specs(groups: Mapping[str, Sequence[Run]], baseline: str, similarity: np.ndarray,
                 gap: float = 0.1, similar: float = 0.5) -> list[MetricSpec]:
    """Per-instance top-1 restricted to each VISign subset, one spec per subset."""
    sources = split_sources(groups, baseline)
    splits = {run.folder: visign_split(run.predictions, similarity, gap, similar) for run in groups[baseline]}
    return [MetricSpec(PRIMARY, subset, {folder: splits[source] == subset for folder, source in sources.items()})
            for subset in GROUPS]
