"""Built-in run loggers: `csv` (history.csv, which every run writes), `tensorboard` (event files)
and `wandb` (Weights & Biases, offline unless asked). Option models only: each logger's module
imports its library when the run builds it."""
from typing import Literal, Optional

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl

LOGGING_EXTRA = "slrbench[logging]"


class CsvLoggerConfig(PluginConfig):
    pass


class TensorBoardLoggerConfig(PluginConfig):
    flush_seconds: int = Field(30, ge=1, le=3600, description="write buffered events to disk at least this often")


class WandbLoggerConfig(PluginConfig):
    mode: Literal["offline", "online", "disabled"] = Field(
        "offline", description="offline: write RUN_DIR/wandb only (upload later with `wandb sync`); online: "
        "stream to the W&B server (needs `wandb login`); disabled: log nothing")
    project: str = Field("slrbench", min_length=1, description="W&B project")
    entity: Optional[str] = Field(None, description="W&B user or team; default: the account's default entity")
    name: Optional[str] = Field(None, description="the run's display name; default: the run directory's name")
    group: Optional[str] = Field(None, description="W&B group, e.g. a study's variant")
    tags: tuple[str, ...] = Field((), description="W&B tags")


@hookimpl
def register_run_loggers(register):
    register(PluginSpec(
        name="csv",
        factory="slrbench.builtins.loggers.history_csv:CsvLogger",
        config=CsvLoggerConfig,
        summary="history.csv, one row per epoch (always on: table, compare and report read it)",
        requires=("pandas",),
    ))
    register(PluginSpec(
        name="tensorboard",
        factory="slrbench.builtins.loggers.tensorboard_events:TensorBoardLogger",
        config=TensorBoardLoggerConfig,
        summary="TensorBoard event files in RUN_DIR/tensorboard (tensorboard --logdir RUN_DIR)",
        requires=("tensorboard",),
        install=LOGGING_EXTRA,
    ))
    register(PluginSpec(
        name="wandb",
        factory="slrbench.builtins.loggers.wandb_run:WandbLogger",
        config=WandbLoggerConfig,
        summary="Weights & Biases run in RUN_DIR/wandb; offline unless -o logger.wandb.mode=online",
        requires=("wandb",),
        install=LOGGING_EXTRA,
    ))
