"""How broken a sample's keypoint track looks, for `data check --show-worst N`: a few per-sample
fractions and one badness score to rank samples by, so that a user sees the worst tracks (drawn by
`slrbench show`'s machinery) before blaming the model.

Per track of T frames of the 63 NLA-SLR keypoints (x, y in pixels of `frame`, score):
* a hand is *missing* in a frame when fewer than half of its 21 points score at least the
  threshold (or are not finite); `left_hand_missing` / `right_hand_missing` are the fractions of
  frames where it is;
* `outside` is the fraction of confident points (score >= threshold) lying more than `margin` of
  the frame's width or height beyond its edges (0 when the frame is unknown);
* `confident` is the fraction of all point-frames scoring at least the threshold, and
  `mean_score` the mean score (clipped to [0, 1]; a point that is not finite scores 0).

    badness = (hands_missing + outside + (1 - confident)) / 3,   hands_missing = (left + right) / 2

Each term is in [0, 1], so badness is too: 0 for a clean track, about 0.9 for a track with both
hands lost and the rest of the points outside the frame. Missing hands also lower `confident`;
the overlap is deliberate (a track without hands is the commonest broken one and should rank high).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

LEFT_HAND, RIGHT_HAND = slice(0, 21), slice(21, 42)  # channels of the 63 (slrbench.data.keypoint_layout)
HAND_PRESENT_FRACTION = 0.5  # a hand is there in a frame when at least half its points are confident
SCORE_THRESHOLD = 0.3  # as `slrbench show` and data check's outside-frame rule
MARGIN = 0.1  # of the frame's size, as data check's outside-frame rule
# When a term becomes a reason printed beside the sample (the score ranks either way).
MISSING_REASON = 0.5  # a hand missing in most frames
OUTSIDE_REASON = 0.1
CONFIDENT_REASON = 0.5


@dataclass
class KeypointQuality:
    sample_id: str
    frames: int
    left_hand_missing: float
    right_hand_missing: float
    outside: float
    confident: float
    mean_score: float
    badness: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {key: (round(value, 4) if isinstance(value, float) else value) for key, value in asdict(self).items()}


def keypoint_quality(sample_id: str, values: np.ndarray, frame: Optional[tuple[int, int]],
                     threshold: float = SCORE_THRESHOLD, margin: float = MARGIN) -> KeypointQuality:
    """(T, 63, 3) x, y in pixels of `frame` (width, height; None: unknown), score -> its quality."""
    values = np.asarray(values, np.float32)
    finite = np.isfinite(values).all(axis=-1)  # (T, 63)
    scores = np.where(finite, np.clip(np.nan_to_num(values[..., 2]), 0, 1), 0.0)
    good = finite & (scores >= threshold) & (scores > 0)  # (T, 63)
    left = float((good[:, LEFT_HAND].mean(axis=1) < HAND_PRESENT_FRACTION).mean())
    right = float((good[:, RIGHT_HAND].mean(axis=1) < HAND_PRESENT_FRACTION).mean())
    outside = 0.0
    if frame is not None and good.any():
        size = np.asarray(frame, np.float32)
        xy = values[good][:, :2]  # (n, 2)
        outside = float(((xy < -margin * size) | (xy > (1 + margin) * size)).any(axis=1).mean())
    confident = float(good.mean())
    badness = ((left + right) / 2 + outside + (1 - confident)) / 3
    quality = KeypointQuality(sample_id, int(values.shape[0]), left, right, outside, confident,
                              float(scores.mean()), float(badness))
    quality.reasons = _reasons(quality, frame is not None)
    return quality


def _reasons(quality: KeypointQuality, frame_known: bool) -> list[str]:
    reasons = []
    for side, missing in (("left", quality.left_hand_missing), ("right", quality.right_hand_missing)):
        if missing > MISSING_REASON:
            reasons.append(f"{side} hand missing in {missing:.0%} of frames")
    if quality.outside >= OUTSIDE_REASON:
        reasons.append(f"{quality.outside:.0%} of confident points outside the frame")
    if quality.confident < CONFIDENT_REASON:
        reasons.append(f"only {quality.confident:.0%} of points confident (mean score {quality.mean_score:.2f})")
    if not frame_known:
        reasons.append("frame unknown (no video): outside not checked")
    return reasons


def worst_tracks(qualities: list[KeypointQuality], count: int) -> list[KeypointQuality]:
    """The `count` highest badness scores, worst first (ties by sample id, so the order is stable)."""
    return sorted(qualities, key=lambda quality: (-quality.badness, quality.sample_id))[:count]
