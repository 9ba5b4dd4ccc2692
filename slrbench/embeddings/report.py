"""Outputs of `slrbench similarity`: the labelled cosine matrix as CSV and a heatmap (Figure 8)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from slrbench.files import atomic_path
from slrbench.optional import import_optional

MAX_TICK_LABELS = 60  # beyond this many glosses the axis labels would be unreadable


def write_similarity_csv(similarity: np.ndarray, glosses: Sequence[str], path: Path) -> None:
    """The full N x N cosine matrix with gloss names as row and column labels, written atomically."""
    import pandas as pd

    with atomic_path(path) as temporary:
        pd.DataFrame(similarity, index=list(glosses), columns=list(glosses)).to_csv(temporary, float_format="%.6f")


def plot_similarity(similarity: np.ndarray, glosses: Sequence[str], path: Path, title: str) -> None:
    """A heatmap of gloss similarities like the paper's Figure 8, written atomically."""
    matplotlib = import_optional("matplotlib", "drawing plots")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(glosses)
    size = min(4 + 0.35 * n, 16)
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    image = axes.imshow(similarity, cmap="viridis", vmin=min(0.0, float(similarity.min())), vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="cosine similarity")
    if n <= MAX_TICK_LABELS:
        axes.set_xticks(range(n), labels=list(glosses), rotation=90)
        axes.set_yticks(range(n), labels=list(glosses))
        if n <= 12:
            for row in range(n):
                for column in range(n):
                    value = similarity[row, column]
                    axes.text(column, row, f"{value:.2f}", ha="center", va="center",
                              color="black" if value > 0.6 else "white", fontsize=8)
    else:
        axes.set_xlabel(f"{n} glosses (class order)")
    axes.set_title(title)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120, format=path.suffix.lstrip(".") or "png")
    plt.close(figure)
