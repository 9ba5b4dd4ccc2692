"""`slrbench smooth`: a smoother's soft labels for a vocabulary (the N x N target table)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from slrbench.cli.glosses import (
    benchmark_glosses, check_cache_dir, check_output_file, embed_with_report, read_glosses_file,
)
from slrbench.cli.output import console, reporting_errors
from slrbench.config import parse_assignments
from slrbench.errors import UsageError
from slrbench.kinds import KIND_SPELLINGS

SHOWN_GLOSSES = 3  # soft labels printed when no --gloss is named


def smooth(
    smoother: Annotated[str, typer.Option(help="label smoother plugin (see `slrbench list smoothers`)")] = "lang",
    embedder: Annotated[str, typer.Option(help="word embedder for gloss vectors")] = "glove",
    glosses_file: Annotated[Optional[Path], typer.Option(help="one gloss per line, in class order")] = None,
    benchmark: Annotated[Optional[str], typer.Option(help="take the glosses of a benchmark's classes")] = None,
    data_root: Annotated[Optional[Path], typer.Option(help="the benchmark's data folder")] = None,
    gloss: Annotated[Optional[list[str]], typer.Option(help="show the soft label of this gloss (repeatable)")] = None,
    top: Annotated[int, typer.Option(min=1, help="largest entries shown per soft label")] = 5,
    out: Annotated[Optional[Path], typer.Option(help="write the N x N target table (.npy; row i = class i)")] = None,
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="smoother/embedder/dataset.KEY=VALUE")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option(help="vector cache folder; default ~/.cache/slrbench/embeddings")] = None,
) -> None:
    """Show soft labels of glosses under a smoother and write the whole target table."""
    with reporting_errors():
        if (glosses_file is None) == (benchmark is None):
            raise UsageError("give either --glosses-file FILE or --benchmark NAME (with --data-root DIR)")
        if out is not None and out.suffix != ".npy":
            raise UsageError(f"--out {out}: the target table is written as .npy; name the file *.npy")
        check_output_file(out, "--out")
        check_cache_dir(cache_dir)
        options = parse_assignments(option or [], KIND_SPELLINGS)
        stray = set(options) - {"smoother", "embedder", "dataset"}
        if stray:
            raise UsageError(f"options for {', '.join(sorted(stray))} do not apply here")
        from slrbench.embeddings.cache import default_cache_dir
        from slrbench.interfaces import SmootherContext
        from slrbench.registry import default_registry

        registry = default_registry()
        config = registry.resolve_options("smoothers", smoother, options.get("smoother", {}))
        registry.resolve_options("embedders", embedder, options.get("embedder", {}))
        names = read_glosses_file(glosses_file) if glosses_file else benchmark_glosses(
            registry, benchmark, data_root, options.get("dataset", {}))
        unknown = [g for g in gloss or [] if g not in names]
        if unknown:
            raise UsageError(f"--gloss {unknown[0]} is not in the vocabulary ({len(names)} glosses)")
        vectors = None
        if registry.get("smoothers", smoother).needs_gloss_vectors():
            vectors = embed_with_report(registry, embedder, options.get("embedder", {}), names,
                                        cache_dir or default_cache_dir())[0].vectors
        context = SmootherContext(num_classes=len(names), class_names=tuple(names), gloss_vectors=vectors)
        table = registry.build("smoothers", smoother, config, context).target_table()  # (N, N)
        if out:
            import numpy as np

            from slrbench.files import atomic_path

            with atomic_path(out) as temporary:
                np.save(temporary, table.numpy())
    for name in gloss or names[:SHOWN_GLOSSES]:
        row = table[names.index(name)]
        values, indices = row.topk(min(top, len(names)))
        source = f"{smoother}, {embedder}" if vectors is not None else smoother
        shown = Table(title=f"soft label of '{name}' ({source})", title_justify="left")
        shown.add_column("gloss", style="cyan")
        shown.add_column("probability", justify="right")
        for value, index in zip(values.tolist(), indices.tolist()):
            shown.add_row(names[index], f"{value:.4f}")
        console.print(shown)
    if out:
        console.print(f"wrote the {len(names)} x {len(names)} target table: {out}")

