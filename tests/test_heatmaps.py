"""On-device keypoint heatmaps (NLA-SLR Sec. 3.1): separable Gaussians equal the dense formula."""
from __future__ import annotations

import pytest
import torch

from slrbench.data.heatmaps import REFERENCE_SIGMA_AT_112, heatmaps_from_keypoints


def dense_heatmaps(keypoints: torch.Tensor, height: int, width: int, sigma: float, threshold: float = 0.0,
                   sigma_y: float | None = None):
    """Every pixel against every keypoint: exp(-(j - x)^2 / 2σx^2 - (i - y)^2 / 2σy^2), scaled to [-1, 1]."""
    sigma_y = sigma if sigma_y is None else sigma_y
    x, y, score = keypoints.permute(0, 2, 1, 3).unbind(-1)  # (B, K, T)
    rows = torch.arange(height, dtype=torch.float32).view(height, 1)
    columns = torch.arange(width, dtype=torch.float32).view(1, width)
    exponent = (columns - x[..., None, None]) ** 2 / (2 * sigma ** 2) + (rows - y[..., None, None]) ** 2 / (2 * sigma_y ** 2)
    maps = torch.exp(-exponent) * (score >= threshold)[..., None, None]
    return maps * 2 - 1


def random_keypoints(batch=2, frames=3, joints=5, size=24, seed=0):
    generator = torch.Generator().manual_seed(seed)
    coords = torch.rand(batch, frames, joints, 2, generator=generator) * size
    return torch.cat([coords, torch.rand(batch, frames, joints, 1, generator=generator)], dim=-1)


@pytest.mark.parametrize("size, sigma", [(24, 2.0), ((20, 28), 3.5), (112, REFERENCE_SIGMA_AT_112)])
def test_separable_heatmaps_equal_dense_to_1e6(size, sigma):
    height, width = (size, size) if isinstance(size, int) else size
    keypoints = random_keypoints(size=max(height, width))
    maps = heatmaps_from_keypoints(keypoints, size, sigma)
    assert maps.shape == (2, 5, 3, height, width) and maps.dtype == torch.float32
    assert (maps - dense_heatmaps(keypoints, height, width, sigma)).abs().max() < 1e-6


def test_heatmap_values_lie_in_minus_one_to_one_and_peak_at_the_keypoint():
    keypoints = torch.tensor([[[[5.0, 7.0, 1.0], [20.0, 2.0, 0.3]]]])  # (1, 1, 2, 3): x, y, score
    maps = heatmaps_from_keypoints(keypoints, 24, 2.0)
    assert maps.min() >= -1 and maps.max() <= 1
    assert maps[0, 0, 0, 7, 5] == pytest.approx(1.0) and maps[0, 0, 0].argmax() == 7 * 24 + 5  # row y, column x
    assert maps[0, 1, 0].argmax() == 2 * 24 + 20


def test_keypoints_below_the_score_threshold_give_empty_maps():
    keypoints = random_keypoints()
    maps = heatmaps_from_keypoints(keypoints, 24, 2.0, score_threshold=0.5)
    low = (keypoints[..., 2] < 0.5).permute(0, 2, 1)  # (B, K, T)
    assert low.any() and (~low).any()
    assert bool((maps[low] == -1).all())
    assert bool((maps[~low].amax(dim=(-2, -1)) > -1).all())
    assert (maps - dense_heatmaps(keypoints, 24, 24, 2.0, threshold=0.5)).abs().max() < 1e-6


def test_non_finite_keypoints_give_empty_maps():
    keypoints = random_keypoints(batch=1, frames=1, joints=3)
    keypoints[0, 0, 1, 0] = float("nan")
    maps = heatmaps_from_keypoints(keypoints, 24, 2.0)
    assert torch.isfinite(maps).all() and bool((maps[0, 1] == -1).all())


def test_heatmaps_can_fill_a_reused_buffer():
    keypoints = random_keypoints()
    buffer = torch.empty(2, 5, 3, 24, 24)
    result = heatmaps_from_keypoints(keypoints, 24, 2.0, out=buffer)
    assert result.data_ptr() == buffer.data_ptr()
    assert torch.equal(buffer, heatmaps_from_keypoints(keypoints, 24, 2.0))
    with pytest.raises(ValueError, match="out must be"):
        heatmaps_from_keypoints(keypoints, 24, 2.0, out=torch.empty(1, 5, 3, 24, 24))


def test_heatmaps_stay_float32_under_bf16_autocast():
    keypoints = random_keypoints()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        maps = heatmaps_from_keypoints(keypoints, 24, 2.0)
    assert maps.dtype == torch.float32
    assert (maps - dense_heatmaps(keypoints, 24, 24, 2.0)).abs().max() < 1e-6


def test_bad_keypoint_layout_is_refused():
    with pytest.raises(ValueError, match=r"\(B, T, K, 3\)"):
        heatmaps_from_keypoints(torch.zeros(2, 3, 5, 2), 24)


def test_points_with_score_zero_were_not_found_and_give_empty_maps():
    keypoints = random_keypoints(batch=1, frames=2, joints=3)
    keypoints[0, :, 1, 2] = 0.0  # an extractor's "not found" (e.g. a hand out of view)
    maps = heatmaps_from_keypoints(keypoints, 24, 2.0)  # the default threshold 0 draws every other point
    assert bool((maps[0, 1] == -1).all())
    assert bool((maps[0, [0, 2]].amax(dim=(-2, -1)) > -1).all())


def test_per_sample_sigmas_along_x_and_y_equal_the_dense_formula():
    keypoints = random_keypoints(batch=3, size=24)
    sigmas = torch.tensor([[2.0, 2.0], [3.0, 1.5], [1.2, 4.0]])  # (B, 2): σx, σy
    maps = heatmaps_from_keypoints(keypoints, (20, 28), sigmas)
    for sample, (sigma_x, sigma_y) in enumerate(sigmas.tolist()):
        dense = dense_heatmaps(keypoints[sample:sample + 1], 20, 28, sigma_x, sigma_y=sigma_y)
        assert (maps[sample:sample + 1] - dense).abs().max() < 1e-6
    with pytest.raises(ValueError, match=r"\(3, 2\) σx, σy"):
        heatmaps_from_keypoints(keypoints, 24, torch.ones(3))
    with pytest.raises(ValueError, match="positive"):
        heatmaps_from_keypoints(keypoints, 24, 0.0)
