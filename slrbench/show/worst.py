"""`data check --show-worst N`: draw the samples whose keypoints look broken, with `slrbench show`'s
machinery, into a folder of their own: `<rank>_<sample>.mp4` and `<rank>_<sample>.sheet.png` per
sample and `worst.csv` (rank, sample, badness, reasons, files). The folder is written whole and
atomically, and replaces only a folder this command wrote (one holding `worst.csv`), never
anything inside the data root."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Mapping, Optional

from slrbench.data.decoding import VideoUnreadable
from slrbench.data.keypoints import KeypointsUnavailable
from slrbench.errors import UsageError
from slrbench.files import atomic_folder

INDEX = "worst.csv"
DEFAULT_FOLDER = Path("data-check-worst")  # in the current folder, one sub-folder per benchmark
MAX_FRAMES, HEIGHT, TILES, FPS = 32, 240, 8, 12.0  # small files: enough to see what went wrong
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def show_folder(chosen: Optional[Path], benchmark: str, data_root: Optional[Path]) -> Path:
    """The folder to draw into (default `./data-check-worst/<benchmark>`); one line when it lies in
    the data root or is a folder this command did not write."""
    folder = chosen if chosen is not None else DEFAULT_FOLDER / _UNSAFE.sub("_", benchmark)
    if data_root is not None and folder.resolve().is_relative_to(data_root.resolve()):
        raise UsageError(f"--show-dir {folder} is inside --data-root {data_root}; data check never writes there, "
                         "choose a folder outside it")
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / INDEX).is_file())):
        raise UsageError(f"--show-dir {folder} exists and is not a folder `data check --show-worst` wrote "
                         f"(no {INDEX} in it); choose a new or empty folder")
    return folder


def render_worst(opened: Any, worst: list[Mapping[str, Any]], folder: Path) -> list[dict[str, str]]:
    """Draw each of `worst` (the report's `worst_keypoints`) that has a readable video; one row per
    sample: its files, or why it is listed but not drawn."""
    from slrbench.data.sources import FileClipReader
    from slrbench.show.clip import read_clip
    from slrbench.show.render import render_clip

    manifest = opened.manifest()
    rows = {str(row["sample_id"]): row for row in manifest.to_dict("records")}
    reader = opened.clip_reader() or FileClipReader()
    drawn = []
    with atomic_folder(folder) as fresh:
        for rank, quality in enumerate(worst, start=1):
            sample = str(quality["sample_id"])
            name = f"{rank:02d}_{_UNSAFE.sub('_', sample)}"
            entry = {"rank": str(rank), "sample_id": sample, "badness": f"{quality['badness']:.3f}",
                     "reasons": "; ".join(quality["reasons"]), "video": "", "sheet": "", "not_drawn": ""}
            try:
                if not reader.video_present(rows[sample]):
                    raise UsageError("no video to draw on")
                clip = read_clip(sample, reader.open(rows[sample], True, True), MAX_FRAMES)
                rendered = render_clip(clip, fresh / f"{name}.mp4", threshold=0.3, heatmap_size=112, height=HEIGHT,
                                       fps=FPS, tiles=TILES)
                entry["video"], entry["sheet"] = str(folder / rendered.animation.name), str(folder / rendered.sheet.name)
            except (UsageError, VideoUnreadable, KeypointsUnavailable) as error:  # listed, not drawn
                entry["not_drawn"] = str(error)
            drawn.append(entry)
        (fresh / INDEX).write_text(_csv(drawn), encoding="utf-8")
    return drawn


def _csv(rows: list[dict[str, str]]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["rank", "sample_id", "badness", "reasons", "video", "sheet", "not_drawn"])
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()
