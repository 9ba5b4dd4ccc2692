"""What each plugin kind's factory receives (a context) and what the object it returns must do.

A factory is called as `factory(config, context)`. The protocols below are the contract that
`slrbench.testing` checks; torch and pandas types appear only in annotations, so importing this
module stays cheap.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Protocol, Sequence, runtime_checkable

from slrbench.inputs import ClipGeometry, InputStream

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    import torch

FEATURE_GROUPS = ("video", "keypoint", "joint", "other")  # a feature's group (mixup `groups`, Table 10)

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


class BackboneBase:
    """A backbone: a `torch.nn.Module` that subclasses this too (`class Net(BackboneBase, nn.Module)`),
    mapping a dict of inputs to a dict of named (B, C) features. Its consumed input streams are
    declared on its `PluginSpec` (`inputs`); the members below are optional, with these defaults.

    A training step runs `prepare_inputs` on the device first (e.g. keypoints -> heatmaps), then the
    mixup on what it returns, then `forward`.
    """

    inputs: tuple[str, ...]  # the streams it consumes, among those its PluginSpec declares; required
    feature_dims: dict[str, int]  # feature name (e.g. "v64", "pose") -> C; required

    def feature_groups(self) -> dict[str, str]:
        """Each feature's group among FEATURE_GROUPS (which heads a mixup's branch serves); default: other."""
        return {name: "other" for name in self.feature_dims}

    def default_heads(self) -> tuple[str, ...]:
        """The heads whose softmaxes make the prediction: the joint features, else every feature."""
        groups = self.feature_groups()
        joint = tuple(name for name in self.feature_dims if groups.get(name) == "joint")
        return joint or tuple(self.feature_dims)

    def prepare_inputs(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Loader batch -> what the mixup and `forward` see; default: the batch as it is."""
        return batch

    def input_blends(self, delivered: Mapping[str, InputStream]) -> dict[str, str]:
        """The blend kind (`slrbench.inputs`) of each tensor `prepare_inputs` returns, given the
        streams the loader delivers; default: the delivered streams' own kinds."""
        return {name: stream.blend for name, stream in delivered.items()}

    def clip_geometry(self, context: BackboneContext) -> ClipGeometry:
        """The clip this backbone wants (frames, sizes, keypoint channels); default: the run's."""
        return ClipGeometry(context.num_frames, context.video_size, context.heatmap_size)

    def describe_blocks(self) -> Optional[dict[str, Any]]:
        """Per-block shapes and sizes for `slrbench describe`; default: none."""
        return None


# --- word embedders --------------------------------------------------------------------------
@dataclass(frozen=True)
class EmbedderContext:
    device: str = "cpu"  # where a neural embedder (BERT) runs


@dataclass(frozen=True)
class GlossEmbeddings:
    vectors: np.ndarray  # (N, dim) float32, one row per gloss asked for, in order
    out_of_vocabulary: tuple[str, ...] = ()  # glosses that fell back to the documented fallback
    partially_known: tuple[str, ...] = ()  # multi-word glosses embedded from some of their words only


class EmbedderBase:
    """Optional members of a word embedder, with their defaults (subclass it)."""

    def identity(self) -> Optional[str]:
        """What names the model for the on-disk vector cache (file path, size, mtime, options); None:
        the embedder's vectors are not cached."""
        return None


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
    """A smoother declared `needs_gloss_vectors=True` on its PluginSpec gets `context.gloss_vectors`
    and refuses to build without them (index-only benchmarks)."""

    def target_table(self) -> torch.Tensor:
        """(N, N) float: row i is the soft target of class i; rows are distributions."""
        ...


# --- mixups ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MixupContext:
    num_classes: int
    gloss_vectors: np.ndarray | None = None  # (N, dim) from the run's word embedder; None without glosses
    input_blends: Mapping[str, str] = field(default_factory=dict)  # what `mix` receives: name -> blend kind


@dataclass
class MixedBatch:
    """A mixed batch; the loss is lam * CE(targets[labels_a]) + (1 - lam) * CE(targets[labels_b])."""

    inputs: dict[str, torch.Tensor]
    labels_a: torch.Tensor  # (B,) long
    labels_b: torch.Tensor  # (B,) long
    lam: float


class MixupBase:
    """A mixup (subclass it). `mix` must blend every input whose blend kind the PluginSpec's
    `blends` names (`context.input_blends` says each input's kind) and pass "sample" inputs through;
    the run checks before training that the backbone's inputs are all blendable."""

    def mix(self, inputs: dict[str, torch.Tensor], labels: torch.Tensor,
            generator: torch.Generator | None = None) -> MixedBatch:
        raise NotImplementedError

    def auxiliary_branch(self, feature_dims: dict[str, int], feature_groups: dict[str, str]) -> Any:
        """An `AuxiliaryBranch` trained beside the heads and dropped at inference; default: none."""
        return None


class AuxiliaryBranchBase:
    """Optional members of an auxiliary branch, with their defaults (a branch may subclass it
    beside `torch.nn.Module`; the run reads them only from a subclass)."""

    def scheduled_values(self, progress: float) -> dict[str, float]:
        """The scheduled values at this point of training, by name, for the run loggers (NLA-SLR:
        `gamma`, the auxiliary loss weight, and `mu`, the FC1 momentum of Eq. 6); default: none."""
        return {}


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


class DatasetBase:
    """A dataset (subclass it): `benchmarks`, `manifest` and `class_names` are required; the rest
    has these defaults."""

    benchmarks: dict[str, BenchmarkInfo]

    def clip_reader(self) -> Any:
        """An in-memory `slrbench.data.sources.ClipReader` for datasets without files; default: None."""
        return None

    def warnings(self, benchmark: str) -> list[str]:
        """What the user should know about this benchmark's data (e.g. classes missing); default: none."""
        return []

    def data_layout(self) -> Optional[str]:
        """What the data root holds, in words (`slrbench data check` shows it); default: not said."""
        return None

    def gloss_vectors_file(self, benchmark: str) -> Optional[Path]:
        """A gloss -> vector file the data root holds (the reference bundle's word vectors), which
        recipes with `data_word_vectors = true` read with the `precomputed` embedder; default: none."""
        return None


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


# --- run loggers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LoggerContext:
    run_dir: Path  # the run directory; a logger writes inside it (its own folder: RUN_DIR/<name>/)
    record: Mapping[str, Any] = field(default_factory=dict)  # config.json: plan, versions, git revision
    resumed_step: int = 0  # optimizer steps a resumed run had taken; what this session logs comes after
    history: tuple[Mapping[str, Any], ...] = ()  # the epoch rows logged before (a resumed run's), in order


class RunLoggerBase:
    """A run logger (subclass it). The main process of `slrbench run` calls it; `step` is the global
    optimizer step (epochs and the test evaluation are logged at the step that ends them). Values
    are plain names (`loss`, `lr`, `val_top1`, ...); `logged_scalars` gives the tags a logger of
    scalar series uses. `log_epoch` is required; the others default to doing nothing."""

    def log_step(self, step: int, scalars: Mapping[str, float]) -> None:
        """After each optimizer step: its loss and loss parts, learning rate and clips per second."""

    def log_epoch(self, step: int, row: Mapping[str, Any]) -> None:
        """After each epoch: its history row (history.csv's columns)."""
        raise NotImplementedError

    def log_evaluation(self, step: int, metrics: Mapping[str, float]) -> None:
        """Once, after training: the test metrics of the best weights (percent) and the sample count."""

    def close(self) -> None:
        """When the run ends, finished or not: flush and close what the logger holds."""


def logged_scalars(section: str, values: Mapping[str, Any]) -> dict[str, float]:
    """`section/name` -> value for every number in `values` (booleans and text left out): the tags
    of the built-in TensorBoard and W&B loggers, e.g. `epoch/val_top1`, `step/loss`, `test/per_class_top1`."""
    return {f"{section}/{name}": float(value) for name, value in values.items()
            if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)}


# The base class each kind's built object subclasses (its optional members and their defaults).
KIND_BASES: dict[str, type] = {
    "backbones": BackboneBase, "mixups": MixupBase, "embedders": EmbedderBase, "datasets": DatasetBase,
    "loggers": RunLoggerBase,
}
