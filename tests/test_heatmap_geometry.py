"""Heatmap geometry against the reference's procedure: Gaussians drawn densely on the 256² frame
(σ = 8 px, pixel centres at integers), the crop box cut out and resized to 112² (bilinear,
half-pixel aligned). slrbench maps the coordinates instead (crop_keypoints) and widens σ by the
crop's zoom; the maps must agree for the whole frame and for crop boxes of any aspect."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from slrbench.data.heatmaps import heatmaps_from_keypoints
from slrbench.data.transforms import CropBox, crop_keypoints
from slrbench.interfaces import BackboneContext
from slrbench.registry import default_registry

FRAME, GRID, FRAMES, JOINTS = 256, 112, 8, 4
CONTEXT = BackboneContext(num_keypoints=JOINTS, num_frames=FRAMES, video_size=224, heatmap_size=GRID)


def reference_heatmaps(keypoints: np.ndarray, box: CropBox, sigma: float = 8.0) -> torch.Tensor:
    """(T, K, 3) in frame pixels -> (K, T, 112, 112): the reference's dense maps, cropped and resized."""
    points = torch.from_numpy(keypoints).float().permute(1, 0, 2)  # (K, T, 3)
    x, y = points[..., 0, None, None], points[..., 1, None, None]
    pixels = torch.arange(FRAME, dtype=torch.float32)
    dense = torch.exp(-((pixels.view(1, -1) - x) ** 2 + (pixels.view(-1, 1) - y) ** 2) / (2 * sigma ** 2))
    crop = dense[..., box.y0:box.y0 + box.height, box.x0:box.x0 + box.width]  # (K, T, h, w)
    resized = F.interpolate(crop, size=(GRID, GRID), mode="bilinear", align_corners=False)
    return resized * 2 - 1


def keypoint_backbone(**options):
    return default_registry().build("backbones", "keypoint-64", {"width": 0.125, **options}, CONTEXT).eval()


def crop_boxes() -> list[CropBox]:
    rng = np.random.default_rng(5)
    drawn = [CropBox.random_resized((FRAME, FRAME), rng) for _ in range(4)]
    return [CropBox.full((FRAME, FRAME)), CropBox.central((FRAME, FRAME)), CropBox(0, 40, 256, 190),
            CropBox(30, 0, 190, 250), *drawn]


def sample_keypoints(seed: int) -> np.ndarray:
    """(T, K, 3): points anywhere on the frame, some near or past its edges."""
    rng = np.random.default_rng(seed)
    coords = rng.uniform(-10, FRAME + 10, (FRAMES, JOINTS, 2))
    return np.concatenate([coords, np.ones((FRAMES, JOINTS, 1))], axis=-1).astype(np.float32)


def test_heatmaps_match_the_reference_drawn_on_the_frame_then_cropped_and_resized():
    boxes = crop_boxes()
    assert len({round(box.width / box.height, 2) for box in boxes}) >= 4  # different aspects
    keypoints = [sample_keypoints(seed) for seed in range(len(boxes))]
    batch = {  # what the loader delivers for these boxes
        "keypoints": torch.stack([crop_keypoints(points, box, GRID) for points, box in zip(keypoints, boxes)]),
        "keypoint_zoom": torch.tensor([box.zoom((FRAME, FRAME)) for box in boxes], dtype=torch.float32),
    }
    with torch.no_grad():
        maps = keypoint_backbone().prepare_inputs(batch)["heatmaps"]  # (B, K, T, 112, 112)
    differences = [(maps[i] - reference_heatmaps(points, box)).abs().max().item()
                   for i, (points, box) in enumerate(zip(keypoints, boxes))]
    # Measured 0.0072-0.0078: the reference's own bilinear resize, which interpolates the Gaussian
    # linearly between frame pixels (at most (|f_xx| + |f_yy|) / 8 = 2 / (8 · 64), ×2 for [-1, 1]).
    assert max(differences) < 0.01, differences


def test_without_the_half_pixel_mapping_and_zoom_the_maps_would_miss_the_reference():
    """The comparison above can fail: the old geometry (corner mapping, σ 3.5) is measurably off."""
    box, points = CropBox(30, 0, 190, 250), sample_keypoints(0)
    old = torch.from_numpy(points.copy())
    old[..., 0] = (old[..., 0] - box.x0) * GRID / box.width
    old[..., 1] = (old[..., 1] - box.y0) * GRID / box.height
    maps = heatmaps_from_keypoints(old[None], GRID, 3.5)[0]
    assert (maps - reference_heatmaps(points, box)).abs().max().item() > 0.05


def test_sigma_stays_isotropic_when_it_does_not_follow_the_crop():
    box, points = CropBox(0, 40, 256, 190), sample_keypoints(1)
    keypoints = crop_keypoints(points, box, GRID)[None]
    zoom = torch.tensor([box.zoom((FRAME, FRAME))], dtype=torch.float32)
    with torch.no_grad():
        fixed = keypoint_backbone(heatmap_sigma_follows_crop=False).prepare_inputs(
            {"keypoints": keypoints, "keypoint_zoom": zoom})["heatmaps"]
        following = keypoint_backbone().prepare_inputs({"keypoints": keypoints, "keypoint_zoom": zoom})["heatmaps"]
        whole_frame = keypoint_backbone().prepare_inputs({"keypoints": keypoints})["heatmaps"]
    isotropic = heatmaps_from_keypoints(keypoints, GRID, 3.5)
    assert torch.equal(fixed, isotropic) and torch.equal(whole_frame, isotropic)
    anisotropic = heatmaps_from_keypoints(keypoints, GRID, torch.tensor([[3.5, 3.5 * 256 / 190]]))
    assert torch.allclose(following, anisotropic, atol=1e-6) and not torch.allclose(following, isotropic, atol=0.01)


@pytest.mark.parametrize("backbone, options", [("timm-frames", {"model": "test_resnet", "stream": "keypoints"})])
def test_timm_keypoint_frames_follow_the_crop_too(backbone, options):
    pytest.importorskip("timm")
    context = BackboneContext(num_keypoints=JOINTS, num_frames=2, video_size=64, heatmap_size=32)
    keypoints = torch.tensor([[[[10.0, 12.0, 1.0]] * JOINTS] * 2])  # (1, 2, K, 3)
    zoom = torch.tensor([[1.25, 1.0]])
    expected = heatmaps_from_keypoints(keypoints, 32, torch.tensor([[3.5 * 32 / 112 * 1.25, 3.5 * 32 / 112]]))
    for follows, wanted in ((True, expected), (False, heatmaps_from_keypoints(keypoints, 32, 3.5 * 32 / 112))):
        model = default_registry().build("backbones", backbone, {**options, "heatmap_sigma_follows_crop": follows},
                                         context)
        maps = model.prepare_inputs({"keypoints": keypoints, "keypoint_zoom": zoom})["heatmaps"]
        assert torch.allclose(maps, wanted, atol=1e-6)
