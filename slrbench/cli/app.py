"""The `slrbench` Typer application. Commands import their heavy dependencies lazily."""
from __future__ import annotations

import typer

from slrbench.cli.describe_cmd import describe
from slrbench.cli.list_cmd import list_plugins
from slrbench.cli.plugins_cmd import show_plugins
from slrbench.cli.run_cmd import run
from slrbench.cli.similarity_cmd import similarity
from slrbench.cli.smooth_cmd import smooth

app = typer.Typer(
    name="slrbench",
    help="Benchmark toolkit for isolated sign language recognition (NLA-SLR and plugins).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("list")(list_plugins)
app.command("plugins")(show_plugins)
app.command("describe")(describe)
app.command("run")(run)
app.command("similarity")(similarity)
app.command("smooth")(smooth)


def main() -> None:
    app()
