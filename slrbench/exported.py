"""Exported model folders (`slrbench export`) and where a model comes from: a run directory, an
imported checkpoint, an exported folder, or `hf-hub:ORG/NAME` (an exported folder on the Hugging
Face Hub, fetched only when asked for and only with `huggingface_hub` installed).

An exported folder is a read-only, run-like folder: `config.json` (the recorded plan, so the model
is rebuilt without the benchmark's data), `model.safetensors` at its top (inference weights only),
`class_names.json`, `metrics.json` when the run was evaluated, `README.md` (the model card) and
`slrbench-export.json`, the manifest below, whose sha256 is checked before the weights are used:

    {"format": "slrbench-model", "format_version": 1, "slrbench": "0.1.0",
     "weights": {"file": "model.safetensors", "sha256": "...", "tensors": N}, ...}

No torch here: `predict`, `eval` and `--init-from` resolve their source with it before loading.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Optional

from slrbench.errors import UsageError

MANIFEST = "slrbench-export.json"
FORMAT = "slrbench-model"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"  # the name checkpoints use too (slrbench.training.checkpoints.WEIGHTS)
HF_PREFIX = "hf-hub:"
_HF_NAME = re.compile(r"^[\w.-]+/[\w.-]+(@[\w./-]+)?$")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_exported_model(folder: Path) -> bool:
    """Whether `folder` says it is an exported model (its manifest exists; `checked_export` reads it)."""
    return (folder / MANIFEST).is_file()


def checked_export(folder: Path) -> dict[str, Any]:
    """The manifest of an exported folder, after checking its format and its weights' sha256: a
    corrupted or altered export is one line, never a model loaded from whatever the file holds."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"{path} cannot be read as JSON ({error}); export the run again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UsageError(f"{path}: not a slrbench model manifest (no \"format\": \"{FORMAT}\")")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UsageError(f"{path}: format_version {version!r} is newer than this slrbench reads "
                         f"({FORMAT_VERSION}); upgrade slrbench")
    weights = manifest.get("weights")
    expected = weights.get("sha256") if isinstance(weights, dict) else None
    if not isinstance(expected, str):
        raise UsageError(f"{path}: no weights sha256; export the run again")
    if not (folder / WEIGHTS).is_file():
        raise UsageError(f"{folder}: {WEIGHTS} is missing; the exported folder is incomplete")
    if file_sha256(folder / WEIGHTS) != expected:
        raise UsageError(f"{folder / WEIGHTS} does not match the sha256 in {MANIFEST}; the file is corrupted "
                         "or was changed: download or export it again")
    return manifest


def inference_weights_folder(run_dir: Path) -> Optional[Path]:
    """The folder whose model.safetensors holds the model to use: an exported folder itself (checked),
    else the run's best weights, else its last checkpoint; None when there is none complete."""
    if is_exported_model(run_dir):
        checked_export(run_dir)
        return run_dir
    from slrbench.training.checkpoints import complete_checkpoint

    return complete_checkpoint(run_dir / "best") or complete_checkpoint(run_dir / "checkpoint")


def recorded_extractor(folder: Path) -> Optional[str]:
    """The keypoint extractor an exported model's training data was made with (None: not recorded)."""
    if not is_exported_model(folder):
        return None
    try:
        name = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("keypoint_extractor")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def is_hub_source(source: str | Path) -> bool:
    return str(source).startswith(HF_PREFIX)


def resolve_model_source(source: str | Path, what: str = "RUN_DIR") -> Path:
    """A local folder for `source`: the path itself, or for `hf-hub:ORG/NAME[@REVISION]` a snapshot
    fetched with huggingface_hub (the user asked for it by writing the prefix)."""
    text = str(source)
    if not is_hub_source(text):
        return Path(source)
    name = text[len(HF_PREFIX):]
    if not _HF_NAME.match(name):
        raise UsageError(f"{what} {text}: expected {HF_PREFIX}ORG/NAME or {HF_PREFIX}ORG/NAME@REVISION")
    from slrbench.optional import import_optional

    hub = import_optional("huggingface_hub", f"{what} {text}")
    repo_id, _, revision = name.partition("@")
    try:
        folder = hub.snapshot_download(repo_id=repo_id, revision=revision or None)
    except (OSError, ValueError) as error:  # huggingface_hub's HTTP and not-found errors derive from these
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise UsageError(f"{what} {text}: cannot fetch it from the Hugging Face Hub ({reason})") from None
    folder = Path(folder)
    if not is_exported_model(folder):
        raise UsageError(f"{what} {text}: the repository holds no {MANIFEST}; is it a model written by "
                         "`slrbench export`?")
    return folder
