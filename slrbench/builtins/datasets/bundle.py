"""WLASL, MS-ASL and NMFs-CSL from the reference's data bundle (`slrbench.data.bundle` reads it).

The standard benchmark names stay the same; what changes with the bundle is where the samples,
classes and frames come from: the reference's own split pickles, class order and frame counts,
so its released checkpoints import without reordering. Each benchmark's rows are made when it is
first asked for (a WLASL subset needs its `<K>.json`). The video archive's directory is read here,
in the main process, so the loader's forked workers share it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping, Optional

import pandas as pd

from slrbench.builtins.datasets import StandardDatasetConfig
from slrbench.data.bundle import ARCHIVES, SPLIT_PICKLES, WORD_VECTORS, BundleReader, BundleSubset, find_archive
from slrbench.data.keypoints import VIDEO_FRAME, takes_declared_frame
from slrbench.data.decoding import VideoUnreadable
from slrbench.data.zip_archive import archive_index
from slrbench.data.zip_media import video_present
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, BenchmarkInfo, DatasetBase


class _Benchmarks(Mapping[str, BenchmarkInfo]):
    """The declared benchmarks; each one's info is made on first use."""

    def __init__(self, dataset: "BundleDataset", sizes: dict[str, int]):
        self.dataset, self.sizes = dataset, sizes

    def __getitem__(self, name: str) -> BenchmarkInfo:
        if name not in self.sizes:
            raise KeyError(name)
        subset = self.dataset.subset(name)
        return BenchmarkInfo(name, subset.num_classes, subset.glosses is not None,
                             f"{name} from the reference's bundle in {self.dataset.root}, {subset.num_classes} classes")

    def __iter__(self) -> Iterator[str]:
        return iter(self.sizes)

    def __len__(self) -> int:
        return len(self.sizes)


class BundleDataset(DatasetBase):
    def __init__(self, name: str, sizes: dict[str, int], config: StandardDatasetConfig, root: Path):
        if config.videos_dir is not None:
            raise UsageError("dataset.videos_dir: the reference's bundle reads its videos from its zip archive; "
                             "give that with -o dataset.archive=FILE")
        self.name, self.root, self.sizes, self.config = name, root, sizes, config
        self.archive, self._archive_warnings = find_archive(root, name, config.archive)
        self.reader = BundleReader(root, name, self.archive)
        self._index_example = ""
        if self.archive.is_file():
            try:
                self._index_example = archive_index(self.archive).example()  # read once, shared by the workers
            except VideoUnreadable as error:
                self._archive_warnings.append(f"{error}; no video can be read")
        self._subsets: dict[str, BundleSubset] = {}
        self.benchmarks = _Benchmarks(self, sizes)

    def subset(self, benchmark: str) -> BundleSubset:
        if benchmark not in self.sizes:
            raise UsageError(f"dataset '{self.name}' has no benchmark '{benchmark}'; available: {', '.join(self.sizes)}")
        if benchmark not in self._subsets:
            subset = self.reader.subset(benchmark, self.sizes[benchmark])
            self._apply_options(subset)
            subset.warnings[:0] = self._class_warnings(benchmark, subset) + self._video_warnings(subset)
            self._subsets[benchmark] = subset
        return self._subsets[benchmark]

    def manifest(self, benchmark: str) -> pd.DataFrame:
        table = pd.DataFrame(self.subset(benchmark).rows, columns=list(MANIFEST_COLUMNS))
        table["label"] = table["label"].astype(int)
        return table

    def class_names(self, benchmark: str) -> Optional[list[str]]:
        glosses = self.subset(benchmark).glosses
        return None if glosses is None else list(glosses)

    def warnings(self, benchmark: str) -> list[str]:
        return list(self._archive_warnings) + list(self.subset(benchmark).warnings)

    def data_layout(self) -> str:
        pickles = ", ".join(name for name in SPLIT_PICKLES.values() if (self.root / name).is_file())
        return f"the reference's bundle ({pickles}; videos from {self.archive.name})"

    def gloss_vectors_file(self, benchmark: str) -> Optional[Path]:
        path = self.root / WORD_VECTORS[self.name] if self.name in WORD_VECTORS else None
        return path if path is not None and path.is_file() else None

    def _apply_options(self, subset: BundleSubset) -> None:
        if self.config.keypoints_frame is None:
            return
        frame = "" if self.config.keypoints_frame == VIDEO_FRAME else self.config.keypoints_frame
        for row in subset.rows:
            if takes_declared_frame(row["keypoints"]):
                row["keypoints_frame"] = frame

    def _class_warnings(self, benchmark: str, subset: BundleSubset) -> list[str]:
        size = self.sizes[benchmark]
        if subset.num_classes >= size:
            return []
        return [f"{benchmark}: the bundle has only {subset.num_classes} of its {size} classes; the benchmark here "
                f"has {subset.num_classes} classes (an excerpt?)"]

    def _video_warnings(self, subset: BundleSubset) -> list[str]:
        """One line when the archive holds none of the benchmark's videos: another archive, or renamed members."""
        if not self._index_example or not subset.rows or any(video_present(row["video"]) for row in subset.rows[:200]):
            return []
        expected = subset.rows[0]["video"].partition(".zip#")[2]
        return [f"none of the first videos are in {self.archive.name} (expected members like {expected!r}, the archive "
                f"holds e.g. {self._index_example!r}); is it the bundle's video archive ({ARCHIVES[self.name]})?"]
