"""Keypoints and skeleton drawn over a frame, and the heatmaps the backbone gets beside it.

The 63 channels are NLA-SLR's (`slrbench.data.keypoint_layout`): left hand 0-20, right hand
21-41, mouth 42-51 (iBUG 48, 50, ..., 66), upper body 52-62. A point scoring at least the
threshold is a filled dot on its limb's colour; one below it (or with score 0: not found) is a
hollow grey ring, and its bones are not drawn. The heatmap panel is the maximum over the 63 maps
(`slrbench.data.heatmaps`, the same threshold) of the whole frame at the backbone's heatmap size.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from slrbench.data.keypoint_layout import NUM_KEYPOINTS

_HAND = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10), (10, 11), (11, 12),
         (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20), (5, 9), (9, 13), (13, 17)]
_OUTER_LIP, _INNER_LIP = [42, 43, 44, 45, 46, 47], [48, 49, 50, 51]
_BODY = [(52, 53), (52, 54), (53, 55), (54, 56), (57, 58), (57, 59), (59, 61), (58, 60), (60, 62)]


def _ring(points: list[int]) -> list[tuple[int, int]]:
    return list(zip(points, points[1:] + points[:1]))


# (bone, colour): left hand, right hand, mouth, body, and the body's wrists to the hands' wrists
SKELETON: list[tuple[tuple[int, int], tuple[int, int, int]]] = (
    [(bone, (255, 140, 0)) for bone in _HAND]
    + [((a + 21, b + 21), (30, 144, 255)) for a, b in _HAND]
    + [(bone, (255, 60, 160)) for bone in _ring(_OUTER_LIP) + _ring(_INNER_LIP)]
    + [(bone, (50, 205, 50)) for bone in _BODY + [(61, 0), (62, 21)]]
)
POINT_COLOURS = [(255, 140, 0)] * 21 + [(30, 144, 255)] * 21 + [(255, 60, 160)] * 10 + [(50, 205, 50)] * 11
LOW_SCORE_COLOUR = (160, 160, 160)
assert len(POINT_COLOURS) == NUM_KEYPOINTS


def draw_keypoints(frame: np.ndarray, points: np.ndarray, threshold: float) -> np.ndarray:
    """(H, W, 3) uint8 and (63, 3) x, y, score in its pixels -> a copy with the skeleton drawn."""
    image = Image.fromarray(frame)
    pen = ImageDraw.Draw(image)
    radius = max(2, round(min(frame.shape[:2]) / 150))
    good = (points[:, 2] >= threshold) & (points[:, 2] > 0) & np.isfinite(points[:, :2]).all(axis=1)
    for (a, b), colour in SKELETON:
        if good[a] and good[b]:
            pen.line([tuple(points[a, :2]), tuple(points[b, :2])], fill=colour, width=max(1, radius // 2))
    for index, (x, y, _) in enumerate(points):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        box = [x - radius, y - radius, x + radius, y + radius]
        if good[index]:
            pen.ellipse(box, fill=POINT_COLOURS[index], outline=(255, 255, 255))
        else:
            pen.ellipse(box, outline=LOW_SCORE_COLOUR, width=1)
    return np.asarray(image)


def heatmap_panels(points: np.ndarray, frame_size: tuple[int, int], heatmap_size: int, threshold: float) -> np.ndarray:
    """(T, 63, 3) in frame pixels -> (T, S, S, 3) uint8: the maximum over the 63 heatmaps of the whole
    frame (the test view) at S = `heatmap_size`, coloured from black (-1) through red to yellow (1)."""
    from slrbench.data.heatmaps import REFERENCE_SIGMA_AT_112, heatmaps_from_keypoints
    from slrbench.data.transforms import CropBox, crop_keypoints

    box = CropBox.for_test(frame_size, "full")
    grid = crop_keypoints(points, box, heatmap_size)[None]  # (1, T, 63, 3) on the heatmap grid
    sigma = REFERENCE_SIGMA_AT_112 * heatmap_size / 112  # the backbones' default σ, at this size
    maps = heatmaps_from_keypoints(grid, heatmap_size, sigma, score_threshold=threshold)
    level = ((maps[0].amax(dim=0) + 1) / 2).clamp(0, 1).numpy()  # (1, 63, T, S, S) -> (T, S, S) in [0, 1]
    colour = np.stack([np.clip(2 * level, 0, 1), np.clip(2 * level - 1, 0, 1), np.zeros_like(level)], axis=-1)
    return (colour * 255).astype(np.uint8)


def side_by_side(frame: np.ndarray, panel: np.ndarray) -> np.ndarray:
    """The frame with the heatmap panel resized to its height on the right: (H, W + H, 3)."""
    height = frame.shape[0]
    resized = np.asarray(Image.fromarray(panel).resize((height, height), Image.NEAREST))
    return np.concatenate([frame, resized], axis=1)
