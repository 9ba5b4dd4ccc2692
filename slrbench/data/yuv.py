"""YUV 4:2:0 frames as a loader's workers ship them to a GPU, and their conversion to RGB there.

A worker that converts decoded frames to RGB spends about a third of its time in that conversion
(libswscale), and ships twice the bytes. For a GPU run the workers ship the decoder's own planes
(`YUV420Frames`: I420, 1.5 bytes a pixel) and the device converts a whole batch at once
(`i420_to_rgb`). The conversion is the one libswscale's x86 code applies to 8-bit BT.601 4:2:0
(the colours of `yuv420p` and `yuvj420p` video unless tagged otherwise): each chroma sample serves
its 2 x 2 pixels, and the products are taken in 13-bit fixed point and floored as that code does,
so the RGB is the decoders' RGB bit for bit (tests/test_video_yuv.py compares it with PyAV's on
real video, on the machine it runs on: another CPU's libswscale code could round differently, by a
level). Anything else (other chroma layouts or colours, odd sizes) is converted in the worker.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

if TYPE_CHECKING:  # torch is imported where a batch is converted: the decoders' module stays light
    import torch

KR, KB = 0.299, 0.114  # BT.601 luma weights of red and blue
_FIXED = 1 << 13  # coefficients in 13-bit fixed point; samples are shifted left by 3 before a 16-bit high product

# libavutil's AVColorSpace codes that mean BT.601 colours (or none declared: swscale's default is BT.601)
_BT601_SPACES = {2, 5, 6}  # unspecified, BT470BG, SMPTE170M
_RANGES = {"yuv420p": False, "yuvj420p": True}  # pixel format -> full range; a yuv420p frame tagged full is not taken


@dataclass(frozen=True)
class YUV420Frames:
    """(t, 3H/2, W) uint8 I420 planes: H rows of Y, then U and V (each H/2 x W/2) packed row after row."""

    planes: np.ndarray
    full_range: bool

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return int(self.planes.shape[2]), int(self.planes.shape[1]) * 2 // 3


def planar_range(frame: Any) -> Optional[bool]:
    """Whether a decoded PyAV frame can travel as I420 and be converted on the device: None when not
    (then it is converted in the worker), else whether its samples are full range."""
    name = frame.format.name
    if name not in _RANGES or frame.width % 2 or frame.height % 2 or frame.colorspace not in _BT601_SPACES:
        return None
    full = _RANGES[name]
    if not full and frame.color_range == 2:  # yuv420p tagged full range (AVCOL_RANGE_JPEG): left to swscale
        return None
    return full


def _fixed_point(y_scale: float, chroma_scale: float) -> dict[str, int]:
    """The conversion's coefficients in 13-bit fixed point, for samples scaled by these factors."""
    kg = 1 - KR - KB
    weights = {"rv": 2 * (1 - KR), "bu": 2 * (1 - KB), "gu": 2 * (1 - KB) * KB / kg, "gv": 2 * (1 - KR) * KR / kg}
    return {"y": round(y_scale * _FIXED), **{name: round(w * chroma_scale * _FIXED) for name, w in weights.items()}}


LIMITED_RANGE = {**_fixed_point(255 / 219, 255 / 224), "y_offset": 16}  # Y in [16, 235], U and V in [16, 240]
FULL_RANGE = {**_fixed_point(1.0, 1.0), "y_offset": 0}


def _product(samples: torch.Tensor, coefficient: int) -> torch.Tensor:
    """The high 16 bits of (samples << 3) * coefficient, floored: the fixed-point product of the x86 code."""
    import torch

    return torch.div(samples * (8 * coefficient), 1 << 16, rounding_mode="floor")


def i420_to_rgb(planes: torch.Tensor, full_range: Sequence[bool] | torch.Tensor) -> torch.Tensor:
    """(B, t, 3H/2, W) uint8 I420 and each sample's range -> (B, t, H, W, 3) uint8 RGB, on the planes'
    device. The ranges are read on the host (the collated batch keeps them there): the coefficients
    are plain numbers, so converting copies nothing to the device and never waits for it."""
    import torch

    ranges = [bool(value) for value in (full_range.tolist() if isinstance(full_range, torch.Tensor) else full_range)]
    if len(set(ranges)) == 1:  # one range in the batch: one conversion
        return _converted(planes, FULL_RANGE if ranges[0] else LIMITED_RANGE)
    return torch.cat([_converted(planes[b:b + 1], FULL_RANGE if full else LIMITED_RANGE)
                      for b, full in enumerate(ranges)])


def _converted(planes: torch.Tensor, c: dict[str, int]) -> torch.Tensor:
    import torch

    batch, frames, rows, width = planes.shape
    height = rows * 2 // 3
    luma = planes[:, :, :height].to(torch.int32)
    chroma = planes[:, :, height:].reshape(batch, frames, 2, height // 2, width // 2).to(torch.int32) - 128
    u, v = chroma[:, :, 0], chroma[:, :, 1]
    y = _product(luma - c["y_offset"], c["y"])  # below black (Y < 16) stays negative, as in the x86 code

    def full_size(term: torch.Tensor) -> torch.Tensor:  # a chroma term for each of its 2 x 2 pixels
        return term.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)

    red = y + full_size(_product(v, c["rv"]))
    green = y + full_size(_product(u, -c["gu"]) + _product(v, -c["gv"]))
    blue = y + full_size(_product(u, c["bu"]))
    return torch.stack([red, green, blue], dim=-1).clamp_(0, 255).to(torch.uint8)
