"""The `synthetic` dataset: the embedded demo benchmark (see slrbench.data.synthetic).

In memory (default) the manifest's video and keypoints columns are empty and the loader reads
clips through `clip_reader()`, which renders frames on demand. With `cache_dir` the clips are
written once as files (mp4 + keypoints .npy + manifest.csv) into a folder named by the
generator's settings, built under a temporary name and renamed into place (atomic), and the
manifest points at those files like any other dataset.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from slrbench.builtins.datasets import SyntheticConfig
from slrbench.data.keypoints import KeypointTrack
from slrbench.data.synthetic import GENERATOR_VERSION, GLOSSES, generate_samples, make_signer, render_frames
from slrbench.errors import UsageError
from slrbench.files import atomic_folder
from slrbench.interfaces import MANIFEST_COLUMNS, BenchmarkInfo, DatasetBase, DatasetContext


class SyntheticDataset(DatasetBase):
    def __init__(self, config: SyntheticConfig, context: DatasetContext):
        self.config = config
        per_class = {"train": config.train_per_class, "val": config.val_per_class, "test": config.test_per_class}
        self.samples = generate_samples(config.seed, config.num_classes, per_class, config.frame_size,
                                        config.mean_frames)
        self._by_id = {sample.sample_id: sample for sample in self.samples}
        self.signers = {sample.signer: make_signer(config.seed, sample.signer) for sample in self.samples}
        self.benchmarks = {"synthetic": BenchmarkInfo(
            "synthetic", config.num_classes, True,
            f"embedded demo: {config.num_classes} glosses, {len(self.samples)} clips, seed {config.seed}")}
        self.folder = self._write_cache(Path(config.cache_dir)) if config.cache_dir is not None else None

    def manifest(self, benchmark: str) -> pd.DataFrame:
        self._check(benchmark)
        rows = []
        for sample in self.samples:
            video = keypoints = frame = ""
            if self.folder is not None:
                video = str(self.folder / "videos" / f"{sample.sample_id}.mp4")
                keypoints = str(self.folder / "keypoints" / f"{sample.sample_id}.npy")
                frame = self._frame()
            rows.append({"sample_id": sample.sample_id, "split": sample.split, "label": sample.label,
                         "gloss": sample.gloss, "video": video, "keypoints": keypoints, "start": "", "end": "",
                         "keypoints_frame": frame})
        return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))

    def class_names(self, benchmark: str) -> list[str]:
        self._check(benchmark)
        return list(GLOSSES[:self.config.num_classes])

    def clip_reader(self) -> Optional["SyntheticClipReader"]:
        """How the loader reads in-memory clips (None when they were written to the cache)."""
        return SyntheticClipReader(self) if self.folder is None else None

    def render(self, sample_id: str, indices: Sequence[int]) -> np.ndarray:
        sample = self._by_id[sample_id]
        return render_frames(sample, self.signers[sample.signer], self.config.frame_size, indices)

    def _frame(self) -> str:
        """The rendered frame, in whose pixels the keypoints are (keypoints_frame of the cached files)."""
        return f"{self.config.frame_size}x{self.config.frame_size}"

    def _check(self, benchmark: str) -> None:
        if benchmark != "synthetic":
            raise UsageError(f"dataset 'synthetic' has one benchmark, 'synthetic' (got '{benchmark}')")

    # --- the on-disk cache ----------------------------------------------------------------------
    def _write_cache(self, cache_dir: Path) -> Path:
        settings = self.config.model_dump(exclude={"cache_dir"}) | {"version": GENERATOR_VERSION}
        digest = hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()[:12]
        final = cache_dir / f"synthetic-{digest}"
        if (final / "manifest.csv").is_file():
            return final
        with atomic_folder(final, keep_existing=True) as staging:  # another process may publish it first
            (staging / "videos").mkdir()
            (staging / "keypoints").mkdir()
            for sample in self.samples:
                frames = self.render(sample.sample_id, range(len(sample.keypoints)))
                write_mp4(staging / "videos" / f"{sample.sample_id}.mp4", frames)
                np.save(staging / "keypoints" / f"{sample.sample_id}.npy", sample.keypoints)
            table = pd.DataFrame([{"sample_id": s.sample_id, "split": s.split, "label": s.label, "gloss": s.gloss,
                                   "video": f"videos/{s.sample_id}.mp4", "keypoints": f"keypoints/{s.sample_id}.npy",
                                   "start": "", "end": "", "keypoints_frame": self._frame()} for s in self.samples],
                                 columns=list(MANIFEST_COLUMNS))
            table.to_csv(staging / "manifest.csv", index=False)
        return final


def write_mp4(path: Path, frames: np.ndarray, fps: int = 25) -> None:
    """(T, H, W, 3) uint8 -> an H.264 mp4 (near-lossless)."""
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


class SyntheticClip:
    decoder = "synthetic"

    def __init__(self, dataset: SyntheticDataset, sample_id: str):
        self.dataset, self.sample = dataset, dataset._by_id[sample_id]

    def clip_range(self) -> tuple[int, int]:
        return 0, len(self.sample.keypoints)

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        return self.dataset.render(self.sample.sample_id, indices)

    def keypoints(self) -> KeypointTrack:
        size = self.dataset.config.frame_size
        return KeypointTrack(self.sample.keypoints, (size, size))

    def frame_size(self) -> tuple[int, int]:
        return self.dataset.config.frame_size, self.dataset.config.frame_size


class SyntheticClipReader:
    """Renders in-memory clips; picklable, so loader workers can use it."""

    def __init__(self, dataset: SyntheticDataset):
        self.dataset = dataset

    def open(self, row: Mapping[str, Any], need_video: bool, need_keypoints: bool) -> SyntheticClip:
        return SyntheticClip(self.dataset, str(row["sample_id"]))

    def video_present(self, row: Mapping[str, Any]) -> bool:
        return str(row["sample_id"]) in self.dataset._by_id

    def keypoints_present(self, row: Mapping[str, Any]) -> bool:
        return str(row["sample_id"]) in self.dataset._by_id
