"""S3D weights from files in the widely used layouts, onto slrbench's S3D streams.

Two Kinetics-400 files of the same S3D (7,910,048 parameters before the classifier) are read, their
layout told apart by their keys (`kinetics_weights`; `detect_layout`):

- `S3D_kinetics400.pt` (github.com/kylemin/S3D, the file NLA-SLR's reference starts from) keeps its
  layers in one `base` list of 16 entries (keys `base.N.*`, often under `module.`; classifier `fc.*`).
- torchvision's `S3D_Weights.KINETICS400_V1`, `s3d-d76dad2f.pth`: the same 16 entries as
  `features.N.*`, each convolution a `Conv3dNormActivation` (`.0` conv, `.1` BN), each separable
  convolution a `TemporalSeparableConv` of two of those; classifier `classifier.*`.

slrbench groups the 16 entries into the blocks b1..b5 where VKNet's laterals attach:

    N = 0 -> b1.0 | 1-3 -> b2.0-2 | 4-6 -> b3.0-2 | 7-12 -> b4.0-5 | 13-15 -> b5.0-2

(1, 4, 7, 13 are max pools without weights.) The rest of a `base` key is unchanged; a `features`
key's nesting is renamed (`torchvision_block_key`: `0.0`/`0.1`/`1.0`/`1.1` of a separable
convolution -> `conv_s`/`bn_s`/`conv_t`/`bn_t`, `0`/`1` of a plain one -> `conv`/`bn`). Classifiers
are not used. A keypoint stream loads everything but its first convolution (`b1.0.conv_s`, 3 input
channels there, K here).

Input conventions (slrbench feeds RGB frames / 255 * 2 - 1, in [-1, 1]):

- torchvision's file was trained from scratch by torchvision (pytorch/vision#6537; a port of
  kylemin's weights reached only 67.3 % top-1 there, pytorch/vision#6412) with its video recipe, whose
  transforms are those published as `S3D_Weights.KINETICS400_V1.transforms` (`VideoClassification`):
  RGB in [0, 1], then (u - mean) / std with mean (0.43216, 0.394666, 0.37645) and std (0.22803,
  0.22145, 0.216989). A video stream loading it gets the fixed input map x * 0.5 / std +
  (0.5 - mean) / std (`InputAffine`, applied before the zero padding, so exact at the borders; it
  is saved with the run's weights), and computes torchvision's function on slrbench's input.
- `S3D_kinetics400.pt`: kylemin/S3D's `main.py` reads frames with `cv2.imread` (BGR), reverses
  them to RGB (`img[..., ::-1]`) and scales them to [-1, 1]; its training code is not published.
  NLA-SLR's reference feeds its S3D BGR in [-1, 1] (`sgn_videos[:, :, [2, 1, 0]]`, "convert to BGR
  for S3D", NLA-SLR/modelling/recognition.py) and starts from this file. slrbench reproduces the
  reference: the first convolution gets its input channels reversed (no input map), so the RGB
  model computes exactly what the reference computed on BGR - which is, by kylemin's demo, the
  file's function on colour-swapped frames (a start the reference fine-tunes from).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Literal, Mapping

import torch

from slrbench.errors import UsageError
from slrbench.safe_pickle import load_plain_torch_file

BASE_TO_BLOCK = {0: (1, 0), 1: (2, 0), 2: (2, 1), 3: (2, 2), 4: (3, 0), 5: (3, 1), 6: (3, 2),
                 7: (4, 0), 8: (4, 1), 9: (4, 2), 10: (4, 3), 11: (4, 4), 12: (4, 5),
                 13: (5, 0), 14: (5, 1), 15: (5, 2)}
FIRST_CONV = "b1.0.conv_s.weight"

Layout = Literal["reference", "torchvision"]
TORCHVISION = "torchvision"  # the `kinetics_weights` value that fetches torchvision's file
TORCHVISION_S3D_URL = "https://download.pytorch.org/models/s3d-d76dad2f.pth"  # S3D_Weights.KINETICS400_V1.url
TORCHVISION_S3D_HASH = "d76dad2f"  # leading hex digits of its sha256, as torch.hub checks them
TORCHVISION_MEAN = (0.43216, 0.394666, 0.37645)  # S3D_Weights.KINETICS400_V1.transforms: RGB in [0, 1],
TORCHVISION_STD = (0.22803, 0.22145, 0.216989)  # then (u - mean) / std
CLASSIFIER = {"reference": "fc.", "torchvision": "classifier."}
# torchvision's nesting -> slrbench's names: TemporalSeparableConv (two Conv3dNormActivation) -> SepConv3d,
# Conv3dNormActivation (conv, BN, ReLU) -> BasicConv3d
SEPARABLE = {("0", "0"): "conv_s", ("0", "1"): "bn_s", ("1", "0"): "conv_t", ("1", "1"): "bn_t"}
CONV_NORM = {"0": "conv", "1": "bn"}
SEPARABLE_AT, CONV_NORM_AT = (0, 3), (2,)  # `features` entries that are not max pools or inception blocks


def block_key(base_key: str) -> str:
    """'base.5.branch1.0.conv.weight' -> 'b3.1.branch1.0.conv.weight'."""
    head, index, rest = base_key.split(".", 2)
    if head != "base" or not index.isdigit() or int(index) not in BASE_TO_BLOCK:
        raise KeyError(base_key)
    block, position = BASE_TO_BLOCK[int(index)]
    return f"b{block}.{position}.{rest}"


def torchvision_block_key(key: str) -> str:
    """'features.5.branch1.1.0.1.running_var' -> 'b3.1.branch1.1.bn_s.running_var'."""
    head, index, *rest = key.split(".")
    if head != "features" or not index.isdigit() or int(index) not in BASE_TO_BLOCK:
        raise KeyError(key)
    block, position = BASE_TO_BLOCK[int(index)]
    if int(index) in SEPARABLE_AT:
        tail = _separable(rest, key)
    elif int(index) in CONV_NORM_AT:
        tail = _conv_norm(rest, key)
    else:
        tail = _inception(rest, key)
    return f"b{block}.{position}.{tail}"


def _conv_norm(parts: list[str], key: str) -> str:
    if len(parts) != 2 or parts[0] not in CONV_NORM:
        raise KeyError(key)
    return f"{CONV_NORM[parts[0]]}.{parts[1]}"


def _separable(parts: list[str], key: str) -> str:
    if len(parts) != 3 or (parts[0], parts[1]) not in SEPARABLE:
        raise KeyError(key)
    return f"{SEPARABLE[parts[0], parts[1]]}.{parts[2]}"


def _inception(parts: list[str], key: str) -> str:
    """SepInceptionBlock3D -> Mixed: branch0 a conv; branch1, 2 a conv then a separable conv;
    branch3 a max pool then a conv (slrbench wraps every branch in a Sequential)."""
    if len(parts) < 3:
        raise KeyError(key)
    branch, position, rest = parts[0], parts[1], parts[2:]
    if branch == "branch0":
        return f"branch0.0.{_conv_norm(parts[1:], key)}"
    if branch in ("branch1", "branch2") and position in ("0", "1"):
        return f"{branch}.{position}.{(_conv_norm if position == '0' else _separable)(rest, key)}"
    if branch == "branch3" and position == "1":
        return f"branch3.1.{_conv_norm(rest, key)}"
    raise KeyError(key)


KEY_MAPS: dict[str, Callable[[str], str]] = {"reference": block_key, "torchvision": torchvision_block_key}


def detect_layout(weights: Mapping[str, torch.Tensor], path: Path) -> Layout:
    """`base.N.*` keys: S3D_kinetics400.pt; `features.N.*`: torchvision's file; else a one-line error."""
    heads = sorted({key.removeprefix("module.").split(".", 1)[0] for key in weights})
    if "base" in heads:
        return "reference"
    if "features" in heads:
        return "torchvision"
    raise UsageError(f"{path} is neither S3D_kinetics400.pt (keys base.N.*) nor torchvision's s3d-d76dad2f.pth "
                     f"(keys features.N.*): its keys start with {', '.join(heads[:5]) or 'nothing'}")


def input_affine_state(layout: Layout) -> dict[str, torch.Tensor]:
    """A video stream's `InputAffine` for weights of `layout`: scale * x + shift is the input they were
    trained on, for slrbench's x = 2u - 1 (u: RGB in [0, 1]). Reference: identity (it feeds [-1, 1]
    too; its BGR order is in the first convolution). torchvision: (u - mean) / std, u = (x + 1) / 2."""
    if layout == "reference":
        return {"input_affine.scale": torch.ones(3), "input_affine.shift": torch.zeros(3)}
    mean, std = torch.tensor(TORCHVISION_MEAN), torch.tensor(TORCHVISION_STD)
    return {"input_affine.scale": 0.5 / std, "input_affine.shift": (0.5 - mean) / std}


def torchvision_hub_file() -> Path:
    """torchvision's file in torch's hub cache ($TORCH_HOME/hub/checkpoints, where torchvision keeps it),
    downloaded (32 MB, hash-checked) only when it is not there yet."""
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    path = folder / TORCHVISION_S3D_URL.rsplit("/", 1)[1]
    if path.is_file():
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(TORCHVISION_S3D_URL, str(path), hash_prefix=TORCHVISION_S3D_HASH)
    except (OSError, RuntimeError) as error:
        message = " ".join(str(error).split())
        raise UsageError(f"kinetics_weights=torchvision: cannot fetch {TORCHVISION_S3D_URL} into {folder} "
                         f"({message}); download it there yourself or give a local path") from None
    return path


def stream_tensor(key: str, value: torch.Tensor, modality: str) -> torch.Tensor:
    """A reference tensor as slrbench's stream holds it (BGR -> RGB for a video first conv)."""
    if key == FIRST_CONV and modality == "video":
        return value.flip(1)  # (64, 3 BGR, 1, 7, 7) -> (64, 3 RGB, 1, 7, 7)
    return value


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A `torch.save`d state dict (optionally under `state_dict` / `model_state`), never unpickling code."""
    if not path.is_file():
        raise UsageError(f"weights file {path} does not exist")
    document = load_plain_torch_file(path)  # one line naming the file; never torch's weights_only=False advice
    for wrapper in ("model_state", "state_dict"):
        if isinstance(document, dict) and isinstance(document.get(wrapper), dict):
            document = document[wrapper]
    if not isinstance(document, dict) or not all(isinstance(v, torch.Tensor) for v in document.values()):
        raise UsageError(f"{path} does not hold a state dict of tensors")
    return dict(document)


def kinetics_stream_state(weights: Mapping[str, torch.Tensor], modality: str,
                          layout: Layout = "reference") -> dict[str, torch.Tensor]:
    """A Kinetics file's keys -> one stream's keys (b1..b5, and a video stream's input map), classifier dropped."""
    mapped, unexpected = {}, []
    for key, value in weights.items():
        key = key.removeprefix("module.")
        if key.startswith(CLASSIFIER[layout]):
            continue
        try:
            target = KEY_MAPS[layout](key)
        except (KeyError, ValueError):
            unexpected.append(key)
            continue
        if modality == "keypoint" and target == FIRST_CONV:
            continue
        mapped[target] = stream_tensor(target, value, modality) if layout == "reference" else value
    if unexpected:
        raise UsageError(f"not an S3D Kinetics weights file of the {layout} layout: unexpected keys {unexpected[:5]}")
    if modality == "video":
        mapped.update(input_affine_state(layout))
    return mapped


def load_kinetics_s3d(model: torch.nn.Module, source: Path | str) -> list[str]:
    """Load a Kinetics-400 S3D file (a path, or `torchvision` for torchvision's file from the hub cache)
    into every stream of a VKNet; returns the streams loaded."""
    path = torchvision_hub_file() if source == TORCHVISION else Path(source)
    weights = read_state_dict(path)
    layout = detect_layout(weights, path)
    for stream in model.streams:
        modality = "video" if stream.startswith("video") else "keypoint"
        state = kinetics_stream_state(weights, modality, layout)
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
