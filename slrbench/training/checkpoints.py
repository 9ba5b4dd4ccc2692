"""Checkpoints written atomically each epoch: weights as safetensors, the rest as plain tensors.

A checkpoint is a folder: `model.safetensors` (every weight, the auxiliary branch included) and
`state.pt` (optimizer, scheduler, random states, epoch, history), which is read with
`torch.load(weights_only=True)` so that loading never executes a pickle
(`slrbench.safe_pickle.load_plain_torch_file`: a file that is more than tensors is one line
naming it, never torch's advice to load it with `weights_only=False`). The folder is written
under a temporary name and swapped in by renames (`slrbench.files.atomic_folder`), so an
interrupted write leaves the previous complete checkpoint in place.
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from slrbench.errors import UsageError
from slrbench.files import atomic_folder, previous_folder
from slrbench.safe_pickle import load_plain_torch_file
from slrbench.training.model import SignModel

WEIGHTS = "model.safetensors"
STATE = "state.pt"


def random_states() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1]), "python_version": random.getstate()[0],
             "python_gauss": random.getstate()[2]}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_random_states(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(folder: Path, weights: dict[str, torch.Tensor], state: dict[str, Any]) -> None:
    """Write `folder` atomically (`slrbench.files.atomic_folder`)."""
    with atomic_folder(folder) as fresh:
        try:
            save_file({key: value.detach().contiguous().cpu() for key, value in weights.items()}, str(fresh / WEIGHTS))
        except SafetensorError as error:  # a full disk surfaces as "I/O error: ... (os error 28)"
            code = re.search(r"os error (\d+)", str(error))
            if code is None:
                raise
            raise OSError(int(code[1]), os.strerror(int(code[1])), str(folder / WEIGHTS)) from None
        torch.save(state, fresh / STATE)


def complete_checkpoint(folder: Path) -> Path | None:
    """The last complete checkpoint folder (the previous one if a swap was interrupted)."""
    for candidate in (folder, previous_folder(folder)):
        if (candidate / WEIGHTS).is_file() and (candidate / STATE).is_file():
            return candidate
    return None


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file; a truncated or foreign one is one `UsageError` naming it."""
    from safetensors import SafetensorError

    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise UsageError(f"{path}: not a readable safetensors file ({reason})") from None


def load_checkpoint(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = load_plain_torch_file(folder / STATE)
    if not isinstance(state, dict):
        raise UsageError(f"{folder / STATE}: not a training state (found a {type(state).__name__})")
    return read_weights(folder / WEIGHTS), state


def load_weights_strictly(model: SignModel, folder: Path) -> None:
    """Load `folder`'s weights into `model`, or stop with one line naming the file and the first
    offending keys. The only difference allowed is the training-only tensors (FC2, gloss mappers),
    which a best/ file lacks and an inference model does not have: anything else would evaluate a
    partly random model."""
    path = folder / WEIGHTS
    weights, own = read_weights(path), model.state_dict()
    missing = [key for key in own if key not in weights and not model.is_training_only(key)]
    unexpected = [key for key in weights if key not in own and not model.is_training_only(key)]
    reshaped = [f"{key} {tuple(weights[key].shape)} (model {tuple(own[key].shape)})"
                for key in weights if key in own and weights[key].shape != own[key].shape]
    problems = [f"{what} {_first(keys)}" for what, keys in
                (("lacks", missing), ("has unexpected", unexpected), ("has other shapes:", reshaped)) if keys]
    if problems:
        raise UsageError(f"{path} does not fit the model its run's config.json builds: {'; '.join(problems)}; "
                         "restore the run's own weights, or import the checkpoint again with the backbone and "
                         "benchmark it was trained with")
    # Checked above: what strict=False could still skip is training-only (a best/ file into a training model).
    model.load_state_dict({key: value for key, value in weights.items() if key in own}, strict=False)


def _first(keys: list[str], shown: int = 3) -> str:
    more = f" (and {len(keys) - shown} more)" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more
