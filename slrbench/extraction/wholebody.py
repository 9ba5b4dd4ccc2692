"""The 133-point COCO-WholeBody layout and how MediaPipe Holistic's landmarks map onto it.

COCO-WholeBody: 0-16 body (COCO's 17), 17-22 feet, 23-90 face (the 68-point iBUG layout),
91-111 left hand, 112-132 right hand (the signer's left and right). MediaPipe's 21-point hands
have the same order as COCO-WholeBody's, and its pose has every COCO body point by name.

Approximations (docs/keypoints.md):
* feet: the big toes are MediaPipe's `*_FOOT_INDEX` (the tip of the foot); MediaPipe has no small
  toes, which get score 0;
* face: each iBUG point is the FaceMesh landmark nearest to it (no FaceMesh landmark is exactly
  an iBUG point); the mouth (iBUG 48-67, which NLA-SLR uses) is the closest of these.
"""
from __future__ import annotations

NUM_POINTS = 133
FACE_OFFSET, LEFT_HAND_OFFSET, RIGHT_HAND_OFFSET = 23, 91, 112

# COCO body order -> MediaPipe pose landmark index.
BODY_FROM_MEDIAPIPE_POSE = (
    0,  # nose
    2, 5,  # left eye, right eye
    7, 8,  # left ear, right ear
    11, 12, 13, 14, 15, 16,  # shoulders, elbows, wrists (left, right)
    23, 24, 25, 26, 27, 28,  # hips, knees, ankles (left, right)
)
# COCO feet 17-22: left big toe, left small toe, left heel, right big toe, right small toe, right heel.
FEET_FROM_MEDIAPIPE_POSE: tuple[int | None, ...] = (31, None, 29, 32, None, 30)

# iBUG 68 -> nearest FaceMesh (468-point) landmark: jaw 0-16, brows 17-26, nose 27-35,
# eyes 36-47 (the signer's right eye first), outer lips 48-59, inner lips 60-67.
FACE_FROM_FACEMESH = (
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    78, 82, 13, 312, 308, 317, 14, 87,
)
assert len(BODY_FROM_MEDIAPIPE_POSE) == 17 and len(FACE_FROM_FACEMESH) == 68
