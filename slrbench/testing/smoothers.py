"""Contract check of label smoothers: a valid soft-target table, and gloss vectors when declared."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from slrbench.errors import SlrbenchError
from slrbench.interfaces import SmootherContext
from slrbench.registry import Registry, default_registry
from slrbench.testing.common import EXAMPLE_GLOSSES, ContractError, example_gloss_vectors, require


def check_label_smoother(
    name: str,
    options: Mapping[str, Any] | None = None,
    class_names: Sequence[str] = EXAMPLE_GLOSSES,
    gloss_vectors: Any = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The target table is N x N, non-negative, rows sum to one, and the true class keeps mass.
    A smoother that needs gloss vectors must refuse, with a UsageError, to build without them."""
    import torch

    registry = registry or default_registry()
    label = f"smoother '{name}'"
    vectors = example_gloss_vectors(class_names) if gloss_vectors is None else gloss_vectors
    context = SmootherContext(num_classes=len(class_names), class_names=tuple(class_names), gloss_vectors=vectors)
    plugin = registry.get("smoothers", name)
    options = dict(plugin.spec.test_options if options is None else options)
    smoother = registry.build("smoothers", name, options, context)
    if plugin.spec.needs_gloss_vectors:
        bare = SmootherContext(num_classes=len(class_names), class_names=None, gloss_vectors=None)
        try:
            registry.build("smoothers", name, options, bare)
        except SlrbenchError:
            pass
        else:
            raise ContractError(f"{label}: needs gloss vectors but builds without them; raise a UsageError")
    table = smoother.target_table()
    n = len(class_names)
    require(isinstance(table, torch.Tensor) and tuple(table.shape) == (n, n), label,
            f"target_table() must be a ({n}, {n}) tensor, got {getattr(table, 'shape', type(table).__name__)}")
    require(table.is_floating_point() and bool(torch.isfinite(table).all()), label, "targets must be finite floats")
    require(bool((table >= 0).all()), label, "targets must be non-negative")
    require(torch.allclose(table.sum(dim=1), torch.ones(n, dtype=table.dtype), atol=1e-5), label,
            "each row must sum to 1")
    require(bool((table.diagonal() > 0).all()), label, "the true class must keep some probability")
    return {"num_classes": n, "diagonal_mean": float(table.diagonal().mean())}
