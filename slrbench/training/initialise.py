"""`--init-from RUN_DIR`: start a model from earlier runs or imported checkpoints (staged training).

NLA-SLR trains in stages: single streams -> VKNet-64 / VKNet-32 initialised from them -> the
four-stream VKNet initialised from the two VKNets; MS-ASL1000 starts from the WLASL2000 model.
slrbench's backbones name their parts by stream (`backbone.video64.*`, `backbone.keypoint32.*`,
`backbone.video_keypoint_64.*`, ...), so every stage's tensors keep their names in the next one and
matching is by name: a tensor present in a source run and in the model is loaded when the shapes
agree (a shape mismatch is an error before training); what no source holds stays freshly
initialised (e.g. the laterals a larger network adds). Class-dependent tensors (FC1
`heads.classifiers.*`, FC2 `branch.fc2.*`) load only from a run on the same classes, so a model
trained on another benchmark gives everything but its classifiers. Each source contributes its best
weights (`best/`, the last checkpoint when it has none; an exported model's model.safetensors, checked
against its manifest's sha256) and, for an imported reference checkpoint, its training-only FC2 and
gloss mappers (`auxiliary.safetensors`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch

from slrbench.errors import UsageError
from slrbench.evaluation.rundir import read_json
from slrbench.exported import inference_weights_folder
from slrbench.training.checkpoints import WEIGHTS, read_weights

CLASS_DEPENDENT = ("heads.classifiers.", "branch.fc2.")
AUXILIARY = "auxiliary.safetensors"


@dataclass
class InitSource:
    run_dir: Path
    weights: dict[str, torch.Tensor]
    classes: Any  # the class glosses, or (benchmark, number of classes) when the run has no glosses
    description: str  # e.g. "video-64 on wlasl2000"


@dataclass
class InitReport:
    sources: list[dict[str, Any]] = field(default_factory=list)
    loaded: dict[str, str] = field(default_factory=dict)  # model key -> source run directory
    fresh: list[str] = field(default_factory=list)  # model keys no source holds
    skipped: dict[str, str] = field(default_factory=dict)  # "<run dir>: <key>" -> why it was not loaded

    def as_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "counts": {"loaded": len(self.loaded), "fresh": len(self.fresh),
                                                     "skipped": len(self.skipped)},
                "loaded": self.loaded, "fresh": self.fresh, "skipped": self.skipped}

    def summary(self) -> str:
        per_source = [f"{sum(1 for s in self.loaded.values() if s == source['run_dir'])} from "
                      f"{source['description']}" for source in self.sources]
        groups = sorted({_group(key) for key in self.fresh})
        fresh = f"{len(self.fresh)} fresh ({', '.join(groups)})" if self.fresh else "none fresh"
        return (f"init: {len(self.loaded)} tensors loaded ({'; '.join(per_source)}), {fresh}, "
                f"{len(self.skipped)} not used; see init_report.json")


def _group(key: str) -> str:
    """'backbone.video_temporal.to_large.0.weight' -> 'backbone.video_temporal' (for the summary)."""
    return ".".join(key.split(".")[:2 if key.startswith("backbone.") else 3])


def read_source(run_dir: Path) -> InitSource:
    """A finished run or an imported checkpoint: its weights and the classes they were trained on."""
    folder = inference_weights_folder(run_dir)  # an exported model's own file, checked against its sha256
    if folder is None:
        raise UsageError(f"--init-from {run_dir}: no finished run there (no best/{WEIGHTS}); train it first "
                         "or import a checkpoint with `slrbench import-checkpoint`")
    weights = read_weights(folder / WEIGHTS)
    if (run_dir / AUXILIARY).is_file():
        weights.update(read_weights(run_dir / AUXILIARY))
    config = read_json(run_dir / "config.json")  # runs and imported checkpoints both write it
    plan = config.get("plan", {})
    benchmark = plan.get("settings", {}).get("benchmark")
    backbone = plan.get("plugins", {}).get("backbone", {}).get("name")
    names = read_json(run_dir / "class_names.json") if (run_dir / "class_names.json").is_file() else None
    classes = names if isinstance(names, list) else (benchmark, config.get("num_classes"))
    return InitSource(run_dir, weights, classes, f"{backbone or 'a model'} on {benchmark or 'an unknown benchmark'}")


def initialise_from_runs(model: torch.nn.Module, run_dirs: list[Path], classes: Any) -> InitReport:
    """Load every matching tensor of `run_dirs` into `model`; `classes` as in `InitSource.classes`.
    Everything is checked before the model is touched."""
    own = model.state_dict()
    report, chosen = InitReport(), {}
    for run_dir in run_dirs:
        source = read_source(Path(run_dir))
        label = str(source.run_dir)
        report.sources.append({"run_dir": label, "description": source.description,
                               "same_classes": _same_classes(source.classes, classes)})
        for key, value in sorted(source.weights.items()):
            reason = _unusable(key, value, own, source, classes)
            if reason is not None:
                report.skipped[f"{label}: {key}"] = reason
                continue
            if key in chosen:
                raise UsageError(f"--init-from: both {report.loaded[key]} and {label} hold '{key}'; give each part "
                                 "of the model from one run only")
            chosen[key], report.loaded[key] = value, label
    if not chosen:
        raise UsageError(f"--init-from {', '.join(map(str, run_dirs))}: no tensor matches this model "
                         "(another backbone?); see `slrbench describe backbones NAME`")
    model.load_state_dict(chosen, strict=False)
    report.fresh = [key for key in own if key not in chosen and not key.endswith("num_batches_tracked")]
    return report


def _unusable(key: str, value: torch.Tensor, own: dict[str, torch.Tensor], source: InitSource,
              classes: Any) -> Optional[str]:
    """Why a source tensor is not loaded (None: it is), or an error for a shape mismatch."""
    if key not in own:
        return "not part of this model"
    if key.startswith(CLASS_DEPENDENT) and not _same_classes(source.classes, classes):
        return "class-dependent, trained on other classes"
    if tuple(value.shape) != tuple(own[key].shape):
        raise UsageError(f"--init-from {source.run_dir}: '{key}' has shape {tuple(value.shape)} there but "
                         f"{tuple(own[key].shape)} in this model; start from a run of the same backbone width "
                         "and sizes")
    return None


def _same_classes(theirs: Any, ours: Any) -> bool:
    if isinstance(theirs, list) and isinstance(ours, list):
        return theirs == ours
    if isinstance(theirs, list) or isinstance(ours, list):
        return False
    return tuple(theirs) == tuple(ours) and None not in tuple(ours)
