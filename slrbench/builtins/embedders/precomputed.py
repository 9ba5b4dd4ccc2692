"""Gloss vectors from a file, in the reference implementation's pickle format or .npz / .json.

Pickles are read with an unpickler that accepts only dicts, lists, strings, numbers and numpy
arrays, so a gloss file cannot run code. A gloss missing from the file (after an exact and then
a lower-case lookup) gets the mean of all vectors and is reported as out of vocabulary.
"""
from __future__ import annotations

import io
import json
import pickle
from pathlib import Path
from typing import Sequence

import numpy as np

from slrbench.builtins.embedders import PrecomputedConfig
from slrbench.errors import UsageError
from slrbench.interfaces import EmbedderContext, GlossEmbeddings

_SAFE_PICKLE_GLOBALS = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("builtins", "dict"), ("builtins", "list"), ("builtins", "tuple"), ("collections", "OrderedDict"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _SAFE_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only dicts of arrays are allowed")
        return super().find_class(module, name)


def read_gloss_vectors(path: Path) -> dict[str, np.ndarray]:
    """Read a gloss -> vector file; every problem is one `UsageError` naming the file."""
    if not path.is_file():
        raise UsageError(f"embedder.path: {path} does not exist; pass a gloss vector file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".pkl", ".pickle"):
            raw = _ArraysOnlyUnpickler(io.BytesIO(path.read_bytes())).load()
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                raw = dict(zip(archive["glosses"].tolist(), archive["vectors"]))
        elif suffix == ".json":
            raw = json.loads(path.read_text(encoding="utf-8"))
        else:
            raise UsageError(f"embedder.path: {path} has an unknown suffix; use .pkl, .npz or .json")
    except (pickle.UnpicklingError, json.JSONDecodeError, KeyError, ValueError, EOFError) as error:
        raise UsageError(f"embedder.path: {path} is not a gloss vector file: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"embedder.path: {path} must hold a non-empty mapping gloss -> vector")
    vectors = {str(gloss): np.asarray(vector, dtype=np.float32).reshape(-1) for gloss, vector in raw.items()}
    sizes = {vector.shape[0] for vector in vectors.values()}
    if len(sizes) != 1:
        raise UsageError(f"embedder.path: {path} mixes vector sizes {sorted(sizes)}; all must be equal")
    return vectors


def write_gloss_vectors(vectors: dict[str, np.ndarray], path: Path) -> None:
    """Write the .npz form (arrays 'glosses' and 'vectors'), atomically."""
    temporary = path.with_name(path.name + ".partial.npz")
    glosses = np.array(list(vectors), dtype=str)
    np.savez(temporary, glosses=glosses, vectors=np.stack([np.asarray(v, np.float32) for v in vectors.values()]))
    temporary.replace(path)


class PrecomputedEmbedder:
    def __init__(self, config: PrecomputedConfig, context: EmbedderContext):
        self.vectors = read_gloss_vectors(config.path)
        self.lowercase = {gloss.lower(): vector for gloss, vector in self.vectors.items()}
        self.dim = next(iter(self.vectors.values())).shape[0]
        self.fallback = np.mean(np.stack(list(self.vectors.values())), axis=0)

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings:
        rows, missing = [], []
        for gloss in glosses:
            vector = self.vectors.get(gloss)
            if vector is None:
                vector = self.lowercase.get(gloss.lower())
            if vector is None:
                missing.append(gloss)
                vector = self.fallback
            rows.append(vector)
        matrix = np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.dim), np.float32)
        return GlossEmbeddings(vectors=matrix, out_of_vocabulary=tuple(missing))
