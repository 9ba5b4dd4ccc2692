"""Readers of the official annotation files, as their authors distribute them.

Each returns (rows, class names): one row per annotated sample with the manifest columns, labels
by the dataset's class index. Video and keypoint paths follow the documented data-root layout
(docs/data.md): videos in `<root>/videos/`, keypoints in `<root>/keypoints/<name>.pose|.npy` or a
pickle `<root>/keypoints.pkl` (the reference's name `keypoints_hrnet_dark_coco_wholebody.pkl`
works too) keyed by the video name without extension.
Each row also says which frame its keypoint coordinates are in (`keypoints_frame`, "WxH"; empty:
the video's own pixels): the reference pickle's preprocessed frames (REFERENCE_FRAMES), the sizes
`keypoints extract` recorded in `<pickle>.meta.json`, nothing for `.npy` (the video's pixels) and
`.pose` (its header says).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from slrbench.data.keypoints import extraction_frames
from slrbench.errors import UsageError

WLASL_FILE = "WLASL_v0.3.json"
MSASL_FILES = {"train": "MSASL_train.json", "val": "MSASL_val.json", "test": "MSASL_test.json"}
MSASL_CLASSES = "MSASL_classes.json"
NMFS_CSL_LISTS = {"train": "train.txt", "val": "val.txt", "test": "test.txt"}  # val.txt is optional
PICKLE_NAMES = ("keypoints.pkl", "keypoints_hrnet_dark_coco_wholebody.pkl")
REFERENCE_PICKLE = PICKLE_NAMES[1]  # the reference's file: pixels of its resized videos
REFERENCE_FRAMES = {"wlasl": "256x256", "msasl": "256x256", "nmfs-csl": "512x512"}
_SPLIT_NAMES = {"train": "train", "val": "val", "dev": "val", "test": "test"}
_YOUTUBE_ID = re.compile(r"(?:[?&]v=|youtu\.be/|/embed/|/shorts/)([\w-]{11})")


def read_json(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"{path} is missing; put the official annotation file there (see docs/data.md)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: not valid JSON ({error}); download the official file again") from None


class KeypointFinder:
    """Finds a video's keypoints under a data root (.pose, then .npy, then the pickle) and the frame
    their coordinates are in. `dataset` picks the reference pickle's frame (REFERENCE_FRAMES)."""

    def __init__(self, root: Path, dataset: str):
        folder = root / "keypoints"
        self.files = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        self.folder = folder
        self.pickle = next((root / name for name in PICKLE_NAMES if (root / name).is_file()), None)
        self.extracted = extraction_frames(self.pickle) if self.pickle is not None else None
        self.pickle_frame = REFERENCE_FRAMES[dataset] if self._is_reference_pickle() else ""

    def _is_reference_pickle(self) -> bool:
        """The reference's file, not one `keypoints extract` wrote under that name (it leaves a meta file)."""
        return self.pickle is not None and self.pickle.name == REFERENCE_PICKLE and self.extracted is None

    def reference(self, name: str) -> tuple[str, str]:
        """(keypoints reference, keypoints_frame) of a video name; ("", "") when there are none."""
        for suffix in (".pose", ".npy"):
            nested = "/" in name and (self.folder / (name + suffix)).is_file()
            if name + suffix in self.files or nested:
                return str(self.folder / (name + suffix)), ""
        if self.pickle is None:
            return "", ""
        frame = self.extracted.get(name, "") if self.extracted is not None else self.pickle_frame
        return f"{self.pickle}#{name}", frame


def _row(sample_id, split, label, gloss, video: Path, keypoints: tuple[str, str], start="", end="") -> dict[str, Any]:
    return {"sample_id": sample_id, "split": split, "label": label, "gloss": gloss, "video": str(video),
            "keypoints": keypoints[0], "start": start, "end": end, "keypoints_frame": keypoints[1]}


def read_wlasl(root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """WLASL_v0.3.json: class index = gloss order in the file; videos `videos/<video_id>.mp4`.
    frame_start (1-based) / frame_end (inclusive, -1 = to the end) become start / end (0-based, end exclusive)."""
    path = root / WLASL_FILE
    entries = read_json(path)
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "gloss" in e for e in entries):
        raise UsageError(f"{path}: expected a list of {{'gloss', 'instances'}} entries (the official WLASL format)")
    keypoints = KeypointFinder(root, "wlasl")
    rows, glosses = [], []
    for label, entry in enumerate(entries):
        glosses.append(str(entry["gloss"]))
        for instance in entry.get("instances", []):
            split = _SPLIT_NAMES.get(str(instance.get("split")))
            if split is None:
                raise UsageError(f"{path}: gloss '{entry['gloss']}' has an instance with split {instance.get('split')!r}")
            video_id = str(instance["video_id"])
            start = max(int(instance.get("frame_start", 1)) - 1, 0)
            end = int(instance.get("frame_end", -1))
            rows.append(_row(video_id, split, label, glosses[-1], root / "videos" / f"{video_id}.mp4",
                             keypoints.reference(video_id), start or "", end if end > 0 else ""))
    return rows, glosses


def msasl_clip_name(sample: dict[str, Any]) -> str:
    """The documented file name of a downloaded MS-ASL clip: `<youtube id>_<start>_<end>`
    (start / end: the annotation's frame numbers), e.g. `7y5Ye-2-ZBs_0_52`."""
    match = _YOUTUBE_ID.search(str(sample.get("url", "")))
    video = match.group(1) if match else re.sub(r"[^\w-]+", "-", str(sample.get("url", "")))
    return f"{video}_{int(sample['start'])}_{int(sample['end'])}"


def read_msasl(root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """MSASL_{train,val,test}.json + MSASL_classes.json; trimmed clips `videos/<clip name>.mp4`."""
    classes = read_json(root / MSASL_CLASSES)
    if not isinstance(classes, list):
        raise UsageError(f"{root / MSASL_CLASSES}: expected a list of class names")
    keypoints = KeypointFinder(root, "msasl")
    rows = []
    for split, name in MSASL_FILES.items():
        samples = read_json(root / name)
        for position, sample in enumerate(samples):
            if "label" not in sample or "url" not in sample:
                raise UsageError(f"{root / name}: sample {position} lacks 'label' or 'url' (the official format)")
            label = int(sample["label"])
            if not 0 <= label < len(classes):
                raise UsageError(f"{root / name}: sample {position} has label {label}, not in MSASL_classes.json")
            clip = msasl_clip_name(sample)
            rows.append(_row(f"{split}-{position:05d}", split, label, str(classes[label]),
                             root / "videos" / f"{clip}.mp4", keypoints.reference(clip)))
    return rows, [str(c) for c in classes]


def read_nmfs_csl(root: Path) -> list[dict[str, Any]]:
    """NMFs-CSL split lists `train.txt`, `test.txt` (and an optional `val.txt`): one
    `<video path under videos/> <label>` per line; labels are class indices only."""
    rows, seen = [], {}
    keypoints = KeypointFinder(root, "nmfs-csl")
    for split, name in NMFS_CSL_LISTS.items():
        path = root / name
        if not path.is_file():
            if split == "val":
                continue
            raise UsageError(f"{path} is missing; put the NMFs-CSL split list there (lines '<video> <label>')")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].isdigit():
                raise UsageError(f"{path}, line {number}: expected '<video> <label>', got {line!r}")
            video, label = parts[0], int(parts[1])
            if video in seen:
                raise UsageError(f"{path}, line {number}: {video} is listed twice (first in {seen[video]})")
            seen[video] = f"{name}, line {number}"
            name_without_suffix = Path(video).with_suffix("").as_posix()
            rows.append(_row(video, split, label, "", root / "videos" / video, keypoints.reference(name_without_suffix)))
    return rows
