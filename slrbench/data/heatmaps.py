"""Keypoint heatmaps drawn on the device from coordinates (NLA-SLR Sec. 3.1).

Each keypoint k of frame t becomes a map K_t[i, j, k] = exp(-((j - x)^2 + (i - y)^2) / 2σ^2) over
pixel rows i and columns j, scaled from [0, 1] to [-1, 1] as the reference does. A 2-D Gaussian
is the product of two 1-D Gaussians, so every map is the outer product of a column profile
(over i) and a row profile (over j): H + W exponentials per keypoint instead of H * W, and one
pass that writes the output. `benchmarks/perf/heatmaps.py` compares this
with the dense formula.

Coordinates are in heatmap pixels: pixel j's centre is at x = j (the reference's convention).
A keypoint whose score is below `score_threshold`, or is exactly 0 (what keypoint files use for
a point that was not found, e.g. MediaPipe's hands out of view), or whose x or y is not finite,
gives an empty map (all -1). With the default threshold 0 every other point is drawn, as the
reference does with HRNet keypoints (whose scores are never exactly 0).

The reference draws σ = 8 px on its 256² frames, then crops the video's box and resizes to 112²:
at 112² the Gaussian is 3.5 px wide for the whole frame and wider by the crop's zoom (frame size /
box size) along each axis, so a crop's maps take a per-sample (B, 2) σ (x, y); `sigma_for_crop`.
"""
from __future__ import annotations

from typing import Union

import torch

# The reference draws σ = 8 px on 256² maps and resizes them to 112²: σ = 3.5 px at 112².
REFERENCE_SIGMA_AT_112 = 8.0 * 112 / 256

Sigma = Union[float, torch.Tensor]  # one σ, or (B, 2): σx, σy per sample


def sigma_for_crop(sigma: float, zoom: torch.Tensor | None) -> Sigma:
    """σ of the whole frame's maps -> σ of a crop's: (B, 2) σ·zoom (x, y), the reference's Gaussians
    drawn on the frame and resized with the box. No zoom (None): the whole frame, σ itself."""
    if zoom is None:
        return sigma
    if zoom.dim() != 2 or zoom.shape[-1] != 2:
        raise ValueError(f"keypoint_zoom must be (B, 2) frame / box sizes (x, y); got {tuple(zoom.shape)}")
    return zoom.to(torch.float32) * sigma


def _axis_scales(sigma: Sigma, batch: int, device: torch.device) -> tuple[Sigma, Sigma]:
    """-1 / 2σ² along x and along y: floats, or (B, 1, 1, 1) tensors for per-sample σ."""
    if not isinstance(sigma, torch.Tensor):
        if sigma <= 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        return -0.5 / (sigma * sigma), -0.5 / (sigma * sigma)
    if tuple(sigma.shape) != (batch, 2):
        raise ValueError(f"a per-sample sigma must be ({batch}, 2) σx, σy; got {tuple(sigma.shape)}")
    scales = -0.5 / sigma.to(device=device, dtype=torch.float32).square()  # (B, 2); positivity is the caller's
    return scales[:, 0].view(batch, 1, 1, 1), scales[:, 1].view(batch, 1, 1, 1)


def heatmaps_from_keypoints(
    keypoints: torch.Tensor,
    size: int | tuple[int, int],
    sigma: Sigma = REFERENCE_SIGMA_AT_112,
    score_threshold: float = 0.0,
    dtype: torch.dtype = torch.float32,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """(B, T, K, 3) x, y, score -> (B, K, T, H, W) heatmaps in [-1, 1], on the keypoints' device.

    `size` is H = W or (H, W) in pixels, `sigma` the Gaussian's standard deviation in pixels: one
    float, or a (B, 2) tensor of positive σx (across) and σy (down) per sample.
    `out`, a contiguous float32 (B, K, T, H, W) tensor, receives the maps instead of a new one
    (a reused buffer skips the allocation, which dominates on a CPU: see benchmarks/perf).
    """
    if keypoints.dim() != 4 or keypoints.shape[-1] != 3:
        raise ValueError(f"keypoints must be (B, T, K, 3) x, y, score; got {tuple(keypoints.shape)}")
    scale_x, scale_y = _axis_scales(sigma, keypoints.shape[0], keypoints.device)
    height, width = (size, size) if isinstance(size, int) else size
    coords = keypoints.to(torch.float32).permute(0, 2, 1, 3)  # (B, T, K, 3) -> (B, K, T, 3)
    x, y, score = coords.unbind(-1)  # each (B, K, T)
    present = (score >= score_threshold) & (score > 0) & torch.isfinite(x) & torch.isfinite(y)
    x = torch.where(present, x, torch.zeros_like(x))
    y = torch.where(present, y, torch.zeros_like(y))

    with torch.autocast(keypoints.device.type, enabled=False):  # exact float32 maps under AMP too
        columns = torch.arange(width, device=keypoints.device, dtype=torch.float32)
        rows = torch.arange(height, device=keypoints.device, dtype=torch.float32)
        row_profile = torch.exp((columns - x.unsqueeze(-1)).square_().mul_(scale_x))  # (B, K, T, W)
        column_profile = torch.exp((rows - y.unsqueeze(-1)).square_().mul_(scale_y))  # (B, K, T, H)
        # An absent keypoint: a zero profile makes its whole map 0, i.e. -1 after scaling.
        column_profile.mul_(present.unsqueeze(-1).to(column_profile.dtype))
        # 2 g_col ⊗ g_row - 1 as one rank-2 product [2 g_col, -1] @ [g_row; 1], so the output is
        # written in a single pass: (N, H, 2) @ (N, 2, W) -> (N, H, W), N = B * K * T maps.
        batch, joints, frames = x.shape
        maps_count = batch * joints * frames
        left = torch.stack([column_profile * 2.0, torch.full_like(column_profile, -1.0)], dim=-1)
        right = torch.stack([row_profile, torch.ones_like(row_profile)], dim=-2)
        shape = (batch, joints, frames, height, width)
        if out is not None:
            if tuple(out.shape) != shape or out.dtype != torch.float32 or not out.is_contiguous():
                raise ValueError(f"out must be a contiguous float32 tensor of shape {shape}")
            torch.bmm(left.view(maps_count, height, 2), right.view(maps_count, 2, width),
                      out=out.view(maps_count, height, width))
            maps = out
        else:
            maps = torch.bmm(left.view(maps_count, height, 2), right.view(maps_count, 2, width)).view(shape)
    return maps if dtype == torch.float32 else maps.to(dtype)
