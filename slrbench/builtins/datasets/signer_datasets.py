"""The shared shape of ASL Citizen, AUTSL and LSA64: one table read from the authors' files, and
benchmarks that each assign its samples to splits (by signer where the dataset defines it), so
that several benchmarks of one dataset share one reading of the files."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from slrbench.builtins.datasets.standard import data_root_of
from slrbench.data.annotation_schema import numeric_gloss_warning
from slrbench.data.keypoints import VIDEO_FRAME, takes_declared_frame
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, BenchmarkInfo, DatasetBase, DatasetContext

Sample = dict[str, Any]  # the manifest columns, plus what a benchmark splits by (signer, repetition)


def read_csv_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV file (UTF-8, with or without a byte-order mark), or one line saying why not."""
    if not path.is_file():
        raise UsageError(f"{path} is missing; put the dataset's file there (see docs/data.md)")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [row for row in csv.reader(handle)]
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a UTF-8 text file; download the official file again") from None
    except (OSError, csv.Error) as error:
        raise UsageError(f"{path} cannot be read: {error}") from None


class SignerSplitDataset(DatasetBase):
    """Subclasses read the files (`read`) and say which split a sample is in for a benchmark (`split_of`)."""

    name = ""
    layout = ""
    declared: dict[str, int] = {}  # benchmark -> classes of the full dataset

    def __init__(self, config: Any, context: DatasetContext):
        self.config = config
        self.root = data_root_of(context, self.name, self.layout)
        self._warnings: list[str] = []
        samples, self.glosses = self.read()
        frame = getattr(config, "keypoints_frame", None)
        if frame is not None:  # the user's word beats the defaults (docs/data.md)
            for sample in samples:
                if takes_declared_frame(sample["keypoints"]):
                    sample["keypoints_frame"] = "" if frame == VIDEO_FRAME else frame
        self.tables: dict[str, pd.DataFrame] = {}
        self.benchmarks: dict[str, BenchmarkInfo] = {}
        for benchmark, size in self.declared.items():
            rows = []
            for sample in samples:
                split = self.split_of(benchmark, sample)
                if split is not None:
                    rows.append({**{column: sample[column] for column in MANIFEST_COLUMNS}, "split": split})
            table = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
            table["label"] = table["label"].astype(int)
            self.tables[benchmark] = table
            classes = len(self.glosses) if self.glosses is not None else size
            self.benchmarks[benchmark] = BenchmarkInfo(benchmark, classes, self.glosses is not None,
                                                       f"{self.summary(benchmark)}, {classes} classes, from {self.root}")
        if self.glosses is not None:
            self._warnings.extend(numeric_gloss_warning(self.glosses, self.name))

    # --- the Dataset protocol -------------------------------------------------------------------
    def manifest(self, benchmark: str) -> pd.DataFrame:
        return self.tables[self._known(benchmark)].copy()

    def class_names(self, benchmark: str) -> Optional[list[str]]:
        self._known(benchmark)
        return list(self.glosses) if self.glosses is not None else None

    def warnings(self, benchmark: str) -> list[str]:
        self._known(benchmark)
        return list(self._warnings)

    def data_layout(self) -> str:
        return f"the authors' files ({self.layout})"

    def _known(self, benchmark: str) -> str:
        if benchmark not in self.tables:
            raise UsageError(f"dataset '{self.name}' has no benchmark '{benchmark}'; "
                             f"available: {', '.join(self.tables)}")
        return benchmark

    # --- what each dataset says -----------------------------------------------------------------
    def read(self) -> tuple[list[Sample], Optional[list[str]]]:
        raise NotImplementedError

    def split_of(self, benchmark: str, sample: Sample) -> Optional[str]:
        return sample["split"]

    def summary(self, benchmark: str) -> str:
        return benchmark

    def warn_if_excerpt(self, classes: int, full: int, what: str) -> None:
        if classes < full:
            self._warnings.append(f"{self.name}: {what} {classes} of its {full} classes; the benchmark here has "
                                  f"{classes} classes (an excerpt?)")


def sample_row(sample_id: str, split: str, label: int, gloss: str, video: Path, keypoints: tuple[str, str],
               **extra: Any) -> Sample:
    return {"sample_id": sample_id, "split": split, "label": label, "gloss": gloss, "video": str(video),
            "keypoints": keypoints[0], "start": "", "end": "", "keypoints_frame": keypoints[1], **extra}
