"""The report's figures, drawn with matplotlib and returned as PNG data URIs (`data:image/png;
base64,...`) so the page carries them itself. Modest sizes and dpi keep a page small."""
from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd

from slrbench.evaluation.tables import COLUMNS, HEADERS
from slrbench.optional import import_optional

DPI = 80
MAX_LABELLED_CLASSES = 60  # beyond this many classes the per-class plot is a sorted curve without names


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend; a one-line error with the pip line without it."""
    matplotlib = import_optional("matplotlib", "drawing the report's plots")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_uri(figure: Any) -> str:
    """A finished figure as a PNG data URI; the figure is closed."""
    plt = pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def training_curves(history: pd.DataFrame) -> str:
    """Losses, accuracies and learning rate per epoch, the best epoch (by validation) marked."""
    plt = pyplot()
    numeric = [column for column in history.columns if column != "epoch"
               and pd.api.types.is_numeric_dtype(history[column]) and not pd.api.types.is_bool_dtype(history[column])]
    panels = [("loss", [c for c in numeric if "loss" in c]),
              ("accuracy (%)", [c for c in numeric if "top1" in c or "top5" in c]),
              ("learning rate", [c for c in numeric if c == "lr" or c.startswith("lr_")])]
    panels = [(title, columns) for title, columns in panels if columns]
    figure, axes = plt.subplots(1, max(len(panels), 1), figsize=(3.6 * max(len(panels), 1), 2.9), squeeze=False)
    best = history.loc[history["best"].astype(str).str.lower() == "true", "epoch"] if "best" in history else []
    for axis, (title, columns) in zip(axes.flat, panels):
        for column in columns:
            axis.plot(history["epoch"], history[column], marker="o", markersize=3, label=column)
        if len(best):
            axis.axvline(best.iloc[-1], color="0.6", linestyle=":", linewidth=1, label="best epoch")
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("epoch")
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
        if title == "learning rate":
            axis.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    figure.tight_layout()
    return figure_uri(figure)


def metrics_chart(rows: pd.DataFrame) -> str:
    """Grouped bars: the four standard metrics, one bar per evaluation or published row."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7.2, 3.0))
    width = 0.8 / max(len(rows), 1)
    positions = np.arange(len(COLUMNS))
    for index, (_, row) in enumerate(rows.iterrows()):
        values = pd.to_numeric(pd.Series([row[column] for column in COLUMNS]), errors="coerce").to_numpy()
        published = "published" in str(row["method"])
        axis.bar(positions + (index - (len(rows) - 1) / 2) * width, np.nan_to_num(values), width,
                 label=row["method"], hatch="//" if published else None, edgecolor="white" if published else None)
    axis.set_xticks(positions, labels=[header.replace(" ", "\n", 1) for header in HEADERS], fontsize=8)
    axis.set_ylabel("accuracy (%)")
    axis.set_ylim(0, 100)
    axis.grid(axis="y", alpha=0.3)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    return figure_uri(figure)


def per_class_chart(table: pd.DataFrame) -> str:
    """Per-class top-1, sorted: named bars for a few dozen classes, else a sorted curve."""
    plt = pyplot()
    if len(table) <= MAX_LABELLED_CLASSES:
        figure, axis = plt.subplots(figsize=(6.0, 0.9 + 0.2 * len(table)))
        ordered = table.iloc[::-1]  # best at the top
        axis.barh(range(len(ordered)), ordered["top5"], color="C0", alpha=0.25, label="top-5")
        axis.barh(range(len(ordered)), ordered["top1"], color="C0", label="top-1")
        axis.set_yticks(range(len(ordered)), labels=ordered["gloss"].tolist(), fontsize=7)
        axis.set_ylim(-0.6, len(ordered) - 0.4)
        axis.set_xlabel("accuracy (%)")
    else:
        figure, axis = plt.subplots(figsize=(6.4, 2.8))
        ranks = np.arange(1, len(table) + 1)
        axis.plot(ranks, table["top5"].to_numpy(), color="C0", alpha=0.4, label="top-5")
        axis.fill_between(ranks, table["top1"].to_numpy(), color="C0", alpha=0.6, label="top-1")
        axis.set_xlabel(f"class rank by top-1 ({len(table)} classes, worst first)")
        axis.set_ylabel("accuracy (%)")
    axis.set_xlim(*((0, 100) if len(table) <= MAX_LABELLED_CLASSES else (1, len(table))))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    return figure_uri(figure)


def confusion_chart(pairs: pd.DataFrame) -> str:
    """The most confused pairs as bars of their error counts, coloured by word-vector similarity."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6.0, 0.9 + 0.24 * len(pairs)))
    ordered = pairs.iloc[::-1]
    labels = [f"{a} / {b}" for a, b in zip(ordered["gloss_a"], ordered["gloss_b"])]
    similarity = ordered["similarity"].to_numpy(dtype=float)
    if np.isnan(similarity).all():
        axis.barh(range(len(ordered)), ordered["errors"], color="0.55")
    else:
        colours = plt.get_cmap("viridis")(np.clip(np.nan_to_num(similarity), 0, 1))
        axis.barh(range(len(ordered)), ordered["errors"], color=colours)
        mappable = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(0, 1))
        figure.colorbar(mappable, ax=axis, label="gloss cosine similarity", fraction=0.05, pad=0.02)
    axis.set_yticks(range(len(ordered)), labels=labels, fontsize=7)
    axis.set_xlabel("top-1 errors between the two (both directions)")
    axis.xaxis.get_major_locator().set_params(integer=True)
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure_uri(figure)
