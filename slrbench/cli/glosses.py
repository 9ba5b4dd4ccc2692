"""Where `similarity` and `smooth` get their glosses and gloss vectors: words, a file or a benchmark."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from slrbench.cli.output import console, print_warnings
from slrbench.errors import UsageError
from slrbench.registry import Registry


def read_glosses_file(path: Path) -> list[str]:
    """One gloss per line, in class order; blank lines are skipped."""
    try:
        glosses = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        raise UsageError(f"glosses file {path} does not exist") from None
    if not glosses:
        raise UsageError(f"glosses file {path} lists no gloss (one per line, in class order)")
    return glosses


def benchmark_glosses(registry: Registry, benchmark: str, data_root: Path | None, options: dict[str, Any]) -> list[str]:
    """The class names of a benchmark, in class order."""
    from slrbench.data.benchmark import open_benchmark

    glosses = open_benchmark(registry, benchmark, data_root, options).class_names()
    if glosses is None:
        raise UsageError(f"benchmark '{benchmark}' has label indices only, no gloss words")
    return glosses


def embed_with_report(registry: Registry, embedder: str, options: dict[str, Any], glosses: list[str],
                      cache_dir: Path | None):
    """Embed through the cache, with a spinner; out-of-vocabulary glosses become warnings."""
    from slrbench.embeddings.cache import embed_glosses
    from slrbench.interfaces import EmbedderContext

    model = registry.build("embedders", embedder, options, EmbedderContext())
    with console.status(f"embedding {len(glosses)} glosses with '{embedder}'"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reported below, once
        result, cached = embed_glosses(model, glosses, embedder, cache_dir)
    if result.out_of_vocabulary:
        print_warnings([f"out of vocabulary (zero vector): {', '.join(result.out_of_vocabulary)}"])
    if result.partially_known:
        print_warnings([f"embedded from some of their words only: {', '.join(result.partially_known)}"])
    return result, cached

