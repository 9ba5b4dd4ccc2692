"""`slrbench eval`: a finished run's weights, re-evaluated on its test split by an inference model.

Only what inference needs is built from the run's config.json: the dataset, the backbone and FC1.
No word embedder is loaded and no smoother, mixup or auxiliary branch is constructed; the weights
load strictly (`slrbench.training.checkpoints.load_weights_strictly`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json, write_evaluation
from slrbench.exported import inference_weights_folder
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan
from slrbench.training.batching import BatchPlan
from slrbench.training.build import build_inference_parts, make_loader, resolve_device
from slrbench.training.checkpoints import load_weights_strictly
from slrbench.training.distributed import World
from slrbench.training.evaluate import evaluate_split
from slrbench.training.run import RunOutcome


def recorded_plan(registry: Registry, run_dir: Path, stored: dict) -> RunPlan:
    """config.json's plan, to rebuild the trained model: no start weights (the run's own replace
    them) and no loggers (evaluating logs nothing: a logger uninstalled since is not needed)."""
    stored = without_start_weights(stored)
    stored.pop("loggers", None)
    return RunPlan.read(stored, registry, str(run_dir / "config.json"))


def evaluate_run(registry: Registry, run_dir: Path, crops: int, heads: list[str] | None,
                 device_choice: str = "auto", out: Path | None = None, data_root: Path | None = None) -> RunOutcome:
    """Re-evaluate a finished run's best weights (its last checkpoint when it has none), or an exported
    model's; results go to `out`, by default RUN_DIR/eval-crops<N>[-heads]; `data_root` replaces the
    recorded one (an exported model records none)."""
    plan = recorded_plan(registry, run_dir, read_json(run_dir / "config.json").get("plan", {}))
    settings = plan.settings.model_copy(update={"crops": crops, "heads": heads or plan.settings.heads,
                                                "device": device_choice,
                                                **({"data_root": data_root} if data_root is not None else {})})
    plan = plan.model_copy(update={"settings": settings})
    device = resolve_device(device_choice)
    weights = inference_weights_folder(run_dir)
    if weights is None:
        raise UsageError(f"{run_dir} has no complete checkpoint to evaluate")
    parts = build_inference_parts(registry, plan)
    load_weights_strictly(parts.model, weights)
    parts.model.to(device)
    batch_size = BatchPlan.create(settings.batch_size, 1, settings.micro_batch_size).micro_batch_size
    loader = make_loader(parts, "test", batch_size, views=crops, train=False, workers=settings.workers, device=device)
    result = evaluate_split(parts.model, loader, device, World(), parts.num_classes, settings.heads, crops,
                            batch_size, bf16=settings.precision == "bf16")
    folder = out or run_dir / (f"eval-crops{crops}" + ("-" + "-".join(heads) if heads else ""))
    write_evaluation(folder, result.metrics, result.sample_ids, result.labels, result.probabilities,
                     parts.class_names, {"split": "test", "crops": crops, "heads": result.heads,
                                         "skipped_samples": len(result.skipped)}, result.head_true_scores)
    return RunOutcome(folder, result, True)


def without_start_weights(stored: dict[str, Any]) -> dict[str, Any]:
    """A recorded plan without its Kinetics-400 start, before its options are validated: the run's own
    weights replace that start, so evaluation needs neither the file nor a download."""
    backbone = stored.get("plugins", {}).get("backbone", {})
    if not isinstance(backbone.get("options"), dict) or backbone["options"].get("kinetics_weights") is None:
        return stored  # (a malformed plan is reported by RunPlan.read)
    options = {**backbone["options"], "kinetics_weights": None}
    return {**stored, "plugins": {**stored["plugins"], "backbone": {**backbone, "options": options}}}
