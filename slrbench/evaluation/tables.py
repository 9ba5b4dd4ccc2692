"""`slrbench table`: runs laid out like the paper's tables, beside the published numbers."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json

COLUMNS = ("per_instance_top1", "per_instance_top5", "per_class_top1", "per_class_top5")
HEADERS = ("Per-instance Top-1", "Per-instance Top-5", "Per-class Top-1", "Per-class Top-5")
NOTES = "notes"  # the run's warnings (e.g. not comparable with the paper), shown under the table
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "results" / "reference"


def run_rows(run_dirs: Sequence[Path]) -> pd.DataFrame:
    rows = []
    for run_dir in run_dirs:
        config, metrics = read_json(run_dir / "config.json"), read_json(run_dir / "metrics.json")
        plugins = config["plan"]["plugins"]
        method = " + ".join(f"{plugins[kind]['name']}" for kind in ("backbone", "smoother", "mixup"))
        variant = config["plan"]["settings"].get("variant")
        rows.append({"method": f"{variant or run_dir.name} ({method})", "benchmark": config["plan"]["settings"]["benchmark"],
                     "crops": metrics.get("crops", 1), **{c: metrics[c] for c in COLUMNS},
                     NOTES: "; ".join(config.get("warnings", []))})
    return pd.DataFrame(rows)


def reference_rows(name: str, benchmarks: Sequence[str], folder: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The published main-table rows (tables 1-3) of a reference for the given benchmarks."""
    path = folder / f"{name}.csv"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.csv"))) if folder.is_dir() else "none"
        raise UsageError(f"no published results named '{name}' in {folder}; available: {known}")
    table = pd.read_csv(path)
    main = table[table["table"].astype(str).isin(["1", "2", "3"]) & table["benchmark"].isin(benchmarks)]
    return pd.DataFrame({"method": [f"{name} (published, {s})" for s in main["setting"]],
                         "benchmark": main["benchmark"].tolist(), "crops": [3 if "3crop" in s else 1 for s in main["setting"]],
                         **{c: main[c].tolist() for c in COLUMNS}})


def render(table: pd.DataFrame, fmt: str) -> str:
    """The table in `fmt`; CSV keeps the notes as a column, markdown and LaTeX mark the rows with
    notes (†) and print the notes under the table."""
    if fmt == "csv":
        return table.to_csv(index=False, float_format="%.2f")
    notes = table[NOTES].fillna("").tolist() if NOTES in table else [""] * len(table)
    table = table.drop(columns=[NOTES], errors="ignore").copy()
    table["method"] = [f"{method} †" if note else method for method, note in zip(table["method"], notes)]
    footnotes = [f"† {method[:-2]}: {note}" for method, note in zip(table["method"], notes) if note]
    text = _render_grid(table, fmt)
    comment = "% " if fmt == "latex" else ""
    return "\n".join([text, *(comment + line for line in footnotes)])


def _render_grid(table: pd.DataFrame, fmt: str) -> str:
    shown = table.rename(columns=dict(zip(COLUMNS, HEADERS)))
    cells = [[_cell(value) for value in row] for row in shown.itertuples(index=False)]
    if fmt == "latex":
        header = " & ".join(shown.columns) + r" \\ \midrule"
        body = "\n".join(" & ".join(c.replace("_", r"\_") for c in row) + r" \\" for row in cells)
        return "\\begin{tabular}{ll" + "r" * (len(shown.columns) - 2) + "}\n\\toprule\n" + header + "\n" + body + \
            "\n\\bottomrule\n\\end{tabular}"
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(shown.columns)]
    line = lambda values: "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"  # noqa: E731
    return "\n".join([line(list(shown.columns)), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(row) for row in cells)])


def _cell(value) -> str:
    if isinstance(value, float):
        return "–" if pd.isna(value) else f"{value:.2f}"
    return str(value)
