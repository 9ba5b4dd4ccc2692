"""S3D weights from files in the widely used layouts, onto slrbench's S3D streams.

The reference S3D (and the `S3D_kinetics400.pt` Kinetics-400 file) keeps its layers in one
`base` list of 16 entries; slrbench groups them into the blocks b1..b5 where VKNet's laterals
attach. Keys map by renumbering only, the rest of each key is unchanged:

    base.0 -> b1.0 | base.1-3 -> b2.0-2 | base.4-6 -> b3.0-2 | base.7-12 -> b4.0-5 | base.13-15 -> b5.0-2

(`base.1`, `base.4`, `base.7`, `base.13` are max pools without weights.) The Kinetics file's
classifier `fc.*` is not used. A keypoint stream loads everything but its first convolution
(`base.0.conv_s`, 3 input channels there, K here). The reference feeds BGR frames to S3D while
slrbench feeds RGB, so a video stream's first convolution has its input channels reversed: the
RGB model then computes exactly what the reference computed on BGR.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Mapping

import torch

from slrbench.errors import UsageError

BASE_TO_BLOCK = {0: (1, 0), 1: (2, 0), 2: (2, 1), 3: (2, 2), 4: (3, 0), 5: (3, 1), 6: (3, 2),
                 7: (4, 0), 8: (4, 1), 9: (4, 2), 10: (4, 3), 11: (4, 4), 12: (4, 5),
                 13: (5, 0), 14: (5, 1), 15: (5, 2)}
FIRST_CONV = "b1.0.conv_s.weight"


def block_key(base_key: str) -> str:
    """'base.5.branch1.0.conv.weight' -> 'b3.1.branch1.0.conv.weight'."""
    head, index, rest = base_key.split(".", 2)
    if head != "base" or not index.isdigit() or int(index) not in BASE_TO_BLOCK:
        raise KeyError(base_key)
    block, position = BASE_TO_BLOCK[int(index)]
    return f"b{block}.{position}.{rest}"


def stream_tensor(key: str, value: torch.Tensor, modality: str) -> torch.Tensor:
    """A reference tensor as slrbench's stream holds it (BGR -> RGB for a video first conv)."""
    if key == FIRST_CONV and modality == "video":
        return value.flip(1)  # (64, 3 BGR, 1, 7, 7) -> (64, 3 RGB, 1, 7, 7)
    return value


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A `torch.save`d state dict (optionally under `state_dict` / `model_state`), never unpickling code."""
    if not path.is_file():
        raise UsageError(f"weights file {path} does not exist")
    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:
        raise UsageError(f"{path} is not a readable torch weights file: {error}") from None
    for wrapper in ("model_state", "state_dict"):
        if isinstance(document, dict) and isinstance(document.get(wrapper), dict):
            document = document[wrapper]
    if not isinstance(document, dict) or not all(isinstance(v, torch.Tensor) for v in document.values()):
        raise UsageError(f"{path} does not hold a state dict of tensors")
    return dict(document)


def kinetics_stream_state(weights: Mapping[str, torch.Tensor], modality: str) -> dict[str, torch.Tensor]:
    """`S3D_kinetics400.pt` keys -> one stream's keys (b1..b5), classifier dropped."""
    mapped, unexpected = {}, []
    for key, value in weights.items():
        key = key.removeprefix("module.")
        if key.startswith("fc."):
            continue
        try:
            target = block_key(key)
        except KeyError:
            unexpected.append(key)
            continue
        if modality == "keypoint" and target == FIRST_CONV:
            continue
        mapped[target] = stream_tensor(target, value, modality)
    if unexpected:
        raise UsageError(f"not an S3D Kinetics weights file: unexpected keys {unexpected[:5]}")
    return mapped


def load_kinetics_s3d(model: torch.nn.Module, path: Path) -> list[str]:
    """Load the Kinetics-400 S3D file into every stream of a VKNet; returns the streams loaded."""
    weights = read_state_dict(path)
    for stream in model.streams:
        modality = "video" if stream.startswith("video") else "keypoint"
        state = kinetics_stream_state(weights, modality)
        target = getattr(model, stream)
        load_stream(target, state, f"{path.name} -> {stream}", allowed_missing={FIRST_CONV} if modality == "keypoint" else set())
    return list(model.streams)


def load_stream(target: torch.nn.Module, state: Mapping[str, torch.Tensor], label: str, allowed_missing: set[str]) -> None:
    """Copy `state` into `target`, refusing missing, unknown or differently shaped tensors."""
    own = target.state_dict()
    missing = sorted(set(own) - set(state) - allowed_missing)
    unknown = sorted(set(state) - set(own))
    if missing or unknown:
        raise UsageError(f"{label}: {len(missing)} missing keys {missing[:3]}, {len(unknown)} unknown keys {unknown[:3]}")
    for key, value in state.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise UsageError(f"{label}: '{key}' has shape {tuple(value.shape)} in the file but {tuple(own[key].shape)} "
                             "in the model (S3D weights need width 1.0)")
    target.load_state_dict(dict(state), strict=False)
