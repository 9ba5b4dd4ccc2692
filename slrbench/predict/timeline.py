"""A sliding-window prediction's timeline: a CSV (one row per window, the top-K glosses) and a PNG
of the top gloss and its probability over time, each written atomically."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from slrbench.files import atomic_path
from slrbench.predict.clips import VideoAnswer


def timeline_table(answer: VideoAnswer) -> pd.DataFrame:
    """start_s, end_s, start_frame, end_frame, then gloss_k / class_k / probability_k for each rank."""
    rows = []
    for segment in answer.segments:
        row = {"start_s": segment.start_s, "end_s": segment.end_s,
               "start_frame": segment.start_frame, "end_frame": segment.end_frame}
        for rank, guess in enumerate(segment.top, start=1):
            row.update({f"gloss_{rank}": guess.gloss, f"class_{rank}": guess.index, f"probability_{rank}": guess.probability})
        rows.append(row)
    return pd.DataFrame(rows)


def timeline_paths(answer: VideoAnswer, out_dir: Path) -> tuple[Path, Path]:
    stem = answer.video.stem
    return out_dir / f"{stem}.timeline.csv", out_dir / f"{stem}.timeline.png"


def write_timeline_csv(answer: VideoAnswer, path: Path) -> None:
    with atomic_path(path) as temporary:
        timeline_table(answer).to_csv(temporary, index=False, float_format="%.6g")


def write_timeline_plot(answer: VideoAnswer, path: Path) -> None:
    """Top-1 probability against the window's centre, each point labelled with its gloss where the
    top gloss changes (a PNG; needs matplotlib, the `report` extra)."""
    from slrbench.report.plots import pyplot

    plt = pyplot()
    table = timeline_table(answer)
    centres = (table["start_s"] + table["end_s"]) / 2
    figure, axis = plt.subplots(figsize=(max(6.0, min(16.0, 0.4 * len(table))), 3.2))
    axis.plot(centres, table["probability_1"], marker="o", markersize=3, color="tab:blue")
    previous = None
    for centre, gloss, probability in zip(centres, table["gloss_1"], table["probability_1"]):
        if gloss != previous:
            axis.annotate(str(gloss), (centre, probability), textcoords="offset points", xytext=(0, 6),
                          ha="center", fontsize=8, rotation=30)
            previous = gloss
    axis.set_ylim(0, 1.1)
    axis.set_xlabel("time (s), window centre")
    axis.set_ylabel("top-1 probability")
    axis.set_title(f"{answer.video.name}: top gloss per window", fontsize=10)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=80)
    plt.close(figure)
