"""Temporal windows, one crop box for frames and keypoints, colour jitter on the video only."""
from __future__ import annotations

import numpy as np
import torch

from slrbench.data.transforms import (
    CropBox, colour_jitter, crop_and_resize_frames, crop_keypoints, frames_to_video, sub_window_start, evaluation_windows,
    train_window,
)


def test_short_clips_are_edge_padded_to_the_window():
    rng = np.random.default_rng(0)
    window = train_window(10, 64, rng)
    assert len(window) == 64 and window.min() == 0 and window.max() == 9
    assert list(np.unique(window)) == list(range(10)) and np.all(np.diff(window) >= 0)
    middle = evaluation_windows(10, 64, 1)[0]
    assert (middle == 0).sum() in (27, 28) and (middle == 9).sum() in (27, 28)


def test_long_clips_get_a_random_contiguous_window_and_three_test_views():
    window = train_window(200, 64, np.random.default_rng(1))
    assert np.all(np.diff(window) == 1)
    start, middle, end = evaluation_windows(200, 64, 3)
    assert (start[0], middle[0], end[-1]) == (0, 68, 199)
    assert np.array_equal(evaluation_windows(200, 64, 1)[0], middle)


def test_sub_window_is_central_at_test_and_inside_the_window_in_training():
    assert sub_window_start(64, 32, train=False) == 16
    starts = {sub_window_start(64, 32, True, torch.Generator().manual_seed(s)) for s in range(20)}
    assert min(starts) >= 0 and max(starts) <= 32 and len(starts) > 1


def test_crop_boxes_stay_inside_the_frame_with_the_reference_scale():
    rng = np.random.default_rng(2)
    for _ in range(200):
        box = CropBox.random_resized((540, 720), rng)
        assert 0 <= box.x0 and box.x0 + box.width <= 540 and 0 <= box.y0 and box.y0 + box.height <= 720
        area = box.width * box.height / (540 * 720)
        assert 0.68 <= area <= 1.0
    central = CropBox.central((256, 256))
    assert (central.x0, central.width) == (16, 224)


def test_the_test_box_is_the_whole_frame_unless_the_central_crop_is_asked_for():
    assert CropBox.for_test((320, 240), "full") == CropBox(0, 0, 320, 240)
    assert CropBox.for_test((256, 256), "center-crop") == CropBox(16, 16, 224, 224)
    assert CropBox(10, 20, 160, 200).zoom((320, 240)) == (2.0, 1.2)


def test_keypoints_follow_the_half_pixel_aligned_resize():
    """Pixel centres map to pixel centres: the box's first and last pixel centres land half an
    output pixel inside the grid's edges, -0.5 + s / 2 and grid - 0.5 - s / 2 (s = grid / w)."""
    box = CropBox(40, 10, 200, 100)
    points = np.array([[[40.0, 10.0, 1.0], [239.0, 109.0, 0.5], [139.5, 59.5, 1.0]]])  # (1, 3, 3)
    mapped = crop_keypoints(points, box, 100)[0]
    expected = torch.tensor([[-0.25, 0.0, 1.0], [99.25, 99.0, 0.5], [49.5, 49.5, 1.0]])
    assert torch.allclose(mapped, expected, atol=1e-5)


def test_a_keypoint_stays_on_the_same_image_content_after_the_crop():
    """Draw a bright square at a keypoint, crop and resize both: the square is where the keypoint went."""
    rng = np.random.default_rng(3)
    for trial in range(10):
        frames = np.zeros((1, 720, 540, 3), np.uint8)
        box = CropBox.random_resized((540, 720), rng)
        x = rng.uniform(box.x0 + 40, box.x0 + box.width - 40)
        y = rng.uniform(box.y0 + 40, box.y0 + box.height - 40)
        frames[0, int(y) - 6:int(y) + 7, int(x) - 6:int(x) + 7] = 255
        video = frames_to_video(crop_and_resize_frames(frames, box, 224))[0, 0]  # (224, 224), red channel
        keypoint = crop_keypoints(np.array([[[int(x), int(y), 1.0]]]), box, 112)[0, 0]  # the square's centre pixel
        ys, xs = torch.nonzero(video > 0.5, as_tuple=True)
        centre = (torch.stack([xs.float().mean(), ys.float().mean()]) + 0.5) / 2 - 0.5  # 224 pixels -> 112 grid
        assert torch.allclose(centre, keypoint[:2], atol=0.3), (trial, centre, keypoint)
        assert keypoint[2] == 1.0


def test_colour_jitter_changes_colours_but_keeps_the_range():
    video = torch.rand(3, 4, 8, 8)
    jittered = colour_jitter(video.clone(), np.random.default_rng(4))
    assert jittered.shape == video.shape and not torch.allclose(jittered, video)
    assert jittered.min() >= 0 and jittered.max() <= 1
    assert torch.allclose(colour_jitter(video.clone(), np.random.default_rng(4), 0, 0, 0), video, atol=1e-5)
