"""Files of a run directory, each written atomically (temporary name, then rename).

    config.json      everything resolved, package versions, git revision, seed, world size, batches
    class_names.json the gloss of each class index (or null for index-only benchmarks)
    metrics.json     per_instance_top1/top5, per_class_top1/top5 (percent) and counts
    per_class.csv    class, gloss, samples, top1, top5
    predictions.parquet  per test sample: label, the ensemble's top-5 and scores, each head's
                     probability of the true class (slrbench.evaluation.predictions)
    history.csv      one row per epoch
    checkpoint/, best/  weights as safetensors
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from slrbench.errors import UsageError
from slrbench.files import atomic_path, write_text_atomically
from slrbench.evaluation.metrics import Metrics, per_class_accuracy, top_k_hits
from slrbench.evaluation.predictions import predictions_table, write_predictions


def write_json(path: Path, document: Any) -> None:
    write_text_atomically(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def write_csv(path: Path, table: pd.DataFrame) -> None:
    with atomic_path(path) as temporary:
        table.to_csv(temporary, index=False, float_format="%.6g")


def read_json(path: Path, expect: type | None = None) -> Any:
    """A run directory's JSON file; a missing, truncated or corrupt one (or, with `expect`, one of
    another shape) is one line naming it."""
    if not path.is_file():
        raise UsageError(f"{path} does not exist; is {path.parent} a slrbench run directory?")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path} is not valid JSON ({error}); the file is truncated or corrupt") from None
    except OSError as error:
        raise UsageError(f"{path} cannot be read: {error.strerror or error}") from None
    if expect is not None and not isinstance(document, expect):
        raise UsageError(f"{path}: expected a JSON {'object' if expect is dict else expect.__name__}, "
                         f"got {type(document).__name__}; is {path.parent} a slrbench run directory?")
    return document


def write_evaluation(folder: Path, metrics: Metrics, sample_ids: Sequence[str], labels: np.ndarray,
                     probabilities: np.ndarray, class_names: Sequence[str] | None, extra: dict[str, Any],
                     head_true_scores: Mapping[str, np.ndarray]) -> None:
    """predictions.parquet, per_class.csv and metrics.json (last: its presence marks a finished evaluation)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = predictions_table(sample_ids, labels, probabilities, head_true_scores)
    write_predictions(folder, table, {"num_classes": int(probabilities.shape[1]),
                                      **{key: extra[key] for key in ("split", "crops", "heads") if key in extra}})
    num_classes = probabilities.shape[1]
    names = list(class_names) if class_names else [str(i) for i in range(num_classes)]
    top1, counts = per_class_accuracy(top_k_hits(probabilities, labels, 1), labels, num_classes)
    top5, _ = per_class_accuracy(top_k_hits(probabilities, labels, 5), labels, num_classes)
    write_csv(folder / "per_class.csv", pd.DataFrame({
        "class": range(num_classes), "gloss": names, "samples": counts, "top1": 100 * top1, "top5": 100 * top5}))
    write_json(folder / "metrics.json", {**metrics.as_dict(), **extra})
