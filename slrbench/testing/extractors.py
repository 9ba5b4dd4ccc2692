"""Contract check of keypoint extractors: the WholeBody layout, chunking and no state between videos."""
from __future__ import annotations

from typing import Any, Mapping

from slrbench.interfaces import ExtractorContext
from slrbench.registry import Registry, default_registry
from slrbench.testing.common import require


def example_frames(num_frames: int = 12, size: tuple[int, int] = (96, 128), seed: int = 0):
    """(T, H, W, 3) uint8 frames: noise with a bright square moving across (something to find)."""
    import numpy as np

    height, width = size
    frames = np.random.default_rng(seed).integers(0, 60, (num_frames, height, width, 3), dtype=np.uint8)
    for t in range(num_frames):
        x = int((width - 16) * t / max(num_frames - 1, 1))
        frames[t, height // 2 - 8:height // 2 + 8, x:x + 16] = 255
    return frames


def check_keypoint_extractor(
    name: str,
    options: Mapping[str, Any] | None = None,
    context: ExtractorContext = ExtractorContext(),
    registry: Registry | None = None,
    frames: Any = None,
) -> dict[str, Any]:
    """(T, 133, 3) finite float32 per video, scores in [0, 1], the same for any chunking, no state
    carried from one video to the next, (0, 133, 3) for a video without frames."""
    import numpy as np

    registry = registry or default_registry()
    label = f"extractor '{name}'"
    extractor = registry.build("extractors", name, dict(options or {}), context)
    frames = example_frames() if frames is None else frames
    whole = extractor.extract([frames])
    require(isinstance(whole, np.ndarray) and whole.shape == (len(frames), 133, 3), label,
            f"extract() must return a ({len(frames)}, 133, 3) array, got {getattr(whole, 'shape', None)}")
    require(whole.dtype == np.float32 and bool(np.isfinite(whole).all()), label, "keypoints must be finite float32")
    require(bool(((whole[..., 2] >= 0) & (whole[..., 2] <= 1)).all()), label, "scores must lie in [0, 1]")
    again = extractor.extract([frames])
    require(np.allclose(again, whole, atol=1e-3), label, "a second video must not see state from the first")
    split = max(len(frames) // 3, 1)
    chunked = extractor.extract([frames[:split], frames[split:]])
    require(np.allclose(chunked, whole, atol=1e-3), label, "the result must not depend on how frames are chunked")
    empty = extractor.extract([])
    require(np.asarray(empty).shape == (0, 133, 3), label, "a video without frames must give a (0, 133, 3) array")
    return {"frames": len(frames), "points_found": int((whole[..., 2] > 0).any(axis=0).sum())}
