"""Contract checks for plugin authors: build a plugin through the registry and test what it returns.

Each `check_*` raises `ContractError` (an AssertionError) naming the plugin and the broken rule,
and returns a small report on success. Use them in a plugin's own tests:

    from slrbench.testing import check_backbone
    check_backbone("posegcn", options={"width": 32})
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from slrbench.errors import SlrbenchError
from slrbench.interfaces import (
    BACKBONE_INPUTS, MANIFEST_COLUMNS, OPTIONAL_MANIFEST_COLUMNS, SPLITS, BackboneContext, DatasetContext,
    EmbedderContext, ExtractorContext,
    GlossEmbeddings, MixedBatch, MixupContext, SmootherContext, prepare_backbone_inputs,
)
from slrbench.registry import Registry, default_registry

# Small clip sizes keep checks fast on a CPU; S3D-style backbones need T % 8 == 0 and H % 32 == 0.
CHECK_CONTEXT = BackboneContext(num_keypoints=63, num_frames=16, video_size=64, heatmap_size=32)
EXAMPLE_GLOSSES = ("cold", "winter", "table", "afternoon", "book")


class ContractError(AssertionError):
    """A plugin broke the contract of its kind."""


def _require(condition: bool, plugin: str, message: str) -> None:
    if not condition:
        raise ContractError(f"{plugin}: {message}")


def example_backbone_inputs(context: BackboneContext, batch_size: int, names: Sequence[str], seed: int = 0):
    """Random inputs of the documented layouts (`slrbench.interfaces.BACKBONE_INPUTS`); keypoints
    come with their crop's `keypoint_zoom`, as the loader delivers them."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    b, t, k = batch_size, context.num_frames, context.num_keypoints
    s, h = context.video_size, context.heatmap_size
    makers = {
        "video": lambda: torch.rand(b, 3, t, s, s, generator=generator) * 2 - 1,
        "heatmaps": lambda: torch.rand(b, k, t, h, h, generator=generator) * 2 - 1,  # as a mixup sees them
        "keypoints": lambda: torch.cat(
            [torch.rand(b, t, k, 2, generator=generator) * h, torch.rand(b, t, k, 1, generator=generator)], dim=-1
        ),
        "keypoint_zoom": lambda: 1 + torch.rand(b, 2, generator=generator) * 0.4,  # boxes of 0.7-1.0 of the frame
    }
    if "keypoints" in names and "keypoint_zoom" not in names:
        names = (*names, "keypoint_zoom")
    return {name: makers[name]() for name in names}


def check_backbone(
    name: str,
    options: Mapping[str, Any] | None = None,
    context: BackboneContext = CHECK_CONTEXT,
    batch_size: int = 2,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Build, prepare inputs, run forward and backward; features must match `feature_dims`, be
    finite and trainable, and in eval mode be deterministic and independent of the rest of the batch."""
    import torch

    registry = registry or default_registry()
    label = f"backbone '{name}'"
    model = registry.build("backbones", name, dict(options or {}), context)
    _require(isinstance(model, torch.nn.Module), label, "the factory must return a torch.nn.Module")
    inputs_needed = tuple(getattr(model, "inputs", ()))
    _require(bool(inputs_needed), label, "`inputs` must name at least one input")
    unknown = set(inputs_needed) - set(BACKBONE_INPUTS)
    _require(not unknown, label, f"unknown inputs {sorted(unknown)}; known: {sorted(BACKBONE_INPUTS)}")
    dims = dict(getattr(model, "feature_dims", {}))
    _require(bool(dims) and all(isinstance(d, int) and d > 0 for d in dims.values()), label,
             "`feature_dims` must map feature names to positive ints")

    batch = example_backbone_inputs(context, batch_size, inputs_needed)
    model.train()
    features = model(prepare_backbone_inputs(model, batch))
    _require(isinstance(features, dict) and set(features) == set(dims), label,
             f"forward must return the features {sorted(dims)}, got {sorted(features) if isinstance(features, dict) else type(features).__name__}")
    for feature, tensor in features.items():
        expected = (batch_size, dims[feature])
        _require(tuple(tensor.shape) == expected, label, f"feature '{feature}' has shape {tuple(tensor.shape)}, expected {expected}")
        _require(bool(torch.isfinite(tensor).all()), label, f"feature '{feature}' has non-finite values")
    sum(tensor.square().mean() for tensor in features.values()).backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    _require(bool(trainable), label, "has no trainable parameters")
    _require(any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in trainable), label,
             "no parameter received a gradient")
    _require(all(p.grad is None or bool(torch.isfinite(p.grad).all()) for p in trainable), label, "non-finite gradients")

    model.eval()
    with torch.no_grad():
        first = model(prepare_backbone_inputs(model, batch))
        again = model(prepare_backbone_inputs(model, batch))
        alone = model(prepare_backbone_inputs(model, {key: value[:1] for key, value in batch.items()}))
    for feature in dims:
        _require(torch.allclose(first[feature], again[feature]), label, f"eval-mode feature '{feature}' is not deterministic")
        _require(torch.allclose(first[feature][:1], alone[feature], atol=1e-4, rtol=1e-3), label,
                 f"eval-mode feature '{feature}' of a sample depends on the rest of the batch")
    return {"parameters": sum(p.numel() for p in model.parameters()), "feature_dims": dims, "inputs": inputs_needed}


def example_gloss_vectors(glosses: Sequence[str], dim: int = 16, seed: int = 0):
    """Deterministic stand-in gloss vectors (N, dim) for contract checks (not semantics)."""
    import numpy as np

    return np.random.default_rng(seed).normal(size=(len(glosses), dim)).astype(np.float32)


def check_label_smoother(
    name: str,
    options: Mapping[str, Any] | None = None,
    class_names: Sequence[str] = EXAMPLE_GLOSSES,
    gloss_vectors: Any = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The target table is N x N, non-negative, rows sum to one, and the true class keeps mass.
    A smoother that needs gloss vectors must refuse, with a UsageError, to build without them."""
    import torch

    registry = registry or default_registry()
    label = f"smoother '{name}'"
    vectors = example_gloss_vectors(class_names) if gloss_vectors is None else gloss_vectors
    context = SmootherContext(num_classes=len(class_names), class_names=tuple(class_names), gloss_vectors=vectors)
    smoother = registry.build("smoothers", name, dict(options or {}), context)
    _require(isinstance(getattr(smoother, "needs_embedder", None), bool), label, "`needs_embedder` must be a bool")
    if smoother.needs_embedder:
        bare = SmootherContext(num_classes=len(class_names), class_names=None, gloss_vectors=None)
        try:
            registry.build("smoothers", name, dict(options or {}), bare)
        except SlrbenchError:
            pass
        else:
            raise ContractError(f"{label}: needs gloss vectors but builds without them; raise a UsageError")
    table = smoother.target_table()
    n = len(class_names)
    _require(isinstance(table, torch.Tensor) and tuple(table.shape) == (n, n), label,
             f"target_table() must be a ({n}, {n}) tensor, got {getattr(table, 'shape', type(table).__name__)}")
    _require(table.is_floating_point() and bool(torch.isfinite(table).all()), label, "targets must be finite floats")
    _require(bool((table >= 0).all()), label, "targets must be non-negative")
    _require(torch.allclose(table.sum(dim=1), torch.ones(n, dtype=table.dtype), atol=1e-5), label,
             "each row must sum to 1")
    _require(bool((table.diagonal() > 0).all()), label, "the true class must keep some probability")
    return {"num_classes": n, "diagonal_mean": float(table.diagonal().mean())}


def check_mixup(
    name: str,
    options: Mapping[str, Any] | None = None,
    num_classes: int = 5,
    batch_size: int = 4,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """A mixed batch keeps every input's shape, λ is in [0, 1] and partners come from the batch."""
    import torch

    registry = registry or default_registry()
    label = f"mixup '{name}'"
    context = MixupContext(num_classes=num_classes, gloss_vectors=example_gloss_vectors(range(num_classes)))
    mixup = registry.build("mixups", name, dict(options or {}), context)
    inputs = example_backbone_inputs(BackboneContext(num_keypoints=5, num_frames=4, video_size=8, heatmap_size=8), batch_size, ("video", "heatmaps", "keypoints"))
    labels = torch.arange(batch_size) % num_classes
    results = [mixup.mix(inputs, labels, torch.Generator().manual_seed(seed)) for seed in (7, 7)]
    for result in results:
        _require(isinstance(result, MixedBatch), label, "mix() must return a slrbench.interfaces.MixedBatch")
        _require(set(result.inputs) == set(inputs), label, "mix() must return every input stream")
        for key, tensor in result.inputs.items():
            _require(tensor.shape == inputs[key].shape and tensor.dtype == inputs[key].dtype, label,
                     f"input '{key}' changed shape or dtype")
        _require(0.0 <= float(result.lam) <= 1.0, label, f"lam must be in [0, 1], got {result.lam}")
        for labels_name in ("labels_a", "labels_b"):
            mixed = getattr(result, labels_name)
            _require(tuple(mixed.shape) == (batch_size,), label, f"{labels_name} must have shape ({batch_size},)")
            _require(sorted(mixed.tolist()) == sorted(labels.tolist()), label, f"{labels_name} must permute the batch labels")
    first, second = results
    _require(first.lam == second.lam and torch.equal(first.labels_b, second.labels_b), label,
             "the same generator seed must give the same mix")
    report = {"lam": float(first.lam), "auxiliary_branch": False}
    if hasattr(mixup, "auxiliary_branch"):
        report["auxiliary_branch"] = _check_auxiliary_branch(mixup, first, num_classes, batch_size, label)
    return report


def _check_auxiliary_branch(mixup: Any, mixed: MixedBatch, num_classes: int, batch_size: int, label: str) -> bool:
    """The branch's loss is a finite scalar that trains the features and the branch itself."""
    import torch

    dims = {"v64": 8, "k64": 8, "f": 16}
    branch = mixup.auxiliary_branch(dims)
    if branch is None:
        return False
    _require(isinstance(branch, torch.nn.Module), label, "auxiliary_branch() must return a torch.nn.Module or None")
    features = {name: torch.randn(batch_size, dim, requires_grad=True) for name, dim in dims.items()}
    loss = branch.loss(features, mixed, 0.0)
    _require(loss.dim() == 0 and bool(torch.isfinite(loss)), label, "the auxiliary loss must be a finite scalar")
    loss.backward()
    _require(any(f.grad is not None and bool(f.grad.abs().sum() > 0) for f in features.values()), label,
             "the auxiliary loss must reach the vision features")
    classifiers = torch.nn.ModuleDict({name: torch.nn.Linear(dim, num_classes) for name, dim in dims.items()})
    before = {name: layer.weight.detach().clone() for name, layer in classifiers.items()}
    branch.after_optimizer_step(classifiers, 0.5)
    _require(all(torch.isfinite(layer.weight).all() for layer in classifiers.values()), label,
             "after_optimizer_step() left non-finite classifier weights")
    _require(all(classifiers[name].weight.shape == before[name].shape for name in dims), label,
             "after_optimizer_step() changed classifier shapes")
    return True


def check_word_embedder(
    name: str,
    options: Mapping[str, Any] | None = None,
    glosses: Sequence[str] = EXAMPLE_GLOSSES,
    context: EmbedderContext = EmbedderContext(),
    registry: Registry | None = None,
) -> dict[str, Any]:
    """One finite float32 row per gloss, in order, deterministic; OOV glosses are reported."""
    import numpy as np

    registry = registry or default_registry()
    label = f"embedder '{name}'"
    embedder = registry.build("embedders", name, dict(options or {}), context)
    dim = getattr(embedder, "dim", None)
    _require(isinstance(dim, int) and dim > 0, label, "`dim` must be a positive int")
    result = embedder.embed(list(glosses))
    _require(isinstance(result, GlossEmbeddings), label, "embed() must return slrbench.interfaces.GlossEmbeddings")
    vectors = result.vectors
    _require(isinstance(vectors, np.ndarray) and vectors.shape == (len(glosses), dim), label,
             f"vectors must have shape ({len(glosses)}, {dim}), got {getattr(vectors, 'shape', None)}")
    _require(vectors.dtype == np.float32 and bool(np.isfinite(vectors).all()), label, "vectors must be finite float32")
    _require(set(result.out_of_vocabulary) <= set(glosses), label, "out_of_vocabulary must list glosses asked for")
    reversed_rows = embedder.embed(list(reversed(glosses))).vectors
    _require(np.allclose(reversed_rows[::-1], vectors, atol=1e-5), label, "a gloss must get the same vector in any order")
    _require(embedder.embed([]).vectors.shape == (0, dim), label, "embedding no glosses must give a (0, dim) array")
    return {"dim": dim, "out_of_vocabulary": list(result.out_of_vocabulary)}


def check_dataset(
    name: str,
    options: Mapping[str, Any] | None = None,
    data_root: Path | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Declared benchmarks match the registration; manifests have the documented columns and labels."""
    registry = registry or default_registry()
    label = f"dataset '{name}'"
    plugin = registry.get("datasets", name)
    dataset = registry.build("datasets", name, dict(options or {}), DatasetContext(data_root=data_root))
    benchmarks = dict(getattr(dataset, "benchmarks", {}))
    _require(bool(benchmarks), label, "must declare at least one benchmark")
    _require(set(benchmarks) == set(plugin.spec.benchmarks), label,
             f"declares {sorted(benchmarks)} but registered {sorted(plugin.spec.benchmarks)}")
    sizes = {}
    for benchmark, info in benchmarks.items():
        _require(info.name == benchmark and info.num_classes >= 1, label, f"benchmark '{benchmark}' is malformed")
        table = dataset.manifest(benchmark)
        missing = [c for c in MANIFEST_COLUMNS if c not in table.columns and c not in OPTIONAL_MANIFEST_COLUMNS]
        _require(not missing, label, f"manifest of '{benchmark}' lacks columns {missing}")
        _require(set(table["split"]) <= set(SPLITS), label, f"splits must be among {SPLITS}")
        labels = table["label"]
        _require(labels.dtype.kind in "iu", label, "labels must be integers")
        _require(bool(((labels >= 0) & (labels < info.num_classes)).all()), label,
                 f"labels of '{benchmark}' must lie in [0, {info.num_classes})")
        _require(table["sample_id"].is_unique, label, "sample ids must be unique")
        names = dataset.class_names(benchmark)
        if info.has_glosses:
            _require(isinstance(names, list) and len(names) == info.num_classes, label,
                     f"class_names('{benchmark}') must list {info.num_classes} glosses")
        else:
            _require(names is None, label, f"class_names('{benchmark}') must be None for an index-only benchmark")
        sizes[benchmark] = table["split"].value_counts().to_dict()
    try:
        dataset.manifest("no-such-benchmark")
    except SlrbenchError:
        pass
    else:
        raise ContractError(f"{label}: manifest() of an unknown benchmark must raise a SlrbenchError")
    return {"benchmarks": sizes}


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
    _require(isinstance(whole, np.ndarray) and whole.shape == (len(frames), 133, 3), label,
             f"extract() must return a ({len(frames)}, 133, 3) array, got {getattr(whole, 'shape', None)}")
    _require(whole.dtype == np.float32 and bool(np.isfinite(whole).all()), label, "keypoints must be finite float32")
    _require(bool(((whole[..., 2] >= 0) & (whole[..., 2] <= 1)).all()), label, "scores must lie in [0, 1]")
    again = extractor.extract([frames])
    _require(np.allclose(again, whole, atol=1e-3), label, "a second video must not see state from the first")
    split = max(len(frames) // 3, 1)
    chunked = extractor.extract([frames[:split], frames[split:]])
    _require(np.allclose(chunked, whole, atol=1e-3), label, "the result must not depend on how frames are chunked")
    empty = extractor.extract([])
    _require(np.asarray(empty).shape == (0, 133, 3), label, "a video without frames must give a (0, 133, 3) array")
    return {"frames": len(frames), "points_found": int((whole[..., 2] > 0).any(axis=0).sum())}
