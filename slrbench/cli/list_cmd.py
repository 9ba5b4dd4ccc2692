"""`slrbench list [KIND] [--json]`: every registered plugin, its source and its options."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from slrbench.cli.output import console, print_json, print_warnings, reporting_errors
from slrbench.config import describe_options
from slrbench.kinds import KINDS, resolve_kind
from slrbench.registry import RegisteredPlugin, default_registry


def plugin_record(plugin: RegisteredPlugin) -> dict[str, Any]:
    reason = plugin.unavailable_reason()
    record = {
        "kind": plugin.kind.name,
        "name": plugin.name,
        "summary": plugin.spec.summary,
        "distribution": plugin.distribution,
        "version": plugin.version,
        "available": reason is None,
        "unavailable_reason": reason,
        "options": describe_options(plugin.spec.config),
    }
    record.update(plugin.spec.declarations())
    return record


def list_plugins(
    kind: Annotated[Optional[str], typer.Argument(help="backbones, smoothers, mixups, embedders, datasets or extractors")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List registered plugins: name, summary, source distribution, availability and options."""
    with reporting_errors():
        kinds = [resolve_kind(kind)] if kind else list(KINDS)
        registry = default_registry()
        records = [plugin_record(plugin) for k in kinds for plugin in registry.plugins(k).values()]
        warnings = [failure.message() for failure in registry.failures]
    if as_json:
        print_json({"plugins": records, "warnings": warnings})
        return
    print_warnings(warnings)
    for k in kinds:
        console.print(f"[bold]{k.name}[/]: {k.description}", highlight=False)
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2))
        for column in ("name", "details"):
            table.add_column(column, overflow="fold")
        for record in (r for r in records if r["kind"] == k.name):
            table.add_row(f"[cyan]{record['name']}[/]", _details(record))
        console.print(table if table.row_count else "  (none registered)", highlight=False)


def _details(record: dict[str, Any]) -> str:
    available = "" if record["available"] else f"  [red]unavailable: {record['unavailable_reason']}[/]"
    lines = [f"{escape(record['summary'])}  [dim]({record['distribution']} {record['version']})[/]{available}"]
    if record.get("benchmarks"):
        lines.append(f"benchmarks: {escape(', '.join(record['benchmarks']))}")
    for option in record["options"]:
        default = "required" if option["required"] else f"= {option['default']!r}"
        constraints = f" ({option['constraints']})" if option["constraints"] else ""
        lines.append(f"  [green]{option['name']}[/]: {option['type']} {default}{constraints}  [dim]{escape(option['description'])}[/]")
    return "\n".join(lines)
