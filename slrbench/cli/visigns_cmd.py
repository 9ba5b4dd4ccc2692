"""`slrbench visigns RUN_DIR --embedder NAME`: the paper's Table 9 split and top-1 per group."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from slrbench.cli.output import console, print_json, reporting_errors
from slrbench.config import parse_assignments
from slrbench.errors import UsageError
from slrbench.kinds import KIND_SPELLINGS


def visigns(
    run_dir: Annotated[Path, typer.Argument(help="a run directory written by `slrbench run`")],
    embedder: Annotated[str, typer.Option(help="word embedder for gloss similarity")] = "glove",
    gap: Annotated[float, typer.Option(help="δ = p1 - p2 at or below which a sample is a potential VISign")] = 0.1,
    similar: Annotated[float, typer.Option(help="gloss cosine similarity from which a pair is VS-S")] = 0.5,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="embedder.KEY=VALUE")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Split test samples into VS-S / VS-D / non-VS (Table 9) and report top-1 of each group."""
    with reporting_errors():
        import numpy as np

        from slrbench.cli.glosses import embed_with_report
        from slrbench.embeddings.cache import default_cache_dir
        from slrbench.embeddings.similarity import cosine_matrix
        from slrbench.evaluation.predictions import read_predictions
        from slrbench.evaluation.rundir import read_json
        from slrbench.evaluation.visigns import accuracy_by_group, visign_groups
        from slrbench.registry import default_registry

        options = parse_assignments(option or [], KIND_SPELLINGS).get("embedder", {})
        names = read_json(run_dir / "class_names.json")
        if names is None:
            raise UsageError(f"{run_dir}: the benchmark has label indices only; VISigns need gloss words")
        predictions, _ = read_predictions(run_dir)
        result, _ = embed_with_report(default_registry(), embedder, options, list(names), default_cache_dir())
        similarity = cosine_matrix(result.vectors)
        top2 = predictions[["pred_1", "pred_2"]].to_numpy()
        # only the two best probabilities matter: rebuild a two-column distribution per sample
        probabilities = np.zeros((len(predictions), len(names)))
        rows = np.arange(len(predictions))
        probabilities[rows, top2[:, 0]] = predictions["score_1"]
        probabilities[rows, top2[:, 1]] = predictions["score_2"]
        groups = visign_groups(probabilities, similarity, gap=gap, similar=similar)
        report = accuracy_by_group(groups, (top2[:, 0] == predictions["label"].to_numpy()))
    if as_json:
        print_json(report)
        return
    shown = Table(title=f"VISigns (δ ≤ {gap}; VS-S: similarity ≥ {similar}; {embedder})",
                  title_justify="left")
    for column in ("group", "samples", "top-1"):
        shown.add_column(column, justify="left" if column == "group" else "right")
    for group, values in report.items():
        shown.add_row(group, str(values["samples"]), "–" if values["top1"] is None else f"{values['top1']:.2f}")
    console.print(shown)
    empty = [group for group, values in report.items() if values["top1"] is None]
    if empty:
        console.print(f"–: no test sample fell in {', '.join(empty)}", highlight=False)
