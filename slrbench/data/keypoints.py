"""Keypoint files: the reference pickle, pose-format `.pose` and `.npy`, read as (T, 63, 3).

A manifest's `keypoints` value is one of
* `file.pkl#name`: the reference's pickle, {video name: float array (T, 133, 3) of x, y, score}
  in COCO-WholeBody order (arrays of (T, 63, 3) are taken as already selected);
* `file.pose`: pose-format (see `slrbench.data.pose_layouts` for the layouts and approximations);
* `file.npy`: a (T, 133, 3) or (T, 63, 3) array; (T, K, 2) without scores gets score 1.
Coordinates are pixels of a frame: a `.pose` file's header declares it; for a pickle or `.npy`
it is the manifest's `keypoints_frame` ("WxH"; empty: the pixels of the sample's own video), which
the datasets fill in (the reference pickle: 256 x 256, 512 x 512 for NMFs-CSL; a pickle written by
`slrbench keypoints extract`: each video's size, from its `<file>.meta.json`). The loader rescales
the coordinates from that frame to the decoded video's (`rescale_keypoints`).
"""
from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from slrbench.data.keypoint_layout import COCO_WHOLEBODY_POINTS, NLA_SLR_KEYPOINTS, NUM_KEYPOINTS
from slrbench.errors import UsageError
from slrbench.safe_pickle import PickleRefused, read_data_pickle

PICKLE_SUFFIXES = (".pkl", ".pickle")
EXTRACTION_META_SUFFIX = ".meta.json"  # `keypoints extract` writes `<out>.meta.json` beside its pickle
VIDEO_FRAME = "video"  # a declared frame meaning "pixels of the sample's own video"
_FRAME = re.compile(r"([1-9]\d*)x([1-9]\d*)")


class KeypointsUnavailable(Exception):
    """A sample's keypoints are missing or unreadable (the loader skips and counts the sample)."""


@dataclass(frozen=True)
class KeypointTrack:
    values: np.ndarray  # (T, 63, 3) float32: x, y in pixels, score
    frame_size: Optional[tuple[int, int]] = None  # (width, height) of the coordinates; None: the video's


def select_nla_slr_points(array: Any, where: str) -> np.ndarray:
    """(T, 133 | 63, 2 | 3) -> (T, 63, 3) float32 in the NLA-SLR channel order (a writable copy
    where the source is read-only, as arrays from `slrbench.safe_pickle` are)."""
    try:
        values = np.asarray(array, dtype=np.float32)
    except (ValueError, TypeError) as error:
        raise KeypointsUnavailable(f"{where}: not an array of numbers ({type(array).__name__}: "
                                   f"{str(error)[:120]})") from None
    if values.ndim != 3 or values.shape[2] not in (2, 3) or values.shape[1] not in (COCO_WHOLEBODY_POINTS, NUM_KEYPOINTS):
        raise KeypointsUnavailable(f"{where}: expected (T, 133, 3) or (T, 63, 3), got {values.shape}")
    if values.shape[0] == 0:
        raise KeypointsUnavailable(f"{where}: no frames (shape {values.shape})")
    if values.shape[1] == COCO_WHOLEBODY_POINTS:
        values = values[:, list(NLA_SLR_KEYPOINTS)]
    if values.shape[2] == 2:
        values = np.concatenate([values, np.ones_like(values[..., :1])], axis=-1)
    values = np.ascontiguousarray(values)
    return values if values.flags.writeable else values.copy()


def parse_frame(value: Any) -> Optional[tuple[int, int]]:
    """A declared keypoint frame -> (width, height); empty, missing or "video" -> None (the video's
    own pixels). Raises ValueError, naming the accepted forms, for anything else."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text in ("", VIDEO_FRAME):
        return None
    match = _FRAME.fullmatch(text)
    if match is None:
        raise ValueError(f"keypoint frame {text!r}: use WIDTHxHEIGHT in pixels (e.g. 256x256) or '{VIDEO_FRAME}'")
    return int(match.group(1)), int(match.group(2))


def takes_declared_frame(reference: str) -> bool:
    """Whether a keypoints reference reads its frame from the manifest: pickle entries and `.npy`
    (a `.pose` file declares its own; an empty reference has no keypoints)."""
    path, name = split_reference(reference)
    return bool(reference) and (name is not None or path.suffix == ".npy")


def format_frame(size: tuple[int, int]) -> str:
    return f"{int(size[0])}x{int(size[1])}"


def rescale_keypoints(values: np.ndarray, source: tuple[int, int], target: tuple[int, int]) -> np.ndarray:
    """(T, K, 3) x, y in pixels of a `source` (width, height) frame -> pixels of `target`, as a
    half-pixel aligned resize moves image content (pixel centres at integers); scores unchanged."""
    if tuple(source) == tuple(target):
        return values
    scale = np.array([target[0] / source[0], target[1] / source[1]], np.float32)
    out = np.array(values, dtype=np.float32)
    out[..., :2] = (out[..., :2] + 0.5) * scale - 0.5
    return out


def extraction_meta_path(pickle_path: Path) -> Path:
    return pickle_path.with_name(pickle_path.name + EXTRACTION_META_SUFFIX)


def extraction_frames(pickle_path: Path) -> Optional[dict[str, str]]:
    """{video name: "WxH"} recorded by `keypoints extract` beside its pickle (its coordinates are
    pixels of each source video; older files recorded no sizes: {}), or None without a meta file."""
    path = extraction_meta_path(pickle_path)
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: unreadable ({error}); delete it only if {pickle_path.name} was not written by "
                         "`slrbench keypoints extract`") from None
    sizes = meta.get("frame_sizes", {}) if isinstance(meta, dict) else {}
    return {str(name): str(size) for name, size in sizes.items()} if isinstance(sizes, dict) else {}


_PICKLES: dict[str, dict[str, Any]] = {}
_UNREADABLE_PICKLES: dict[str, str] = {}  # path -> why, so a bad file is read once, not once per sample


def load_pickle(path: Path) -> dict[str, Any]:
    """The whole pickle, cached per process (load it before starting workers to share it), read
    with the one loader for data pickles (`slrbench.safe_pickle`: plain data and numeric arrays,
    never code); a refused or unreadable file is a KeypointsUnavailable naming it."""
    key = str(path)
    if key in _UNREADABLE_PICKLES:
        raise KeypointsUnavailable(_UNREADABLE_PICKLES[key])
    if key not in _PICKLES:
        try:
            table = read_data_pickle(path)
            if not isinstance(table, dict):
                raise PickleRefused(f"{path}: expected a dict {{video name: (T, 133, 3) array}}, "
                                    f"found a {type(table).__name__}")
        except PickleRefused as error:
            _UNREADABLE_PICKLES[key] = str(error)
            raise KeypointsUnavailable(str(error)) from None
        _PICKLES[key] = table
    return _PICKLES[key]


def split_reference(reference: str) -> tuple[Path, Optional[str]]:
    """`file.pkl#name` -> (file, name); any other path -> (path, None)."""
    for suffix in PICKLE_SUFFIXES:
        marker = f"{suffix}#"
        if marker in reference:
            head, _, name = reference.partition(marker)
            return Path(head + suffix), name
    return Path(reference), None


def read_keypoints(reference: str, frame: Optional[tuple[int, int]] = None) -> KeypointTrack:
    """Read one sample's keypoints; raises KeypointsUnavailable when absent or unreadable.
    `frame`: the (width, height) a pickle's or `.npy`'s coordinates are in (None: the video's
    pixels); a `.pose` file declares its own."""
    if not reference:
        raise KeypointsUnavailable("no keypoints file for this sample")
    path, name = split_reference(reference)
    if name is not None:
        table = load_pickle(path)
        if name not in table:
            raise KeypointsUnavailable(f"{path}: no entry '{name}'")
        return KeypointTrack(select_nla_slr_points(table[name], f"{path}#{name}"), frame)
    if not path.is_file():
        raise KeypointsUnavailable(f"{path}: missing")
    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise KeypointsUnavailable(f"{path}: unreadable ({error})") from None
        return KeypointTrack(select_nla_slr_points(array, str(path)), frame)
    if path.suffix == ".pose":
        from slrbench.data.pose_layouts import read_pose_file

        try:
            pose = read_pose_file(path)
        except UsageError as error:  # an unknown layout
            raise KeypointsUnavailable(str(error)) from None
        except (OSError, ValueError, EOFError, struct.error) as error:
            raise KeypointsUnavailable(f"{path}: unreadable .pose file ({error})") from None
        return KeypointTrack(pose.values, pose.frame_size)
    raise KeypointsUnavailable(f"{path}: unknown keypoint format (use .pkl#name, .pose or .npy)")


def has_keypoints(reference: str) -> bool:
    """Whether the reference names an existing file (and, for a pickle, an existing entry). A
    pickle that exists but is refused or unreadable counts as present: reading it says why."""
    if not reference:
        return False
    path, name = split_reference(reference)
    if name is None:
        return path.is_file()
    try:
        return name in load_pickle(path)
    except KeypointsUnavailable:
        return path.is_file()
