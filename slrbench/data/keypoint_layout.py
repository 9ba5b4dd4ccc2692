"""The 63 keypoints NLA-SLR uses, as indices into the 133-point COCO-WholeBody layout.

Channel order is the reference's (its `Dataset.load_keypoints` iterates the sorted part names):
both hands (91-132: left hand 91-111, right hand 112-132), every second mouth point (71, 73, ..., 89),
then the upper body (0-10: nose, eyes, ears, shoulders, elbows, wrists).
"""
from __future__ import annotations

HAND_INDICES = tuple(range(91, 133))
MOUTH_HALF_INDICES = tuple(range(71, 90, 2))
UPPER_BODY_INDICES = tuple(range(0, 11))
NLA_SLR_KEYPOINTS: tuple[int, ...] = HAND_INDICES + MOUTH_HALF_INDICES + UPPER_BODY_INDICES
NUM_KEYPOINTS = len(NLA_SLR_KEYPOINTS)  # 63
COCO_WHOLEBODY_POINTS = 133

# Names of the 63 channels, for reports and the .pose mappings.
BODY_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
              "left_elbow", "right_elbow", "left_wrist", "right_wrist")
HAND_POINT_NAMES = (
    "wrist", "thumb_1", "thumb_2", "thumb_3", "thumb_4", "index_1", "index_2", "index_3", "index_4",
    "middle_1", "middle_2", "middle_3", "middle_4", "ring_1", "ring_2", "ring_3", "ring_4",
    "pinky_1", "pinky_2", "pinky_3", "pinky_4",
)
# COCO-WholeBody face points 23-90 are the 68-point iBUG layout; 71 + 2k is iBUG point 48 + 2k.
MOUTH_IBUG_POINTS = tuple(index - 23 for index in MOUTH_HALF_INDICES)  # 48, 50, ..., 66
KEYPOINT_NAMES: tuple[str, ...] = (
    tuple(f"left_hand_{name}" for name in HAND_POINT_NAMES)
    + tuple(f"right_hand_{name}" for name in HAND_POINT_NAMES)
    + tuple(f"mouth_ibug_{point}" for point in MOUTH_IBUG_POINTS)
    + BODY_NAMES
)
assert NUM_KEYPOINTS == 63 and len(KEYPOINT_NAMES) == 63

# The paper's keypoint groups (Table 11), as channels of the 63 above.
KEYPOINT_GROUPS: dict[str, tuple[int, ...]] = {
    "hands": tuple(range(0, 42)),
    "mouth": tuple(range(42, 52)),
    "upper-body": tuple(range(52, 63)),
}


def keypoint_group_channels(groups: "tuple[str, ...] | list[str]") -> "tuple[int, ...] | None":
    """The channels of these groups in layout order; None when they are all 63 (no selection)."""
    chosen = sorted({channel for group in groups for channel in KEYPOINT_GROUPS[group]})
    return None if len(chosen) == NUM_KEYPOINTS else tuple(chosen)
