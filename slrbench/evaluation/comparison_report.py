"""Outputs of `slrbench compare`: markdown / CSV / LaTeX text and a dot-and-interval plot.

Markdown and LaTeX show the groups (mean ± std [95 % CI] of each metric), the differences
from the baseline in per-instance top-1 (the primary metric) and, with --visigns, top-1 per
VISign subset; notes and the closing significance line follow (as `%` comments in LaTeX).
CSV has every number: one row per group × metric × subset.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from slrbench.evaluation.comparison import ALL_SAMPLES, METRICS, PRIMARY, Comparison
from slrbench.evaluation.tables import HEADERS
from slrbench.evaluation.visigns import GROUPS as VISIGN_SUBSETS
from slrbench.files import atomic_path
from slrbench.optional import import_optional

TITLES = dict(zip(METRICS, HEADERS))
CSV_COLUMNS = ("group", "baseline", "metric", "subset", "runs", "seeds", "samples", "mean", "std", "ci_low",
               "ci_high", "diff", "diff_low", "diff_high", "p", "test", "p_holm", "significant")


def render(comparison: Comparison, fmt: str, description: str) -> str:
    """The comparison in `fmt` (markdown, csv or latex); `description` says what was compared."""
    results = comparison.results
    if fmt == "csv":
        return results.reindex(columns=list(CSV_COLUMNS)).to_csv(index=False, float_format="%.6g").rstrip("\n")
    grids = [_grid(*_group_table(results, comparison.baseline), fmt)]
    primary = results[(results["metric"] == PRIMARY) & (results["subset"] == ALL_SAMPLES) & ~results["baseline"]]
    if len(primary):
        grids.append(_grid(*_difference_table(primary, comparison.baseline, by_subset=False), fmt))
    visigns = results[results["subset"].isin(VISIGN_SUBSETS)]
    if len(visigns):
        grids.append(_grid(*_visigns_table(results, comparison.baseline), fmt))
        if (~visigns["baseline"]).any():
            grids.append(_grid(*_difference_table(visigns[~visigns["baseline"]], comparison.baseline, True), fmt))
    notes = [description, *_notes(comparison)]
    if fmt == "latex":
        return "\n\n".join([*("% " + line for line in notes[:1]), *grids]) + "\n" + \
            "\n".join("% " + line for line in notes[1:])
    return "\n\n".join([notes[0], *grids, "\n".join(notes[1:])])


def plot_comparison(comparison: Comparison, path: Path) -> None:
    """One panel per metric (and VISign subset): each run as a dot, each group's mean with its
    95 % CI as an error bar; written atomically."""
    matplotlib = import_optional("matplotlib", "drawing plots")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results, values = comparison.results, comparison.run_values
    panels = list(dict.fromkeys(zip(results["metric"], results["subset"])))
    groups = list(dict.fromkeys(results["group"]))
    columns = min(4, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns + 0.8, 3.4 * rows), squeeze=False)
    for axis, (metric, subset) in zip(axes.flat, panels):
        shown = results[(results["metric"] == metric) & (results["subset"] == subset)].set_index("group")
        for x, group in enumerate(groups):
            dots = values[(values["group"] == group) & (values["metric"] == metric) & (values["subset"] == subset)]
            offsets = np.linspace(-0.3, -0.05, len(dots)) if len(dots) > 1 else np.full(1, -0.15)
            axis.scatter(x + offsets, dots["value"], s=14, color="0.55", zorder=2)
            row = shown.loc[group]
            error = [[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]]
            axis.errorbar([x + 0.15], [row["mean"]], yerr=error, fmt="o", color="C0" if row["baseline"] else "C1",
                          capsize=4, zorder=3)
        if shown["mean"].isna().all():
            axis.text(0.5, 0.5, "no samples", ha="center", va="center", transform=axis.transAxes, color="0.4")
        axis.set_xticks(range(len(groups)), labels=groups, rotation=30, ha="right")
        axis.set_title(TITLES.get(metric, metric) + ("" if subset == ALL_SAMPLES else f" ({subset})"), fontsize=10)
        axis.set_ylabel("accuracy (%)")
        axis.grid(axis="y", alpha=0.3)
    for axis in list(axes.flat)[len(panels):]:
        axis.set_visible(False)
    figure.suptitle(f"runs (dots) and group mean with 95 % CI; baseline: {comparison.baseline}", fontsize=10)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120, format=path.suffix.lstrip(".") or "png")
    plt.close(figure)


def _group_table(results: pd.DataFrame, baseline: str) -> tuple[list[str], list[list[str]]]:
    shown = results[results["subset"] == ALL_SAMPLES]
    header = ["group", "runs", "seeds", *(TITLES[metric] for metric in METRICS)]
    body = []
    for group, rows in shown.groupby("group", sort=False):
        by_metric = rows.set_index("metric")
        first = rows.iloc[0]
        body.append([_group_name(group, baseline), str(first["runs"]), first["seeds"].replace(";", ", "),
                     *(_estimate(by_metric.loc[metric]) for metric in METRICS)])
    return header, body


def _visigns_table(results: pd.DataFrame, baseline: str) -> tuple[list[str], list[list[str]]]:
    """Table 9's layout: per-instance top-1 per VISign subset and overall."""
    top1 = results[results["metric"] == PRIMARY]
    counts = top1[top1["baseline"]].set_index("subset")["samples"]
    header = ["group (top-1, VISigns)", *(f"{subset} ({_count(counts[subset])})" for subset in VISIGN_SUBSETS),
              f"Overall ({_count(counts[ALL_SAMPLES])})"]
    body = []
    for group, rows in top1.groupby("group", sort=False):
        by_subset = rows.set_index("subset")
        body.append([_group_name(group, baseline),
                     *(_estimate(by_subset.loc[subset]) for subset in (*VISIGN_SUBSETS, ALL_SAMPLES))])
    return header, body


def _difference_table(rows: pd.DataFrame, baseline: str, by_subset: bool) -> tuple[list[str], list[list[str]]]:
    header = [f"vs {baseline}", *(["subset"] if by_subset else []), f"Δ {TITLES[PRIMARY]}", "95 % CI", "p", "test",
              "Holm p"]
    body = [[row["group"], *([row["subset"]] if by_subset else []), _signed(row["diff"]),
             _interval(row["diff_low"], row["diff_high"]), _p(row["p"]), row["test"], _p(row["p_holm"])]
            for _, row in rows.iterrows()]
    return header, body


def _notes(comparison: Comparison) -> list[str]:
    results = comparison.results
    comparisons = results[~results["baseline"] & (results["metric"] == PRIMARY)]
    lines = [(f"mean ± std over runs (ddof 1; – for one run) [95 % CI: hierarchical bootstrap over seeds and "
              f"test samples, {comparison.resamples} resamples]")]
    if len(comparisons):
        lines.append("p: two-sided paired bootstrap on the same test samples (exact McNemar when both groups are "
                     "one run); Holm over the comparisons with the baseline, per metric and subset")
        for visigns, rows in comparisons.groupby(comparisons["subset"] != ALL_SAMPLES, sort=True):
            where = TITLES[PRIMARY].lower() + (" per VISign subset" if visigns else "")
            significant = rows[rows["significant"].eq(True)]  # None: not tested
            named = ", ".join(f"{row['group']}{' ' + row['subset'] if visigns else ''} ({_signed(row['diff'])})"
                              for _, row in significant.iterrows())
            lines.append(f"significant at 5 % after Holm ({where}): {named}" if named else
                         f"no difference from {comparison.baseline} is significant at 5 % after Holm ({where})")
    else:
        lines.append("one group: nothing to compare")
    return lines


def _grid(header: list[str], body: list[list[str]], fmt: str) -> str:
    """A markdown table or a booktabs tabular (as `slrbench table` writes them)."""
    if fmt == "latex":
        escape = _latex_escape
        lines = ["\\begin{tabular}{l" + "r" * (len(header) - 1) + "}", "\\toprule",
                 " & ".join(escape(cell) for cell in header) + r" \\ \midrule",
                 *(" & ".join(escape(cell) for cell in row) + r" \\" for row in body), "\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]
    line = lambda values: "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(row) for row in body)])


def _latex_escape(text: str) -> str:
    for plain, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                           ("±", r"$\pm$"), ("Δ", r"$\Delta$"), ("–", "--")):
        text = text.replace(plain, escaped)
    return text


def _group_name(group: str, baseline: str) -> str:
    return f"{group} (baseline)" if group == baseline else group


def _estimate(row: pd.Series) -> str:
    if pd.isna(row["mean"]):
        return "–"
    std = "–" if pd.isna(row["std"]) else f"{row['std']:.2f}"
    return f"{row['mean']:.2f} ± {std} {_interval(row['ci_low'], row['ci_high'])}"


def _count(samples: float) -> str:
    """A subset's size: exact, or the mean over the baseline's runs when their splits differ."""
    return f"n={samples:.0f}" if float(samples).is_integer() else f"n≈{samples:.1f}"


def _interval(low: float, high: float) -> str:
    return "–" if pd.isna(low) else f"[{low:.2f}, {high:.2f}]"


def _signed(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:+.2f}"


def _p(value: float) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"
