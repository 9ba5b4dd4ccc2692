"""The numbers a run's report shows, computed from its files alone (never by running a model):
test metrics beside the published ones, per-class accuracy, the most confused gloss pairs with
their word-vector similarity, and the paper's Table 9 VISign split of the test samples."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from slrbench.errors import SlrbenchError
from slrbench.evaluation.comparison_visigns import visign_split
from slrbench.evaluation.tables import COLUMNS, reference_rows
from slrbench.evaluation.visigns import accuracy_by_group
from slrbench.package_data import package_folder
from slrbench.report.runfiles import RunFiles

PUBLISHED = "nla-slr"  # the reference whose main tables (1-3) are set beside a run
PUBLISHED_VISIGNS = ("nla-slr-visigns.csv", "wlasl2000")  # Table 9: WLASL2000 only
SIMILAR = 0.5  # the paper's VS-S threshold on gloss cosine similarity
TOP_PAIRS = 15


def metrics_rows(files: RunFiles) -> pd.DataFrame:
    """One row per evaluation of the run, then the published rows for its benchmark (if any)."""
    rows = [{"method": f"this run ({evaluation.name})", "crops": evaluation.crops,
             **{column: evaluation.metrics.get(column, np.nan) for column in COLUMNS},
             "samples": evaluation.metrics.get("num_samples")} for evaluation in files.evaluations]
    table = pd.DataFrame(rows, columns=["method", "crops", *COLUMNS, "samples"])
    published = published_rows(files.benchmark)
    return pd.concat([table, published], ignore_index=True) if len(published) else table


def published_rows(benchmark: Optional[str]) -> pd.DataFrame:
    """The paper's main-table rows for `benchmark` (empty for benchmarks it does not report)."""
    if not benchmark:
        return pd.DataFrame()
    return reference_rows(PUBLISHED, [benchmark]).drop(columns=["benchmark"])


def published_visigns(benchmark: Optional[str]) -> pd.DataFrame:
    name, reported = PUBLISHED_VISIGNS
    if benchmark != reported:
        return pd.DataFrame()
    return pd.read_csv(package_folder("reference_results") / name)


def per_class_accuracy(predictions: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Top-1 / top-5 (percent) per class with test samples, worst first (ties by class index)."""
    labels = predictions["label"].to_numpy()
    top5_columns = [column for column in (f"pred_{rank}" for rank in range(1, 6)) if column in predictions]
    top1_hits = predictions["pred_1"].to_numpy() == labels
    top5_hits = (predictions[top5_columns].to_numpy() == labels[:, None]).any(axis=1)
    table = pd.DataFrame({"class": labels, "top1": 100.0 * top1_hits, "top5": 100.0 * top5_hits})
    table = table.groupby("class").agg(samples=("top1", "size"), top1=("top1", "mean"), top5=("top5", "mean"))
    table = table.reset_index()
    table.insert(1, "gloss", [gloss_of(names, index) for index in table["class"]])
    return table.sort_values(["top1", "top5", "class"], kind="stable").reset_index(drop=True)


def confused_pairs(predictions: pd.DataFrame, names: Sequence[str], similarity: Optional[np.ndarray],
                   top: int = TOP_PAIRS) -> pd.DataFrame:
    """The gloss pairs most often mistaken for each other (top-1 errors, both directions counted),
    with the cosine similarity of their word vectors when there is one."""
    wrong = predictions[predictions["pred_1"] != predictions["label"]]
    ordered = wrong.groupby(["label", "pred_1"]).size()
    pairs: dict[tuple[int, int], list[int]] = {}
    for (true, predicted), count in ordered.items():
        key = (min(true, predicted), max(true, predicted))
        counts = pairs.setdefault(key, [0, 0])
        counts[0 if true == key[0] else 1] += int(count)
    rows = [{"a": a, "b": b, "gloss_a": gloss_of(names, a), "gloss_b": gloss_of(names, b), "a_as_b": ab,
             "b_as_a": ba, "errors": ab + ba,
             "similarity": float(similarity[a, b]) if similarity is not None else np.nan}
            for (a, b), (ab, ba) in pairs.items()]
    table = pd.DataFrame(rows, columns=["a", "b", "gloss_a", "gloss_b", "a_as_b", "b_as_a", "errors", "similarity"])
    return table.sort_values(["errors", "a", "b"], ascending=[False, True, True], kind="stable").head(top)


def visign_table(predictions: pd.DataFrame, similarity: np.ndarray) -> pd.DataFrame:
    """Table 9 for this run: samples and top-1 of VS-S, VS-D, non-VS and overall."""
    groups = visign_split(predictions, similarity, similar=SIMILAR)
    correct = predictions["pred_1"].to_numpy() == predictions["label"].to_numpy()
    report = accuracy_by_group(groups, correct)
    return pd.DataFrame([{"group": group, **values} for group, values in report.items()])


@dataclass
class GlossSimilarity:
    """The run's embedder applied to its glosses, or why there is no similarity."""

    matrix: Optional[np.ndarray]
    embedder: str
    note: Optional[str] = None


def gloss_similarity(files: RunFiles, embedder: Optional[str]) -> GlossSimilarity:
    """Cosine similarities of the class glosses with `embedder` (default: the run's own, with its
    options), through the vector cache; an embedder that cannot be built or run is a note."""
    from slrbench.embeddings.cache import default_cache_dir, embed_glosses
    from slrbench.embeddings.similarity import cosine_matrix
    from slrbench.interfaces import EmbedderContext
    from slrbench.registry import default_registry

    recorded = files.plugins.get("embedder")
    name = embedder or (recorded or {}).get("name")
    if files.class_names is None:
        return GlossSimilarity(None, name or "none", "no gloss words (label indices only): no word similarity")
    if not name:
        return GlossSimilarity(None, "none", "the run records no word embedder; `slrbench report --embedder NAME` "
                                             "adds gloss similarity")
    options: dict[str, Any] = (recorded or {}).get("options", {}) if (recorded or {}).get("name") == name else {}
    try:
        model = default_registry().build("embedders", name, options, EmbedderContext())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # out-of-vocabulary glosses: noted on the page below
            result, _ = embed_glosses(model, files.class_names, name, default_cache_dir())
    except SlrbenchError as error:
        return GlossSimilarity(None, name, f"no gloss similarity: the embedder '{name}' is not available here "
                                           f"({error}); `slrbench report --embedder NAME` chooses another")
    notes = []
    if result.out_of_vocabulary:
        notes.append(f"out of the embedder's vocabulary (similarity 0): {', '.join(result.out_of_vocabulary)}")
    if result.partially_known:
        notes.append(f"embedded from some of their words only: {', '.join(result.partially_known)}")
    return GlossSimilarity(cosine_matrix(result.vectors), name, "; ".join(notes) or None)


def gloss_of(names: Sequence[str], index: int) -> str:
    return names[index] if 0 <= index < len(names) else str(index)
