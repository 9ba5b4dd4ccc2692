"""Evaluate a model on one split: every view through every chosen head, ensembled and scored.

Each process evaluates its share of the samples; the per-sample ensemble probabilities (not the
per-head logits) are gathered, so evaluation memory does not grow with the number of heads.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import torch

from slrbench.data.loader import ClipLoader
from slrbench.evaluation.ensemble import ensemble_probabilities
from slrbench.evaluation.metrics import Metrics, compute_metrics
from slrbench.training.batching import evaluation_shards
from slrbench.training.distributed import World, gather_objects
from slrbench.training.model import SignModel


@dataclass
class Evaluation:
    metrics: Metrics
    sample_ids: list[str]
    labels: np.ndarray
    probabilities: np.ndarray  # (M, N), rows sum to 1: mean over views and heads of the softmax
    heads: list[str]
    crops: int
    skipped: dict[str, str]
    head_true_scores: dict[str, np.ndarray]  # every head's probability of the true class, (M,) each
    short_tracks: dict[str, str] = field(default_factory=dict)  # keypoint tracks shorter than their clip


@torch.no_grad()
def evaluate_split(model: SignModel, loader: ClipLoader, device: torch.device, world: World, num_classes: int,
                   heads: list[str] | None, crops: int, batch_size: int, bf16: bool = False) -> Evaluation:
    model.eval()
    chosen = heads or list(model.backbone.default_heads())
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    ids, labels, probabilities, true_scores = [], [], [], []
    for batch in loader.batches(0, evaluation_shards(len(loader), batch_size, world.world_size, world.rank)):
        view_logits = []
        for view in batch["views"]:
            inputs = {key: value.to(device, non_blocking=True) for key, value in view.items()}
            with autocast:
                _, logits = model(model.prepare(inputs))
            view_logits.append({name: value.float() for name, value in logits.items()})
        probabilities.append(ensemble_probabilities(view_logits, chosen) / len(chosen))
        true_scores.append(head_true_class_scores(view_logits, batch["label"]))
        ids.extend(batch["sample_id"])
        labels.extend(batch["label"].tolist())
    local = (ids, labels, np.concatenate(probabilities) if probabilities else np.zeros((0, num_classes)),
             dict(loader.report.skipped), true_scores, dict(loader.report.short_tracks))
    shards = gather_objects(world, local)
    all_ids = [i for shard in shards for i in shard[0]]
    all_labels = np.array([label for shard in shards for label in shard[1]], dtype=np.int64)
    all_probabilities = np.concatenate([shard[2] for shard in shards])
    skipped = {key: value for shard in shards for key, value in shard[3].items()}
    short_tracks = {key: value for shard in shards for key, value in shard[5].items()}
    batches = [scores for shard in shards for scores in shard[4]]
    head_scores = {name: np.concatenate([scores[name] for scores in batches]) for name in (batches[0] if batches else {})}
    order = np.argsort(all_ids, kind="stable")  # the same order whatever the world size
    return Evaluation(
        metrics=compute_metrics(all_probabilities, all_labels, num_classes),
        sample_ids=[all_ids[i] for i in order], labels=all_labels[order], probabilities=all_probabilities[order],
        heads=chosen, crops=crops, skipped=skipped,
        head_true_scores={name: values[order] for name, values in head_scores.items()}, short_tracks=short_tracks,
    )


def head_true_class_scores(view_logits: list[dict[str, torch.Tensor]], labels: torch.Tensor) -> dict[str, np.ndarray]:
    """Each head's softmax probability of the true class, averaged over the views: (B,) per head."""
    index = labels.to(next(iter(view_logits[0].values())).device).long()[:, None]
    return {name: (sum(torch.softmax(logits[name].double(), dim=1) for logits in view_logits) / len(view_logits))
            .gather(1, index)[:, 0].cpu().numpy() for name in view_logits[0]}
