"""`slrbench describe KIND NAME [-o ...] [--json]`: one plugin's resolved options and sizes."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from slrbench.cli.output import console, print_json, reporting_errors
from slrbench.config import parse_assignments
from slrbench.errors import UsageError
from slrbench.kinds import KIND_SPELLINGS, resolve_kind
from slrbench.registry import default_registry


def describe(
    kind: Annotated[str, typer.Argument(help="backbone, smoother, mixup, embedder, dataset, extractor or logger")],
    name: Annotated[str, typer.Argument(help="plugin name (see `slrbench list`)")],
    option: Annotated[Optional[list[str]], typer.Option("-o", "--option", help="KIND.KEY=VALUE (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show a plugin's resolved options; for backbones also parameter counts and feature sizes."""
    with reporting_errors():
        plugin_kind = resolve_kind(kind)
        assignments = parse_assignments(option or [], KIND_SPELLINGS)
        others = sorted(set(assignments) - {plugin_kind.singular})
        if others:
            raise UsageError(f"options for {', '.join(others)} do not apply to a {plugin_kind.singular}")
        from slrbench.describe import describe_plugin  # imports torch for backbones

        report = describe_plugin(default_registry(), plugin_kind.name, name, assignments.get(plugin_kind.singular, {}))
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{plugin_kind.singular} '{name}' ({report['distribution']} {report['version']})",
                  title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in report.items():
        if key not in ("kind", "name", "distribution", "version"):
            table.add_row(key, _format(value))
    console.print(table)


def _format(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_format(v)}" for k, v in value.items()) or "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
