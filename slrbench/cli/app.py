"""The `slrbench` Typer application. Commands import their heavy dependencies lazily."""
from __future__ import annotations

import typer

from slrbench.cli.compare_cmd import compare
from slrbench.cli.data_cmd import data_app
from slrbench.cli.describe_cmd import describe
from slrbench.cli.eval_cmd import evaluate
from slrbench.cli.export_cmd import export
from slrbench.cli.import_checkpoint_cmd import import_checkpoint
from slrbench.cli.keypoints_cmd import keypoints_app
from slrbench.cli.list_cmd import list_plugins
from slrbench.cli.plugins_cmd import show_plugins
from slrbench.cli.predict_cmd import predict
from slrbench.cli.report_cmd import report
from slrbench.cli.run_cmd import run
from slrbench.cli.show_cmd import show
from slrbench.cli.similarity_cmd import similarity
from slrbench.cli.smooth_cmd import smooth
from slrbench.cli.study_cmd import study
from slrbench.cli.table_cmd import table
from slrbench.cli.visigns_cmd import visigns

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
app.command("study")(study)
app.command("eval")(evaluate)
app.command("table")(table)
app.command("compare")(compare)
app.command("visigns")(visigns)
app.command("report")(report)
app.command("predict")(predict)
app.command("show")(show)
app.command("similarity")(similarity)
app.command("smooth")(smooth)
app.command("import-checkpoint")(import_checkpoint)
app.command("export")(export)
app.add_typer(data_app, name="data")
app.add_typer(keypoints_app, name="keypoints")


def main() -> None:
    app()
