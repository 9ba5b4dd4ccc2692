"""Staged training from a recipe: `[stages.NAME]` tables and `stage:NAME` references.

NLA-SLR trains single streams first, then VKNet-64 / VKNet-32 initialised from them, then the
four-stream VKNet initialised from the two VKNets. A recipe says so with stage tables, each a
partial recipe merged over the chosen variant as a variant is merged over the base (a stage naming
another backbone replaces the backbone table), and `init_from` lists in which `stage:NAME` stands
for that stage's run directory, `<stages_dir>/<NAME>`:

    init_from = ["stage:vknet-64", "stage:vknet-32"]          # the recipe's own run
    [stages.vknet-64]
    backbone = { name = "vknet-64" }
    init_from = ["stage:video-64", "stage:keypoint-64"]
    [stages.video-64]
    backbone = { name = "video-64", kinetics_weights = "torchvision" }

`slrbench run --config R --variant V` trains the recipe's run (its stages must be finished);
`--stage NAME` trains that stage, `--stage all` the run, each after every stage it needs that is
not finished yet (an interrupted one is resumed). Run settings given as flags or
`-o` apply to every stage, except the output folder, resuming and plugin choices (a stage's
plugins are its own). No torch here: `--dry-run` shows the chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from slrbench.errors import UsageError
from slrbench.exported import is_exported_model
from slrbench.registry import Registry
from slrbench.runconfig import RunPlan, apply_variant, merge_recipe_table, resolve_run_plan

STAGE_REFERENCE = "stage:"
ALL_STAGES = "all"
RUNS_DIR = Path("results") / "runs"
# What a stage does not take from the command line: where the final run goes, and plugin choices.
FINAL_ONLY_FLAGS = ("out", "resume", "init_from", "backbone", "smoother", "mixup", "embedder")
FINAL_ONLY_RUN_OPTIONS = ("out", "resume", "init_from", "stage")


@dataclass(frozen=True)
class Stage:
    name: str
    plan: RunPlan
    needs: tuple[str, ...]  # the stages it starts from

    @property
    def run_dir(self) -> Path:
        assert self.plan.settings.out is not None
        return self.plan.settings.out


@dataclass(frozen=True)
class StagedPlan:
    target: RunPlan  # what this command trains last: the recipe's run, or the chosen stage
    chain: tuple[Stage, ...]  # the stages the target depends on, in training order
    run_chain: bool  # --stage: train the unfinished stages of the chain first

    def describe(self) -> list[dict[str, Any]]:
        """The chain for --dry-run: each stage's backbone, start, run directory and state."""
        rows = [_describe(stage.name, stage.plan) for stage in self.chain]
        return rows + [_describe(self.target.settings.stage or "this run", self.target)]

    def plans_to_run(self) -> list[RunPlan]:
        """The plans this command trains, in order: unfinished stages (with --stage), then the target.
        Every run they start from must be finished or trained earlier by this command (else one line)."""
        plans = []
        if self.run_chain:
            for stage in self.chain:
                if run_finished(stage.run_dir):
                    continue
                settings = stage.plan.settings.model_copy(update={"resume": run_started(stage.run_dir)})
                plans.append(stage.plan.model_copy(update={"settings": settings}))
        plans.append(self.target)
        _check_sources(plans, {str(stage.run_dir): stage.name for stage in self.chain})
        return plans


def run_finished(run_dir: Path) -> bool:
    """A run that was evaluated (metrics.json), an imported checkpoint (import_report.json) or an
    exported model (`slrbench export`'s manifest)."""
    return ((run_dir / "metrics.json").is_file() or (run_dir / "import_report.json").is_file()
            or is_exported_model(run_dir))


def run_started(run_dir: Path) -> bool:
    return (run_dir / "config.json").is_file()


def _check_sources(plans: list[RunPlan], stage_names: dict[str, str]) -> None:
    """Each --init-from run is finished, or one of the earlier `plans` writes it."""
    produced: set[str] = set()
    for plan in plans:
        for path in plan.settings.init_from:
            if path not in produced and not run_finished(Path(path)):
                raise UsageError(f"--init-from {path}: no finished run there; "
                                 f"{_how_to_make(Path(path), stage_names.get(path))}")
        if plan.settings.out is not None:
            produced.add(str(plan.settings.out))


def _how_to_make(path: Path, stage: Optional[str]) -> str:
    """The fix for a missing --init-from run: its stage of this recipe, of the paper recipe, or any run."""
    if stage is not None:
        return f"train stage {stage} first (--stage {stage}, or --stage all for the whole chain)"
    if path.parent.name.endswith("-stages"):
        return (f"it is stage {path.name} of the paper recipe: slrbench run --config benchmarks/main.toml "
                f"--variant {path.parent.name.removesuffix('-stages')} --data-root DIR --stage {path.name}")
    return "train it, or import a checkpoint there with `slrbench import-checkpoint`"


def _describe(name: str, plan: RunPlan) -> dict[str, Any]:
    """One row of the chain shown by --dry-run."""
    settings, out = plan.settings, plan.settings.out
    kinetics = plan.option("backbone", "kinetics_weights")
    if settings.init_from:
        start = "init_from " + ", ".join(settings.init_from)
    else:
        start = f"kinetics_weights {kinetics}" if kinetics else "random weights"
    if out is None:
        state = "to train"
    else:
        state = "finished" if run_finished(out) else "started" if run_started(out) else "to train"
    return {"stage": name, "backbone": settings.backbone, "start": start,
            "run_dir": str(out) if out else "(new folder under results/runs)", "state": state}


def resolve_staged_plan(registry: Registry, document: dict[str, Any], variant: Optional[str], source: str,
                        flags: dict[str, Any], assignments: list[str], stage: Optional[str]) -> StagedPlan:
    """The plan this command trains and the stages before it; every stage is validated up front."""
    document = dict(document)
    tables = document.pop("stages", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise UsageError(f"{source}: [stages] must hold one table per stage ([stages.NAME])")
    if stage not in (None, ALL_STAGES) and stage not in tables:
        known = ", ".join(tables) or "none"
        raise UsageError(f"--stage {stage}: {source or 'the run'} has no stage '{stage}'; stages: {known} (or all)")
    merged = apply_variant(document, variant, source)
    final = resolve_run_plan(registry, merged, flags, assignments)
    stages_dir = final.settings.stages_dir or RUNS_DIR / f"{final.settings.variant or final.settings.benchmark}-stages"
    stage_flags = {key: value for key, value in flags.items() if key not in FINAL_ONLY_FLAGS}
    stage_assignments = [a for a in assignments if not _final_only(a)]
    base = {key: value for key, value in merged.items() if key not in ("init_from", "out", "stage")}

    resolved: dict[str, Stage] = {}

    def build(name: str, trail: tuple[str, ...]) -> Stage:
        if name in trail:
            raise UsageError(f"{source}: the stages start from each other in a circle: {' -> '.join(trail + (name,))}")
        if name not in resolved:
            table = dict(tables[name])
            table.update(stage=name, out=str(stages_dir / name))
            plan = resolve_run_plan(registry, merge_recipe_table(base, table), stage_flags, stage_assignments)
            plan, needs = _resolve_references(plan, tables, stages_dir, source)
            for need in needs:
                build(need, trail + (name,))
            resolved[name] = Stage(name, plan, needs)
        return resolved[name]

    if stage in (None, ALL_STAGES):
        target, needs = _resolve_references(final, tables, stages_dir, source)
    else:
        chosen = build(stage, ())
        target, needs = chosen.plan, chosen.needs
    for need in needs:
        build(need, (stage or "the run",))
    return StagedPlan(target, tuple(_in_order(needs, resolved)), stage is not None)


def _final_only(assignment: str) -> bool:
    target = assignment.partition("=")[0].strip()
    kind, _, key = target.partition(".")
    return key == "name" or (kind == "run" and key in FINAL_ONLY_RUN_OPTIONS)


def _resolve_references(plan: RunPlan, tables: dict[str, Any], stages_dir: Path,
                        source: str) -> tuple[RunPlan, tuple[str, ...]]:
    """`stage:NAME` entries of init_from -> `<stages_dir>/<NAME>`; returns the stages named."""
    paths, needs = [], []
    for entry in plan.settings.init_from:
        if not entry.startswith(STAGE_REFERENCE):
            paths.append(entry)
            continue
        name = entry[len(STAGE_REFERENCE):]
        if name not in tables:
            raise UsageError(f"init_from: '{entry}' names no stage of {source or 'the run'}; "
                             f"stages: {', '.join(tables) or 'none'}")
        paths.append(str(stages_dir / name))
        needs.append(name)
    settings = plan.settings.model_copy(update={"init_from": paths})
    return plan.model_copy(update={"settings": settings}), tuple(needs)


def _in_order(needs: tuple[str, ...], resolved: dict[str, Stage]) -> list[Stage]:
    """Every stage `needs` depends on, each after the stages it starts from."""
    order: list[Stage] = []

    def visit(name: str) -> None:
        stage = resolved[name]
        for need in stage.needs:
            visit(need)
        if stage not in order:
            order.append(stage)

    for name in needs:
        visit(name)
    return order
