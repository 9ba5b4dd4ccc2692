"""Per-sample predictions of one evaluation: `predictions.parquet` beside its `metrics.json`.

Comparisons between runs (`slrbench compare`, `slrbench visigns`) are computed from these
files alone, never by running a model again. One row per test sample, ordered by sample id:

    sample_id           the manifest's id
    label               the true class index
    pred_1 .. pred_K    the ensemble's K = min(5, N) best classes, best first
    score_1 .. score_K  their ensemble probabilities (the full distribution sums to 1)
    true_score          the ensemble's probability of the true class
    head_<name>         each head's own probability of the true class (mean over the test views)

The file's metadata (key `slrbench`) records split, crops, ensembled heads and class count.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from slrbench.errors import UsageError
from slrbench.files import atomic_path

FILE_NAME = "predictions.parquet"
METADATA_KEY = b"slrbench"


def predictions_table(sample_ids: Sequence[str], labels: np.ndarray, probabilities: np.ndarray,
                      head_true_scores: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The table above from the ensemble's (M, N) probabilities and each head's (M,) true-class scores."""
    labels = np.asarray(labels, dtype=np.int64)
    rows = np.arange(len(labels))
    k = min(5, probabilities.shape[1])
    best = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    columns: dict[str, Any] = {"sample_id": pd.Series(list(sample_ids), dtype="string"), "label": labels}
    columns |= {f"pred_{rank + 1}": best[:, rank].astype(np.int64) for rank in range(k)}
    columns |= {f"score_{rank + 1}": probabilities[rows, best[:, rank]].astype(np.float64) for rank in range(k)}
    columns["true_score"] = probabilities[rows, labels].astype(np.float64)
    columns |= {f"head_{name}": np.asarray(values, dtype=np.float64) for name, values in head_true_scores.items()}
    return pd.DataFrame(columns)


def write_predictions(folder: Path, table: pd.DataFrame, metadata: Mapping[str, Any]) -> Path:
    """Write `folder/predictions.parquet` atomically, with `metadata` stored in the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                           METADATA_KEY: json.dumps(dict(metadata)).encode()})
    path = folder / FILE_NAME
    with atomic_path(path) as temporary:
        pq.write_table(arrow, temporary)
    return path


def read_predictions(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The predictions table of a run (or eval) folder and its metadata; one-line errors otherwise."""
    import pyarrow.parquet as pq

    path = folder / FILE_NAME
    if not path.is_file():
        raise UsageError(f"{path} does not exist; evaluate the run first (slrbench eval {folder})")
    try:
        arrow = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for damaged files
        raise UsageError(f"{path} is not a readable Parquet file ({error}); re-create it with slrbench eval") from None
    metadata = json.loads((arrow.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    table = arrow.to_pandas()
    missing = [name for name in ("sample_id", "label", "pred_1", "score_1", "true_score") if name not in table]
    if missing:
        raise UsageError(f"{path}: missing column(s) {', '.join(missing)}; re-create it with slrbench eval")
    return table, metadata


def head_names(table: pd.DataFrame) -> list[str]:
    return [column.removeprefix("head_") for column in table.columns if column.startswith("head_")]
