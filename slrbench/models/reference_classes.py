"""The reference's class numbering, as a permutation into slrbench's, for importing its checkpoints.

The reference (NLA-SLR `dataset/Dataset.py`, `create_vocab`) numbers the classifier rows as:

    WLASL      the training split's labels (gloss words), deduplicated and sorted: row r is the
               r-th gloss in code-point order; slrbench numbers WLASL by WLASL_v0.3.json order
    NMFs-CSL   the same rule; slrbench has the split lists' label indices only, so row r is taken
               to be the r-th training label index in numeric order (the identity when every
               class has training samples). Doubtful: the reference's NMFs-CSL labels come from
               its own pickles, which may hold other labels (strings sort "10" before "2")
    MS-ASL     MSASL_classes.json order, as slrbench: the identity

`--class-order FILE` (a JSON list: entry i names, or numbers, the class of the reference's row
i) replaces the rule for any benchmark. The order is read through the benchmark's own dataset
plugin, so row names and manifests are slrbench's. `permutation[i]` is the reference row that
becomes slrbench class i (`rows[permutation]`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from slrbench.data.benchmark import open_benchmark
from slrbench.errors import UsageError
from slrbench.registry import Registry

SORTED_GLOSSES, SORTED_LABELS, IDENTITY, FILE_RULE = (
    "sorted-training-glosses", "sorted-training-labels", "identity", "class-order-file")
RULES = {"wlasl": SORTED_GLOSSES, "nmfs-csl": SORTED_LABELS, "msasl": IDENTITY}  # dataset plugin -> rule
DESCRIPTIONS = {
    SORTED_GLOSSES: "the reference's row r is the r-th of the training split's glosses, sorted",
    SORTED_LABELS: "the reference's row r is the r-th of the training split's label indices, sorted "
                   "(assumed: its labels are these indices)",
    IDENTITY: "the reference numbers the classes as slrbench does (MSASL_classes.json order)",
    FILE_RULE: "the reference's row i is the class named by entry i of --class-order",
}
OVERRIDE_HINT = "pass --class-order FILE (a JSON list: entry i is the gloss or label index of the reference's row i)"


@dataclass(frozen=True)
class ClassOrder:
    rule: str
    permutation: list[int]  # slrbench class i <- reference row permutation[i]
    glosses: Optional[list[str]]  # slrbench class i's gloss; None for index-only benchmarks
    source: Optional[str] = None  # the --class-order file
    read_dataset: bool = True  # False: the benchmark's files were not read (MS-ASL without --data-root)

    @property
    def is_identity(self) -> bool:
        return self.permutation == list(range(len(self.permutation)))

    def as_report(self) -> dict[str, Any]:
        return {"rule": self.rule, "description": DESCRIPTIONS[self.rule], "file": self.source,
                "reordered": not self.is_identity, "num_classes": len(self.permutation),
                "meaning": "slrbench class i <- reference row permutation[i]; glosses[i] names slrbench class i",
                "permutation": self.permutation, "glosses": self.glosses}


def reference_class_order(registry: Registry, benchmark: str, data_root: Optional[Path],
                          class_order_file: Optional[Path] = None,
                          options: Optional[dict[str, Any]] = None) -> tuple[ClassOrder, list[str]]:
    """The permutation for `benchmark`, and the dataset's warnings about it (an excerpt, ...)."""
    dataset_name = registry.find_benchmark(benchmark).name
    entries = read_class_order_file(class_order_file) if class_order_file is not None else None
    rule = FILE_RULE if entries is not None else RULES.get(dataset_name)
    if rule is None:
        raise UsageError(f"--benchmark {benchmark}: the reference's class order for dataset '{dataset_name}' "
                         f"is unknown; {OVERRIDE_HINT}")
    if data_root is None and rule in (SORTED_GLOSSES, SORTED_LABELS):
        raise UsageError(f"--benchmark {benchmark} needs --data-root DIR: the reference numbers its classes by "
                         f"the sorted training labels, read from the annotation files (e.g. --data-root data/{dataset_name})")
    if data_root is None and rule == IDENTITY:  # MS-ASL's order needs no file; eval will need the data
        from slrbench.builtins.datasets import MSASL_BENCHMARKS

        return ClassOrder(rule, list(range(MSASL_BENCHMARKS[benchmark])), None, read_dataset=False), []
    opened = open_benchmark(registry, benchmark, data_root, options)
    num_classes, glosses, warnings = opened.info.num_classes, opened.class_names(), opened.warnings()
    if rule == IDENTITY:
        return ClassOrder(rule, list(range(num_classes)), glosses), warnings
    if rule == FILE_RULE:
        rows = _classes_of_entries(entries, glosses, num_classes, str(class_order_file))
        return ClassOrder(rule, _inverse(rows), glosses, str(class_order_file)), warnings
    train = opened.manifest()
    train = train[train["split"] == "train"]
    if rule == SORTED_GLOSSES:
        if glosses is None:
            raise UsageError(f"benchmark '{benchmark}' has label indices only, no glosses to sort; {OVERRIDE_HINT}")
        index = _gloss_index(glosses, benchmark)
        trained = {str(gloss) for gloss in train["gloss"]}
        strangers = sorted(trained - set(index))
        if strangers:
            raise UsageError(f"training samples of {benchmark} carry glosses it does not name, e.g. {strangers[0]!r}")
        _check_covered([gloss for gloss in glosses if gloss not in trained], benchmark, data_root)
        rows = [index[gloss] for gloss in sorted(trained)]  # reference row r -> slrbench class
    else:
        trained_labels = {int(label) for label in train["label"]}
        _check_covered([i for i in range(num_classes) if i not in trained_labels], benchmark, data_root)
        rows = sorted(trained_labels)
    return ClassOrder(rule, _inverse(rows), glosses), warnings


def read_class_order_file(path: Path) -> list[Any]:
    """A JSON list of glosses (strings) or label indices (integers), not both."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--class-order {path} does not exist") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"--class-order {path}: not a JSON file ({error})") from None
    kinds = {type(entry) for entry in entries} if isinstance(entries, list) else set()
    if not entries or kinds not in ({str}, {int}):
        raise UsageError(f"--class-order {path}: expected a JSON list of glosses (strings) or label indices "
                         f"(integers), one per reference row")
    return entries


def _classes_of_entries(entries: Sequence[Any], glosses: Optional[list[str]], num_classes: int, source: str) -> list[int]:
    """slrbench's class index of each entry (= each reference row)."""
    if len(entries) != num_classes:
        raise UsageError(f"--class-order {source} lists {len(entries)} classes; the benchmark has {num_classes}")
    if isinstance(entries[0], str):
        if glosses is None:
            raise UsageError(f"--class-order {source} names glosses, but the benchmark has label indices only; "
                             f"list label indices instead")
        index = _gloss_index(glosses, "the benchmark")
        unknown = [entry for entry in entries if entry not in index]
        if unknown:
            raise UsageError(f"--class-order {source}: {len(unknown)} entries are not glosses of the benchmark, "
                             f"e.g. {unknown[0]!r}")
        rows = [index[entry] for entry in entries]
    else:
        rows = list(entries)
        bad = [entry for entry in rows if not 0 <= entry < num_classes]
        if bad:
            raise UsageError(f"--class-order {source}: label {bad[0]} is not in 0..{num_classes - 1}")
    if len(set(rows)) != len(rows):
        twice = next(entries[i] for i, row in enumerate(rows) if rows.count(row) > 1)
        raise UsageError(f"--class-order {source}: {twice!r} is listed more than once")
    return rows


def _gloss_index(glosses: list[str], benchmark: str) -> dict[str, int]:
    index = {gloss: i for i, gloss in enumerate(glosses)}
    if len(index) != len(glosses):
        twice = next(gloss for gloss in glosses if glosses.count(gloss) > 1)
        raise UsageError(f"{benchmark} has the gloss {twice!r} twice, so glosses cannot name its classes; "
                         f"list label indices in --class-order instead")
    return index


def _check_covered(uncovered: list[Any], benchmark: str, data_root: Optional[Path]) -> None:
    if uncovered:
        raise UsageError(f"{len(uncovered)} classes of {benchmark} have no training sample in {data_root} "
                         f"(e.g. {uncovered[0]!r}), so the reference's sorted training labels do not cover "
                         f"them; {OVERRIDE_HINT}")


def _inverse(rows: list[int]) -> list[int]:
    """`rows[r]` = slrbench class of reference row r  ->  `permutation[i]` = reference row of class i."""
    permutation = [0] * len(rows)
    for row, cls in enumerate(rows):
        permutation[cls] = row
    return permutation
