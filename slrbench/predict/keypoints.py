"""Keypoints for a user's video: a file they give (`--keypoints`), or an extraction, cached.

An extraction is cached in `<cache>/keypoints/` (the cache folder of `$SLRBENCH_CACHE`), keyed by
the video's identity (resolved path, size, modification time), the extractor and its options, as a
`.npy` of (T, 133, 3) in the video's pixels: a second prediction on the same video extracts nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Optional

import numpy as np

from slrbench.errors import UsageError
from slrbench.files import atomic_path
from slrbench.registry import Registry

EXTRACTOR_META = "keypoints.pkl.meta.json"


def keypoint_cache_dir() -> Path:
    """`$SLRBENCH_CACHE/keypoints`, else `$XDG_CACHE_HOME/slrbench/keypoints` (as the embeddings' cache)."""
    root = os.environ.get("SLRBENCH_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "slrbench"
    return Path(root) / "keypoints"


def run_extractor(data_root: Optional[Path], model_dir: Optional[Path] = None) -> str:
    """The extractor that made the run's training keypoints (an exported model's record, else its
    data root's `keypoints extract` record), else mediapipe: predictions are best on keypoints from
    the extractor the model saw."""
    from slrbench.exported import recorded_extractor

    recorded = recorded_extractor(model_dir) if model_dir is not None else None
    if recorded is not None:
        return recorded
    meta = data_root / EXTRACTOR_META if data_root is not None else None
    if meta is not None and meta.is_file():
        try:
            name = json.loads(meta.read_text(encoding="utf-8")).get("extractor")
        except (OSError, ValueError, AttributeError):
            name = None
        if isinstance(name, str) and name:
            return name
    return "mediapipe"


class CachedExtractor:
    """One extractor, built on first use, whose results are cached per video."""

    def __init__(self, registry: Registry, name: str, options: dict[str, Any], cache_dir: Path):
        plugin = registry.get("extractors", name)
        reason = plugin.unavailable_reason()
        if reason:
            raise UsageError(f"the run reads keypoints and extractor '{name}' is not available here ({reason}); "
                             "install it, or give each video's keypoints with --keypoints FILE (.pose, .npy)")
        self.registry, self.name, self.cache_dir = registry, name, cache_dir
        self.options = registry.resolve_options("extractors", name, options).model_dump(mode="json")
        self._extractor: Any = None

    def cache_path(self, video: Path) -> Path:
        stat = video.stat()
        identity = json.dumps([str(video.resolve()), stat.st_size, stat.st_mtime_ns, self.name, self.options],
                              sort_keys=True, default=str)
        return self.cache_dir / f"{self.name}-{hashlib.sha256(identity.encode()).hexdigest()[:24]}.npy"

    def keypoints_file(self, video: Path) -> Path:
        """A `.npy` of the video's (T, 133, 3) keypoints in its own pixels, extracted once."""
        path = self.cache_path(video)
        if path.is_file():
            return path
        from slrbench.extraction.extract import extract_video
        from slrbench.interfaces import ExtractorContext

        if self._extractor is None:
            self._extractor = self.registry.build("extractors", self.name, self.options,
                                                  ExtractorContext(device="cpu", threads=os.cpu_count() or 1))
        keypoints, _ = extract_video(self._extractor, video)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as handle:
                np.save(handle, keypoints, allow_pickle=False)
        return path
