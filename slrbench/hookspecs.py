"""The hooks a plugin implements: one per plugin kind, each receiving a `register` callback.

A hook registers descriptions (`PluginSpec`), never live objects, so listing plugins is cheap.
"""
from __future__ import annotations

from typing import Callable

import pluggy

PROJECT_NAME = "slrbench"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[["PluginSpec"], None]  # noqa: F821 (documentation only)


@hookspec
def register_backbones(register: Register) -> None:
    """Register video / keypoint encoders that return named features."""


@hookspec
def register_label_smoothers(register: Register) -> None:
    """Register soft-target builders (an N x N target table per benchmark)."""


@hookspec
def register_mixups(register: Register) -> None:
    """Register batch mixers (and, later, their auxiliary head losses)."""


@hookspec
def register_word_embedders(register: Register) -> None:
    """Register gloss -> vector embedders."""


@hookspec
def register_datasets(register: Register) -> None:
    """Register datasets and the standard benchmarks they declare."""


@hookspec
def register_keypoint_extractors(register: Register) -> None:
    """Register keypoint extractors (video frames -> (T, 133, 3) COCO-WholeBody keypoints)."""


@hookspec
def register_run_loggers(register: Register) -> None:
    """Register run loggers (history.csv, TensorBoard, Weights & Biases, ...) for `slrbench run --logger`."""
