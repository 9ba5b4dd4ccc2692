"""`slrbench similarity`: the nearest glosses of each gloss under a word embedder (Figure 8)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from slrbench.cli.glosses import (
    PLOT_SUFFIXES, benchmark_glosses, check_cache_dir, check_output_file, embed_with_report,
)
from slrbench.cli.output import console, reporting_errors
from slrbench.config import parse_assignments
from slrbench.errors import UsageError
from slrbench.kinds import KIND_SPELLINGS

SHOWN_ROWS = 50


def similarity(
    glosses: Annotated[Optional[list[str]], typer.Argument(help="gloss words (or use --benchmark)")] = None,
    embedder: Annotated[str, typer.Option(help="word embedder plugin (see `slrbench list embedders`)")] = "glove",
    benchmark: Annotated[Optional[str], typer.Option(help="take the glosses of a benchmark's classes")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="the benchmark's data folder")] = None,
    top: Annotated[int, typer.Option(min=1, help="nearest glosses shown per gloss")] = 5,
    out: Annotated[Optional[Path], typer.Option(help="write the full cosine matrix as a labelled CSV")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="write a similarity heatmap (PNG, like Figure 8)")] = None,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="embedder.KEY=VALUE or dataset.KEY=VALUE")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option(help="vector cache folder; default ~/.cache/slrbench/embeddings")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="always embed from the model")] = False,
) -> None:
    """Show each gloss's nearest glosses; write the cosine matrix (CSV) and a heatmap (PNG)."""
    with reporting_errors():
        if bool(glosses) == bool(benchmark):
            raise UsageError("give either gloss words or --benchmark NAME (with --data-root DIR), not both or neither")
        check_output_file(out, "--out")
        check_output_file(plot, "--plot", PLOT_SUFFIXES)
        check_cache_dir(None if no_cache else cache_dir)
        options = parse_assignments(option or [], KIND_SPELLINGS)
        if set(options) - {"embedder", "dataset"}:
            raise UsageError(f"options for {', '.join(sorted(set(options) - {'embedder', 'dataset'}))} do not apply here")
        from slrbench.embeddings.cache import default_cache_dir
        from slrbench.embeddings.similarity import cosine_matrix, nearest
        from slrbench.registry import default_registry

        registry = default_registry()
        registry.resolve_options("embedders", embedder, options.get("embedder", {}))  # fail before any work
        if benchmark:
            glosses = benchmark_glosses(registry, benchmark, data_root, options.get("dataset", {}))
        result, cached = embed_with_report(registry, embedder, options.get("embedder", {}), glosses,
                                           None if no_cache else cache_dir or default_cache_dir())
        matrix = cosine_matrix(result.vectors)
        if out:
            from slrbench.embeddings.report import write_similarity_csv

            write_similarity_csv(matrix, glosses, out)
        if plot:
            from slrbench.embeddings.report import plot_similarity

            plot_similarity(matrix, glosses, plot, f"Gloss similarity ({embedder})")
    table = Table(title=f"nearest glosses ({embedder}, {'cached' if cached else 'computed'})", title_justify="left")
    table.add_column("gloss", style="cyan")
    table.add_column(f"top {top} (cosine)", overflow="fold")
    for row, gloss in enumerate(glosses[:SHOWN_ROWS]):
        table.add_row(gloss, ", ".join(f"{glosses[i]} ({score:.2f})" for i, score in nearest(matrix, row, top)))
    console.print(table)
    if len(glosses) > SHOWN_ROWS:
        console.print(f"({len(glosses) - SHOWN_ROWS} more glosses; the full matrix goes to --out FILE.csv)")
    for label, path in (("matrix", out), ("heatmap", plot)):
        if path:
            console.print(f"wrote {label}: {path}")
