"""Drawn frames as an MP4 (H.264 through PyAV) or a GIF (Pillow), and a PNG contact sheet; each
file written atomically (a temporary name with the same suffix, then renamed)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from slrbench.errors import UsageError
from slrbench.files import atomic_path

FORMATS = (".mp4", ".gif")


def write_animation(frames: list[np.ndarray], path: Path, fps: float) -> None:
    """(H, W, 3) uint8 frames -> `path` (.mp4 or .gif, by its suffix)."""
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"--out {path}: use a .mp4 or .gif file name")
    with atomic_path(path) as temporary:
        if path.suffix.lower() == ".gif":
            images = [Image.fromarray(frame) for frame in frames]
            images[0].save(temporary, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
        else:
            _write_mp4(frames, temporary, fps)


def _write_mp4(frames: list[np.ndarray], path: Path, fps: float) -> None:
    import av
    from fractions import Fraction

    height, width = (size - size % 2 for size in frames[0].shape[:2])  # yuv420p needs even sizes
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(round(fps * 1000), 1000))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:height, :width]), format="rgb24")
            for packet in stream.encode(picture):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_contact_sheet(frames: list[np.ndarray], labels: list[str], path: Path, tiles: int, width: int = 1600) -> None:
    """Up to `tiles` frames, evenly spaced, in a grid about `width` pixels wide, each with its label."""
    from PIL import ImageDraw

    chosen = sorted({int(round(i)) for i in np.linspace(0, len(frames) - 1, min(tiles, len(frames)))})
    columns = min(len(chosen), 4)
    rows = math.ceil(len(chosen) / columns)
    tile_width = max(1, width // columns)
    scale = tile_width / frames[0].shape[1]
    tile_height = max(1, round(frames[0].shape[0] * scale))
    sheet = Image.new("RGB", (columns * tile_width, rows * tile_height), (255, 255, 255))
    pen = ImageDraw.Draw(sheet)
    for slot, index in enumerate(chosen):
        x, y = (slot % columns) * tile_width, (slot // columns) * tile_height
        sheet.paste(Image.fromarray(frames[index]).resize((tile_width, tile_height), Image.BILINEAR), (x, y))
        pen.text((x + 4, y + 4), labels[index], fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
    with atomic_path(path) as temporary:
        sheet.save(temporary, format="PNG")
