"""`slrbench export`: a run directory (or an imported checkpoint, or an export) as a self-describing
model folder to share (layout: `slrbench.exported`).

Only what inference needs leaves the run: the best weights without the training-only branch (FC2,
gloss mappers), the recorded plan with the author's local paths removed (data root, run folder,
--init-from sources), the class glosses and the test metrics. The weights are checked against the
model the plan builds before anything is written, and the folder is assembled under a temporary
name and renamed into place (`slrbench.files.atomic_folder`): complete or absent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json
from slrbench.exported import FORMAT, FORMAT_VERSION, MANIFEST, WEIGHTS, file_sha256, is_exported_model
from slrbench.files import atomic_folder, file_in_the_way, previous_folder
from slrbench.ownership import LOCK, MARKER, marker_document
from slrbench.registry import Registry

# Settings that name the author's machine: meaningless (and private) anywhere else.
LOCAL_SETTINGS = {"data_root": None, "out": None, "init_from": [], "stages_dir": None, "resume": False}
LOCAL_RECORDS = ("git", "started", "loggers")


@dataclass
class ExportSummary:
    out: Path
    backbone: str
    benchmark: str
    num_classes: int
    tensors: int
    dropped: int  # training-only tensors left behind
    sha256: str


def check_export_destination(out: Path, force: bool) -> None:
    """--out must be new or empty, or with --force an earlier export: never a file, never a folder
    of other files (a run directory included: exporting must not replace a run). Writes nothing."""
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; give a new folder for the exported model")
    above = file_in_the_way(out)
    if above is not None:
        raise UsageError(f"--out {out}: {above} is a file, not a folder; choose another --out")
    if out.is_dir() and any(entry.name != LOCK for entry in out.iterdir()):
        if not is_exported_model(out):
            raise UsageError(f"--out {out} holds files that are not an exported model; choose a new or empty folder")
        if not force:
            raise UsageError(f"--out {out} holds an exported model; pass --force to replace it or choose another --out")
    aside = previous_folder(out)
    if aside.exists() and not is_exported_model(aside):
        raise UsageError(f"--out {out}: {aside} is in the way (slrbench moves the replaced folder there); "
                         "move it away or choose another --out")


def export_run(registry: Registry, run_dir: Path, out: Path, force: bool) -> ExportSummary:
    """Check the run and --out, verify the weights fit the recorded plan, then write `out` atomically."""
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir} is not a folder; give a run directory written by `slrbench run` or "
                         "`slrbench import-checkpoint`")
    if out.resolve().is_relative_to(run_dir.resolve()):
        raise UsageError(f"--out {out} is inside {run_dir}; export to a folder outside the run directory")
    config = read_json(run_dir / "config.json", expect=dict)
    if not isinstance(config.get("plan"), dict):
        raise UsageError(f"{run_dir / 'config.json'}: no 'plan' object; is {run_dir} a slrbench run directory?")
    check_export_destination(out, force)
    weights_folder = _best_weights(run_dir)
    weights, dropped = _inference_weights(registry, run_dir, config, weights_folder)
    names = _class_names(run_dir)
    metrics = read_json(run_dir / "metrics.json", expect=dict) if (run_dir / "metrics.json").is_file() else None
    shared = shared_config(config)
    from slrbench.model_card import model_card

    with atomic_folder(out) as fresh:
        from safetensors.torch import save_file

        save_file({key: value.contiguous() for key, value in weights.items()}, str(fresh / WEIGHTS),
                  metadata={"format": "pt", "slrbench": FORMAT})
        (fresh / WEIGHTS).chmod(0o644)  # safetensors writes it private; the folder is meant to be shared
        digest = file_sha256(fresh / WEIGHTS)
        documents: dict[str, Any] = {"config.json": shared, "class_names.json": names}
        if metrics is not None:
            documents["metrics.json"] = metrics
        documents[MANIFEST] = manifest(run_dir, config, shared, digest, len(weights), sorted(documents))
        for name, document in documents.items():
            (fresh / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (fresh / "README.md").write_text(model_card(shared, names, metrics, documents[MANIFEST]), encoding="utf-8")
        (fresh / MARKER).write_text(json.dumps(marker_document("export"), indent=2) + "\n", encoding="utf-8")
    settings = shared["plan"]["settings"]
    return ExportSummary(out, str(settings.get("backbone")), str(settings.get("benchmark")), int(shared["num_classes"]),
                         len(weights), dropped, digest)


def _best_weights(run_dir: Path) -> Path:
    """The run's best weights (an export's own); an unfinished run's last checkpoint is not shared."""
    from slrbench.exported import inference_weights_folder
    from slrbench.training.checkpoints import complete_checkpoint

    folder = inference_weights_folder(run_dir) if is_exported_model(run_dir) else complete_checkpoint(run_dir / "best")
    if folder is None:
        raise UsageError(f"{run_dir} has no best weights (best/{WEIGHTS}); let the run finish (or --resume it) "
                         "before exporting")
    return folder


def _inference_weights(registry: Registry, run_dir: Path, config: dict[str, Any],
                       folder: Path) -> tuple[dict[str, Any], int]:
    """The weights without training-only tensors, after loading them strictly into the model the
    recorded plan builds (what `predict` will do with the export)."""
    from slrbench.training.build import build_backbone
    from slrbench.training.checkpoints import load_weights_strictly, read_weights
    from slrbench.training.eval_run import recorded_plan
    from slrbench.training.model import SignModel

    plan = recorded_plan(registry, run_dir, config["plan"])
    weights = read_weights(folder / WEIGHTS)
    kept = {key: value for key, value in weights.items() if not SignModel.is_training_only(key)}
    num_classes = config.get("num_classes")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise UsageError(f"{run_dir / 'config.json'}: no 'num_classes'; is {run_dir} a slrbench run directory?")
    backbone, _ = build_backbone(registry, plan)
    load_weights_strictly(SignModel(backbone, num_classes), folder)
    return kept, len(weights) - len(kept)


def _class_names(run_dir: Path) -> Optional[list[str]]:
    """The glosses in class order, or None (written as null) for an index-only benchmark."""
    path = run_dir / "class_names.json"
    names = read_json(path) if path.is_file() else None
    if names is not None and not (isinstance(names, list) and all(isinstance(name, str) for name in names)):
        raise UsageError(f"{path}: expected a JSON list of glosses")
    return names


def shared_config(config: dict[str, Any]) -> dict[str, Any]:
    """config.json without what names the author's machine (paths, git revision, start time)."""
    settings = dict(config["plan"].get("settings", {}))
    settings.update({key: value for key, value in LOCAL_SETTINGS.items() if key in settings})
    plan = {key: value for key, value in config["plan"].items() if key != "loggers"}
    shared = {key: value for key, value in config.items() if key not in LOCAL_RECORDS}
    shared["plan"] = {**plan, "settings": settings}
    if isinstance(shared.get("imported_from"), dict) and "file" in shared["imported_from"]:
        shared["imported_from"] = {**shared["imported_from"], "file": Path(str(shared["imported_from"]["file"])).name}
    return shared


def manifest(run_dir: Path, original: dict[str, Any], config: dict[str, Any], digest: str, tensors: int,
             files: list[str]) -> dict[str, Any]:
    """`original` is the run's config.json, `config` the shared one written beside the manifest."""
    import slrbench
    from slrbench.predict.keypoints import run_extractor

    data_root = original["plan"].get("settings", {}).get("data_root")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "slrbench": slrbench.__version__,
        "weights": {"file": WEIGHTS, "sha256": digest, "tensors": tensors},
        "files": sorted([*files, WEIGHTS, "README.md"]),
        # the extractor that made the training keypoints: predict's default for this model
        "keypoint_extractor": run_extractor(Path(data_root) if data_root else None, run_dir),
        "source": {"kind": "import" if "imported_from" in config else "run", "name": run_dir.resolve().name},
    }
