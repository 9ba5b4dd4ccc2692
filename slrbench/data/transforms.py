"""Clip transforms (NLA-SLR's input pipeline): temporal windows, one crop box per sample applied
to the frames and to the keypoint coordinates, resizing, colour jitter and normalisation.

Training: a random 64-frame window (edge-frame padding for shorter clips), one
RandomResizedCrop box (area 0.7-1.0, aspect 0.75-1.3, in the frame's coordinates normalised to a
square, as the reference's 256 x 256 frames) and colour jitter with probability 0.3 on the video
only. Test: the central window (or start / middle / end for 3 crops) and the whole frame, resized
(the reference's test view: its configs set center_crop false); the central 224/256 box is the
option `test_view="center-crop"`. The 32-frame clip is a sub-window of the 64-frame one
(`sub_window_start`), taken by the backbone. The loader's workers draw the windows, boxes and jitter;
the video transforms run on the training device (`slrbench.data.video_batch`), the keypoint ones in
the workers.

Pixel convention (the reference's heatmaps): integer coordinates are pixel centres. Keypoints
follow the frames' half-pixel aligned resize (`align_corners=False`), so a point keeps its place
on the image content; the box's zoom (frame size / box size, per axis) travels with them, because
the reference's Gaussians are drawn on the frame and shrink or stretch with the crop.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

TEST_CROP_FRACTION = 224 / 256  # test_view="center-crop": the central 224 of 256 (the reference uses the whole frame)
TEST_VIEWS = ("full", "center-crop")
VIEW_NAMES = ("start", "middle", "end")


# --- temporal ----------------------------------------------------------------------------------
def window_indices(length: int, window: int, offset: int) -> np.ndarray:
    """`window` indices into a clip of `length` frames, starting at `offset` (may be negative for
    clips shorter than the window: out-of-range positions repeat the edge frames)."""
    return np.clip(np.arange(offset, offset + window), 0, length - 1)


def train_window(length: int, window: int, rng: np.random.Generator) -> np.ndarray:
    """A random window; a short clip is placed at a random offset inside the padded window."""
    if length >= window:
        return window_indices(length, window, int(rng.integers(0, length - window + 1)))
    return window_indices(length, window, -int(rng.integers(0, window - length + 1)))


def evaluation_windows(length: int, window: int, views: int) -> list[np.ndarray]:
    """1 view: the central window; 3 views: start, middle and end (edge-padded when short)."""
    last = length - window  # negative for a short clip: the padding goes before the clip
    middle = window_indices(length, window, last // 2 if last >= 0 else -((-last) // 2))
    if views == 1:
        return [middle]
    return [window_indices(length, window, min(0, last)), middle, window_indices(length, window, max(0, last))]


def sub_window_start(window: int, length: int, train: bool, generator: torch.Generator | None = None) -> int:
    """Start of the `length`-frame sub-window of a `window`-frame clip: random in training, central at test."""
    if not train:
        return (window - length) // 2
    return int(torch.randint(0, window - length + 1, (1,), generator=generator))


# --- spatial -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CropBox:
    """A box in whole source pixels: (x0, y0) top-left corner, width, height."""

    x0: int
    y0: int
    width: int
    height: int

    @classmethod
    def random_resized(cls, frame_size: tuple[int, int], rng: np.random.Generator,
                       scale: tuple[float, float] = (0.7, 1.0), ratio: tuple[float, float] = (0.75, 1.3)) -> "CropBox":
        """torchvision's RandomResizedCrop box, drawn in normalised (square) coordinates."""
        log_ratio = np.log(ratio)
        for _ in range(10):
            area = rng.uniform(*scale)
            aspect = float(np.exp(rng.uniform(*log_ratio)))
            width, height = np.sqrt(area * aspect), np.sqrt(area / aspect)
            if width <= 1 and height <= 1:
                x0, y0 = rng.uniform(0, 1 - width), rng.uniform(0, 1 - height)
                return cls._scaled(frame_size, x0, y0, width, height)
        return cls.central(frame_size, 1.0)

    @classmethod
    def central(cls, frame_size: tuple[int, int], fraction: float = TEST_CROP_FRACTION) -> "CropBox":
        margin = (1 - fraction) / 2
        return cls._scaled(frame_size, margin, margin, fraction, fraction)

    @classmethod
    def full(cls, frame_size: tuple[int, int]) -> "CropBox":
        return cls(0, 0, int(frame_size[0]), int(frame_size[1]))

    @classmethod
    def for_test(cls, frame_size: tuple[int, int], view: str) -> "CropBox":
        """The evaluation box: the whole frame ("full", the reference) or the central 224/256 box."""
        if view not in TEST_VIEWS:
            raise ValueError(f"test view must be one of {', '.join(TEST_VIEWS)}, got {view!r}")
        return cls.full(frame_size) if view == "full" else cls.central(frame_size)

    def zoom(self, frame_size: tuple[int, int]) -> tuple[float, float]:
        """(frame width / box width, frame height / box height): how much the crop magnifies."""
        return frame_size[0] / self.width, frame_size[1] / self.height

    @classmethod
    def _scaled(cls, frame_size, x0, y0, width, height) -> "CropBox":
        """Whole pixels, so that the frames and the keypoints use exactly the same box."""
        frame_width, frame_height = frame_size
        w = min(frame_width, max(1, round(width * frame_width)))
        h = min(frame_height, max(1, round(height * frame_height)))
        left = min(frame_width - w, max(0, round(x0 * frame_width)))
        top = min(frame_height - h, max(0, round(y0 * frame_height)))
        return cls(left, top, w, h)


def crop_and_resize_frames(frames: np.ndarray | torch.Tensor, box: CropBox, size: int) -> torch.Tensor:
    """(t, H, W, 3) uint8 -> (t, 3, size, size): crop to the box, resize (bilinear, antialiased), on the
    frames' device. On a CPU the result is uint8: resizing uint8 in channels-last memory is several
    times faster there than in float. Elsewhere (CUDA has no uint8 kernel) the frames are resized as
    float and the result is float in [0, 255], unrounded."""
    x0, y0, width, height = int(box.x0), int(box.y0), int(box.width), int(box.height)
    if isinstance(frames, np.ndarray):
        frames = torch.from_numpy(np.ascontiguousarray(frames[:, y0:y0 + height, x0:x0 + width]))
    else:
        frames = frames[:, y0:y0 + height, x0:x0 + width].contiguous()
    pixels = frames.permute(0, 3, 1, 2)  # (t, 3, h, w), channels-last in memory
    if pixels.device.type != "cpu":
        pixels = pixels.float()
    return F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def frames_to_video(frames: torch.Tensor) -> torch.Tensor:
    """(T, 3, S, S) uint8 (or float in [0, 255]) -> (3, T, S, S) float in [0, 1], on the frames' device."""
    video = torch.empty((frames.shape[1], frames.shape[0], *frames.shape[2:]), dtype=torch.float32, device=frames.device)
    video.copy_(frames.permute(1, 0, 2, 3))
    return video.mul_(1 / 255)


def crop_keypoints(keypoints: np.ndarray, box: CropBox, grid: int) -> torch.Tensor:
    """(T, K, 3) x, y in source pixels -> x, y in pixels of a `grid` x `grid` image of the box, as
    a half-pixel aligned resize moves image content: x' = (x - x0 + 0.5) * grid / w - 0.5, pixel
    centres at integers on both sides (points outside the box fall outside [-0.5, grid - 0.5));
    scores unchanged."""
    out = torch.from_numpy(np.array(keypoints, dtype=np.float32))
    out[..., 0] = (out[..., 0] - box.x0 + 0.5) * (grid / box.width) - 0.5
    out[..., 1] = (out[..., 1] - box.y0 + 0.5) * (grid / box.height) - 0.5
    return out


def normalise_keypoints(keypoints: np.ndarray, box: CropBox) -> torch.Tensor:
    """(T, K, 3) x, y in source pixels -> x, y normalised to the box: -1 and 1 at its edges (pixel
    centres at integers, as `crop_keypoints`), the same for any heatmap size; scores unchanged."""
    out = torch.from_numpy(np.array(keypoints, dtype=np.float32))
    out[..., 0] = (out[..., 0] - box.x0 + 0.5) * (2 / box.width) - 1
    out[..., 1] = (out[..., 1] - box.y0 + 0.5) * (2 / box.height) - 1
    return out


# --- colour --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColourJitter:
    """One clip's colour jitter, drawn in the loader worker and applied wherever the video is made
    (`slrbench.data.video_batch`): brightness, contrast and saturation factors, in the drawn order."""

    order: tuple[int, ...]  # a permutation of 0 brightness, 1 contrast, 2 saturation
    factors: tuple[float, ...]  # in the drawn order

    @classmethod
    def draw(cls, rng: np.random.Generator, brightness: float = 0.4, contrast: float = 0.4,
             saturation: float = 0.4) -> "ColourJitter":
        """torchvision's ColorJitter factors in random order (hue is not jittered)."""
        strengths = (brightness, contrast, saturation)
        order = tuple(int(operation) for operation in rng.permutation(3))
        return cls(order, tuple(float(rng.uniform(1 - strengths[op], 1 + strengths[op])) for op in order))

    def apply(self, video: torch.Tensor) -> torch.Tensor:
        """(3, T, H, W) in [0, 1], on any device -> the jittered clip. The three operations are affine in
        RGB, so they are composed into one 3 x 3 matrix (float64, on the video's device: no host
        synchronisation) and applied in one pass, clamped once at the end (torchvision clamps after
        each step)."""
        device = video.device
        grey = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).to(device, non_blocking=True)  # no GPU wait
        mean_rgb = video.mean(dim=(1, 2, 3)).double()
        matrix = torch.eye(3, dtype=torch.float64, device=device)
        bias = torch.zeros(3, dtype=torch.float64, device=device)
        for operation, factor in zip(self.order, self.factors):
            if operation == 0:
                matrix, bias = matrix * factor, bias * factor
            elif operation == 1:
                mean_grey = grey @ (matrix @ mean_rgb + bias)
                matrix, bias = matrix * factor, bias * factor + (1 - factor) * mean_grey
            else:
                mixing = factor * torch.eye(3, dtype=torch.float64, device=device) + (1 - factor) * grey.expand(3, 3)
                matrix, bias = mixing @ matrix, mixing @ bias
        channels, *rest = video.shape
        out = (matrix.float() @ video.reshape(channels, -1)).add_(bias.float()[:, None])
        return out.clamp_(0, 1).reshape(channels, *rest)


def colour_jitter(video: torch.Tensor, rng: np.random.Generator, brightness: float = 0.4,
                  contrast: float = 0.4, saturation: float = 0.4) -> torch.Tensor:
    """(3, T, H, W) in [0, 1]: one brightness / contrast / saturation change for the whole clip."""
    return ColourJitter.draw(rng, brightness, contrast, saturation).apply(video)


def to_model_range(video: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1] (RGB; the reference feeds BGR)."""
    return video.mul_(2).sub_(1)
