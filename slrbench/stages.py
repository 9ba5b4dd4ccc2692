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
        """The plans this command trains, in order: unfinished stages (with --stage), then the target."""
        plans = []
        if self.run_chain:
            for stage in self.chain:
                if run_finished(stage.run_dir):
                    continue
                started = (stage.run_dir / "config.json").is_file()
                settings = stage.plan.settings.model_copy(update={"resume": started})
                plans.append(stage.plan.model_copy(update={"settings": settings}))
        return plans + [self.target]


def run_finished(run_dir: Path) -> bool:
    """A run that was evaluated (metrics.json), or an imported checkpoint (import_report.json)."""
    return (run_dir / "metrics.json").is_file() or (run_dir / "import_report.json").is_file()


def _describe(name: str, plan: RunPlan) -> dict[str, Any]:
    kinetics = plan.options.get("backbone", {}).get("kinetics_weights")
    out = plan.settings.out
    return {"stage": name, "backbone": plan.settings.backbone,
            "start": "init_from " + ", ".join(plan.settings.init_from) if plan.settings.init_from
            else f"kinetics_weights {kinetics}" if kinetics else "random weights",
            "run_dir": str(out) if out else "(new folder under results/runs)",
            "state": "finished" if out and run_finished(out) else "started" if out and (out / "config.json").is_file()
            else "to train"}


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
