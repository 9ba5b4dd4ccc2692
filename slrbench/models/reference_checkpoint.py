"""Released NLA-SLR checkpoints (the reference implementation) -> slrbench's model keys.

A reference checkpoint is a `torch.save`d dict whose `model_state` holds keys starting with
`recognition_network.` (after a `module.` under DDP). Four layouts exist, told apart by their
backbone prefix:

    visual_backbone_fourstream.*   full NLA-SLR       -> vknet
    visual_backbone_twostream.*    VKNet-64 (or -32)   -> vknet-64 (vknet-32)
    visual_backbone.*              video S3D           -> video-64 (video-32)
    visual_backbone_keypoint.*     keypoint S3D        -> keypoint-64 (keypoint-32)

Backbone keys (`.../backbone.base.N.*` -> `backbone.<stream>.bI.J.*`: `slrbench.models.s3d_weights`):
    ts_high / ts_low             -> the 64 / 32-frame streams; rgb_stream / pose_stream -> video / keypoint
    rgb_stream_lateral.i.conv    -> video_keypoint_<S>.to_large.i   (keypoint -> video, transposed conv)
    pose_stream_lateral.i.conv   -> video_keypoint_<S>.to_small.i   (video -> keypoint, conv)
    rgb_low2high / rgb_high2low  -> video_temporal.to_large / to_small (32 -> 64 / 64 -> 32)
    pose_low2high / pose_high2low -> keypoint_temporal.to_large / to_small
Heads (`visual_head_<x>.<part>`): rgb_h v64, rgb_l v32, kp_h k64, kp_l k32, fuse f, fuse_h f64,
fuse_l f32 (two-stream: visual_head vS, visual_head_keypoint kS, visual_head_fuse fS); parts:
    gloss_output_layer            -> heads.classifiers.<feature>  (FC1, kept for inference)
    word_fused_gloss_output_layer -> branch.fc2.<feature>         (FC2, training only)
    word_emb_mapper               -> branch.mappers.<feature>     (gloss mapper, training only)
The lateral switches are read off the keys present. The video streams' first convolutions have
their input channels reversed (the reference feeds BGR, slrbench RGB). FC1 and FC2 are the only
tensors with a class dimension (their rows; the gloss mapper is Linear(300 -> in)):
`reorder_classes` puts them in slrbench's class order (`slrbench.models.reference_classes`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import torch

from slrbench.builtins.backbones import VKNetConfig
from slrbench.errors import UsageError
from slrbench.interfaces import BackboneContext
from slrbench.models.s3d_weights import FIRST_CONV, block_key, input_affine_state, stream_tensor
from slrbench.models.vknet import VKNet
from slrbench.models.vknet_variants import VARIANT_STREAMS

FOURSTREAM, TWOSTREAM = "visual_backbone_fourstream.", "visual_backbone_twostream."
VIDEO, KEYPOINT = "visual_backbone.", "visual_backbone_keypoint."
# layout -> (prefix, backbones it can be imported as; the first is the default)
LAYOUTS = {
    "fourstream": (FOURSTREAM, ("vknet",)),
    "twostream": (TWOSTREAM, ("vknet-64", "vknet-32")),
    "video": (VIDEO, ("video-64", "video-32")),
    "keypoint": (KEYPOINT, ("keypoint-64", "keypoint-32")),
}
FOURSTREAM_HEADS = {"visual_head_rgb_h": "v64", "visual_head_rgb_l": "v32", "visual_head_kp_h": "k64",
                    "visual_head_kp_l": "k32", "visual_head_fuse": "f", "visual_head_fuse_h": "f64",
                    "visual_head_fuse_l": "f32"}
HEAD_PARTS = {"gloss_output_layer": "heads.classifiers", "word_fused_gloss_output_layer": "branch.fc2",
              "word_emb_mapper": "branch.mappers"}
CLASS_ROWS = ("heads.classifiers.", "branch.fc2.")  # tensors whose first dimension is the class
LATERAL_SWITCHES = {"video_keypoint_laterals": ("rgb_stream_lateral", "pose_stream_lateral"),
                    "video_video_laterals": ("rgb_low2high", "rgb_high2low"),
                    "keypoint_keypoint_laterals": ("pose_low2high", "pose_high2low")}


@dataclass
class ImportedCheckpoint:
    backbone: str  # registered backbone name
    lateral_options: dict[str, bool]  # lateral switches found in the checkpoint
    num_keypoints: int
    num_classes: int
    weights: dict[str, torch.Tensor] = field(default_factory=dict)  # backbone.* and heads.classifiers.* (inference)
    training_only: dict[str, torch.Tensor] = field(default_factory=dict)  # branch.fc2.*, branch.mappers.*
    mapped: dict[str, str] = field(default_factory=dict)  # source key -> slrbench key
    unused: dict[str, str] = field(default_factory=dict)  # source key -> why it is not imported


def model_keys(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip `module.` (DDP) and `recognition_network.`; other keys keep their names."""
    return {key.removeprefix("module.").removeprefix("recognition_network."): value for key, value in state.items()}


def detect_layout(keys: Mapping[str, torch.Tensor]) -> str:
    for layout in ("fourstream", "twostream", "keypoint", "video"):
        if any(key.startswith(LAYOUTS[layout][0]) for key in keys):
            return layout
    raise UsageError("not an NLA-SLR checkpoint: no key starts with recognition_network.visual_backbone*")


def head_names(layout: str, scale: str) -> dict[str, str]:
    if layout == "fourstream":
        return dict(FOURSTREAM_HEADS)
    heads = {"visual_head": f"v{scale}", "visual_head_keypoint": f"k{scale}"}
    if layout == "twostream":
        heads["visual_head_fuse"] = f"f{scale}"
    elif layout == "video":
        del heads["visual_head_keypoint"]
    else:
        del heads["visual_head"]
    return heads


def _stream_prefixes(layout: str, scale: str) -> dict[str, str]:
    """Source prefix of each stream's `backbone.` -> slrbench stream name."""
    if layout == "fourstream":
        return {f"{FOURSTREAM}ts_{level}.{source}_stream.backbone.": f"{target}{frames}"
                for level, frames in (("high", "64"), ("low", "32"))
                for source, target in (("rgb", "video"), ("pose", "keypoint"))}
    if layout == "twostream":
        return {f"{TWOSTREAM}rgb_stream.backbone.": f"video{scale}", f"{TWOSTREAM}pose_stream.backbone.": f"keypoint{scale}"}
    return {f"{LAYOUTS[layout][0]}backbone.": f"{layout}{scale}"}


def _lateral_target(key: str, layout: str, scale: str) -> str | None:
    patterns = []
    if layout == "fourstream":
        patterns += [(rf"{FOURSTREAM}ts_(high|low)\.(rgb|pose)_stream_lateral\.(\d)\.conv\.weight", "vk")]
        patterns += [(rf"{FOURSTREAM}(rgb|pose)_(low2high|high2low)\.(\d)\.conv\.weight", "temporal")]
    elif layout == "twostream":
        patterns += [(rf"{TWOSTREAM}()(rgb|pose)_stream_lateral\.(\d)\.conv\.weight", "vk")]
    for pattern, kind in patterns:
        match = re.fullmatch(pattern, key)
        if not match:
            continue
        if kind == "vk":
            level, source, index = match.groups()
            frames = {"high": "64", "low": "32"}.get(level, scale)
            direction = "to_large" if source == "rgb" else "to_small"  # rgb_stream_lateral: keypoint -> video
            return f"backbone.video_keypoint_{frames}.{direction}.{index}.weight"
        modality, way, index = match.groups()
        stream = "video" if modality == "rgb" else "keypoint"
        return f"backbone.{stream}_temporal.{'to_large' if way == 'low2high' else 'to_small'}.{index}.weight"
    return None


def lateral_switches(keys: Mapping[str, torch.Tensor]) -> dict[str, bool]:
    """A lateral type is on when both of its directions are in the checkpoint."""
    return {option: all(any(f"{name}." in key for key in keys) for name in names)
            for option, names in LATERAL_SWITCHES.items()}


def expected_model(backbone: str, lateral_options: dict[str, bool], num_keypoints: int) -> VKNet:
    """slrbench's backbone at width 1.0, built on the meta device (shapes only, no memory)."""
    with torch.device("meta"):
        return VKNet(VARIANT_STREAMS[backbone], VKNetConfig(**lateral_options),
                     BackboneContext(num_keypoints=num_keypoints))


def import_reference_state(state: Mapping[str, torch.Tensor], backbone: str | None = None) -> ImportedCheckpoint:
    """Map every key of a reference `model_state`; raise a UsageError on a missing key or a shape
    mismatch. `backbone` picks the scale for single- and two-stream checkpoints (default: 64)."""
    keys = model_keys(state)
    layout = detect_layout(keys)
    allowed = LAYOUTS[layout][1]
    backbone = backbone or allowed[0]
    if backbone not in allowed:
        raise UsageError(f"a {layout} checkpoint imports as {' or '.join(allowed)}, not '{backbone}'")
    scale = "64" if layout == "fourstream" else backbone[-2:]
    switches = {}
    if layout == "fourstream":
        switches = lateral_switches(keys)
    elif layout == "twostream":
        switches = {"video_keypoint_laterals": lateral_switches(keys)["video_keypoint_laterals"]}
    streams = _stream_prefixes(layout, scale)
    heads = head_names(layout, scale)
    first_convs = [value for key, value in keys.items() for prefix, stream in streams.items()
                   if stream.startswith("keypoint") and key == f"{prefix}base.0.conv_s.weight"]
    num_keypoints = int(first_convs[0].shape[1]) if first_convs else 63
    model = expected_model(backbone, switches, num_keypoints)
    expected = {f"backbone.{key}": value.shape for key, value in model.state_dict().items()}
    result = ImportedCheckpoint(backbone, switches, num_keypoints, num_classes=0)

    for key, value in keys.items():
        target = _backbone_target(key, streams) or _lateral_target(key, layout, scale)
        if target is not None:
            if target not in expected:  # a lateral whose partner direction is absent
                result.unused[key] = "one direction of a lateral pair only; the reference does not use it"
                continue
            result.weights[target] = value
            result.mapped[key] = target
            continue
        target = _head_target(key, heads)
        if target is None:
            result.unused[key] = "not part of slrbench's backbone or head network"
            continue
        (result.weights if target.startswith("heads.") else result.training_only)[target] = value
        result.mapped[key] = target

    for stream in (s for s in model.streams if s.startswith("video")):  # the reference feeds [-1, 1]: no input map
        result.weights.update({f"backbone.{stream}.{key}": value for key, value in input_affine_state("reference").items()})
    _check(result, expected, dict(model.feature_dims))
    for stream in model.streams:  # BGR (reference) -> RGB (slrbench) first convolutions
        first = f"backbone.{stream}.{FIRST_CONV}"
        result.weights[first] = stream_tensor(FIRST_CONV, result.weights[first], stream.rstrip("0123456789"))
    return result


def reorder_classes(imported: ImportedCheckpoint, permutation: Sequence[int]) -> None:
    """Row i of every class-dependent tensor becomes the reference's row `permutation[i]`."""
    if sorted(permutation) != list(range(imported.num_classes)):
        raise UsageError(f"the checkpoint has {imported.num_classes} classes, the class order {len(permutation)}")
    index = torch.as_tensor(list(permutation), dtype=torch.long)
    for table in (imported.weights, imported.training_only):
        for key in [key for key in table if key.startswith(CLASS_ROWS)]:
            table[key] = table[key].index_select(0, index)  # (N, in) or (N,)


def _backbone_target(key: str, streams: dict[str, str]) -> str | None:
    for prefix, stream in streams.items():
        if key.startswith(prefix):
            try:
                return f"backbone.{stream}.{block_key(key[len(prefix):])}"
            except KeyError:
                return None
    return None


def _head_target(key: str, heads: dict[str, str]) -> str | None:
    head, _, rest = key.partition(".")
    part, _, parameter = rest.partition(".")
    if head not in heads or part not in HEAD_PARTS or parameter not in ("weight", "bias"):
        return None
    return f"{HEAD_PARTS[part]}.{heads[head]}.{parameter}"


def _check(result: ImportedCheckpoint, backbone_shapes: dict[str, torch.Size], feature_dims: dict[str, int]) -> None:
    """Every slrbench key present with the right shape; the heads agree on the class count."""
    present = {**result.weights, **result.training_only}
    classifiers = {name: present.get(f"heads.classifiers.{name}.weight") for name in feature_dims}
    missing = sorted(set(backbone_shapes) - set(present))
    missing += [f"heads.classifiers.{name}.weight" for name, weight in classifiers.items() if weight is None]
    if missing:
        raise UsageError(f"the checkpoint lacks {len(missing)} tensors slrbench's {result.backbone} needs, "
                         f"e.g. {', '.join(missing[:3])}")
    counts = {int(weight.shape[0]) for weight in classifiers.values()}
    if len(counts) != 1:
        raise UsageError(f"the heads disagree on the number of classes: {sorted(counts)}")
    result.num_classes = counts.pop()
    expected = dict(backbone_shapes)
    for name, dim in feature_dims.items():
        for part in ("heads.classifiers", "branch.fc2"):
            expected[f"{part}.{name}.weight"] = torch.Size((result.num_classes, dim))
            expected[f"{part}.{name}.bias"] = torch.Size((result.num_classes,))
        mapper = present.get(f"branch.mappers.{name}.weight")
        gloss_dim = int(mapper.shape[-1]) if mapper is not None and mapper.dim() == 2 else 300
        expected[f"branch.mappers.{name}.weight"] = torch.Size((dim, gloss_dim))
        expected[f"branch.mappers.{name}.bias"] = torch.Size((dim,))
    source = {target: key for key, target in result.mapped.items()}
    for target, value in present.items():
        if value.shape != expected[target]:
            raise UsageError(f"'{source[target]}' has shape {tuple(value.shape)} but slrbench's '{target}' "
                             f"needs {tuple(expected[target])}")
