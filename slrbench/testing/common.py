"""What every contract check shares: the error, the requirement helper and small example data."""
from __future__ import annotations

from typing import Sequence

from slrbench.interfaces import BackboneContext

# Small clip sizes keep checks fast on a CPU; S3D-style backbones need T % 8 == 0 and H % 32 == 0.
CHECK_CONTEXT = BackboneContext(num_keypoints=63, num_frames=16, video_size=64, heatmap_size=32)
EXAMPLE_GLOSSES = ("cold", "winter", "table", "afternoon", "book")


class ContractError(AssertionError):
    """A plugin broke the contract of its kind."""


def require(condition: bool, plugin: str, message: str) -> None:
    if not condition:
        raise ContractError(f"{plugin}: {message}")


def example_gloss_vectors(glosses: Sequence[str], dim: int = 16, seed: int = 0):
    """Deterministic stand-in gloss vectors (N, dim) for contract checks (not semantics)."""
    import numpy as np

    return np.random.default_rng(seed).normal(size=(len(glosses), dim)).astype(np.float32)


