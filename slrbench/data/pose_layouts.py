"""Reading pose-format `.pose` files into the 63-point NLA-SLR layout.

Three layouts are recognised from the file's component names:

* COCO-WholeBody (133 points, in one component or in components that concatenate to 133):
  the 63 points are taken by index, exactly.
* MediaPipe Holistic (`POSE_LANDMARKS`, `FACE_LANDMARKS`, `LEFT_HAND_LANDMARKS`,
  `RIGHT_HAND_LANDMARKS`; full or reduced point sets): hands map one to one (same 21-point
  order). Body points map by name (nose, eyes, ears, shoulders, elbows, wrists). Approximations:
  the ten mouth points are the FaceMesh landmarks nearest to iBUG points 48, 50, ..., 66
  (61, 37, 267, 291, 314, 84, 78, 13, 308, 14); when the pose component lacks the face points
  (reduced files), the eyes are the middle of the FaceMesh eye corners (263/362, 33/133), the
  ears the FaceMesh face-contour points 454 / 234, the nose the FaceMesh nose tip 1 or 4.
* OpenPose BODY_25 + face 70 + hands (137 points): body and mouth by name or index, exact.

A point none of whose sources exists gets score 0 and is listed in `PoseKeypoints.missing`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slrbench.data.keypoint_layout import (
    COCO_WHOLEBODY_POINTS, HAND_POINT_NAMES, KEYPOINT_NAMES, MOUTH_IBUG_POINTS, NLA_SLR_KEYPOINTS,
)
from slrbench.errors import UsageError
from slrbench.optional import import_optional

Source = tuple[str, tuple[str, ...]]  # (component, point names averaged together)

_MP_HANDS = ("WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP", "INDEX_FINGER_PIP",
             "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP",
             "MIDDLE_FINGER_TIP", "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP",
             "PINKY_MCP", "PINKY_PIP", "PINKY_DIP", "PINKY_TIP")
_MP_MOUTH = ("61", "37", "267", "291", "314", "84", "78", "13", "308", "14")  # nearest to iBUG 48, 50, ..., 66
_MP_BODY: dict[str, list[Source]] = {
    "nose": [("POSE_LANDMARKS", ("NOSE",)), ("FACE_LANDMARKS", ("1",)), ("FACE_LANDMARKS", ("4",))],
    "left_eye": [("POSE_LANDMARKS", ("LEFT_EYE",)), ("FACE_LANDMARKS", ("263", "362"))],
    "right_eye": [("POSE_LANDMARKS", ("RIGHT_EYE",)), ("FACE_LANDMARKS", ("33", "133"))],
    "left_ear": [("POSE_LANDMARKS", ("LEFT_EAR",)), ("FACE_LANDMARKS", ("454",))],
    "right_ear": [("POSE_LANDMARKS", ("RIGHT_EAR",)), ("FACE_LANDMARKS", ("234",))],
}
_OP_BODY = {"nose": "Nose", "left_eye": "LEye", "right_eye": "REye", "left_ear": "LEar", "right_ear": "REar",
            "left_shoulder": "LShoulder", "right_shoulder": "RShoulder", "left_elbow": "LElbow",
            "right_elbow": "RElbow", "left_wrist": "LWrist", "right_wrist": "RWrist"}


def _mediapipe_sources() -> list[list[Source]]:
    sources: list[list[Source]] = []
    for side in ("LEFT", "RIGHT"):
        sources += [[(f"{side}_HAND_LANDMARKS", (name,))] for name in _MP_HANDS]
    sources += [[("FACE_LANDMARKS", (point,))] for point in _MP_MOUTH]
    for name in KEYPOINT_NAMES[-11:]:
        sources.append(_MP_BODY.get(name, [("POSE_LANDMARKS", (name.upper(),))]))
    return sources


def _openpose_sources() -> list[list[Source]]:
    sources: list[list[Source]] = []
    for side in ("left", "right"):
        sources += [[(f"hand_{side}_keypoints_2d", (f"#{i}",))] for i in range(len(HAND_POINT_NAMES))]
    sources += [[("face_keypoints_2d", (f"#{point}",))] for point in MOUTH_IBUG_POINTS]
    sources += [[("pose_keypoints_2d", (_OP_BODY[name],))] for name in KEYPOINT_NAMES[-11:]]
    return sources


@dataclass(frozen=True)
class PoseKeypoints:
    values: np.ndarray  # (T, 63, 3) float32: x, y in pixels of `frame_size`, score in [0, 1]
    frame_size: tuple[int, int]  # (width, height) of the coordinate space
    layout: str  # "coco-wholebody", "mediapipe-holistic" or "openpose"
    missing: tuple[str, ...]  # names of the 63 points the file cannot provide (score 0)
    fps: float


def read_pose_file(path: Path) -> PoseKeypoints:
    """A `.pose` file (first person) as (T, 63, 3) in the NLA-SLR layout."""
    Pose = import_optional("pose_format", f"reading the .pose file {path}").Pose
    pose = Pose.read(Path(path).read_bytes())
    components = [(c.name, list(c.points)) for c in pose.header.components]
    data = np.ma.getdata(pose.body.data)[:, 0, :, :2].astype(np.float32)  # (T, P, 2)
    mask = np.ma.getmaskarray(pose.body.data)[:, 0, :, 0]
    score = np.asarray(pose.body.confidence, dtype=np.float32)[:, 0, :] * ~mask  # (T, P)
    points = np.concatenate([data, score[..., None]], axis=-1)  # (T, P, 3)
    size = (int(pose.header.dimensions.width), int(pose.header.dimensions.height))
    names = [name for name, _ in components]
    total = sum(len(p) for _, p in components)
    if "POSE_LANDMARKS" in names or "LEFT_HAND_LANDMARKS" in names:
        layout, sources = "mediapipe-holistic", _mediapipe_sources()
    elif "pose_keypoints_2d" in names:
        layout, sources = "openpose", _openpose_sources()
    elif total == COCO_WHOLEBODY_POINTS or (components and len(components[0][1]) == COCO_WHOLEBODY_POINTS):
        values = points[:, list(NLA_SLR_KEYPOINTS)]
        return PoseKeypoints(values, size, "coco-wholebody", (), float(pose.body.fps))
    else:
        raise UsageError(
            f"{path}: unknown .pose layout (components {', '.join(names)}); use MediaPipe Holistic, "
            "OpenPose or COCO-WholeBody (133 points), or convert the keypoints to .npy (T, 133, 3)"
        )
    values, missing = _gather(points, components, sources)
    return PoseKeypoints(values, size, layout, missing, float(pose.body.fps))


def _gather(points: np.ndarray, components: list[tuple[str, list[str]]], sources: list[list[Source]]):
    offsets, lookup = 0, {}
    for name, point_names in components:
        for position, point in enumerate(point_names):
            lookup[(name, point)] = offsets + position
            lookup.setdefault((name, f"#{position}"), offsets + position)
        offsets += len(point_names)
    values = np.zeros((points.shape[0], len(sources), 3), dtype=np.float32)
    missing = []
    for channel, candidates in enumerate(sources):
        for component, names in candidates:
            indices = [lookup.get((component, name)) for name in names]
            if None not in indices:
                chosen = points[:, indices]  # (T, n, 3): average the positions, keep the weakest score
                values[:, channel, :2] = chosen[..., :2].mean(axis=1)
                values[:, channel, 2] = chosen[..., 2].min(axis=1)
                break
        else:
            missing.append(KEYPOINT_NAMES[channel])
    return values, tuple(missing)
