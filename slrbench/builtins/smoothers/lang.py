"""Language-aware label smoothing (NLA-SLR Eq. 2): ε spread over the other glosses in proportion
to exp(s/τ), s being the cosine similarities of the gloss vectors (Sec. 3.3.1)."""
from __future__ import annotations

import torch

from slrbench.builtins.smoothers import LangSmoothingConfig
from slrbench.embeddings.similarity import cosine_matrix
from slrbench.errors import UsageError
from slrbench.interfaces import SmootherContext
from slrbench.targets import similarity_target_table


class LangSmoothing:
    def __init__(self, config: LangSmoothingConfig, context: SmootherContext):
        if context.gloss_vectors is None:
            raise UsageError(
                "smoother 'lang' needs gloss words and a word embedder, and this benchmark has label indices "
                "only; use --smoother vanilla"
            )
        if len(context.gloss_vectors) != context.num_classes:
            raise UsageError(f"smoother 'lang': {len(context.gloss_vectors)} gloss vectors for "
                             f"{context.num_classes} classes")
        self.config = config
        self.similarity = torch.from_numpy(cosine_matrix(context.gloss_vectors))  # (N, N) float64

    def target_table(self) -> torch.Tensor:
        return similarity_target_table(self.similarity, self.config.epsilon, self.config.temperature)
