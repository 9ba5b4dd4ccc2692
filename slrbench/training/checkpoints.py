"""Checkpoints written atomically each epoch: weights as safetensors, the rest as plain tensors.

A checkpoint is a folder: `model.safetensors` (every weight, the auxiliary branch included) and
`state.pt` (optimizer, scheduler, random states, epoch, history), which is read with
`torch.load(weights_only=True)` so that loading never executes a pickle. The folder is written
under a temporary name and swapped in by renames, so an interrupted write leaves the previous
complete checkpoint in place.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

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
    """Write `folder` atomically: a new folder is completed first, then renamed into place."""
    fresh, stale = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    save_file({key: value.detach().contiguous().cpu() for key, value in weights.items()}, str(fresh / WEIGHTS))
    torch.save(state, fresh / STATE)
    if folder.exists():
        shutil.rmtree(stale, ignore_errors=True)
        folder.rename(stale)
    fresh.rename(folder)
    shutil.rmtree(stale, ignore_errors=True)


def complete_checkpoint(folder: Path) -> Path | None:
    """The last complete checkpoint folder (the previous one if a swap was interrupted)."""
    for candidate in (folder, folder.with_name(folder.name + ".old")):
        if (candidate / WEIGHTS).is_file() and (candidate / STATE).is_file():
            return candidate
    return None


def load_checkpoint(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    return load_file(str(folder / WEIGHTS)), torch.load(folder / STATE, weights_only=True)
