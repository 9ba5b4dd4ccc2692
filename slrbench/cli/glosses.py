"""Where `similarity` and `smooth` get their glosses and gloss vectors: words, a file or a benchmark."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from slrbench.cli.output import console, print_warnings
from slrbench.errors import UsageError
from slrbench.files import file_in_the_way
from slrbench.registry import Registry


PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def read_glosses_file(path: Path) -> list[str]:
    """One gloss per line, in class order; blank lines are skipped."""
    if path.is_dir():
        raise UsageError(f"glosses file {path} is a folder; give a text file with one gloss per line")
    try:
        glosses = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        raise UsageError(f"glosses file {path} does not exist") from None
    except UnicodeDecodeError:
        raise UsageError(f"glosses file {path} is not a text file (not UTF-8); one gloss per line") from None
    except OSError as error:
        raise UsageError(f"glosses file {path} cannot be read: {error.strerror or error}") from None
    if not glosses:
        raise UsageError(f"glosses file {path} lists no gloss (one per line, in class order)")
    return glosses


def check_output_file(path: Path | None, option: str, suffixes: tuple[str, ...] = ()) -> None:
    """Before any work: `path` can be written as a file (not a folder, its folder exists, a known suffix)."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        above = file_in_the_way(path)
        if above is not None:
            raise UsageError(f"{option} {path}: {above} is a file, not a folder")
        raise UsageError(f"{option} {path}: the folder {path.parent} does not exist")
    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path}: use one of {', '.join(suffixes)}")


def check_cache_dir(path: Path | None) -> None:
    if path is not None and path.exists() and not path.is_dir():
        raise UsageError(f"--cache-dir {path} is a file; give a folder for the vector cache")
    above = file_in_the_way(path) if path is not None else None
    if above is not None:
        raise UsageError(f"--cache-dir {path}: {above} is a file, not a folder; give a folder for the vector cache")


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

