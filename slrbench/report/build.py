"""A run directory -> one self-contained HTML page (`slrbench report`), written atomically."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from slrbench.files import write_text_atomically
from slrbench.report import sections
from slrbench.report.page import render_page
from slrbench.report.runfiles import RunFiles, check_run_dir, read_run_files

REPORT_NAME = "report.html"  # default: inside the run directory


def build_report(run_dir: Path, embedder: Optional[str] = None) -> str:
    """The page's HTML; one-line error if `run_dir` is not a run directory, notes for what it lacks."""
    check_run_dir(run_dir)
    files = read_run_files(run_dir)
    parts = [sections.run_warnings(files), sections.training(files), sections.metrics(files),
             sections.per_class(files), sections.confusions(files, embedder), sections.settings(files)]
    return render_page(f"slrbench report: {run_dir.resolve().name}", _subtitle(files), parts, _footer(files))


def write_report(run_dir: Path, out: Optional[Path] = None, embedder: Optional[str] = None) -> Path:
    """Write the page to `out` (default RUN_DIR/report.html) through a temporary file and a rename."""
    path = out if out is not None else run_dir / REPORT_NAME
    write_text_atomically(path, build_report(run_dir, embedder))
    return path


def _subtitle(files: RunFiles) -> str:
    plugins = files.plugins
    method = " + ".join(plugins[kind].get("name", "?") for kind in ("backbone", "smoother", "mixup") if kind in plugins)
    parts = [f"benchmark {files.benchmark}" if files.benchmark else "benchmark unknown", method]
    if "embedder" in plugins:
        parts.append(f"embedder {plugins['embedder'].get('name')}")
    if files.settings.get("epochs") is not None:
        parts.append(f"{files.settings['epochs']} epochs, seed {files.settings.get('seed')}")
    if files.config and files.config.get("started"):
        parts.append(f"started {files.config['started']}")
    return " · ".join(part for part in parts if part)


def _footer(files: RunFiles) -> str:
    import slrbench

    return (f"Written by slrbench {slrbench.__version__} on {time.strftime('%Y-%m-%d %H:%M')} from the files of "
            f"{files.run_dir.resolve().name}/ (config.json, history.csv, metrics.json, predictions.parquet).")
