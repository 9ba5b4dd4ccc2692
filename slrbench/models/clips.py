"""The 32-frame clip that VKNet-32 sees, derived from the loader's 64-frame clip (NLA-SLR Sec. 3.1).

`window` (the paper): a random sub-window of half the length per sample in training, the central
one in evaluation, the same window for video and keypoints of a sample. `stride` (Table 13's
SlowFast-like variant): every second frame, in training and evaluation alike.
"""
from __future__ import annotations

from typing import Literal

import torch

ShortClip = Literal["window", "stride"]


def short_clip_starts(batch: int, frames: int, training: bool, device: torch.device | str = "cpu") -> torch.Tensor:
    """(B,) start frame of each sample's half-length window: random in training, central otherwise."""
    length = frames // 2
    if training:
        return torch.randint(0, frames - length + 1, (batch,)).to(device)
    return torch.full((batch,), (frames - length) // 2, dtype=torch.long, device=device)


def take_short_clip(clip: torch.Tensor, time_dim: int, mode: ShortClip, starts: torch.Tensor | None) -> torch.Tensor:
    """Half of `clip` along `time_dim` (dim 0 is the batch): every second frame, or the window of
    half the length starting at `starts[b]` for sample b."""
    frames = clip.shape[time_dim]
    if mode == "stride":
        index = torch.arange(0, frames - frames % 2, 2, device=clip.device)
        return clip.index_select(time_dim, index)
    if starts is None:
        raise ValueError("window mode needs the start frame of each sample")
    length = frames // 2
    values = starts.tolist()
    if len(set(values)) == 1:  # one window for the whole batch (evaluation): a single slice
        return clip.narrow(time_dim, values[0], length)
    # (B, ..., T, ...) -> per-sample windows stacked back: (B, ..., T/2, ...)
    return torch.stack([clip[b].narrow(time_dim - 1, start, length) for b, start in enumerate(values)])
