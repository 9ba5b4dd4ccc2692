"""The video of a batch, made on the training device from the frames the loader's workers decoded.

Workers decode a sample's window frames and ship them as uint8, as decoded, with the sample's draws
(crop box, colour jitter; `slrbench.data.loader`); shipping float32 video between processes and
converting it there cost the loader most of its time (benchmarks/perf/RESULTS.md). Here, on the
device the batch goes to, each sample's frames are cropped and resized, converted to float,
jittered and mapped to [-1, 1] - the same transforms, in the same order, as
`slrbench.data.transforms` applies to one clip, so a CPU gives the same video as making it in the
worker did; a GPU resizes in float instead of uint8 (no rounding to whole levels: at most 0.5/255
apart). Nothing here reads device values back to the host.

Frames of one batch are padded to a common (frames, height, width) when samples differ; each
sample's `count`, box and positions index into its own frames. To a GPU the workers ship YUV 4:2:0
planes where the decoder gives them (`slrbench.data.yuv`: half the bytes, and no colour conversion
in the worker); the device converts them to the same RGB first. A batch whose samples are not all
planes of one size is converted to RGB in the worker.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import default_collate

from slrbench.data.transforms import ColourJitter, CropBox, crop_and_resize_frames, to_model_range
from slrbench.data.yuv import YUV420Frames, i420_to_rgb

FRAMES = "video_frames"  # the batch key of the collated frames (removed when the video is made)


def sample_frames(frames: np.ndarray | YUV420Frames, positions: Sequence[Sequence[int]], box: CropBox,
                  jitter: Optional[ColourJitter]) -> dict[str, Any]:
    """One sample's part of the batch: (u, H, W, 3) uint8 RGB frames or their I420 planes (each decoded
    frame once), the (V, T) positions of every view's frames among them, its crop box and its jitter
    (None: none)."""
    planar = isinstance(frames, YUV420Frames)
    pixels = torch.from_numpy(np.ascontiguousarray(frames.planes if planar else frames))
    return {"frames": pixels, "full_range": frames.full_range if planar else None,
            "positions": torch.as_tensor(positions, dtype=torch.long),
            "box": (box.x0, box.y0, box.width, box.height), "jitter": jitter}


def collate_frames(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Samples' frames -> (B, u, H, W, 3) uint8 RGB, or (B, u, 3H/2, W) I420 planes with their (B,)
    "full_range" when every sample has planes of one size (padded to the most frames; in shared memory
    in a worker), (B,) counts, (B, V, T) positions, boxes and jitters."""
    frames = [sample["frames"] for sample in samples]
    ranges = [sample["full_range"] for sample in samples]
    planar = all(r is not None for r in ranges) and len({tuple(f.shape[1:]) for f in frames}) == 1
    if not planar:
        frames = [f if r is None else i420_to_rgb(f[None], [r])[0] for f, r in zip(frames, ranges)]
    shape = tuple(max(f.shape[d] for f in frames) for d in range(frames[0].dim()))
    padded = [f if tuple(f.shape) == shape else _padded(f, shape) for f in frames]
    collated = {"frames": default_collate(padded), "counts": [int(f.shape[0]) for f in frames],
                "positions": torch.stack([sample["positions"] for sample in samples]),
                "boxes": [sample["box"] for sample in samples], "jitters": [sample["jitter"] for sample in samples]}
    if planar:
        collated["full_range"] = torch.tensor(ranges)
    return collated


def _padded(frames: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    out = frames.new_zeros(shape)
    out[tuple(slice(0, n) for n in frames.shape)] = frames
    return out


def make_videos(collated: dict[str, Any], size: int, device: torch.device | str) -> list[torch.Tensor]:
    """Collated frames -> one (B, 3, T, size, size) float video in [-1, 1] per view, on `device`."""
    frames = collated["frames"].to(device, non_blocking=True)  # (B, u, H, W, 3) uint8, or I420 planes
    if "full_range" in collated:
        frames = i420_to_rgb(frames, collated["full_range"])
    positions = collated["positions"]  # (B, V, T), on the host
    batch, views, length = positions.shape
    videos = [torch.empty((batch, 3, length, size, size), dtype=torch.float32, device=frames.device)
              for _ in range(views)]
    for b in range(batch):
        x0, y0, width, height = collated["boxes"][b]
        box = CropBox(x0, y0, width, height)
        resized = crop_and_resize_frames(frames[b, :collated["counts"][b]], box, size)  # (u, 3, S, S)
        for view in range(views):
            index = positions[b, view].to(resized.device, non_blocking=True)
            videos[view][b].copy_(resized.index_select(0, index).permute(1, 0, 2, 3))  # (3, T, S, S) float
    for video in videos:
        video.mul_(1 / 255)  # [0, 1], as `frames_to_video`
    for b, jitter in enumerate(collated["jitters"]):
        if jitter is not None:
            for video in videos:
                video[b] = jitter.apply(video[b])
    return [to_model_range(video) for video in videos]
