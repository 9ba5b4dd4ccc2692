"""AUTSL (Sincan & Keles, IEEE Access 2020), read from the files as distributed: the folders
`train/`, `val/`, `test/` of `signer<S>_sample<N>_color.mp4` (and `_depth.mp4`), the label lists
`train_labels.csv`, `validation_labels.csv`, `test_labels.csv` (no header; one
`signer<S>_sample<N>,<class id>` per line) and `SignList_ClassId_TR_EN.csv` (`ClassId,TR,EN`).
The splits are the authors' signer-independent benchmark; class names are the English (or, with
`-o dataset.class_names=tr`, Turkish) column of the sign list."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from slrbench.builtins.datasets.more import AUTSL_CLASSES
from slrbench.builtins.datasets.signer_datasets import Sample, SignerSplitDataset, read_csv_rows, sample_row
from slrbench.data.annotation_schema import Problems, check_glosses
from slrbench.data.annotations import KeypointFinder

LABEL_FILES = {"train": "train_labels.csv", "val": "validation_labels.csv", "test": "test_labels.csv"}
VIDEO_FOLDERS = {"train": "train", "val": "val", "test": "test"}
SIGN_LIST = "SignList_ClassId_TR_EN.csv"
SAMPLE_NAME = re.compile(r"^signer(\d+)_sample(\d+)$")


def read_sign_list(path: Path, column: str, problems: Problems) -> list[str]:
    """Class names in ClassId order from the sign list (header `ClassId,TR,EN`)."""
    rows = read_csv_rows(path)
    header = [cell.strip() for cell in rows[0]] if rows else []
    if "ClassId" not in header or column not in header:
        problems.add(path, "header", f"expected the columns ClassId, TR, EN (got {header})")
        return []
    names: dict[int, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, (cell.strip() for cell in row)))
        class_id = cells.get("ClassId", "")
        if not class_id.isdigit() or int(class_id) in names:
            problems.add(path, f"line {number}", f"ClassId must be a new class number (got {class_id!r})")
            continue
        other = "TR" if column == "EN" else "EN"
        names[int(class_id)] = (cells.get(column, ""), cells.get(other, ""))
    if sorted(names) != list(range(len(names))):
        problems.add(path, "", f"ClassId must run 0..{len(names) - 1} without gaps")
        return []
    return told_apart([names[class_id] for class_id in range(len(names))])


def told_apart(names: list[tuple[str, str]]) -> list[str]:
    """The chosen names; one that several classes share gets the other language's word in
    brackets (`fall (düşmek)`), because a translation may name two signs alike."""
    chosen = [name for name, _ in names]
    return [f"{name} ({other})" if name and other and chosen.count(name) > 1 else name for name, other in names]


def read_autsl(root: Path, modality: str, column: str) -> tuple[list[Sample], Optional[list[str]], list[str]]:
    """(samples, class names or None without a sign list, warnings). Every problem is one line; all
    are reported at once."""
    problems = Problems()
    warnings: list[str] = []
    glosses: Optional[list[str]] = None
    if (root / SIGN_LIST).is_file():
        glosses = check_glosses(read_sign_list(root / SIGN_LIST, column, problems), root / SIGN_LIST, problems,
                                what="class")
    else:
        warnings.append(f"autsl: {SIGN_LIST} not found in {root}; classes are numbers only (no class names)")
    classes = len(glosses) if glosses else AUTSL_CLASSES
    keypoints = KeypointFinder(root, "autsl")
    samples, seen = [], {}
    for split, name in LABEL_FILES.items():
        path = root / name
        if split == "test" and not path.is_file():
            warnings.append(f"autsl: {path} not found; the benchmark has no test split")
            continue
        for number, row in enumerate(read_csv_rows(path), start=1):
            if not any(cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if len(cells) != 2 or not SAMPLE_NAME.match(cells[0]) or not cells[1].isdigit():
                problems.add(path, f"line {number}", f"expected 'signer<S>_sample<N>,<class id>', got {','.join(row)[:60]!r}")
                continue
            sample, label = cells[0], int(cells[1])
            if label >= classes:
                problems.add(path, f"line {number}", f"class {label} is not an AUTSL class (0..{classes - 1})")
                continue
            if sample in seen:
                problems.add(path, f"line {number}", f"{sample} is already listed ({seen[sample]})")
                continue
            seen[sample] = f"{name}, line {number}"
            video = f"{sample}_{modality}"
            samples.append(sample_row(sample, split, label, glosses[label] if glosses else "",
                                      root / VIDEO_FOLDERS[split] / f"{video}.mp4", keypoints.reference(video),
                                      signer=SAMPLE_NAME.match(sample).group(1)))
    problems.raise_if_any()
    return samples, glosses, warnings


class AutslDataset(SignerSplitDataset):
    name = "autsl"
    layout = f"train/ val/ test/ videos, {', '.join(LABEL_FILES.values())} and {SIGN_LIST}"
    declared = {"autsl": AUTSL_CLASSES}

    def read(self) -> tuple[list[Sample], Optional[list[str]]]:
        column = self.config.class_names.upper()
        samples, glosses, warnings = read_autsl(self.root, self.config.modality, column)
        self._warnings.extend(warnings)
        if glosses is not None:
            self.warn_if_excerpt(len(glosses), AUTSL_CLASSES, f"{SIGN_LIST} lists")
        return samples, glosses

    def summary(self, benchmark: str) -> str:
        return f"AUTSL ({self.config.modality} videos), signer-independent official splits"
