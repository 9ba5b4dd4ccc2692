"""The skeleton graph of the 63 NLA-SLR keypoints, and its normalised adjacency (ST-GCN).

Channel order of the 63 points (NLA-SLR's subset of COCO-WholeBody):
    0..20   left hand   (WholeBody 91..111)
    21..41  right hand  (WholeBody 112..132)
    42..51  mouth       (WholeBody 71, 73, ..., 89: every second mouth point)
    52..62  upper body  (WholeBody / COCO body 0..10: nose, eyes, ears, shoulders, elbows, wrists)
Each hand uses the standard 21-point layout: wrist 0, then four chains of four points from the
wrist (thumb 1-4, index 5-8, middle 9-12, ring 13-16, pinky 17-20).
"""
from __future__ import annotations

import torch

NLA_SLR_NUM_KEYPOINTS = 63
LEFT_HAND, RIGHT_HAND, MOUTH, BODY = 0, 21, 42, 52  # first channel of each part
MOUTH_POINTS = 10

# Within one 21-point hand: the wrist joins each finger's base, then each finger is a chain of 4.
FINGER_BASES = (1, 5, 9, 13, 17)  # thumb, index, middle, ring, pinky
HAND_EDGES = tuple((0, base) for base in FINGER_BASES) + tuple(
    (joint, joint + 1) for base in FINGER_BASES for joint in range(base, base + 3)
)
# COCO body skeleton among points 0..10: face (nose-eyes-ears), ears-shoulders, shoulders, arms.
BODY_EDGES = ((0, 1), (0, 2), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10))
BODY_NOSE, BODY_LEFT_WRIST, BODY_RIGHT_WRIST = 0, 9, 10
MOUTH_UPPER_LIP = 1  # WholeBody 73, on the upper outer lip: the mouth point we join to the nose


def nla_slr_edges() -> list[tuple[int, int]]:
    """Undirected edges of the 63-point skeleton, in channel indices; every part is joined to the body."""
    edges = [(LEFT_HAND + a, LEFT_HAND + b) for a, b in HAND_EDGES]
    edges += [(RIGHT_HAND + a, RIGHT_HAND + b) for a, b in HAND_EDGES]
    edges += [(MOUTH + i, MOUTH + (i + 1) % MOUTH_POINTS) for i in range(MOUTH_POINTS)]  # a closed loop
    edges += [(BODY + a, BODY + b) for a, b in BODY_EDGES]
    edges += [
        (BODY + BODY_LEFT_WRIST, LEFT_HAND),  # body wrist -> hand wrist (two detectors see the same joint)
        (BODY + BODY_RIGHT_WRIST, RIGHT_HAND),
        (BODY + BODY_NOSE, MOUTH + MOUTH_UPPER_LIP),
    ]
    return edges


def normalized_adjacency(num_keypoints: int) -> torch.Tensor:
    """D^-1/2 (A + I) D^-1/2 as a (K, K) float tensor (Kipf & Welling; ST-GCN's spatial graph).

    For the 63 NLA-SLR points A is the skeleton above. For any other keypoint layout we know no
    skeleton, so A is empty and the graph is self-loops only (the identity); the network's
    learnable residual adjacency then has to discover which points interact.
    """
    adjacency = torch.eye(num_keypoints, dtype=torch.float64)  # (K, K): A + I
    if num_keypoints == NLA_SLR_NUM_KEYPOINTS:
        for a, b in nla_slr_edges():
            adjacency[a, b] = adjacency[b, a] = 1.0
    inverse_sqrt_degree = adjacency.sum(dim=1).rsqrt()  # (K,)
    normalized = inverse_sqrt_degree[:, None] * adjacency * inverse_sqrt_degree[None, :]
    return normalized.float()
