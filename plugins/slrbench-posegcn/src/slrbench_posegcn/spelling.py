"""`spelling` label smoothing: NLA-SLR Eq. 2 with spelling similarity in place of word vectors.

Row i spreads ε over the other glosses j in proportion to exp(s_ij / τ), where s_ij is the
Jaccard similarity of the two glosses' character trigrams. It needs no word embedder, so it is
the control for `lang`: if `lang` beats `spelling`, it is the meaning of the glosses that helps,
not that related signs tend to share letters (DRINK / DRINKS).
"""
from __future__ import annotations

from typing import Sequence

import torch

from slrbench.errors import UsageError
from slrbench.interfaces import SmootherContext
from slrbench.targets import similarity_target_table
from slrbench_posegcn.plugin import SpellingSmoothingConfig


def character_trigrams(gloss: str) -> set[str]:
    """Trigrams of the lower-cased gloss padded with one space each side ("ab" -> {" ab", "ab "})."""
    padded = f" {gloss.lower()} "
    return {padded[start:start + 3] for start in range(len(padded) - 2)}


def trigram_jaccard_matrix(glosses: Sequence[str]) -> torch.Tensor:
    """(N, N) float64 Jaccard similarity |A ∩ B| / |A ∪ B| of the glosses' trigram sets (0 if both are empty).

    |A ∩ B| is the product of the sparse (N, V) gloss-trigram membership matrix with its dense
    transpose: about N * nnz operations, so 2000 glosses take a fraction of a second rather
    than four million Python set intersections. Counts are small integers, exact in float32.
    """
    vocabulary: dict[str, int] = {}
    rows, columns = [], []
    for row, gloss in enumerate(glosses):
        for trigram in character_trigrams(gloss):
            rows.append(row)
            columns.append(vocabulary.setdefault(trigram, len(vocabulary)))
    membership = torch.sparse_coo_tensor(
        torch.tensor([rows, columns], dtype=torch.long),  # (2, nnz)
        torch.ones(len(rows)),
        size=(len(glosses), len(vocabulary)),
        check_invariants=True,
    )  # (N, V)
    shared = torch.sparse.mm(membership, membership.to_dense().t()).double()  # (N, N) |A ∩ B|
    sizes = shared.diagonal()  # (N,) |A|
    union = sizes[:, None] + sizes[None, :] - shared  # (N, N) |A ∪ B|
    return torch.where(union > 0, shared / union.clamp(min=1), torch.zeros_like(shared))


class SpellingSmoothing:
    """q[i] = 1 - ε for i = b, ε · softmax_{j ≠ b}(s_bj / τ) elsewhere, s = trigram Jaccard."""


    def __init__(self, config: SpellingSmoothingConfig, context: SmootherContext):
        if context.class_names is None:
            raise UsageError(
                "smoother 'spelling' compares gloss words, and this benchmark has label indices only; "
                "use --smoother vanilla"
            )
        if len(context.class_names) != context.num_classes:
            raise UsageError(f"smoother 'spelling': {len(context.class_names)} gloss names for "
                             f"{context.num_classes} classes")
        self.config = config
        self.similarity = trigram_jaccard_matrix(context.class_names)  # (N, N) float64

    def target_table(self) -> torch.Tensor:
        return similarity_target_table(self.similarity, self.config.epsilon, self.config.temperature)
