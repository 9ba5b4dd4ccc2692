"""Which videos a benchmark needs keypoints for, and the name each gets in the keypoint pickle.

The name is what the dataset looks up (docs/data.md): the `name` of a manifest's `file.pkl#name`;
otherwise the video's path under `<data root>/videos/` without its suffix (WLASL's video id,
MS-ASL's clip name, NMFs-CSL's `P01/xxx`); otherwise the file name without its suffix.
A video shared by several samples (MS-ASL clips of one recording) is extracted once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from slrbench.data.annotations import PICKLE_NAMES
from slrbench.data.benchmark import open_benchmark
from slrbench.data.keypoints import split_reference
from slrbench.errors import UsageError
from slrbench.interfaces import SPLITS
from slrbench.registry import Registry

DEFAULT_PICKLE = PICKLE_NAMES[0]  # keypoints.pkl


@dataclass(frozen=True)
class VideoJob:
    key: str  # the video's name in the pickle
    video: Path


def pickle_key(row: Mapping[str, Any], data_root: Optional[Path]) -> str:
    _, name = split_reference(str(row.get("keypoints") or ""))
    if name is not None:
        return name
    video = Path(str(row["video"]))
    if data_root is not None:
        try:
            return video.relative_to(data_root / "videos").with_suffix("").as_posix()
        except ValueError:
            pass
    return video.stem


def benchmark_jobs(registry: Registry, benchmark: str, data_root: Optional[Path],
                   options: Optional[dict[str, Any]] = None,
                   splits: Optional[Iterable[str]] = None) -> tuple[list[VideoJob], list[Path]]:
    """The benchmark's videos (one job per distinct file, `splits` only; None: all) and the pickles
    its manifest names."""
    splits = set(splits or SPLITS)
    opened = open_benchmark(registry, benchmark, data_root, options)
    if opened.clip_reader() is not None:
        raise UsageError(f"benchmark '{benchmark}' renders its clips in memory: there are no video files to "
                         "extract keypoints from (for synthetic, -o dataset.cache_dir=DIR writes them)")
    unknown = sorted(splits - set(SPLITS))
    if unknown:
        raise UsageError(f"--split {', '.join(unknown)}: use {', '.join(SPLITS)}")
    rows = [row for row in opened.manifest().to_dict("records") if row["split"] in splits]
    jobs: dict[str, VideoJob] = {}
    pickles: set[Path] = set()
    for row in rows:
        if not row.get("video"):
            raise UsageError(f"sample {row['sample_id']} of '{benchmark}' names no video file")
        reference_file, name = split_reference(str(row.get("keypoints") or ""))
        if name is not None:
            pickles.add(reference_file)
        job = VideoJob(pickle_key(row, data_root), Path(str(row["video"])))
        earlier = jobs.setdefault(job.key, job)
        if earlier.video != job.video:
            raise UsageError(f"videos {earlier.video} and {job.video} would share the name '{job.key}' in the "
                             "keypoint pickle; give them distinct file names")
    return list(jobs.values()), sorted(pickles)


def default_output(data_root: Optional[Path], pickles: list[Path]) -> Path:
    """The pickle the dataset will read: the one a manifest names, else `<data root>/keypoints.pkl`
    (which the standard datasets prefer to the reference's pickle beside it)."""
    if data_root is not None:
        pickles = [p for p in pickles if not (p.parent == data_root and p.name in PICKLE_NAMES)]
    if len(pickles) == 1:
        return pickles[0]
    if len(pickles) > 1:
        raise UsageError(f"the manifest names {len(pickles)} keypoint pickles ({', '.join(map(str, pickles))}); "
                         "choose one with --out")
    if data_root is None:
        raise UsageError("give --out FILE (or --data-root DIR to write DIR/keypoints.pkl)")
    return data_root / DEFAULT_PICKLE
