"""Assemble a run from its plan: dataset, gloss vectors, smoother, mixup, backbone, heads, loaders.

Training builds everything (`build_parts`); evaluation builds only what inference needs
(`build_inference_parts`: the dataset, the backbone and FC1), so evaluating a run neither loads a
word embedder nor constructs a smoother, a mixup or its auxiliary branch.
Everything the user can get wrong is checked here, before the first training step.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from slrbench.data.benchmark import open_benchmark
from slrbench.data.keypoint_layout import NUM_KEYPOINTS
from slrbench.data.loader import ClipLoader, LoaderSettings
from slrbench.embeddings.cache import default_cache_dir, embed_glosses
from slrbench.errors import UsageError
from slrbench.inputs import SAMPLE, ClipGeometry, InputStream, delivered_streams, stream_table
from slrbench.interfaces import BackboneContext, EmbedderContext, GlossEmbeddings, MixupContext, SmootherContext
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan
from slrbench.training.model import SignModel


@dataclass
class InferenceParts:
    """What evaluation needs: the benchmark's samples and the inference model (no branch)."""

    plan: RunPlan
    num_classes: int
    class_names: list[str] | None
    manifest: Any  # pandas DataFrame, MANIFEST_COLUMNS
    reader: Any  # the dataset's clip reader, or None for files
    model: SignModel
    inputs: "BackboneInputs"


@dataclass
class RunParts(InferenceParts):
    """Training adds the gloss vectors, the smoother's targets, the mixup and its branch."""

    embeddings: GlossEmbeddings | None
    target_table: torch.Tensor
    mixup: Any


def resolve_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is visible; use --device cpu or auto")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


def gloss_embeddings(registry: Registry, plan: RunPlan, class_names: list[str] | None,
                     cache_dir: Path | None) -> GlossEmbeddings | None:
    """Vectors of the class glosses when the smoother or mixup uses them (and glosses exist)."""
    settings = plan.settings
    needed = any(registry.get(kind, getattr(settings, kind)).needs_gloss_vectors() for kind in ("smoother", "mixup"))
    if not needed or class_names is None:
        return None  # a plugin that needs vectors refuses to build without them, with the fix
    embedder = registry.build("embedders", settings.embedder, plan.options("embedder"), EmbedderContext())
    with warnings.catch_warnings(record=True):  # out-of-vocabulary glosses are recorded in config.json
        warnings.simplefilter("always")
        result, _ = embed_glosses(embedder, class_names, settings.embedder, cache_dir)
    return result


@dataclass(frozen=True)
class BackboneInputs:
    """What the loader hands the backbone: the streams it consumes, a plugin's own stream
    definitions, every stream delivered (name -> definition) and the clip geometry."""

    consumed: tuple[str, ...]
    streams: tuple[InputStream, ...]
    delivered: dict[str, InputStream]
    geometry: ClipGeometry


def build_backbone(registry: Registry, plan: RunPlan) -> tuple[torch.nn.Module, BackboneInputs]:
    """The backbone and its declared inputs; a consumed stream its PluginSpec does not declare, or a
    feature group the core does not know, is an error before anything trains."""
    settings = plan.settings
    plugin = registry.get("backbones", settings.backbone)
    context = BackboneContext(num_keypoints=NUM_KEYPOINTS, num_frames=settings.num_frames,
                              video_size=settings.video_size, heatmap_size=settings.heatmap_size)
    backbone = registry.build("backbones", settings.backbone, plan.options("backbone"), context)
    consumed = tuple(backbone.inputs)
    undeclared = [name for name in consumed if name not in plugin.spec.inputs]
    if not consumed or undeclared:
        raise UsageError(f"backbone '{plugin.name}' ({plugin.distribution}) consumes {list(consumed)}, but its "
                         f"PluginSpec declares inputs={list(plugin.spec.inputs)}; declare every consumed stream")
    unknown = [head for head in settings.heads or [] if head not in backbone.feature_dims]
    if unknown:
        raise UsageError(f"run.heads: {', '.join(unknown)} not among the backbone's heads {', '.join(backbone.feature_dims)}")
    delivered = delivered_streams(consumed, stream_table(plugin.spec.streams))
    return backbone, BackboneInputs(consumed, plugin.spec.streams, delivered, backbone.clip_geometry(context))


def check_blending(registry: Registry, plan: RunPlan, input_blends: dict[str, str]) -> None:
    """A mixup that mixes samples must blend every input the backbone hands it (else the labels
    are mixed while an input is not: silent mis-training)."""
    settings = plan.settings
    blends = registry.get("mixups", settings.mixup).spec.blends
    if not blends:
        return
    for name, kind in input_blends.items():
        if kind != SAMPLE and kind not in blends:
            raise UsageError(f"mixup '{settings.mixup}' cannot blend input '{name}' ({kind}) of backbone "
                             f"'{settings.backbone}'; it blends {', '.join(blends)} inputs: choose a mixup "
                             f"that blends {kind} inputs, or --mixup none")


def build_inference_parts(registry: Registry, plan: RunPlan) -> InferenceParts:
    """The dataset, the backbone and FC1: nothing that only the training loss uses."""
    benchmark = open_benchmark(registry, plan.settings.benchmark, plan.settings.data_root, plan.options("dataset"))
    backbone, inputs = build_backbone(registry, plan)
    model = SignModel(backbone, benchmark.info.num_classes)
    return InferenceParts(plan, benchmark.info.num_classes, benchmark.class_names(), benchmark.manifest(),
                          benchmark.clip_reader(), model, inputs)


def build_parts(registry: Registry, plan: RunPlan, cache_dir: Path | None = None) -> RunParts:
    """Everything a training run needs. The construction order (backbone, branch, heads) fixes the
    initial weights of a seed."""
    settings = plan.settings
    benchmark = open_benchmark(registry, settings.benchmark, settings.data_root, plan.options("dataset"))
    num_classes, class_names = benchmark.info.num_classes, benchmark.class_names()
    embeddings = gloss_embeddings(registry, plan, class_names, cache_dir if cache_dir else default_cache_dir())
    vectors = None if embeddings is None else embeddings.vectors
    smoother = registry.build("smoothers", settings.smoother, plan.options("smoother"), SmootherContext(
        num_classes, tuple(class_names) if class_names else None, vectors))
    backbone, inputs = build_backbone(registry, plan)
    input_blends = backbone.input_blends(inputs.delivered)
    check_blending(registry, plan, input_blends)
    mixup = registry.build("mixups", settings.mixup, plan.options("mixup"),
                           MixupContext(num_classes, vectors, input_blends))
    branch = mixup.auxiliary_branch(dict(backbone.feature_dims), backbone.feature_groups())
    model = SignModel(backbone, num_classes, branch)
    return RunParts(plan, num_classes, class_names, benchmark.manifest(), benchmark.clip_reader(), model, inputs,
                    embeddings, smoother.target_table().float(), mixup)


def make_loader(parts: InferenceParts, split: str, batch_size: int, views: int, train: bool,
                workers: int, device: torch.device | str = "cpu") -> ClipLoader:
    """The split's loader; its batches' inputs are made on `device` (the video from uint8 frames)."""
    settings, geometry = parts.plan.settings, parts.inputs.geometry
    loader_settings = LoaderSettings(inputs=parts.inputs.consumed, streams=parts.inputs.streams,
                                     keypoint_channels=geometry.keypoints, num_frames=geometry.num_frames,
                                     video_size=geometry.video_size, heatmap_size=geometry.heatmap_size,
                                     test_view=settings.test_view)
    return ClipLoader(parts.manifest, split, loader_settings, reader=parts.reader, train=train, views=views,
                      batch_size=batch_size, num_workers=workers, seed=settings.seed, device=device)


def out_of_vocabulary(parts: RunParts) -> list[str]:
    return [] if parts.embeddings is None else list(parts.embeddings.out_of_vocabulary)


def parameter_count(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))
