"""Input streams: what the loader can hand a backbone, how each is laid out, and how a mixup blends it.

A backbone declares on its `PluginSpec` the streams it consumes (`inputs`); a plugin that needs a
stream the core does not make declares it there too (`streams`), with a function the loader's
workers call per clip to compute it from the built-in streams. Nothing here imports torch.

`blend` says what a mixup may do with a stream: "linear" means that λ·a + (1 − λ)·b of two
samples is itself a valid input (frames, heatmaps, coordinates: the blend of two skeletons), so
a mixup that mixes labels must blend it; "sample" marks a description of the sample (its crop's
zoom) that travels with it unblended. Any other kind (e.g. "categorical" for tokens) is one a
mixup must declare it can blend, or the run stops before training.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Union

LINEAR = "linear"
SAMPLE = "sample"


@dataclass(frozen=True)
class InputStream:
    """One named input of a backbone. `derive` ("module:attr" or a callable, plugin streams only)
    is called in the loader worker as `derive(clip)` with the clip's built-in streams named in
    `needs` ({name: tensor without the batch dimension}) and returns this stream's tensor."""

    name: str
    layout: str
    blend: str = LINEAR
    derive: Union[str, Callable[..., Any], None] = None
    needs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"input stream name {self.name!r} must be an identifier")
        object.__setattr__(self, "needs", tuple(self.needs))

    def derive_function(self) -> Callable[..., Any]:
        if self.derive is None:
            raise ValueError(f"input stream '{self.name}' is made by the loader itself")
        if not isinstance(self.derive, str):
            return self.derive
        module, _, attr = self.derive.partition(":")
        return getattr(importlib.import_module(module), attr)


# The streams the loader makes itself, per batch of B clips of T frames and K keypoints.
BUILTIN_STREAMS: dict[str, InputStream] = {stream.name: stream for stream in (
    InputStream("video", "(B, 3, T, H, W) float, RGB in [-1, 1], H = W = video_size"),
    InputStream("keypoints", "(B, T, K, 3) float, x and y in heatmap pixels (pixel centres at integers, the grid "
                             "spans -0.5..heatmap_size - 0.5), score in [0, 1]; for heatmap backbones"),
    InputStream("keypoint_coordinates", "(B, T, K, 3) float, x and y normalised to the crop box (-1 and 1 at its "
                                        "edges), score in [0, 1]; for coordinate backbones (graphs, transformers)"),
    InputStream("keypoint_zoom", "(B, 2) float, frame size / crop-box size (x, y) of each sample's crop (the whole "
                                 "frame: 1, 1); delivered with keypoints", blend=SAMPLE),
)}


def stream_table(extra: Iterable[InputStream] = ()) -> dict[str, InputStream]:
    """The built-in streams plus a plugin's own; a plugin stream may not reuse a built-in name."""
    table = dict(BUILTIN_STREAMS)
    for stream in extra:
        if stream.name in table:
            raise ValueError(f"input stream '{stream.name}' is already defined; choose another name")
        if stream.derive is None:
            raise ValueError(f"input stream '{stream.name}' needs `derive`, the function that makes it")
        unknown = [need for need in stream.needs if need not in BUILTIN_STREAMS]
        if unknown:
            raise ValueError(f"input stream '{stream.name}' needs unknown streams {unknown}; "
                             f"known: {', '.join(BUILTIN_STREAMS)}")
        table[stream.name] = stream
    return table


def loader_streams(consumed: Iterable[str], table: Mapping[str, InputStream]) -> tuple[str, ...]:
    """The built-in streams the loader must make for these consumed streams (derived ones included)."""
    needed: list[str] = []
    for name in consumed:
        stream = table[name]
        for built_in in (stream.needs if stream.derive is not None else (name,)):
            if built_in not in needed:
                needed.append(built_in)
    if any(name in needed for name in ("keypoints", "keypoint_coordinates")) and "keypoint_zoom" not in needed:
        needed.append("keypoint_zoom")
    return tuple(needed)


def delivered_streams(consumed: Iterable[str], table: Mapping[str, InputStream]) -> dict[str, InputStream]:
    """Every stream in a batch: the built-in ones the loader makes, then the derived ones consumed."""
    consumed = tuple(consumed)
    return {name: table[name] for name in (*loader_streams(consumed, table), *consumed)}


@dataclass(frozen=True)
class ClipGeometry:
    """The clip a backbone wants (its data config, as timm models carry one): frames, sizes, and
    which of the loader's keypoint channels (None: all of them, in the loader's order)."""

    num_frames: int
    video_size: int
    heatmap_size: int
    keypoints: Optional[tuple[int, ...]] = None

    def num_keypoints(self, available: int) -> int:
        return available if self.keypoints is None else len(self.keypoints)
