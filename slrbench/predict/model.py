"""A run directory's inference model, rebuilt without its dataset.

`slrbench eval` rebuilds a run from its benchmark (`slrbench.training.build.build_inference_parts`);
a user predicting on their own video may not have the benchmark's data, so here the model is built
from config.json alone (the backbone and FC1, as evaluation builds them: the same plan reading,
the same strict weight load), and the class glosses come from the run's class_names.json.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json
from slrbench.exported import inference_weights_folder
from slrbench.inputs import loader_streams, stream_table
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan
from slrbench.training.build import BackboneInputs, InferenceParts, build_backbone
from slrbench.training.checkpoints import load_weights_strictly
from slrbench.training.eval_run import recorded_plan
from slrbench.training.model import SignModel


@dataclass
class Predictor:
    """A loaded run: the plan, the model on its device, what it consumes and its class names."""

    run_dir: Path
    plan: RunPlan
    model: SignModel
    inputs: BackboneInputs
    num_classes: int
    class_names: list[str]  # a gloss per class; index-only benchmarks: the index as text
    device: torch.device

    @property
    def needs_keypoints(self) -> bool:
        """Whether the loader must read keypoints for this backbone (declared streams, not names)."""
        return "keypoint_zoom" in loader_streams(self.inputs.consumed, stream_table(self.inputs.streams))

    @property
    def needs_video(self) -> bool:
        return "video" in loader_streams(self.inputs.consumed, stream_table(self.inputs.streams))

    def parts(self, manifest: Any) -> InferenceParts:
        """Inference parts over a manifest of the user's clips (read from files by the loader)."""
        return InferenceParts(self.plan, self.num_classes, self.class_names, manifest, None, self.model, self.inputs)


def load_predictor(registry: Registry, run_dir: Path, device: torch.device) -> Predictor:
    """The run's best weights (its last checkpoint when it has none) in an inference model."""
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir} is not a folder; give a run directory written by `slrbench run` "
                         "or `slrbench import-checkpoint`")
    recorded = read_json(run_dir / "config.json", expect=dict)
    if not isinstance(recorded.get("plan"), dict):
        raise UsageError(f"{run_dir / 'config.json'}: no 'plan' object; is {run_dir} a slrbench run directory?")
    plan = recorded_plan(registry, run_dir, recorded["plan"])
    weights = inference_weights_folder(run_dir)
    if weights is None:
        raise UsageError(f"{run_dir} has no complete checkpoint (best/ or checkpoint/) to predict with")
    names = _class_names(run_dir, recorded.get("num_classes"))
    backbone, inputs = build_backbone(registry, plan)
    model = SignModel(backbone, len(names))
    load_weights_strictly(model, weights)
    model.to(device).eval()
    return Predictor(run_dir, plan, model, inputs, len(names), names, device)


def _class_names(run_dir: Path, num_classes: Any) -> list[str]:
    """class_names.json's glosses; without glosses (index-only benchmark, or an import made without
    the benchmark's files) the class indices, as text."""
    path = run_dir / "class_names.json"
    names = read_json(path) if path.is_file() else None
    if isinstance(names, list) and all(isinstance(name, str) for name in names) and names:
        if isinstance(num_classes, int) and num_classes != len(names):
            raise UsageError(f"{path} names {len(names)} classes but config.json records {num_classes}")
        return names
    if not isinstance(num_classes, int) or num_classes < 1:
        raise UsageError(f"{run_dir / 'config.json'}: no 'num_classes' and no class_names.json; "
                         "is this a slrbench run directory?")
    return [str(index) for index in range(num_classes)]
