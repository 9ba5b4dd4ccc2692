"""Gloss vectors from a file, in the reference implementation's pickle format or .npz / .json.

Pickles are read with slrbench's one loader for data pickles (`slrbench.safe_pickle`), which
builds only dicts, lists, strings, numbers and numeric arrays, so a gloss file cannot run code.
Glosses are looked up as written, then normalised like every word embedder, ignoring case
(`slrbench.embeddings.vocabulary`): a gloss the file lacks gets the mean of its words that the
file has, else the zero vector and a warning.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from slrbench.builtins.embedders import PrecomputedConfig
from slrbench.embeddings.cache import file_identity
from slrbench.embeddings.vocabulary import embed_with_vocabulary
from slrbench.errors import UsageError
from slrbench.files import atomic_path
from slrbench.interfaces import EmbedderBase, EmbedderContext, GlossEmbeddings
from slrbench.safe_pickle import PickleRefused, read_data_pickle


def read_gloss_vectors(path: Path) -> dict[str, np.ndarray]:
    """Read a gloss -> vector file; every problem is one `UsageError` naming the file."""
    if not path.is_file():
        raise UsageError(f"embedder.path: {path} does not exist; pass a gloss vector file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".pkl", ".pickle"):
            raw = read_data_pickle(path)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                raw = dict(zip(archive["glosses"].tolist(), archive["vectors"]))
        elif suffix == ".json":
            raw = json.loads(path.read_text(encoding="utf-8"))
        else:
            raise UsageError(f"embedder.path: {path} has an unknown suffix; use .pkl, .npz or .json")
    except PickleRefused as error:
        raise UsageError(f"embedder.path: {error}") from None
    except (json.JSONDecodeError, KeyError, ValueError, EOFError, OSError, zipfile.BadZipFile) as error:
        raise UsageError(f"embedder.path: {path} is not a gloss vector file: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"embedder.path: {path} must hold a non-empty mapping gloss -> vector")
    vectors = {str(gloss): _vector(vector, path, gloss) for gloss, vector in raw.items()}
    sizes = {vector.shape[0] for vector in vectors.values()}
    if len(sizes) != 1:
        raise UsageError(f"embedder.path: {path} mixes vector sizes {sorted(sizes)}; all must be equal")
    return vectors


def _vector(value: object, path: Path, gloss: object) -> np.ndarray:
    try:
        vector = np.asarray(value, dtype=np.float32).reshape(-1)  # (D,)
    except (ValueError, TypeError) as error:
        raise UsageError(f"embedder.path: {path}: the vector of {str(gloss)[:80]!r} is not a list of numbers "
                         f"({str(error)[:120]})") from None
    return vector


def write_gloss_vectors(vectors: dict[str, np.ndarray], path: Path) -> None:
    """Write the .npz form (arrays 'glosses' and 'vectors'), atomically."""
    glosses = np.array(list(vectors), dtype=str)
    with atomic_path(path) as temporary:
        np.savez(temporary, glosses=glosses, vectors=np.stack([np.asarray(v, np.float32) for v in vectors.values()]))


class PrecomputedEmbedder(EmbedderBase):
    name = "precomputed"

    def __init__(self, config: PrecomputedConfig, context: EmbedderContext):
        self.path = config.path
        self.on_unknown = config.on_unknown
        self.vectors = read_gloss_vectors(config.path)
        self.lowercase = {gloss.lower(): vector for gloss, vector in reversed(self.vectors.items())}
        self.dim = next(iter(self.vectors.values())).shape[0]

    def identity(self) -> str:
        return file_identity(self.path)

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings:
        return embed_with_vocabulary(glosses, self.lookup, self.dim, self.name, self.on_unknown)

    def lookup(self, key: str) -> np.ndarray | None:
        """As written first, then ignoring case (files keep the dataset's capitalisation)."""
        vector = self.vectors.get(key)
        return vector if vector is not None else self.lowercase.get(key.lower())
