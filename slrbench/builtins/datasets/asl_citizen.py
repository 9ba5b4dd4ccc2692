"""ASL Citizen (Desai et al., NeurIPS 2023 Datasets and Benchmarks; Microsoft Research), read from
the files as distributed: `splits/{train,val,test}.csv` with the columns `Participant ID`,
`Video file`, `Gloss`, `ASL-LEX Code`, and `videos/<Video file>`. The three splits are
signer-disjoint (35 / 6 / 11 participants). Class index = position of the gloss in the sorted list
of training glosses, the order of the authors' baseline code; class names are the glosses
(`NOTMIND`, `SAIL1`: cleaned labels with variant digits, see docs/data.md before using them with
a word embedder)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from slrbench.builtins.datasets.more import ASL_CITIZEN_CLASSES
from slrbench.builtins.datasets.signer_datasets import Sample, SignerSplitDataset, read_csv_rows, sample_row
from slrbench.data.annotation_schema import Problems
from slrbench.data.annotations import KeypointFinder

SPLIT_FILES = {"train": "train.csv", "val": "val.csv", "test": "test.csv"}
COLUMNS = ("Participant ID", "Video file", "Gloss")  # `ASL-LEX Code` is read by nothing here


def dataset_folder(root: Path) -> Path:
    """The folder holding splits/: --data-root itself, or the archive's ASL_Citizen/ inside it."""
    nested = root / "ASL_Citizen"
    return nested if not (root / "splits").is_dir() and (nested / "splits").is_dir() else root


def read_asl_citizen(root: Path) -> tuple[list[Sample], list[str]]:
    """All samples of the three split files, and the class names. Every problem is one line; all are
    reported at once."""
    folder = dataset_folder(root)
    problems = Problems()
    listed: dict[str, list[tuple[int, dict[str, str]]]] = {}
    seen: dict[str, str] = {}
    for split, name in SPLIT_FILES.items():
        path = folder / "splits" / name
        rows = read_csv_rows(path)
        if not rows:
            problems.add(path, "", "the file is empty; expected a header row "
                         "'Participant ID,Video file,Gloss,ASL-LEX Code'")
            continue
        header = [cell.strip() for cell in rows[0]]
        missing = [column for column in COLUMNS if column not in header]
        if missing:
            problems.add(path, "header", f"column(s) {', '.join(repr(c) for c in missing)} missing (got {header})")
            continue
        position = {column: header.index(column) for column in COLUMNS}
        entries = []
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                problems.add(path, f"line {number}", f"expected {len(header)} cells, got {len(row)}")
                continue
            entry = {column: row[index].strip() for column, index in position.items()}
            empty = [column for column, value in entry.items() if not value]
            if empty:
                problems.add(path, f"line {number}", f"{', '.join(empty)}: must not be empty")
                continue
            video = entry["Video file"]
            if video in seen:
                problems.add(path, f"line {number}", f"video {video} is already listed ({seen[video]})")
                continue
            seen[video] = f"{name}, line {number}"
            entries.append((number, entry))
        listed[split] = entries
    glosses = sorted({entry["Gloss"] for _, entry in listed.get("train", [])})
    label_of = {gloss: label for label, gloss in enumerate(glosses)}
    keypoints = KeypointFinder(folder, "asl-citizen")
    samples = []
    for split, entries in listed.items():
        for number, entry in entries:
            gloss, video = entry["Gloss"], entry["Video file"]
            if gloss not in label_of:
                problems.add(folder / "splits" / SPLIT_FILES[split], f"line {number}",
                             f"gloss '{gloss}' has no training sample in train.csv, so it has no class")
                continue
            stem = Path(video).with_suffix("").as_posix()
            samples.append(sample_row(stem, split, label_of[gloss], gloss, folder / "videos" / video,
                                      keypoints.reference(stem), signer=entry["Participant ID"]))
    problems.raise_if_any()
    return samples, glosses


class AslCitizenDataset(SignerSplitDataset):
    name = "asl-citizen"
    layout = "splits/train.csv, splits/val.csv, splits/test.csv and videos/"
    declared = {"asl-citizen": ASL_CITIZEN_CLASSES}

    def read(self) -> tuple[list[Sample], Optional[list[str]]]:
        samples, glosses = read_asl_citizen(self.root)
        self.warn_if_excerpt(len(glosses), ASL_CITIZEN_CLASSES, "train.csv holds")
        return samples, glosses

    def summary(self, benchmark: str) -> str:
        return "ASL Citizen, signer-disjoint official splits"
