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

from slrbench.data.annotation_schema import MsaslSample, Problems, WlaslGloss, WlaslInstance, check_glosses
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
    except OSError as error:
        raise UsageError(f"{path} cannot be read: {error.strerror or error}") from None


def read_text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file (not UTF-8)") from None
    except OSError as error:
        raise UsageError(f"{path} cannot be read: {error.strerror or error}") from None


class KeypointFinder:
    """Finds a video's keypoints under a data root (.pose, then .npy, then the pickle) and the frame
    their coordinates are in. `dataset` picks the reference pickle's frame (REFERENCE_FRAMES)."""

    def __init__(self, root: Path, dataset: str):
        folder = root / "keypoints"
        self.files = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
        self.folder = folder
        self.pickle = next((root / name for name in PICKLE_NAMES if (root / name).is_file()), None)
        self.extracted = extraction_frames(self.pickle) if self.pickle is not None else None
        self.pickle_frame = REFERENCE_FRAMES.get(dataset, "") if self._is_reference_pickle() else ""

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
    frame_start (1-based) / frame_end (inclusive, -1 = to the end) become start / end (0-based, end exclusive).
    Every entry and instance is validated (annotation_schema); all problems are reported at once."""
    path = root / WLASL_FILE
    entries = read_json(path)
    if not isinstance(entries, list):
        raise UsageError(f"{path}: expected a list of {{'gloss', 'instances'}} entries (the official WLASL format)")
    problems = Problems()
    checked = [problems.validate(WlaslGloss, entry, path, f"gloss {label}") for label, entry in enumerate(entries)]
    glosses = check_glosses([entry.gloss if entry is not None else None for entry in checked], path, problems,
                            reported=frozenset(label for label, entry in enumerate(checked) if entry is None))
    keypoints = KeypointFinder(root, "wlasl")
    rows, seen = [], {}
    for label, entry in enumerate(checked):
        if entry is None:
            continue
        for number, raw in enumerate(entry.instances):
            where = f"gloss {label} '{entry.gloss}', instance {number}"
            instance = problems.validate(WlaslInstance, raw, path, where)
            if instance is None:
                continue
            video_id = str(instance.video_id)
            if video_id in seen:
                problems.add(path, where, f"video_id {video_id} is already instance {seen[video_id]}")
                continue
            seen[video_id] = where
            start, end = instance.frame_start - 1, instance.frame_end
            if end > 0 and end <= start:
                problems.add(path, where, f"frame_end {end} is before frame_start {instance.frame_start}")
                continue
            rows.append(_row(video_id, _SPLIT_NAMES[instance.split], label, entry.gloss,
                             root / "videos" / f"{video_id}.mp4", keypoints.reference(video_id),
                             start or "", end if end > 0 else ""))
    problems.raise_if_any()
    return rows, glosses


def msasl_clip_name(sample: dict[str, Any]) -> str:
    """The documented file name of a downloaded MS-ASL clip: `<youtube id>_<start>_<end>`
    (start / end: the annotation's frame numbers), e.g. `7y5Ye-2-ZBs_0_52`."""
    match = _YOUTUBE_ID.search(str(sample.get("url", "")))
    video = match.group(1) if match else re.sub(r"[^\w-]+", "-", str(sample.get("url", "")))
    return f"{video}_{int(sample['start'])}_{int(sample['end'])}"


def read_msasl(root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """MSASL_{train,val,test}.json + MSASL_classes.json; trimmed clips `videos/<clip name>.mp4`.
    Every sample is validated (annotation_schema); all problems are reported at once."""
    classes = read_json(root / MSASL_CLASSES)
    if not isinstance(classes, list):
        raise UsageError(f"{root / MSASL_CLASSES}: expected a list of class names")
    problems = Problems()
    glosses = check_glosses(classes, root / MSASL_CLASSES, problems, what="class")
    keypoints = KeypointFinder(root, "msasl")
    rows = []
    for split, name in MSASL_FILES.items():
        path = root / name
        samples = read_json(path)
        if not isinstance(samples, list):
            problems.add(path, "", f"expected a list of samples (the official MS-ASL format), got {type(samples).__name__}")
            continue
        for position, raw in enumerate(samples):
            sample = problems.validate(MsaslSample, raw, path, f"sample {position}")
            if sample is None:
                continue
            if sample.label >= len(classes):
                problems.add(path, f"sample {position}", f"label: {sample.label} is not a class of {MSASL_CLASSES} "
                             f"(0..{len(classes) - 1})")
                continue
            if sample.end < sample.start:
                problems.add(path, f"sample {position}", f"end {sample.end} is before start {sample.start}")
                continue
            clip = msasl_clip_name(raw)
            rows.append(_row(f"{split}-{position:05d}", split, sample.label, glosses[sample.label],
                             root / "videos" / f"{clip}.mp4", keypoints.reference(clip)))
    problems.raise_if_any()
    return rows, glosses


def read_nmfs_csl(root: Path) -> list[dict[str, Any]]:
    """NMFs-CSL split lists `train.txt`, `test.txt` (and an optional `val.txt`): one
    `<video path under videos/> <label>` per line; labels are class indices only. All problems
    are reported at once."""
    rows, seen = [], {}
    problems = Problems()
    keypoints = KeypointFinder(root, "nmfs-csl")
    for split, name in NMFS_CSL_LISTS.items():
        path = root / name
        if not path.is_file():
            if split == "val":
                continue
            raise UsageError(f"{path} is missing; put the NMFs-CSL split list there (lines '<video> <label>')")
        for number, line in enumerate(read_text_lines(path), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].isdigit():
                problems.add(path, f"line {number}", f"expected '<video> <label>', got {line[:60]!r}")
                continue
            video, label = parts[0], int(parts[1])
            if video in seen:
                problems.add(path, f"line {number}", f"{video} is listed twice (first in {seen[video]})")
                continue
            seen[video] = f"{name}, line {number}"
            name_without_suffix = Path(video).with_suffix("").as_posix()
            rows.append(_row(video, split, label, "", root / "videos" / video, keypoints.reference(name_without_suffix)))
    problems.raise_if_any()
    return rows
