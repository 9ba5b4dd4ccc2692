"""A dataset described by a manifest CSV: one row per sample, paths relative to the CSV's folder.

Columns: sample_id, split (train / val / test), label (0-based int), gloss, video, keypoints,
start, end (frame indices; empty means the whole video), keypoints_frame ("WxH": the frame a
pickle's or .npy's coordinates are in; empty: the video's own pixels). Only sample_id, split and
label are required; the others may be left empty or out.
"""
from __future__ import annotations

import pandas as pd

import warnings
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from slrbench.builtins.datasets import ManifestConfig
from slrbench.builtins.datasets.standard import refuse_pickle_marker
from slrbench.data.annotation_schema import Problems
from slrbench.data.keypoints import parse_frame, takes_declared_frame
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, SPLITS, BenchmarkInfo, DatasetBase, DatasetContext

REQUIRED_COLUMNS = ("sample_id", "split", "label")
MAX_LABEL = 1_000_000  # far above any benchmark's classes; a typo in a label is not a million-class model


class ManifestDataset(DatasetBase):
    def __init__(self, config: ManifestConfig, context: DatasetContext):
        if config.path is not None:
            self.path = config.path
        elif context.data_root is not None:
            self.path = context.data_root / "manifest.csv"
        else:
            raise UsageError("dataset 'manifest' needs --data-root DIR (holding manifest.csv) or -o dataset.path=FILE")
        self.table = self._read()
        if config.keypoints_frame is not None:  # for the rows that declare nothing themselves
            empty = self.table["keypoints_frame"].eq("") & self.table["keypoints"].map(takes_declared_frame)
            self.table.loc[empty, "keypoints_frame"] = config.keypoints_frame
        labels = self.table["label"]
        num_classes = config.num_classes or int(labels.max()) + 1
        if int(labels.max()) >= num_classes:
            raise UsageError(f"{self.path}: label {int(labels.max())} is not below dataset.num_classes={num_classes}")
        self.benchmarks = {"manifest": BenchmarkInfo("manifest", num_classes, self._has_glosses(), str(self.path))}

    def manifest(self, benchmark: str) -> pd.DataFrame:
        self._check_benchmark(benchmark)
        return self.table.copy()

    def class_names(self, benchmark: str) -> list[str] | None:
        self._check_benchmark(benchmark)
        if not self._has_glosses():
            return None
        names = {}
        for label, gloss in self.table[["label", "gloss"]].drop_duplicates().itertuples(index=False):
            if label in names and names[label] != gloss:
                raise UsageError(f"{self.path}: label {label} has two glosses, '{names[label]}' and '{gloss}'")
            names[label] = gloss
        return [names.get(label, f"class-{label}") for label in range(self.benchmarks["manifest"].num_classes)]

    def _has_glosses(self) -> bool:
        return bool(self.table["gloss"].ne("").all())

    def _check_benchmark(self, benchmark: str) -> None:
        if benchmark != "manifest":
            raise UsageError(f"dataset 'manifest' has one benchmark, 'manifest' (got '{benchmark}')")

    def _read(self) -> pd.DataFrame:
        if not self.path.is_file():
            raise UsageError(f"manifest {self.path} does not exist; write one or pass -o dataset.path=FILE")
        refuse_pickle_marker(self.path.parent, "manifest folder")
        try:
            with warnings.catch_warnings():  # a row longer than the header: refused, not cut silently
                warnings.simplefilter("error", pd.errors.ParserWarning)
                table = pd.read_csv(self.path, dtype=str, keep_default_na=False, encoding="utf-8", index_col=False)
        except pd.errors.ParserWarning:
            raise UsageError(f"{self.path}: a row has more fields than the header names columns") from None
        except UnicodeDecodeError:
            raise UsageError(f"{self.path}: not a text file (not UTF-8); a manifest is a CSV file") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise UsageError(f"{self.path}: not a readable CSV file ({str(error).strip()})") from None
        except OSError as error:
            raise UsageError(f"{self.path} cannot be read: {error.strerror or error}") from None
        missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
        if missing:
            raise UsageError(f"{self.path}: missing column(s) {', '.join(missing)}; columns: {', '.join(MANIFEST_COLUMNS)}")
        if table.empty:
            raise UsageError(f"{self.path}: the manifest has no rows")
        for column in MANIFEST_COLUMNS:
            if column not in table.columns:
                table[column] = ""
        table = table[list(MANIFEST_COLUMNS)]
        problems = Problems()
        rows = [problems.validate(ManifestRow, row, self.path, f"line {number + 2}")
                for number, row in enumerate(table.to_dict("records"))]
        self._check_rows(table, problems)
        problems.raise_if_any()
        table = pd.DataFrame([{**row.model_dump(), "start": "" if row.start is None else row.start,
                               "end": "" if row.end is None else row.end} for row in rows],
                             columns=list(MANIFEST_COLUMNS))
        for column in ("video", "keypoints"):
            table[column] = [str(self.path.parent / value) if value else "" for value in table[column]]
        return table

    def _check_rows(self, table: pd.DataFrame, problems: Problems) -> None:
        """Across rows: unique sample ids, one gloss per label and one label per gloss, glosses for
        all rows or none."""
        first: dict[str, int] = {}
        for number, sample_id in enumerate(table["sample_id"], start=2):
            if sample_id in first:
                problems.add(self.path, f"line {number}", f"sample_id: '{sample_id}' is already on line {first[sample_id]}")
            first.setdefault(sample_id, number)
        named = table["gloss"].ne("")
        if named.any() and not named.all():
            line = int(table.index[~named][0]) + 2
            problems.add(self.path, f"line {line}", f"gloss: empty, while {int(named.sum())} other row(s) name their "
                         "gloss; name every row's gloss or none")
        glosses_of: dict[str, set] = {}
        labels_of: dict[str, set] = {}
        for label, gloss in table.loc[named, ["label", "gloss"]].itertuples(index=False):
            glosses_of.setdefault(label, set()).add(gloss)
            labels_of.setdefault(gloss, set()).add(label)
        for label, glosses in glosses_of.items():
            if len(glosses) > 1:
                problems.add(self.path, f"label {label}", f"gloss: two or more glosses ({', '.join(sorted(glosses))})")
        for gloss, labels in labels_of.items():
            if len(labels) > 1:
                problems.add(self.path, f"gloss '{gloss}'", f"label: names classes {', '.join(sorted(labels))}; "
                             "each class needs its own gloss")


class ManifestRow(BaseModel):
    """One manifest row (CSV text; start / end and label become ints)."""

    model_config = ConfigDict(frozen=True)

    sample_id: str = Field(min_length=1)
    split: Literal["train", "val", "test"]
    label: int = Field(ge=0, le=MAX_LABEL)
    gloss: str
    video: str
    keypoints: str
    start: Optional[int] = Field(None, ge=0)
    end: Optional[int] = Field(None, ge=1)
    keypoints_frame: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("keypoints_frame")
    @classmethod
    def _frame(cls, value: str, info: ValidationInfo) -> str:
        if parse_frame(value) is not None and not takes_declared_frame(info.data.get("keypoints", "")):
            raise ValueError("keypoints_frame is for pickle and .npy keypoints (a .pose file declares its own "
                             "frame); leave it empty for " + (info.data.get("keypoints") or "no keypoints"))
        return value

    @model_validator(mode="after")
    def _window(self) -> "ManifestRow":
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self
