"""The run plan: `slrbench run` settings and plugin choices from defaults, a TOML file and flags.

Precedence: paper defaults < `--config FILE.toml` < command-line flags and `-o KIND.KEY=VALUE`
(`-o run.KEY=VALUE` sets any run setting, e.g. `-o run.num_frames=32`).
A TOML file uses the same keys as `-o`: one table per plugin kind (`[smoother]`, with an optional
`name`) plus top-level run settings (`epochs = 100`). Run loggers are several: `loggers = ["tensorboard"]`
or one table each (`[loggers.wandb]` with its options), `--logger NAME` (repeatable, replacing the
recipe's list) and `-o logger.NAME.KEY=VALUE`; `csv` is always one of them. Every problem is collected
first and reported together, one line each, before anything is built.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Mapping, Optional

from pydantic import (
    BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, ValidationInfo, field_validator, model_validator,
)

from slrbench.config import PluginConfig, parse_assignments, validate_options, validation_problems
from slrbench.data_vectors import use_data_word_vectors
from slrbench.errors import OptionsError, SlrbenchError
from slrbench.kinds import KIND_SPELLINGS, resolve_kind
from slrbench.plugin_swap import merge_plugin_options
from slrbench.registry import Registry

PLUGIN_KINDS_OF_A_RUN = ("backbone", "smoother", "mixup", "embedder")  # the dataset follows the benchmark
RUN_PLUGIN_KINDS = ("dataset", *PLUGIN_KINDS_OF_A_RUN)
ALWAYS_ON_LOGGER = "csv"  # history.csv: `table`, `compare` and `report` read it, so every run writes it
# Upper bounds of the run's counts: far above any recipe, low enough to catch a typo.
MAX_EPOCHS = 100_000
MAX_BATCH = 65_536
MAX_FRAMES = 1_024
MAX_PIXELS = 2_048
MAX_WORKERS = 256
MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit


class RunSettings(BaseModel):
    """Run settings that are not plugin options (paper recipe defaults). Floats are finite and
    counts have upper bounds (MAX_*): a typo such as `--epochs 1000000000` is refused, not run."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    benchmark: str = Field("synthetic", description="standard benchmark (e.g. wlasl2000); synthetic: the embedded demo")
    data_root: Optional[Path] = Field(None, description="folder holding the benchmark's annotation files and videos")
    backbone: str = Field("vknet", description="backbone plugin")
    smoother: str = Field("lang", description="label smoother plugin")
    mixup: str = Field("sign", description="mixup plugin")
    embedder: str = Field("glove", description="word embedder plugin (gloss vectors)")
    epochs: int = Field(100, ge=1, le=MAX_EPOCHS, description="training epochs (cosine schedule over all of them)")
    batch_size: int = Field(32, ge=1, le=MAX_BATCH, description="effective (global) batch size: one optimizer step")
    micro_batch_size: Optional[int] = Field(
        None, ge=1, le=MAX_BATCH, description="clips per process per forward pass; default batch_size / world size "
        "(smaller values accumulate gradients)")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate (cosine-annealed over the epochs)")
    weight_decay: float = Field(1e-3, ge=0, description="Adam weight decay")
    precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="auto: bf16 autocast on CUDA, fp32 on CPU")
    num_frames: int = Field(64, ge=8, le=MAX_FRAMES, description="frames of the training window (the 32-frame clip is derived)")
    video_size: int = Field(224, ge=32, le=MAX_PIXELS, description="video frames are cropped and resized to this square")
    heatmap_size: int = Field(112, ge=16, le=MAX_PIXELS, description="keypoint coordinates are scaled to this heatmap grid")
    workers: int = Field(2, ge=0, le=MAX_WORKERS, description="data-loading worker processes per training process")
    heads: Optional[list[str]] = Field(None, description="heads ensembled at evaluation; default the joint heads "
                                                         "(f64, f32, f) when present, else all")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where to train")
    crops: Literal[1, 3] = Field(1, description="test views: 1 (central) or 3 (start, middle, end)")
    test_view: Literal["full", "center-crop"] = Field(
        "full", description="evaluation frames: full = the whole frame resized (the reference's test view); "
        "center-crop = the central 224/256 box")
    seed: int = Field(321, ge=0, le=MAX_SEED, description="random seed")
    out: Optional[Path] = Field(None, description="run directory; default results/runs/<benchmark>-<time>")
    resume: bool = Field(False, description="continue the run in --out from its last checkpoint")
    variant: Optional[str] = Field(None, description="the recipe variant (`[variants.NAME]` of --config) this run uses")
    init_from: list[str] = Field(default_factory=list, description="run directories (or imported checkpoints) whose "
                                 "weights start this model (staged training); in a recipe, `stage:NAME` names one of "
                                 "its [stages.NAME]")
    stage: Optional[str] = Field(None, description="the recipe stage (`[stages.NAME]` of --config) this run trains")
    stages_dir: Optional[Path] = Field(None, description="where a recipe's stages write their runs; default "
                                       "results/runs/<variant or benchmark>-stages")
    data_word_vectors: bool = Field(False, description="use the word vectors the data root holds (the reference "
                                    "bundle's) with the precomputed embedder, unless the command line chooses the "
                                    "embedder or its options (the paper recipes set it)")


class PluginChoice(BaseModel):
    """One plugin of a run: its name and its validated option model."""

    model_config = ConfigDict(frozen=True)

    name: str
    options: SerializeAsAny[PluginConfig]  # written with the plugin's own fields


class RunPlan(BaseModel):
    """The resolved run: settings and every plugin with its options, validated once.

    Its JSON form is config.json's `plan` section: `record()` writes it; `read()` reads it back,
    validating each plugin's options against its registered option model (the registry comes in
    the validation context, as `read` passes it).
    """

    settings: RunSettings
    plugins: dict[str, PluginChoice]  # "dataset" and PLUGIN_KINDS_OF_A_RUN, singular kind -> choice
    # The run loggers besides csv, in the order chosen. They change nothing a run computes, so
    # --resume may change them; recorded only when there are any (the plan's format is unchanged).
    loggers: list[PluginChoice] = Field(default_factory=list)
    # What resolving said (e.g. a swapped plugin's recipe options dropped); shown, never recorded.
    notes: list[str] = Field(default_factory=list, exclude=True)

    @field_validator("plugins", mode="before")
    @classmethod
    def _validate_options(cls, plugins: Any, info: ValidationInfo) -> Any:
        """Stored options (plain JSON) -> the plugins' option models; a plugin given as an option
        model passes as it is."""
        if not isinstance(plugins, Mapping):
            return plugins
        missing = [kind for kind in RUN_PLUGIN_KINDS if kind not in plugins]
        if missing:
            raise OptionsError([f"plan: no {', '.join(missing)} plugin recorded"])
        registry = (info.context or {}).get("registry")
        return {kind: _stored_choice(registry, kind, choice, kind) for kind, choice in plugins.items()}

    @field_validator("loggers", mode="before")
    @classmethod
    def _validate_logger_options(cls, loggers: Any, info: ValidationInfo) -> Any:
        if not isinstance(loggers, list):
            return loggers
        registry = (info.context or {}).get("registry")
        return [_stored_choice(registry, "logger", choice, f"logger.{choice.get('name')}")
                if isinstance(choice, Mapping) else choice for choice in loggers]

    @model_validator(mode="after")
    def _names_agree(self) -> "RunPlan":
        for kind in PLUGIN_KINDS_OF_A_RUN:
            if self.plugins[kind].name != getattr(self.settings, kind):
                raise OptionsError([f"plan: the {kind} is '{getattr(self.settings, kind)}' in the settings but "
                                    f"'{self.plugins[kind].name}' among the plugins"])
        return self

    @property
    def dataset(self) -> str:
        """The dataset plugin that declares the benchmark."""
        return self.plugins["dataset"].name

    def options(self, kind: str) -> PluginConfig:
        """The validated options of the run's plugin of `kind` (singular: "backbone", "dataset", ...)."""
        return self.plugins[kind].options

    def option(self, kind: str, key: str) -> Any:
        """One option's value, or None when the chosen plugin has no such option."""
        return self.options(kind).model_dump().get(key)

    def logger_choices(self) -> list[tuple[str, PluginConfig | None]]:
        """Every logger of the run with its options, csv first (None: its default options)."""
        return [(ALWAYS_ON_LOGGER, None), *((choice.name, choice.options) for choice in self.loggers)]

    def record(self) -> dict[str, Any]:
        """The plan as config.json records it (plain JSON); loggers and data_word_vectors only when
        used, so the format of runs that use neither is unchanged."""
        exclude: dict[str, Any] = {} if self.loggers else {"loggers": True}
        if not self.settings.data_word_vectors:
            exclude["settings"] = {"data_word_vectors": True}
        return self.model_dump(mode="json", exclude=exclude or None)

    @classmethod
    def read(cls, document: Mapping[str, Any], registry: Registry, source: str) -> "RunPlan":
        """A recorded plan (config.json's `plan`), its options validated; problems name `source`."""
        try:
            return cls.model_validate(document, context={"registry": registry})
        except ValidationError as error:
            raise OptionsError([f"{source}: {line}" for line in validation_problems(error, "plan", cls)]) from None
        except OptionsError as error:
            raise OptionsError([f"{source}: {line}" for line in error.lines()]) from None


def _stored_choice(registry: Registry | None, kind: str, choice: Any, prefix: str) -> Any:
    """A recorded {name, options} with its options validated into the plugin's option model."""
    if isinstance(choice, Mapping) and "name" in choice and not isinstance(choice.get("options"), PluginConfig):
        if registry is None:
            raise ValueError("stored plugin options are read with RunPlan.read(document, registry)")
        config = registry.get(kind, choice["name"]).spec.config
        options = choice.get("options", {})
        if not isinstance(options, Mapping):
            raise OptionsError([f"{prefix}.options: must be a table of options, got {options!r}"])
        choice = {**choice, "options": validate_options(config, dict(options), prefix)}
    return choice


def apply_variant(document: dict[str, Any], variant: str | None, source: str) -> dict[str, Any]:
    """Merge `[variants.NAME]` of a recipe over its base; a recipe with variants needs one chosen.
    (`merge_recipe_table`: a variant naming another plugin replaces that kind's table.)"""
    document = dict(document)
    variants = document.pop("variants", {})
    if variant is None:
        if variants:
            raise OptionsError([f"{source} holds variants; choose one with --variant: {', '.join(variants)}"])
        return document
    if variant not in variants:
        known = ", ".join(variants) or "none"
        raise OptionsError([f"{source} has no variant '{variant}'; variants: {known}"])
    return merge_recipe_table({**document, "variant": variant}, variants[variant])


def merge_recipe_table(document: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` (a variant or a stage) over a recipe: a table naming another plugin of a kind
    replaces that kind's table; naming the same plugin (or none) overrides single options."""
    merged = dict(document)
    for key, value in overrides.items():
        base = merged.get(key)
        same_plugin = isinstance(base, dict) and value.get("name", base.get("name")) == base.get("name") \
            if isinstance(value, dict) else False
        merged[key] = {**base, **value} if same_plugin else value
    return merged


def split_config_file(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split a TOML document into run settings and per-kind plugin options (`name` -> setting)."""
    settings: dict[str, Any] = {}
    options: dict[str, dict[str, Any]] = {}
    for key, value in document.items():
        if key == "run" and isinstance(value, dict):  # `-o run.epochs=2` suggests it; TOML keeps them on top
            raise OptionsError([f"[run] table: a recipe's run settings go at its top level, before the first "
                                f"[table] (e.g. {next(iter(value), 'epochs')} = ...), not under [run]"])
        if key in KIND_SPELLINGS and isinstance(value, dict):
            table = dict(value)
            if "name" in table:
                settings[KIND_SPELLINGS[key]] = table.pop("name")
            options.setdefault(KIND_SPELLINGS[key], {}).update(table)
        else:
            settings[key] = value
    return settings, options


def resolve_run_plan(
    registry: Registry,
    file_document: dict[str, Any],
    flags: dict[str, Any],
    assignments: list[str],
) -> RunPlan:
    """Merge defaults, the config file and the flags; validate names and options all at once."""
    file_document, recipe_loggers = split_logger_tables(file_document)
    flags = dict(flags)
    flagged_loggers = flags.pop("loggers", None)
    file_settings, recipe_options = split_config_file(file_document)
    command_line_options: dict[str, dict[str, Any]] = {}
    parsed = parse_assignments(assignments, {**KIND_SPELLINGS, "run": "run"})
    logger_options = parsed.pop("logger", {})
    flags = {**flags, **{key: value for key, value in parsed.pop("run", {}).items() if flags.get(key) is None}}
    for kind, values in parsed.items():
        if "name" in values:
            flags = {**flags, kind: values.pop("name")}
        command_line_options.setdefault(kind, {}).update(values)
    problems: list[str] = []
    given = {**file_settings, **{k: v for k, v in flags.items() if v is not None}}
    given, recipe_options, vector_notes = use_data_word_vectors(registry, given, recipe_options,
                                                                command_line_options, flags)
    if vector_notes:  # the data root's vectors stand in the recipe's place: no "replaces the recipe's" note
        file_settings = {**file_settings, "embedder": given["embedder"]}
    try:
        settings = RunSettings(**given)
    except ValidationError as error:  # report them, then check the plugins with the valid settings
        problems.extend(validation_problems(error, "run", RunSettings))
        bad = {str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}
        try:
            settings = RunSettings(**{key: value for key, value in given.items() if key not in bad})
        except ValidationError:
            raise OptionsError(problems) from None

    chosen: dict[str, str] = {kind: getattr(settings, kind) for kind in PLUGIN_KINDS_OF_A_RUN}
    try:
        chosen["dataset"] = registry.find_benchmark(settings.benchmark).name
    except SlrbenchError as error:
        problems.extend(error.lines())
    options, notes = merge_plugin_options(recipe_options, command_line_options,
                                          _recipe_names(registry, file_settings), chosen)
    notes = vector_notes + notes
    resolved: dict[str, PluginChoice] = {}
    for kind, name in chosen.items():
        try:
            resolved[kind] = PluginChoice(name=name, options=validate_options(
                registry.get(kind, name).spec.config, options.get(kind, {}), kind))
        except SlrbenchError as error:
            problems.extend(error.lines())
    for kind in sorted(set(options) - set(chosen)):
        problems.append(f"{kind}: options given, but a run uses no {resolve_kind(kind).singular} plugin")
    loggers = resolve_loggers(registry, recipe_loggers, flagged_loggers, logger_options, problems)
    if problems:
        raise OptionsError(problems)
    return RunPlan(settings=settings, plugins={kind: resolved[kind] for kind in RUN_PLUGIN_KINDS}, loggers=loggers,
                   notes=notes)


def _recipe_names(registry: Registry, file_settings: Mapping[str, Any]) -> dict[str, str | None]:
    """The plugin of each kind the recipe's options were written for (its own choice, else the default)."""
    defaults = {kind: RunSettings.model_fields[kind].default for kind in (*PLUGIN_KINDS_OF_A_RUN, "benchmark")}
    given = {kind: file_settings.get(kind, default) for kind, default in defaults.items()}
    names: dict[str, str | None] = {kind: given[kind] if isinstance(given[kind], str) else None
                                    for kind in PLUGIN_KINDS_OF_A_RUN}  # a wrong type is reported by RunSettings
    try:
        names["dataset"] = registry.find_benchmark(given["benchmark"]).name if isinstance(given["benchmark"], str) else None
    except SlrbenchError:
        names["dataset"] = None  # reported where the chosen benchmark is resolved
    return names


def split_logger_tables(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]] | None]:
    """A recipe without its loggers, and its loggers (name -> options; None: the recipe names none).
    `loggers = ["tensorboard", "wandb"]`, or a table per logger: `[loggers.wandb]` + options."""
    rest = {key: value for key, value in document.items() if KIND_SPELLINGS.get(key) != "logger"}
    found = {key: value for key, value in document.items() if KIND_SPELLINGS.get(key) == "logger"}
    if not found:
        return rest, None
    if len(found) > 1:
        raise OptionsError([f"loggers: given as both {' and '.join(found)}; use one `loggers` key"])
    (key, value), = found.items()
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return rest, {name: {} for name in value}
    if isinstance(value, dict) and all(isinstance(options, dict) for options in value.values()):
        return rest, {name: dict(options) for name, options in value.items()}
    raise OptionsError([f"{key}: must be a list of logger names (loggers = [\"tensorboard\"]) or one table of "
                        f"options per logger ([loggers.wandb]), got {value!r}"])


def resolve_loggers(registry: Registry, recipe: dict[str, dict[str, Any]] | None, flagged: list[str] | None,
                    assigned: dict[str, Any], problems: list[str]) -> list[PluginChoice]:
    """The loggers besides csv: `--logger` names (else the recipe's), each with its recipe options
    and `-o logger.NAME.KEY=VALUE`; every unknown, unavailable or misconfigured one is a problem."""
    recipe = recipe or {}
    names = [name for name in dict.fromkeys(flagged if flagged is not None else recipe) if name != ALWAYS_ON_LOGGER]
    given: dict[str, dict[str, Any]] = {}
    for key, value in assigned.items():
        name, _, option = key.partition(".")
        if not option:
            problems.append(f"option 'logger.{key}': a logger option names its logger: logger.NAME.KEY=VALUE "
                            "(e.g. logger.wandb.mode=online); choose loggers with --logger NAME")
        elif name not in (ALWAYS_ON_LOGGER, *names):
            problems.append(f"logger.{name}: options given, but the run does not log with '{name}'; add --logger {name}")
        else:
            given.setdefault(name, {})[option] = value
    chosen = []
    for name in (ALWAYS_ON_LOGGER, *names):
        try:
            plugin = registry.get("loggers", name)
            options = validate_options(plugin.spec.config, {**recipe.get(name, {}), **given.get(name, {})},
                                       f"logger.{name}")
        except SlrbenchError as error:
            problems.extend(error.lines())
            continue
        reason = plugin.unavailable_reason()
        if reason:
            problems.append(f"logger '{name}' is not available: {reason}")
        elif name != ALWAYS_ON_LOGGER:
            chosen.append(PluginChoice(name=name, options=options))
    return chosen
