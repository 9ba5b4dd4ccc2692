"""One training step's work on the device, shared by the trainer and benchmarks/perf/train_step.py
(so the benchmark times the trainer's own step): the backbone's preparation (heatmaps, 32-frame
clips), the mixup, the forward pass and the losses (NLA-SLR Sec. 3.3-3.4).

Nothing here reads a device value back to the host. What a step measures (the loss, its parts and
the share of clips classified right) comes back as one device vector; the trainer sums these on
the device and reads them one micro-batch late (`LaggedReads`), after the next one has been queued,
so a GPU never idles while the host waits for a number.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Optional, TypeVar

import torch
from torch import nn

from slrbench.interfaces import MixedBatch
from slrbench.training.losses import classification_losses
from slrbench.training.model import SignModel

Mark = Callable[[str], None]
CORRECT = "top1"  # the last measure: the share of clips whose summed head softmax picks the dominant label
Item = TypeVar("Item")


def measure_names(model: SignModel) -> list[str]:
    """Names of the values `forward_losses` measures, in order: loss, loss_cls_<head>..., loss_aux, top1."""
    heads = [f"loss_cls_{name}" for name in model.heads.classifiers]
    return ["loss", *heads, *(["loss_aux"] if model.branch is not None else []), CORRECT]


def forward_losses(model: SignModel, network: nn.Module, mixup: Any, target_table: torch.Tensor,
                   inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator,
                   progress: float, mark: Optional[Mark] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs on the device -> (the loss to back-propagate, the detached float32 measures of
    `measure_names`). `network` is the model or its DDP / compiled wrapper; `mark(part)` is called
    after "preparation", "forward" and "losses" (benchmarks time the parts)."""
    mark = mark or _unmarked
    prepared = model.prepare(inputs)
    mixed = mixup.mix(prepared, labels, generator)
    mark("preparation")
    features, logits = network(mixed.inputs)
    mark("forward")
    loss, head_losses = classification_losses(logits, target_table, mixed)
    parts = [head_losses[name] for name in model.heads.classifiers]
    if model.branch is not None:
        auxiliary = model.branch.loss(features, mixed, progress)
        loss = loss + auxiliary
        parts.append(auxiliary.detach())
    top1 = mixed_correct(logits, mixed) / labels.shape[0]
    measured = torch.stack([value.float() for value in (loss.detach(), *parts, top1)])
    mark("losses")
    return loss, measured


def mixed_correct(logits: dict[str, torch.Tensor], mixed: MixedBatch) -> torch.Tensor:
    """Training top-1 count (a device scalar) of the summed head softmaxes against the dominant label of each mix."""
    summed = sum(head.detach().float().softmax(dim=1) for head in logits.values())
    labels = mixed.labels_a if mixed.lam >= 0.5 else mixed.labels_b
    return (summed.argmax(dim=1) == labels).sum()


def _unmarked(part: str) -> None:
    """No timing."""


@dataclass
class LaggedReads(Generic[Item]):
    """Hands `read(item, values)` each pushed device vector as host floats one push late (or at
    `flush`): by then the next step is queued behind it, so reading it leaves the device busy."""

    read: Callable[[Item, list[float]], None]
    pending: Optional[tuple[Item, torch.Tensor]] = None

    def push(self, item: Item, values: torch.Tensor) -> None:
        self.flush()
        self.pending = (item, values)

    def flush(self) -> None:
        if self.pending is not None:
            item, values = self.pending
            self.pending = None
            self.read(item, values.tolist())
