"""The output of `keypoints extract`: the reference's pickle, written only when complete.

Finished videos go one `.npy` at a time into a hidden folder beside the output
(`.<out name>.parts/`), each written atomically, so an interrupted extraction loses at most the
videos in flight and the next run resumes. The pickle ({video name: (T, 133, 3) float32}) is
written at the end, atomically, merged with the entries an earlier output already holds; then the
folder is removed. `<out>.meta.json` records which extractor (and options) made the file, so a
resumed run cannot mix extractors, and the frame the coordinates are in: pixels of each source
video, whose (width, height) it lists as "WxH" per video (`frame_sizes`, which the datasets read
into the manifest's `keypoints_frame`, so a video re-encoded at another size is still matched).
"""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from slrbench.data.keypoints import extraction_frames, extraction_meta_path, format_frame
from slrbench.errors import UsageError
from slrbench.files import atomic_path, write_text_atomically
from slrbench.safe_pickle import PickleRefused, read_data_pickle

COORDINATES = "pixels of each source video (frame_sizes: width x height)"


def failures_path(out: Path) -> Path:
    return out.with_name(out.name + ".failures.csv")


class KeypointStore:
    def __init__(self, out: Path, maker: dict[str, Any]):
        self.out = out
        self.maker = maker  # {"extractor": name, "options": {...}}: what produces the arrays
        self.parts = out.with_name(f".{out.name}.parts")

    def existing(self) -> dict[str, Any]:
        """The entries of a finished output already there (checked to come from the same extractor)."""
        if not self.out.exists():
            return {}
        if not extraction_meta_path(self.out).is_file():
            raise UsageError(f"{self.out} exists but was not written by `slrbench keypoints extract` (no "
                             f"{extraction_meta_path(self.out).name}); choose another --out, or --force to replace it")
        self._check_maker(extraction_meta_path(self.out), "the existing output")
        try:
            table = read_data_pickle(self.out)  # plain data and numeric arrays only: never code
        except PickleRefused as error:
            raise UsageError(f"{error}; move it away or use --force") from None
        if not isinstance(table, dict):
            raise UsageError(f"{self.out}: not a {{video name: keypoints}} pickle; move it away or use --force")
        return table

    def begin(self, restart: bool) -> set[str]:
        """Prepare the parts folder; returns the videos an interrupted run already finished."""
        if restart and self.parts.exists():
            shutil.rmtree(self.parts)
        if self.parts.exists():
            self._check_maker(self.parts / "maker.json", "the unfinished extraction")
        else:
            self.parts.mkdir(parents=True)
            write_text_atomically(self.parts / "maker.json", json.dumps(self.maker, indent=2))
        return {unquote(path.stem) for path in self.parts.glob("*.npy")}

    def save(self, key: str, keypoints: np.ndarray, frame_size: tuple[int, int]) -> None:
        """One finished video: its frame size first, so that every saved array has one."""
        stem = quote(key, safe="")
        write_text_atomically(self.parts / f"{stem}.frame", format_frame(frame_size))
        with atomic_path(self.parts / f"{stem}.npy") as temporary:
            np.save(temporary, np.asarray(keypoints, dtype=np.float32))

    def finish(self, base: dict[str, Any], provenance: dict[str, Any]) -> int:
        """Write the pickle (base + every finished part) and its meta file; returns the entry count."""
        table = dict(base)
        recorded = (extraction_frames(self.out) or {}) if base else {}  # sizes of the earlier entries
        frames = {key: recorded[key] for key in base if key in recorded}
        for path in sorted(self.parts.glob("*.npy")):
            key = unquote(path.stem)
            table[key] = np.load(path)
            size = path.with_suffix(".frame")
            if size.is_file():
                frames[key] = size.read_text(encoding="utf-8").strip()
        if not table:  # nothing could be extracted: an empty pickle would only hide that
            shutil.rmtree(self.parts)
            return 0
        with atomic_path(self.out) as temporary:
            with open(temporary, "wb") as handle:
                pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
        meta = self.maker | provenance | {"coordinates": COORDINATES, "frame_sizes": dict(sorted(frames.items()))}
        write_text_atomically(extraction_meta_path(self.out), json.dumps(meta, indent=2) + "\n")
        shutil.rmtree(self.parts)
        return len(table)

    def _check_maker(self, path: Path, what: str) -> None:
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise UsageError(f"{path}: unreadable ({error}); use --force to start over") from None
        recorded = {key: recorded.get(key) for key in self.maker}
        if recorded != self.maker:
            raise UsageError(
                f"{what} ({path}) was made by extractor {recorded.get('extractor')} with options "
                f"{recorded.get('options')}; rerun with those, choose another --out, or use --force to start over"
            )
