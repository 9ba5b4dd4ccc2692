"""The standard benchmarks read from their official annotation files (layouts in docs/data.md).

WLASL: WLASL100/300/1000/2000 = the first K glosses of WLASL_v0.3.json (class index = gloss
order). MS-ASL: MSASL100/200/500/1000 = the samples with label < K, names from
MSASL_classes.json. NMFs-CSL: one benchmark of 1,067 classes with label indices only.
A file holding fewer classes than a benchmark asks for (an excerpt) gives a smaller benchmark
and a warning in `warnings`, shown by `slrbench data check`. A data root holding the reference's
bundle instead (train.pkl, ...; `-o dataset.layout`) is read by `bundle.BundleDataset`: the
factories below (`open_wlasl`, ...) choose.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pandas as pd

from slrbench.builtins.datasets import (
    MSASL_BENCHMARKS, NMFS_CSL_CLASSES, WLASL_BENCHMARKS, StandardDatasetConfig,
)
from slrbench.data.annotation_schema import AnnotationError, numeric_gloss_warning
from slrbench.data.annotations import MSASL_CLASSES, WLASL_FILE, read_msasl, read_nmfs_csl, read_wlasl
from slrbench.data.keypoints import VIDEO_FRAME, takes_declared_frame
from slrbench.errors import UsageError
from slrbench.interfaces import MANIFEST_COLUMNS, BenchmarkInfo, DatasetBase, DatasetContext


def refuse_pickle_marker(path: Path, what: str) -> None:
    """`file.pkl#name` names an entry of a pickle, `archive.zip#member` a member of a zip; a folder
    whose path holds either marker would make every reference under it ambiguous, so it is refused."""
    for marker, meaning in ((".pkl#", "pickle file#entry"), (".zip#", "zip archive#member")):
        if marker in str(path):
            raise UsageError(f"{what} {path}: the path contains '{marker}', which slrbench reads as '{meaning}'; "
                             "rename the folder")


def data_root_of(context: DatasetContext, dataset: str, holds: str) -> Path:
    """The --data-root folder, or one line saying what it should hold."""
    if context.data_root is None:
        raise UsageError(f"dataset '{dataset}' needs --data-root DIR holding {holds} (see docs/data.md)")
    root = Path(context.data_root)
    if not root.is_dir():
        raise UsageError(f"--data-root {root} is not a folder; it should hold {holds}")
    refuse_pickle_marker(root, "--data-root")
    return root


class _StandardDataset(DatasetBase):
    name = ""
    layout = ""

    def __init__(self, config: StandardDatasetConfig, context: DatasetContext):
        self.root = data_root_of(context, self.name, self.layout)
        rows, self.glosses = self._read()
        if config.videos_dir is not None:
            videos = Path(config.videos_dir)
            for row in rows:
                row["video"] = str(videos / Path(row["video"]).relative_to(self.root / "videos"))
        if config.keypoints_frame is not None:  # the user's word beats the defaults (docs/data.md)
            frame = "" if config.keypoints_frame == VIDEO_FRAME else config.keypoints_frame
            for row in rows:
                if takes_declared_frame(row["keypoints"]):
                    row["keypoints_frame"] = frame
        self.table = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
        self.table["label"] = self.table["label"].astype(int)
        self._warnings: dict[str, list[str]] = {}
        self.benchmarks = {name: self._info(name, size) for name, size in self._declared().items()}
        for name, info in self.benchmarks.items():
            if self.glosses is not None:
                self._warnings.setdefault(name, []).extend(
                    numeric_gloss_warning(self.glosses[:info.num_classes], f"{name}"))

    # --- the Dataset protocol -------------------------------------------------------------------
    def manifest(self, benchmark: str) -> pd.DataFrame:
        info = self._benchmark(benchmark)
        return self.table[self.table["label"] < info.num_classes].reset_index(drop=True)

    def class_names(self, benchmark: str) -> Optional[list[str]]:
        info = self._benchmark(benchmark)
        return list(self.glosses[:info.num_classes]) if self.glosses is not None else None

    def warnings(self, benchmark: str) -> list[str]:
        return list(self._warnings.get(benchmark, []))

    def data_layout(self) -> str:
        return f"the official annotation files ({self.layout})"

    # --- helpers --------------------------------------------------------------------------------
    def _info(self, name: str, size: int) -> BenchmarkInfo:
        available = len(self.glosses) if self.glosses is not None else size
        if available < size:
            self._warnings.setdefault(name, []).append(
                f"{name}: the annotation lists only {available} of its {size} classes; "
                f"the benchmark here has {available} classes (an excerpt?)")
        classes = min(size, available)
        return BenchmarkInfo(name, classes, self.glosses is not None, f"{self.summary_of(name)}, {classes} classes")

    def _benchmark(self, benchmark: str) -> BenchmarkInfo:
        if benchmark not in self.benchmarks:
            raise UsageError(f"dataset '{self.name}' has no benchmark '{benchmark}'; "
                             f"available: {', '.join(self.benchmarks)}")
        return self.benchmarks[benchmark]

    def summary_of(self, name: str) -> str:
        return f"{name} from {self.root}"

    def _declared(self) -> dict[str, int]:
        raise NotImplementedError

    def _read(self) -> tuple[list[dict[str, Any]], Optional[list[str]]]:
        raise NotImplementedError


class WlaslDataset(_StandardDataset):
    name = "wlasl"
    layout = f"{WLASL_FILE} and videos/<video_id>.mp4"

    def _declared(self) -> dict[str, int]:
        return WLASL_BENCHMARKS

    def _read(self):
        return read_wlasl(self.root)


class MsaslDataset(_StandardDataset):
    name = "msasl"
    layout = f"MSASL_train.json, MSASL_val.json, MSASL_test.json, {MSASL_CLASSES} and videos/"

    def _declared(self) -> dict[str, int]:
        return MSASL_BENCHMARKS

    def _read(self):
        return read_msasl(self.root)


class NmfsCslDataset(_StandardDataset):
    name = "nmfs-csl"
    layout = "the split lists train.txt and test.txt and videos/"

    def _declared(self) -> dict[str, int]:
        return {"nmfs-csl": NMFS_CSL_CLASSES}

    def _read(self):
        rows = read_nmfs_csl(self.root)
        bad = [row for row in rows if row["label"] >= NMFS_CSL_CLASSES]
        if bad:
            raise AnnotationError([f"{self.root}: sample {row['sample_id']}: label: {row['label']} is not an NMFs-CSL "
                                   f"class (0..{NMFS_CSL_CLASSES - 1})" for row in bad])
        return rows, None


def _open(official: type[_StandardDataset], sizes: dict[str, int], config: StandardDatasetConfig,
          context: DatasetContext) -> DatasetBase:
    """The dataset in the layout its data root holds (`-o dataset.layout`, else recognised by its files)."""
    from slrbench.data.bundle import choose_layout

    holds = f"{official.layout}, or the reference's bundle (train.pkl, dev.pkl, test.pkl)"
    root = data_root_of(context, official.name, holds)
    if choose_layout(root, official.name, config.layout) == "official":
        return official(config, context)
    from slrbench.builtins.datasets.bundle import BundleDataset

    return BundleDataset(official.name, sizes, config, root)


def open_wlasl(config: StandardDatasetConfig, context: DatasetContext) -> DatasetBase:
    return _open(WlaslDataset, WLASL_BENCHMARKS, config, context)


def open_msasl(config: StandardDatasetConfig, context: DatasetContext) -> DatasetBase:
    return _open(MsaslDataset, MSASL_BENCHMARKS, config, context)


def open_nmfs_csl(config: StandardDatasetConfig, context: DatasetContext) -> DatasetBase:
    return _open(NmfsCslDataset, {"nmfs-csl": NMFS_CSL_CLASSES}, config, context)
