"""A dataset described by a manifest CSV: one row per sample, paths relative to the CSV's folder.

Columns: sample_id, split (train / val / test), label (0-based int), gloss, video, keypoints,
start, end (frame indices; empty means the whole video), keypoints_frame ("WxH": the frame a
pickle's or .npy's coordinates are in; empty: the video's own pixels). Only sample_id, split and
label are required; the others may be left empty or out.
"""
from __future__ import annotations

import pandas as pd

from slrbench.builtins.datasets import ManifestConfig
from slrbench.data.keypoints import parse_frame, takes_declared_frame
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, SPLITS, BenchmarkInfo, DatasetBase, DatasetContext

REQUIRED_COLUMNS = ("sample_id", "split", "label")


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

    def _check_frames(self, table: pd.DataFrame) -> None:
        for position, (frame, keypoints) in enumerate(zip(table["keypoints_frame"], table["keypoints"])):
            try:
                declared = parse_frame(frame)
            except ValueError as error:
                raise UsageError(f"{self.path}, line {position + 2}: {error}") from None
            if declared is not None and not takes_declared_frame(keypoints):
                raise UsageError(f"{self.path}, line {position + 2}: keypoints_frame is for pickle and .npy "
                                 f"keypoints (a .pose file declares its own frame); leave it empty for "
                                 f"{keypoints or 'no keypoints'}")

    def _read(self) -> pd.DataFrame:
        if not self.path.is_file():
            raise UsageError(f"manifest {self.path} does not exist; write one or pass -o dataset.path=FILE")
        table = pd.read_csv(self.path, dtype=str, keep_default_na=False)
        missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
        if missing:
            raise UsageError(f"{self.path}: missing column(s) {', '.join(missing)}; columns: {', '.join(MANIFEST_COLUMNS)}")
        if table.empty:
            raise UsageError(f"{self.path}: the manifest has no rows")
        for column in MANIFEST_COLUMNS:
            if column not in table.columns:
                table[column] = ""
        bad_splits = sorted(set(table["split"]) - set(SPLITS))
        if bad_splits:
            raise UsageError(f"{self.path}: column split has {', '.join(bad_splits)}; use {', '.join(SPLITS)}")
        if not table["label"].str.fullmatch(r"\d+").all():
            row = int(table.index[~table["label"].str.fullmatch(r"\d+")][0]) + 2
            raise UsageError(f"{self.path}, line {row}: label must be a non-negative integer")
        duplicated = table["sample_id"][table["sample_id"].duplicated()]
        if not duplicated.empty:
            raise UsageError(f"{self.path}: sample_id '{duplicated.iloc[0]}' appears more than once")
        table["label"] = table["label"].astype(int)
        self._check_frames(table)
        for column in ("video", "keypoints"):
            table[column] = [str(self.path.parent / value) if value else "" for value in table[column]]
        return table[list(MANIFEST_COLUMNS)]
