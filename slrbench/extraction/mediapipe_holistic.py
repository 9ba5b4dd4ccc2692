"""MediaPipe Holistic as a keypoint extractor, mapped to COCO-WholeBody (`slrbench.extraction.wholebody`).

The model ships in the `mediapipe` wheel (pose model "full", `model_complexity=1`), so it runs
offline. One Holistic graph per video: it tracks within a video and starts afresh for the next.
Scores: pose points carry MediaPipe's visibility; hand and face points score 1 when the hand or
face was found in the frame and 0 otherwise (MediaPipe gives them no per-point confidence).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Iterable

import numpy as np

from slrbench.errors import UsageError
from slrbench.interfaces import ExtractorContext
from slrbench.extraction.wholebody import (
    BODY_FROM_MEDIAPIPE_POSE, FACE_FROM_FACEMESH, FACE_OFFSET, FEET_FROM_MEDIAPIPE_POSE, LEFT_HAND_OFFSET,
    NUM_POINTS, RIGHT_HAND_OFFSET,
)

_POSE_MODELS = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}
_FEET = [(17 + i, source) for i, source in enumerate(FEET_FROM_MEDIAPIPE_POSE) if source is not None]
_POSE_TARGETS = np.array(list(range(17)) + [target for target, _ in _FEET])
_POSE_SOURCES = np.array(list(BODY_FROM_MEDIAPIPE_POSE) + [source for _, source in _FEET])
_FACE_SOURCES = np.array(FACE_FROM_FACEMESH)


class MediaPipeHolisticExtractor:
    """Frames -> (T, 133, 3) with MediaPipe Holistic (CPU; MediaPipe's Python API has no GPU path)."""

    def __init__(self, config, context: ExtractorContext):
        import mediapipe as mp

        self.config = config
        self._holistic = mp.solutions.holistic
        if context.device != "cpu":
            warnings.warn(f"device {context.device!r}: MediaPipe's Python solutions run on the CPU only",
                          RuntimeWarning, stacklevel=2)
        model = Path(mp.__file__).parent / "modules" / "pose_landmark" / _POSE_MODELS[config.model_complexity]
        if not model.is_file():
            raise UsageError(
                f"extractor.model_complexity={config.model_complexity}: {model.name} is not in the mediapipe "
                "wheel and would be downloaded; use model_complexity=1 (bundled) offline"
            )

    def extract(self, chunks: Iterable[np.ndarray]) -> np.ndarray:
        rows: list[np.ndarray] = []
        config = self.config
        with self._holistic.Holistic(
            static_image_mode=config.static_image_mode,
            model_complexity=config.model_complexity,
            smooth_landmarks=config.smooth_landmarks,
            refine_face_landmarks=config.refine_face_landmarks,
            min_detection_confidence=config.min_detection_confidence,
            min_tracking_confidence=config.min_tracking_confidence,
        ) as holistic:
            for chunk in chunks:
                for frame in chunk:
                    height, width = frame.shape[:2]
                    rows.append(to_wholebody(holistic.process(np.ascontiguousarray(frame)), width, height))
        return np.stack(rows) if rows else np.zeros((0, NUM_POINTS, 3), dtype=np.float32)


def _landmarks(landmark_list, with_visibility: bool) -> np.ndarray:
    """A MediaPipe landmark list -> (n, 3) x, y (normalised), score."""
    return np.array([(p.x, p.y, p.visibility if with_visibility else 1.0) for p in landmark_list.landmark],
                    dtype=np.float32)


def to_wholebody(results, width: int, height: int) -> np.ndarray:
    """One frame's Holistic results -> (133, 3) x, y in pixels, score; absent parts score 0."""
    points = np.zeros((NUM_POINTS, 3), dtype=np.float32)
    if results.pose_landmarks is not None:
        pose = _landmarks(results.pose_landmarks, with_visibility=True)
        points[_POSE_TARGETS] = pose[_POSE_SOURCES]
    if results.face_landmarks is not None:
        face = _landmarks(results.face_landmarks, with_visibility=False)
        points[FACE_OFFSET:FACE_OFFSET + len(_FACE_SOURCES)] = face[_FACE_SOURCES]
    for hand, offset in ((results.left_hand_landmarks, LEFT_HAND_OFFSET),
                         (results.right_hand_landmarks, RIGHT_HAND_OFFSET)):
        if hand is not None:
            points[offset:offset + 21] = _landmarks(hand, with_visibility=False)
    points[:, 0] *= width
    points[:, 1] *= height
    points[:, 2] = np.clip(points[:, 2], 0.0, 1.0)
    return points
