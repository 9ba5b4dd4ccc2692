"""The classification loss of the head network (NLA-SLR Sec. 3.3.1, 3.4).

Every head's FC1 logits are scored by cross-entropy against the smoother's soft targets; under
intra-modality mixup the loss is λ·CE(T[y_a]) + (1 - λ)·CE(T[y_b]), summed over heads.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from slrbench.interfaces import MixedBatch


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -Σ_i targets[i] log softmax(logits)[i]; (B, N), (B, N) -> scalar."""
    return -(targets * F.log_softmax(logits.float(), dim=1)).sum(dim=1).mean()


def classification_loss(logits: dict[str, torch.Tensor], target_table: torch.Tensor, mixed: MixedBatch) -> torch.Tensor:
    """Σ_heads [λ CE(T[y_a]) + (1 - λ) CE(T[y_b])] with T the smoother's (N, N) target table."""
    return classification_losses(logits, target_table, mixed)[0]


def classification_losses(logits: dict[str, torch.Tensor], target_table: torch.Tensor, mixed: MixedBatch
                          ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The loss above and, detached for the run loggers, each head's part of it."""
    targets_a = target_table[mixed.labels_a]  # (B, N)
    targets_b = target_table[mixed.labels_b]
    total = torch.zeros((), device=target_table.device)
    parts: dict[str, torch.Tensor] = {}
    for name, head_logits in logits.items():
        term = mixed.lam * soft_cross_entropy(head_logits, targets_a)
        total, parts[name] = total + term, term.detach()
        if mixed.lam < 1.0:
            term = (1.0 - mixed.lam) * soft_cross_entropy(head_logits, targets_b)
            total, parts[name] = total + term, parts[name] + term.detach()
    return total, parts
