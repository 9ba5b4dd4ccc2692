"""On-disk cache of a vocabulary's gloss vectors, so a run does not reload a multi-GB model.

The key is the embedder's name, its `identity()` (model file path, size and modification time,
plus the options that change vectors) and the exact gloss list: a changed model file, option
or vocabulary is a different key. Entries are written to a temporary file and renamed.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from slrbench.files import atomic_path
from slrbench.interfaces import GlossEmbeddings, WordEmbedder


def default_cache_dir() -> Path:
    """`$SLRBENCH_CACHE`, else `$XDG_CACHE_HOME/slrbench`, else `~/.cache/slrbench` (+ /embeddings)."""
    root = os.environ.get("SLRBENCH_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "slrbench"
    return Path(root) / "embeddings"


def file_identity(path: Path) -> str:
    """A model file's identity for cache keys: resolved path, size and modification time."""
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def cache_file(cache_dir: Path, name: str, identity: str, glosses: Sequence[str]) -> Path:
    digest = hashlib.sha256(json.dumps([name, identity, list(glosses)]).encode()).hexdigest()[:24]
    return cache_dir / f"{name}-{digest}.npz"


def embed_glosses(
    embedder: WordEmbedder, glosses: Sequence[str], name: str, cache_dir: Path | None
) -> tuple[GlossEmbeddings, bool]:
    """Embed through the cache when the embedder has an identity; returns (result, cache hit)."""
    identity = embedder.identity()
    if cache_dir is None or identity is None:
        return embedder.embed(list(glosses)), False
    path = cache_file(cache_dir, name, identity, glosses)
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            if stored["glosses"].tolist() == list(glosses):
                return GlossEmbeddings(
                    vectors=stored["vectors"],
                    out_of_vocabulary=tuple(stored["out_of_vocabulary"].tolist()),
                    partially_known=tuple(stored["partially_known"].tolist()),
                ), True
    result = embedder.embed(list(glosses))
    with atomic_path(path) as temporary:
        np.savez(
            temporary,
            glosses=np.array(list(glosses), dtype=str),
            vectors=result.vectors,
            out_of_vocabulary=np.array(result.out_of_vocabulary, dtype=str),
            partially_known=np.array(result.partially_known, dtype=str),
        )
    return result, False
