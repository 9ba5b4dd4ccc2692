"""Contract checks of backbones: declared inputs, feature groups, forward, backward, eval mode."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from slrbench.inputs import InputStream, delivered_streams, loader_streams, stream_table
from slrbench.interfaces import FEATURE_GROUPS, BackboneContext
from slrbench.registry import Registry, default_registry
from slrbench.testing.common import CHECK_CONTEXT, require


def example_backbone_inputs(context: BackboneContext, batch_size: int, names: Sequence[str], seed: int = 0,
                            streams: Sequence[InputStream] = ()):
    """Random inputs of the documented layouts (`slrbench.inputs`), as the loader delivers them:
    keypoints come with their crop's `keypoint_zoom`; a plugin's derived stream is computed per
    sample by its own `derive` from the built-in streams it needs."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    b, t, k = batch_size, context.num_frames, context.num_keypoints
    s, h = context.video_size, context.heatmap_size

    def points(scale: float, shift: float):
        return torch.cat([torch.rand(b, t, k, 2, generator=generator) * scale + shift,
                          torch.rand(b, t, k, 1, generator=generator)], dim=-1)

    makers = {
        "video": lambda: torch.rand(b, 3, t, s, s, generator=generator) * 2 - 1,
        "heatmaps": lambda: torch.rand(b, k, t, h, h, generator=generator) * 2 - 1,  # as a mixup sees them
        "keypoints": lambda: points(h, 0.0),
        "keypoint_coordinates": lambda: points(2.0, -1.0),
        "keypoint_zoom": lambda: 1 + torch.rand(b, 2, generator=generator) * 0.4,  # boxes of 0.7-1.0 of the frame
    }
    table = stream_table(streams)
    wanted = [name for name in names if name in table]
    made = loader_streams(wanted, table) + tuple(name for name in names if name not in table)
    batch = {name: makers[name]() for name in made if name in makers}
    for name in wanted:
        stream = table[name]
        if stream.derive is not None:
            derive = stream.derive_function()
            batch[name] = torch.stack([derive({need: batch[need][i] for need in stream.needs}) for i in range(b)])
    return batch


def build_for_check(registry: Registry, name: str, options: Mapping[str, Any] | None, context: BackboneContext):
    """The backbone built with `options` (default: its spec's `test_options`), what the loader would
    deliver to it ({stream: InputStream}) and the clip it wants (its declared geometry and keypoint
    channels, as a context for `example_backbone_inputs`)."""
    plugin = registry.get("backbones", name)
    model = registry.build("backbones", name, dict(plugin.spec.test_options if options is None else options), context)
    table = stream_table(plugin.spec.streams)
    consumed = tuple(name for name in getattr(model, "inputs", ()) if name in table)
    geometry = model.clip_geometry(context)
    clip = BackboneContext(num_keypoints=geometry.num_keypoints(context.num_keypoints), num_frames=geometry.num_frames,
                           video_size=geometry.video_size, heatmap_size=geometry.heatmap_size)
    return plugin, model, delivered_streams(consumed, table), clip


def check_backbone(
    name: str,
    options: Mapping[str, Any] | None = None,
    context: BackboneContext = CHECK_CONTEXT,
    batch_size: int = 2,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Build, prepare inputs, run forward and backward; inputs must be declared, features must match
    `feature_dims` and their declared groups, be finite and trainable, and in eval mode be
    deterministic and independent of the rest of the batch."""
    import torch

    registry = registry or default_registry()
    label = f"backbone '{name}'"
    plugin, model, delivered, clip = build_for_check(registry, name, options, context)
    require(isinstance(model, torch.nn.Module), label, "the factory must return a torch.nn.Module")
    inputs_needed = tuple(getattr(model, "inputs", ()))
    require(bool(inputs_needed), label, "`inputs` must name at least one input")
    undeclared = sorted(set(inputs_needed) - set(plugin.spec.inputs))
    require(not undeclared, label, f"consumes {undeclared} that its PluginSpec does not declare in `inputs`")
    dims = dict(getattr(model, "feature_dims", {}))
    require(bool(dims) and all(isinstance(d, int) and d > 0 for d in dims.values()), label,
            "`feature_dims` must map feature names to positive ints")
    groups = model.feature_groups()
    require(set(groups) == set(dims) and set(groups.values()) <= set(FEATURE_GROUPS), label,
            f"feature_groups() must give every feature one of {FEATURE_GROUPS}, got {groups}")
    heads = tuple(model.default_heads())
    require(bool(heads) and set(heads) <= set(dims), label, f"default_heads() must name features, got {heads}")

    batch = example_backbone_inputs(clip, batch_size, inputs_needed, streams=plugin.spec.streams)
    model.train()
    prepared = model.prepare_inputs(batch)
    blends = model.input_blends(delivered)
    require(set(blends) == set(prepared), label, f"input_blends() names {sorted(blends)} but prepare_inputs() "
            f"returns {sorted(prepared)}; declare the blend kind of every prepared input")
    features = model(prepared)
    require(isinstance(features, dict) and set(features) == set(dims), label,
            f"forward must return the features {sorted(dims)}, got {sorted(features) if isinstance(features, dict) else type(features).__name__}")
    for feature, tensor in features.items():
        expected = (batch_size, dims[feature])
        require(tuple(tensor.shape) == expected, label, f"feature '{feature}' has shape {tuple(tensor.shape)}, expected {expected}")
        require(bool(torch.isfinite(tensor).all()), label, f"feature '{feature}' has non-finite values")
    sum(tensor.square().mean() for tensor in features.values()).backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    require(bool(trainable), label, "has no trainable parameters")
    require(any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in trainable), label,
            "no parameter received a gradient")
    require(all(p.grad is None or bool(torch.isfinite(p.grad).all()) for p in trainable), label, "non-finite gradients")

    model.eval()
    with torch.no_grad():
        first = model(model.prepare_inputs(batch))
        again = model(model.prepare_inputs(batch))
        alone = model(model.prepare_inputs({key: value[:1] for key, value in batch.items()}))
    for feature in dims:
        require(torch.allclose(first[feature], again[feature]), label, f"eval-mode feature '{feature}' is not deterministic")
        require(torch.allclose(first[feature][:1], alone[feature], atol=1e-4, rtol=1e-3), label,
                f"eval-mode feature '{feature}' of a sample depends on the rest of the batch")
    return {"parameters": sum(p.numel() for p in model.parameters()), "feature_dims": dims, "inputs": inputs_needed,
            "feature_groups": groups, "input_blends": blends}

