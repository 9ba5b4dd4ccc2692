"""Keypoint files: the reference pickle, pose-format `.pose` and `.npy`, read as (T, 63, 3).

A manifest's `keypoints` value is one of
* `file.pkl#name`: the reference's pickle, {video name: float array (T, 133, 3) of x, y, score}
  in COCO-WholeBody order (arrays of (T, 63, 3) are taken as already selected);
* `file.pose`: pose-format (see `slrbench.data.pose_layouts` for the layouts and approximations);
* `file.npy`: a (T, 133, 3) or (T, 63, 3) array; (T, K, 2) without scores gets score 1.
Coordinates are pixels of the video frame (for `.pose`, of the file's declared frame size).
"""
from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from slrbench.data.keypoint_layout import COCO_WHOLEBODY_POINTS, NLA_SLR_KEYPOINTS, NUM_KEYPOINTS
from slrbench.errors import UsageError

PICKLE_SUFFIXES = (".pkl", ".pickle")


class KeypointsUnavailable(Exception):
    """A sample's keypoints are missing or unreadable (the loader skips and counts the sample)."""


@dataclass(frozen=True)
class KeypointTrack:
    values: np.ndarray  # (T, 63, 3) float32: x, y in pixels, score
    frame_size: Optional[tuple[int, int]] = None  # (width, height) of the coordinates; None: the video's


def select_nla_slr_points(array: Any, where: str) -> np.ndarray:
    """(T, 133 | 63, 2 | 3) -> (T, 63, 3) float32 in the NLA-SLR channel order."""
    values = np.asarray(array, dtype=np.float32)
    if values.ndim != 3 or values.shape[2] not in (2, 3) or values.shape[1] not in (COCO_WHOLEBODY_POINTS, NUM_KEYPOINTS):
        raise KeypointsUnavailable(f"{where}: expected (T, 133, 3) or (T, 63, 3), got {values.shape}")
    if values.shape[1] == COCO_WHOLEBODY_POINTS:
        values = values[:, list(NLA_SLR_KEYPOINTS)]
    if values.shape[2] == 2:
        values = np.concatenate([values, np.ones_like(values[..., :1])], axis=-1)
    return np.ascontiguousarray(values)


_PICKLES: dict[str, dict[str, Any]] = {}


def load_pickle(path: Path) -> dict[str, Any]:
    """The whole pickle, cached per process (load it before starting workers to share it)."""
    key = str(path)
    if key not in _PICKLES:
        try:
            with open(path, "rb") as handle:
                table = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError) as error:
            raise KeypointsUnavailable(f"{path}: cannot read the keypoint pickle ({error})") from None
        if not isinstance(table, dict):
            raise KeypointsUnavailable(f"{path}: expected a dict {{video name: (T, 133, 3) array}}")
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


def read_keypoints(reference: str) -> KeypointTrack:
    """Read one sample's keypoints; raises KeypointsUnavailable when absent or unreadable."""
    if not reference:
        raise KeypointsUnavailable("no keypoints file for this sample")
    path, name = split_reference(reference)
    if name is not None:
        table = load_pickle(path)
        if name not in table:
            raise KeypointsUnavailable(f"{path}: no entry '{name}'")
        return KeypointTrack(select_nla_slr_points(table[name], f"{path}#{name}"))
    if not path.is_file():
        raise KeypointsUnavailable(f"{path}: missing")
    if path.suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise KeypointsUnavailable(f"{path}: unreadable ({error})") from None
        return KeypointTrack(select_nla_slr_points(array, str(path)))
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
    """Whether the reference names an existing file (and, for a pickle, an existing entry)."""
    if not reference:
        return False
    path, name = split_reference(reference)
    if name is None:
        return path.is_file()
    try:
        return name in load_pickle(path)
    except KeypointsUnavailable:
        return False
