"""`slrbench import-checkpoint --from nla-slr FILE --out DIR`: a released reference checkpoint as a
slrbench run directory.

The directory is assembled under a temporary name and renamed into place, so it is complete or
absent:

    config.json          the run plan (`slrbench run`'s: benchmark, backbone and its options, ...),
                         number of classes, heads, the source file
    best/                model.safetensors (backbone.* and FC1 heads.classifiers.*) + state.pt (epoch),
                         the layout `slrbench.training` writes for the best epoch
    auxiliary.safetensors  training-only tensors: FC2 (branch.fc2.*) and gloss mappers (branch.mappers.*)
    import_report.json   every source key: its slrbench key, or why it is unused; the class order
    class_names.json     the gloss of each class index, as a training run writes it (when the
                         benchmark's files were read)
    slrbench-run.json    the marker: slrbench made this directory (`slrbench.ownership`); `--force`
                         replaces only a directory that has one, never other files

The reference numbers classes its own way (WLASL, NMFs-CSL: sorted training labels), so FC1 and
FC2 rows are permuted into the benchmark's class order as slrbench's dataset plugin reads it:
hence `--benchmark` (and `--data-root` where the order comes from the annotation files).
Key mapping: `slrbench.models.reference_checkpoint`; class order: `slrbench.models.reference_classes`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from slrbench.cli.output import console, print_json, print_warnings, reporting_errors
from slrbench.errors import UsageError
from slrbench.files import previous_folder
from slrbench.ownership import check_destination, locked_if_owned, made_by_slrbench, write_marker

FORMATS = ("nla-slr",)
METADATA = ("epoch", "global_step", "best_score", "current_score")


def import_checkpoint(
    file: Annotated[Path, typer.Argument(help="checkpoint file (torch.save of {'model_state': ...})")],
    source_format: Annotated[str, typer.Option("--from", help="checkpoint format: nla-slr")],
    out: Annotated[Path, typer.Option(help="run directory to create")],
    backbone: Annotated[Optional[str], typer.Option(
        help="single- or two-stream checkpoints: the 64- or 32-frame variant, e.g. video-32 (default: 64)")] = None,
    benchmark: Annotated[Optional[str], typer.Option(
        help="benchmark it was trained on, e.g. wlasl2000 (required: it sets the class order)")] = None,
    data_root: Annotated[Optional[Path], typer.Option(
        help="that benchmark's data folder: WLASL / NMFs-CSL class order, `slrbench eval`")] = None,
    class_order: Annotated[Optional[Path], typer.Option(
        "--class-order", help="JSON list: entry i is the gloss or label index of the reference's row i "
                              "(overrides the benchmark's rule)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing --out directory")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the import report as JSON")] = False,
) -> None:
    """Import a released NLA-SLR checkpoint into a slrbench run directory."""
    with reporting_errors():
        if source_format not in FORMATS:
            raise UsageError(f"--from {source_format}: unknown checkpoint format; available: {', '.join(FORMATS)}")
        if not file.is_file():
            raise UsageError(f"checkpoint file {file} does not exist")
        check_import_destination(out, force)
        if benchmark is None:
            raise UsageError("--benchmark is required: the reference numbers its classes its own way and the rows are "
                             "reordered into the benchmark's order (e.g. --benchmark wlasl2000 --data-root data/wlasl)")
        from slrbench.registry import default_registry

        registry = default_registry()
        registry.find_benchmark(benchmark)
        if backbone is not None:
            registry.get("backbones", backbone)
        from slrbench.models.reference_checkpoint import import_reference_state, reorder_classes
        from slrbench.models.reference_classes import reference_class_order

        order, warnings = reference_class_order(registry, benchmark, data_root, class_order)
        print_warnings(warnings)
        document = load_reference_checkpoint(file)
        imported = import_reference_state(document["model_state"], backbone)
        if imported.num_classes != len(order.permutation):
            where = f" in {data_root}" if data_root is not None else ""
            raise UsageError(f"the checkpoint has {imported.num_classes} classes but {benchmark}{where} has "
                             f"{len(order.permutation)}; give the benchmark (and data) it was trained on")
        reorder_classes(imported, order.permutation)
        from slrbench.runconfig import resolve_run_plan

        switches = [f"backbone.{key}={str(value).lower()}" for key, value in imported.lateral_options.items()]
        flags = {"benchmark": benchmark, "data_root": data_root, "backbone": imported.backbone}
        plan = resolve_run_plan(registry, {}, flags, switches)
        report = {**import_report(imported), "class_order": order.as_report()}
        config = run_config(file, document, imported, plan.record())
        config["imported_from"]["class_order"] = order.rule
        documents = {"config.json": config, "import_report.json": report}
        if order.read_dataset:
            documents["class_names.json"] = order.glosses
        with locked_if_owned(out):  # not while a run works in it
            check_import_destination(out, force)  # again, under the lock
            write_run_directory(out, imported, documents)
    if as_json:
        print_json(report)
        return
    counts = report["counts"]
    rows = f"rows reordered ({order.rule})" if not order.is_identity else f"rows kept in order ({order.rule})"
    console.print(
        f"imported {imported.backbone} ({imported.num_classes} classes) into {out}, {rows}: {counts['inference']} tensors "
        f"for inference (best/model.safetensors), {counts['training_only']} training-only (auxiliary.safetensors), "
        f"{counts['unused']} unused (listed in import_report.json)", highlight=False)


def load_reference_checkpoint(file: Path) -> dict[str, Any]:
    """The checkpoint dict, read with `weights_only=True` (no code runs while loading)."""
    import torch

    from slrbench.safe_pickle import load_plain_torch_file

    document = load_plain_torch_file(file)
    if isinstance(document, dict) and isinstance(document.get("model_state"), dict):
        return document
    if isinstance(document, dict) and all(isinstance(value, torch.Tensor) for value in document.values()):
        return {"model_state": document}  # a bare state dict
    raise UsageError(f"{file} holds no 'model_state' state dict; is it an NLA-SLR checkpoint?")


def import_report(imported: Any) -> dict[str, Any]:
    inference = {k: v for k, v in imported.mapped.items() if v in imported.weights}
    training_only = {k: v for k, v in imported.mapped.items() if v in imported.training_only}
    return {
        "backbone": imported.backbone,
        "num_classes": imported.num_classes,
        "counts": {"inference": len(inference), "training_only": len(training_only), "unused": len(imported.unused)},
        "inference": inference,
        "training_only": training_only,
        "unused": dict(imported.unused),
    }


def run_config(file: Path, document: dict[str, Any], imported: Any, plan: dict[str, Any]) -> dict[str, Any]:
    import torch

    import slrbench

    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    metadata = {key: _plain(document[key]) for key in METADATA if key in document}
    heads = sorted({key.split(".")[2] for key in imported.weights if key.startswith("heads.classifiers.")})
    return {
        "plan": plan,  # as `slrbench run` records it: settings and every plugin with its options
        "num_classes": imported.num_classes,
        "heads": heads,
        "context": {"num_keypoints": imported.num_keypoints},
        "imported_from": {"format": "nla-slr", "file": str(file.resolve()), "sha256": digest.hexdigest(), **metadata},
        "versions": {"slrbench": getattr(slrbench, "__version__", None), "torch": torch.__version__},
    }


def _plain(value: Any) -> Any:
    """A checkpoint's metadata value as JSON (0-d tensors become numbers)."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def check_import_destination(out: Path, force: bool) -> None:
    """--out must be new, or with --force a directory slrbench made (`slrbench.ownership`): never a
    file, never a folder of other files. Writes nothing."""
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; give a folder for the run directory")
    check_destination(out)  # a folder of someone else's files, or a file among its parents
    if out.exists() and not force:
        raise UsageError(f"--out {out} exists; choose a new directory or pass --force to replace it")
    aside = previous_folder(out)  # where the replaced directory waits until the new one is in place
    if aside.exists() and not (aside.is_dir() and made_by_slrbench(aside)):
        raise UsageError(f"--out {out}: {aside} is in the way (slrbench moves the replaced directory there); "
                         "move it away or choose another --out")


def write_run_directory(out: Path, imported: Any, documents: dict[str, Any]) -> None:
    """Assemble the directory under a temporary name, then swap it into place (`atomic_folder`)."""
    from safetensors.torch import save_file

    from slrbench.files import atomic_folder
    from slrbench.training.checkpoints import save_checkpoint

    with atomic_folder(out) as temporary:
        epoch = documents["config.json"]["imported_from"].get("epoch")
        save_checkpoint(temporary / "best", imported.weights, {"epoch": epoch if isinstance(epoch, int) else -1})
        if imported.training_only:
            save_file({k: v.contiguous() for k, v in imported.training_only.items()}, str(temporary / "auxiliary.safetensors"))
        for name, document in documents.items():
            (temporary / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_marker(temporary, "import-checkpoint")
