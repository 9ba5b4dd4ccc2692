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
    targets_a = target_table[mixed.labels_a]  # (B, N)
    targets_b = target_table[mixed.labels_b]
    total = torch.zeros((), device=target_table.device)
    for head_logits in logits.values():
        total = total + mixed.lam * soft_cross_entropy(head_logits, targets_a)
        if mixed.lam < 1.0:
            total = total + (1.0 - mixed.lam) * soft_cross_entropy(head_logits, targets_b)
    return total
