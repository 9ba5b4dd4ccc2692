"""fastText embedder: `.bin` models through the fasttext wheel (sub-word vectors for any word),
`.vec` text files through gensim. The paper uses cc.en.300.bin (Common Crawl, 300-d)."""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from slrbench.builtins.embedders import FastTextConfig
from slrbench.builtins.embedders.keyed_vectors import KeyedVectorsEmbedder, load_keyed_vectors
from slrbench.embeddings.vocabulary import embed_with_vocabulary
from slrbench.errors import UsageError
from slrbench.interfaces import EmbedderContext, GlossEmbeddings


class FastTextEmbedder(KeyedVectorsEmbedder):
    name = "fasttext"

    def __init__(self, config: FastTextConfig, context: EmbedderContext):
        super().__init__(config.path, config.limit, config.on_unknown)
        self.is_binary = self.path.suffix == ".bin"

    def _load(self):
        return load_keyed_vectors(self.path, binary=False, no_header=False, limit=self.limit)

    @functools.cached_property
    def model(self):
        """The native fastText model (`.bin` only)."""
        import fasttext

        try:
            return fasttext.load_model(str(self.path))
        except ValueError as error:
            raise UsageError(f"embedder.path: {self.path} is not a fastText .bin model ({error})") from None

    @property
    def dim(self) -> int:
        return int(self.model.get_dimension()) if self.is_binary else super().dim

    def lookup(self, key: str) -> np.ndarray | None:
        if not self.is_binary:
            return super().lookup(key)
        return self.model.get_word_vector(key) if self.model.get_word_id(key) >= 0 else None

    def subword_vector(self, word: str) -> np.ndarray | None:
        vector = self.model.get_word_vector(word)  # built from character n-grams when unknown
        return vector if vector.any() else None  # too short for any n-gram: truly unknown

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings:
        if not self.is_binary:
            return super().embed(glosses)
        return embed_with_vocabulary(
            glosses, self.lookup, self.dim, self.name, self.on_unknown, word_lookup=self.subword_vector
        )
