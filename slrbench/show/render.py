"""One clip -> the drawn frames (keypoints over the frame, heatmaps beside it) -> an animation and a
contact sheet. Frames are scaled to `height` pixels first, so large videos make small files."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from slrbench.show.clip import Clip
from slrbench.show.draw import draw_keypoints, heatmap_panels, side_by_side
from slrbench.show.write import write_animation, write_contact_sheet


@dataclass
class Rendered:
    animation: Path
    sheet: Path
    frames: int
    low_score_points: int  # point-frames under the threshold (drawn as grey rings)


def sheet_path(animation: Path) -> Path:
    return animation.with_name(animation.stem + ".sheet.png")


def render_clip(clip: Clip, out: Path, *, threshold: float, heatmap_size: int, height: int, fps: float,
                tiles: int) -> Rendered:
    scale = height / clip.frames.shape[1]
    size = (max(2, round(clip.frames.shape[2] * scale)), height)
    points = clip.keypoints.copy()
    points[..., 0] = (points[..., 0] + 0.5) * scale - 0.5  # half-pixel aligned, as the loader rescales
    points[..., 1] = (points[..., 1] + 0.5) * scale - 0.5
    panels = heatmap_panels(points, size, heatmap_size, threshold)  # (T, S, S, 3)
    drawn = []
    for frame, frame_points, panel in zip(clip.frames, points, panels):
        small = np.asarray(Image.fromarray(frame).resize(size, Image.BILINEAR))
        drawn.append(side_by_side(draw_keypoints(small, frame_points, threshold), panel))
    write_animation(drawn, out, fps)
    labels = [f"{clip.name} frame {index}" for index in clip.frame_indices]
    write_contact_sheet(drawn, labels, sheet_path(out), tiles)
    low = int(((points[..., 2] < threshold) | (points[..., 2] <= 0)).sum())
    return Rendered(out, sheet_path(out), len(drawn), low)
