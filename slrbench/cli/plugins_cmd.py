"""`slrbench plugins [--json]`: installed plugin distributions, versions and the hooks they implement."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from slrbench.cli.output import console, print_json, print_warnings, reporting_errors
from slrbench.registry import default_registry


def show_plugins(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show plugin distributions, their versions and the hooks each implements."""
    with reporting_errors():
        registry = default_registry()
        warnings = [failure.message() for failure in registry.failures]
    rows = [
        {
            "plugin": source.plugin_name,
            "distribution": source.distribution,
            "version": source.version,
            "hooks": list(source.hooks),
        }
        for source in registry.loaded.sources.values()
    ]
    failures = [
        {"plugin": f.plugin_name, "distribution": f.distribution, "reason": f.reason} for f in registry.failures
    ]
    if as_json:
        print_json({"plugins": rows, "failures": failures})
        return
    print_warnings(warnings)
    table = Table(title="slrbench plugins", title_justify="left")
    for column in ("plugin", "distribution", "version", "hooks"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["plugin"], row["distribution"], row["version"], "\n".join(row["hooks"]))
    console.print(table)
