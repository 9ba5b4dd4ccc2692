"""One embedding strategy for every word-vector model (fastText, word2vec, GloVe, precomputed).

For each gloss: its whole phrase if the model knows it; else the mean of the words the model
knows (a fastText `.bin` model knows every word through its sub-words); else the fallback, the
zero vector. A zero vector has cosine similarity 0 to every gloss, so language-aware smoothing
spreads that class's ε uniformly, i.e. falls back to vanilla smoothing for it. Every such
gloss is listed in one `OutOfVocabularyWarning` and returned, so a run can record it.
"""
from __future__ import annotations

import warnings
from typing import Callable, Optional, Sequence

import numpy as np

from slrbench.embeddings.glosses import gloss_words, phrase_keys
from slrbench.errors import UsageError
from slrbench.interfaces import GlossEmbeddings

Lookup = Callable[[str], Optional[np.ndarray]]


class OutOfVocabularyWarning(UserWarning):
    """Glosses whose words a word embedder does not know; they get the zero vector."""


def embed_with_vocabulary(
    glosses: Sequence[str],
    lookup: Lookup,
    dim: int,
    embedder: str,
    on_unknown: str = "zero",
    word_lookup: Lookup | None = None,
) -> GlossEmbeddings:
    """Embed glosses with `lookup(key) -> vector or None` (the model's vocabulary).

    `word_lookup` embeds single words when it differs from the vocabulary lookup (fastText
    builds unknown words from sub-words, but a whole phrase must be in the vocabulary).
    """
    word_lookup = word_lookup or lookup
    rows = np.zeros((len(glosses), dim), dtype=np.float32)
    unknown, partial = [], []
    for row, gloss in enumerate(glosses):
        vector = next((v for v in map(lookup, phrase_keys(gloss)) if v is not None), None)
        if vector is None:
            words = gloss_words(gloss)
            known = [v for v in map(word_lookup, words) if v is not None]
            if known and len(known) < len(words):
                partial.append(gloss)
            vector = np.mean(known, axis=0) if known else None
        if vector is None:
            unknown.append(gloss)
        else:
            rows[row] = vector
    if unknown:
        if on_unknown == "error":
            raise UsageError(f"embedder '{embedder}' knows no word of: {', '.join(unknown)}; "
                             f"use another model or -o embedder.on_unknown=zero")
        warnings.warn(OutOfVocabularyWarning(
            f"embedder '{embedder}': {len(unknown)} gloss(es) out of vocabulary, given the zero vector: "
            + ", ".join(unknown)), stacklevel=2)
    return GlossEmbeddings(vectors=rows, out_of_vocabulary=tuple(unknown), partially_known=tuple(partial))

