"""Files of a run directory, each written atomically (temporary name, then rename).

    config.json      everything resolved, package versions, git revision, seed, world size, batches
    class_names.json the gloss of each class index (or null for index-only benchmarks)
    metrics.json     per_instance_top1/top5, per_class_top1/top5 (percent) and counts
    per_class.csv    class, gloss, samples, top1, top5
    predictions.csv  sample_id, label, pred_1..pred_5, prob_1..prob_5 (ensemble probabilities)
    history.csv      one row per epoch
    checkpoint/, best/  weights as safetensors
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from slrbench.errors import UsageError
from slrbench.files import atomic_path, write_text_atomically
from slrbench.evaluation.metrics import Metrics, per_class_accuracy, top_k_hits


def write_json(path: Path, document: Any) -> None:
    write_text_atomically(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_path(path) as temporary:
        table.to_csv(temporary, index=False, float_format="%.6g")


def read_json(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"{path} does not exist; is {path.parent} a slrbench run directory?")
    return json.loads(path.read_text(encoding="utf-8"))


def write_evaluation(folder: Path, metrics: Metrics, sample_ids: Sequence[str], labels: np.ndarray,
                     probabilities: np.ndarray, class_names: Sequence[str] | None, extra: dict[str, Any]) -> None:
    """metrics.json, per_class.csv and predictions.csv of one evaluation."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "metrics.json", {**metrics.as_dict(), **extra})
    num_classes = probabilities.shape[1]
    names = list(class_names) if class_names else [str(i) for i in range(num_classes)]
    top1, counts = per_class_accuracy(top_k_hits(probabilities, labels, 1), labels, num_classes)
    top5, _ = per_class_accuracy(top_k_hits(probabilities, labels, 5), labels, num_classes)
    write_csv(folder / "per_class.csv", pd.DataFrame({
        "class": range(num_classes), "gloss": names, "samples": counts, "top1": 100 * top1, "top5": 100 * top5}))
    k = min(5, num_classes)
    best = np.argsort(-probabilities, axis=1)[:, :k]
    rows = {"sample_id": list(sample_ids), "label": labels}
    for rank in range(k):
        rows[f"pred_{rank + 1}"] = best[:, rank]
    for rank in range(k):
        rows[f"prob_{rank + 1}"] = probabilities[np.arange(len(labels)), best[:, rank]]
    write_csv(folder / "predictions.csv", pd.DataFrame(rows))
