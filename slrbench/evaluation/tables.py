"""`slrbench table`: runs laid out like the paper's tables, beside the published numbers."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json
from slrbench.package_data import package_folder

COLUMNS = ("per_instance_top1", "per_instance_top5", "per_class_top1", "per_class_top5")
HEADERS = ("Per-instance Top-1", "Per-instance Top-5", "Per-class Top-1", "Per-class Top-5")
NOTES = "notes"  # the run's warnings (e.g. not comparable with the paper), shown under the table
REFERENCE_DIR = package_folder("reference_results")  # the published numbers, shipped in the wheel


class _Named(BaseModel):
    name: str


class _Settings(BaseModel):
    benchmark: str
    variant: Optional[str] = None


class _Plan(BaseModel):
    settings: _Settings
    plugins: dict[str, _Named]


class _RunConfig(BaseModel):
    """What a table reads of config.json (a run's full record is validated by `eval`)."""

    plan: _Plan
    warnings: list[str] = []


class _RunMetrics(BaseModel):
    """What a table reads of metrics.json: finite percentages."""

    model_config = ConfigDict(allow_inf_nan=False)

    per_instance_top1: float
    per_instance_top5: float
    per_class_top1: float
    per_class_top5: float
    crops: int = 1


def _read(model: type[BaseModel], path: Path) -> Any:
    try:
        return model.model_validate(read_json(path, expect=dict))
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise UsageError(f"{path}: {field}: {problem['msg'].lower()}; the file is incomplete or not a run's "
                         f"({error.error_count()} problem(s))") from None


def run_rows(run_dirs: Sequence[Path]) -> pd.DataFrame:
    rows = []
    for run_dir in run_dirs:
        config, metrics = _read(_RunConfig, run_dir / "config.json"), _read(_RunMetrics, run_dir / "metrics.json")
        plugins = config.plan.plugins
        missing = [kind for kind in ("backbone", "smoother", "mixup") if kind not in plugins]
        if missing:
            raise UsageError(f"{run_dir / 'config.json'}: plan.plugins: no {', '.join(missing)}; the file is "
                             "incomplete or not a run's")
        method = " + ".join(plugins[kind].name for kind in ("backbone", "smoother", "mixup"))
        rows.append({"method": f"{config.plan.settings.variant or run_dir.name} ({method})",
                     "benchmark": config.plan.settings.benchmark, "crops": metrics.crops,
                     **{c: getattr(metrics, c) for c in COLUMNS}, NOTES: "; ".join(config.warnings)})
    return pd.DataFrame(rows)


def reference_rows(name: str, benchmarks: Sequence[str], folder: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The published main-table rows (tables 1-3; every row of a file without a `table` column) of a
    reference for the given benchmarks."""
    path = folder / f"{name}.csv"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.csv"))) if folder.is_dir() else "none"
        raise UsageError(f"no published results named '{name}' in {folder}; available: {known}")
    table = pd.read_csv(path)
    if "table" in table:  # a paper's own results: its main tables; a file without tables is all main rows
        table = table[table["table"].astype(str).isin(["1", "2", "3"])]
    main = table[table["benchmark"].isin(benchmarks)]
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
