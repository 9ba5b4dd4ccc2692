"""Contract check of word embedders: one finite row per gloss, in order, deterministic."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from slrbench.interfaces import EmbedderContext, GlossEmbeddings
from slrbench.registry import Registry, default_registry
from slrbench.testing.common import EXAMPLE_GLOSSES, require


def check_word_embedder(
    name: str,
    options: Mapping[str, Any] | None = None,
    glosses: Sequence[str] = EXAMPLE_GLOSSES,
    context: EmbedderContext = EmbedderContext(),
    registry: Registry | None = None,
) -> dict[str, Any]:
    """One finite float32 row per gloss, in order, deterministic; OOV glosses are reported."""
    import numpy as np

    registry = registry or default_registry()
    label = f"embedder '{name}'"
    embedder = registry.build("embedders", name, dict(options or {}), context)
    dim = getattr(embedder, "dim", None)
    require(isinstance(dim, int) and dim > 0, label, "`dim` must be a positive int")
    result = embedder.embed(list(glosses))
    require(isinstance(result, GlossEmbeddings), label, "embed() must return slrbench.interfaces.GlossEmbeddings")
    vectors = result.vectors
    require(isinstance(vectors, np.ndarray) and vectors.shape == (len(glosses), dim), label,
            f"vectors must have shape ({len(glosses)}, {dim}), got {getattr(vectors, 'shape', None)}")
    require(vectors.dtype == np.float32 and bool(np.isfinite(vectors).all()), label, "vectors must be finite float32")
    require(set(result.out_of_vocabulary) <= set(glosses), label, "out_of_vocabulary must list glosses asked for")
    reversed_rows = embedder.embed(list(reversed(glosses))).vectors
    require(np.allclose(reversed_rows[::-1], vectors, atol=1e-5), label, "a gloss must get the same vector in any order")
    require(embedder.embed([]).vectors.shape == (0, dim), label, "embedding no glosses must give a (0, dim) array")
    return {"dim": dim, "out_of_vocabulary": list(result.out_of_vocabulary)}
