"""Contract checks of mixups: a mixed batch is well formed, and with every registered backbone's
declared inputs each input is blended as its kind says (or the run would refuse the pair)."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from slrbench.inputs import LINEAR, SAMPLE
from slrbench.interfaces import MixedBatch, MixupContext
from slrbench.registry import Registry, default_registry
from slrbench.testing.backbones import build_for_check, example_backbone_inputs
from slrbench.testing.common import CHECK_CONTEXT, example_gloss_vectors, require

DRAWS = 24  # generator seeds tried; a mixup that mixes at all mixes some of them


def check_mixup(
    name: str,
    options: Mapping[str, Any] | None = None,
    num_classes: int = 5,
    batch_size: int = 4,
    registry: Registry | None = None,
    backbones: Optional[Sequence[str]] = None,
) -> dict[str, Any]:
    """For each backbone (default: every registered one that can be built here): the mixed batch
    keeps every input's shape and dtype, λ is in [0, 1], partners come from the batch, the same
    generator seed gives the same mix, and whenever labels are mixed every "linear" input equals
    λ·a + (1 − λ)·partner and every "sample" input is unchanged. A pair the run refuses before
    training (an input kind the mixup does not declare in `blends`) is reported as refused."""
    import torch

    registry = registry or default_registry()
    plugin = registry.get("mixups", name)
    options = dict(plugin.spec.test_options if options is None else options)
    require(batch_size <= num_classes, f"mixup '{name}'", "the check needs distinct labels: batch_size <= num_classes")
    labels = torch.arange(batch_size)
    vectors = example_gloss_vectors(range(num_classes))
    names = backbones if backbones is not None else [
        backbone for backbone, entry in registry.plugins("backbones").items() if entry.unavailable_reason() is None]
    report: dict[str, Any] = {"backbones": {}}
    for backbone in names:
        label = f"mixup '{name}' with backbone '{backbone}'"
        backbone_plugin, model, delivered, clip = build_for_check(registry, backbone, None, CHECK_CONTEXT)
        batch = example_backbone_inputs(clip, batch_size, model.inputs, streams=backbone_plugin.spec.streams)
        with torch.no_grad():
            prepared = model.train().prepare_inputs(batch)
        blends = model.input_blends(delivered)
        refused = [f"{key} ({kind})" for key, kind in blends.items() if kind != SAMPLE and kind not in plugin.spec.blends]
        if plugin.spec.blends and refused:
            report["backbones"][backbone] = f"refused before training: cannot blend {', '.join(refused)}"
            continue
        mixup = registry.build("mixups", name, options, MixupContext(num_classes, vectors, blends))
        report["backbones"][backbone] = _check_mixing(mixup, prepared, blends, labels, plugin.spec.blends, label)
    mixup = registry.build("mixups", name, options, MixupContext(num_classes, vectors))
    mixed = mixup.mix({"x": torch.randn(batch_size, 3)}, labels, torch.Generator().manual_seed(0))
    report["auxiliary_branch"] = _check_auxiliary_branch(mixup, mixed, num_classes, batch_size, f"mixup '{name}'")
    return report


def _check_mixing(mixup: Any, prepared: dict, blends: Mapping[str, str], labels: Any, declared: Sequence[str],
                  label: str) -> str:
    import torch

    results = [mixup.mix(prepared, labels, torch.Generator().manual_seed(seed)) for seed in range(DRAWS)]
    again = mixup.mix(prepared, labels, torch.Generator().manual_seed(0))
    require(again.lam == results[0].lam and torch.equal(again.labels_b, results[0].labels_b), label,
            "the same generator seed must give the same mix")
    for result in results:
        require(isinstance(result, MixedBatch), label, "mix() must return a slrbench.interfaces.MixedBatch")
        require(set(result.inputs) == set(prepared), label, "mix() must return every input stream")
        for key, tensor in result.inputs.items():
            require(tensor.shape == prepared[key].shape and tensor.dtype == prepared[key].dtype, label,
                    f"input '{key}' changed shape or dtype")
        require(0.0 <= float(result.lam) <= 1.0, label, f"lam must be in [0, 1], got {result.lam}")
        for labels_name in ("labels_a", "labels_b"):
            mixed = getattr(result, labels_name)
            require(tuple(mixed.shape) == tuple(labels.shape), label, f"{labels_name} must have shape {tuple(labels.shape)}")
            require(sorted(mixed.tolist()) == sorted(labels.tolist()), label, f"{labels_name} must permute the batch labels")
    mixing = [r for r in results if r.lam < 1 and not torch.equal(r.labels_a, r.labels_b)]
    if not declared:
        require(not mixing, label, "mixes labels but declares no `blends` on its PluginSpec; declare the input "
                "kinds it blends (e.g. blends=('linear',))")
        return "leaves samples unmixed"
    for result in mixing:
        require(torch.equal(result.labels_a, labels), label, "labels_a must be the batch's own labels")
        partner = result.labels_b  # labels are 0..B-1, so a partner's label is its position
        for key, tensor in prepared.items():
            kind = blends[key]
            if kind == SAMPLE:
                require(torch.equal(result.inputs[key], tensor), label,
                        f"input '{key}' describes its sample (blend 'sample') and must pass through unchanged")
            elif kind == LINEAR:
                expected = result.lam * tensor + (1 - result.lam) * tensor[partner]
                require(torch.allclose(result.inputs[key], expected, atol=1e-5), label,
                        f"input '{key}' is not blended as λ·a + (1 − λ)·b with the partners of labels_b, while its "
                        "labels are mixed: the loss would go to a label the input does not show")
    return f"blends every input ({len(mixing)} of {DRAWS} draws mixed)"


def _check_auxiliary_branch(mixup: Any, mixed: MixedBatch, num_classes: int, batch_size: int, label: str) -> bool:
    """The branch's loss is a finite scalar that trains the features and the branch itself."""
    import torch

    dims = {"v64": 8, "k64": 8, "f": 16}
    branch = mixup.auxiliary_branch(dims, {"v64": "video", "k64": "keypoint", "f": "joint"})
    if branch is None:
        return False
    require(isinstance(branch, torch.nn.Module), label, "auxiliary_branch() must return a torch.nn.Module or None")
    features = {name: torch.randn(batch_size, dim, requires_grad=True) for name, dim in dims.items()}
    loss = branch.loss(features, mixed, 0.0)
    require(loss.dim() == 0 and bool(torch.isfinite(loss)), label, "the auxiliary loss must be a finite scalar")
    loss.backward()
    require(any(f.grad is not None and bool(f.grad.abs().sum() > 0) for f in features.values()), label,
            "the auxiliary loss must reach the vision features")
    classifiers = torch.nn.ModuleDict({name: torch.nn.Linear(dim, num_classes) for name, dim in dims.items()})
    before = {name: layer.weight.detach().clone() for name, layer in classifiers.items()}
    branch.after_optimizer_step(classifiers, 0.5)
    require(all(torch.isfinite(layer.weight).all() for layer in classifiers.values()), label,
            "after_optimizer_step() left non-finite classifier weights")
    require(all(classifiers[name].weight.shape == before[name].shape for name in dims), label,
            "after_optimizer_step() changed classifier shapes")
    return True
