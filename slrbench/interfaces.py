"""What each plugin kind's factory receives (a context) and what the object it returns must do.

A factory is called as `factory(config, context)`. The protocols below are the contract that
`slrbench.testing` checks; torch and pandas types appear only in annotations, so importing this
module stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    import torch

# What the data loader provides to a backbone, per batch of B clips of T frames:
BACKBONE_INPUTS: dict[str, str] = {
    "video": "(B, 3, T, H, W) float, RGB in [-1, 1], H = W = video_size",
    "keypoints": "(B, T, K, 3) float, x and y in heatmap pixels (pixel centres at integers, the grid spans "
                 "-0.5..heatmap_size - 0.5), score in [0, 1]",
    "keypoint_zoom": "(B, 2) float, frame size / crop-box size (x, y) of each sample's crop; delivered with "
                     "keypoints (the whole frame: 1, 1)",
}

SPLITS = ("train", "val", "test")
MANIFEST_COLUMNS = ("sample_id", "split", "label", "gloss", "video", "keypoints", "start", "end", "keypoints_frame")
# keypoints_frame: "WxH", the frame a pickle's or .npy's coordinates are in; empty: the video's own
# pixels (docs/data.md). Optional: a manifest without it reads as empty.
OPTIONAL_MANIFEST_COLUMNS = ("keypoints_frame",)


# --- backbones -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackboneContext:
    num_keypoints: int = 63
    num_frames: int = 64
    video_size: int = 224
    heatmap_size: int = 112


@runtime_checkable
class Backbone(Protocol):
    """A `torch.nn.Module` mapping a dict of inputs to a dict of named (B, C) features.

    A training step runs `prepare_inputs` on the device first (e.g. keypoints -> heatmaps,
    NLA-SLR's on-device Gaussians), then the mixup on what it returns, then `forward`.
    A backbone without `prepare_inputs` receives the loader's inputs as they are.
    """

    inputs: tuple[str, ...]  # keys of BACKBONE_INPUTS the loader must provide
    feature_dims: dict[str, int]  # feature name (e.g. "v64", "f") -> C

    def __call__(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]: ...


def prepare_backbone_inputs(backbone: Backbone, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The backbone's on-device input preparation, or the batch itself when it has none."""
    prepare = getattr(backbone, "prepare_inputs", None)
    return prepare(batch) if prepare is not None else batch


# --- word embedders --------------------------------------------------------------------------
@dataclass(frozen=True)
class EmbedderContext:
    device: str = "cpu"  # where a neural embedder (BERT) runs


@dataclass(frozen=True)
class GlossEmbeddings:
    vectors: np.ndarray  # (N, dim) float32, one row per gloss asked for, in order
    out_of_vocabulary: tuple[str, ...] = ()  # glosses that fell back to the documented fallback
    partially_known: tuple[str, ...] = ()  # multi-word glosses embedded from some of their words only


@runtime_checkable
class WordEmbedder(Protocol):
    """Gloss -> vector. Load model files lazily (on the first `embed`), so that a cached
    vocabulary never loads the model; `identity()` (optional) names the model file and options
    for the on-disk cache (`slrbench.embeddings.cache`), e.g. path, size and modification time."""

    dim: int

    def embed(self, glosses: Sequence[str]) -> GlossEmbeddings: ...


# --- label smoothers -------------------------------------------------------------------------
@dataclass(frozen=True)
class SmootherContext:
    num_classes: int
    class_names: tuple[str, ...] | None = None  # None when the benchmark has label indices only
    gloss_vectors: np.ndarray | None = None  # (N, dim) from the run's word embedder; None without glosses


@runtime_checkable
class LabelSmoother(Protocol):
    needs_embedder: bool  # True: it uses `context.gloss_vectors` and refuses to build without them

    def target_table(self) -> torch.Tensor:
        """(N, N) float: row i is the soft target of class i; rows are distributions."""
        ...


# --- mixups ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MixupContext:
    num_classes: int
    gloss_vectors: np.ndarray | None = None  # (N, dim) from the run's word embedder; None without glosses


@dataclass
class MixedBatch:
    """A mixed batch; the loss is lam * CE(targets[labels_a]) + (1 - lam) * CE(targets[labels_b])."""

    inputs: dict[str, torch.Tensor]
    labels_a: torch.Tensor  # (B,) long
    labels_b: torch.Tensor  # (B,) long
    lam: float


@runtime_checkable
class Mixup(Protocol):
    """Mixes a batch. A mixup with an auxiliary head loss (inter-modality, contrastive) also has
    `auxiliary_branch(feature_dims) -> AuxiliaryBranch`, whose parameters train with the model
    and which is dropped at inference."""

    def mix(
        self, inputs: dict[str, torch.Tensor], labels: torch.Tensor, generator: torch.Generator | None = None
    ) -> MixedBatch: ...


@runtime_checkable
class AuxiliaryBranch(Protocol):
    """A `torch.nn.Module` trained beside the heads (NLA-SLR's inter-modality branch)."""

    def loss(self, features: dict[str, torch.Tensor], mixed: MixedBatch, progress: float) -> torch.Tensor:
        """The weighted auxiliary loss summed over heads; `progress` = epoch / epochs in [0, 1]."""
        ...

    def after_optimizer_step(self, classifiers: torch.nn.ModuleDict, progress: float) -> None:
        """Called after every optimizer step with the heads' FC1 layers (Eq. 6)."""
        ...


# --- datasets --------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetContext:
    data_root: Path | None = None  # the user's `--data-root`; None for embedded datasets


@dataclass(frozen=True)
class BenchmarkInfo:
    name: str
    num_classes: int
    has_glosses: bool = True  # False when labels are indices only (NMFs-CSL)
    summary: str = ""


@runtime_checkable
class Dataset(Protocol):
    benchmarks: dict[str, BenchmarkInfo]

    def manifest(self, benchmark: str) -> pd.DataFrame:
        """One row per sample with MANIFEST_COLUMNS; labels in [0, num_classes)."""
        ...

    def class_names(self, benchmark: str) -> list[str] | None:
        """Gloss of each class index, or None for index-only benchmarks."""
        ...


# --- keypoint extractors ---------------------------------------------------------------------
WHOLEBODY_LAYOUT = "(T, 133, 3) float32 in COCO-WholeBody order: x, y in pixels of the frames, score in [0, 1]"


@dataclass(frozen=True)
class ExtractorContext:
    device: str = "cpu"  # "cpu" or "cuda" (for extractors that can use a GPU)
    threads: int = 1  # CPU threads one extractor may use (`keypoints extract` runs one per worker)


@runtime_checkable
class KeypointExtractor(Protocol):
    """One video's frames -> its keypoints (WHOLEBODY_LAYOUT). Points the extractor cannot
    produce (e.g. MediaPipe's small toes), or did not find in a frame, get score 0.

    `extract` receives the frames of ONE video, in order, as (t, H, W, 3) uint8 RGB chunks, so a
    tracking extractor may keep state within a video; it must not carry state to the next call.
    """

    def extract(self, chunks: Iterable[np.ndarray]) -> np.ndarray: ...
