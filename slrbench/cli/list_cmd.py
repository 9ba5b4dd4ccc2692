"""`slrbench list [KIND] [--options] [--json]`: every registered plugin on one line each (name,
summary, source, availability); options beneath with --options, or with `slrbench describe`."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from slrbench.cli.output import console, print_json, print_warnings, reporting_errors
from slrbench.config import describe_options
from slrbench.kinds import KINDS, resolve_kind
from slrbench.registry import RegisteredPlugin, default_registry

BUILT_IN = "slrbench"


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
    kind: Annotated[Optional[str], typer.Argument(help="backbones, smoothers, mixups, embedders, datasets, extractors or loggers")] = None,
    options: Annotated[bool, typer.Option("--options", help="each plugin's options beneath it")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List registered plugins, one line each: name, summary, source and whether it can run here."""
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
        console.print(f"[bold]{k.name}[/]: {escape(k.description)}", highlight=False, no_wrap=True, overflow="ellipsis")
        rows = [record for record in records if record["kind"] == k.name]
        if not rows:
            console.print("  (none registered)")
        elif options:
            for record in rows:
                console.print(_one_line(rows, [record]), highlight=False, no_wrap=True)
                for line in _option_lines(record):
                    console.print(line, highlight=False)
        else:
            console.print(_one_line(rows, rows), highlight=False, no_wrap=True)
    if not options:
        console.print("[dim]options: slrbench list KIND --options, or slrbench describe KIND NAME[/]", highlight=False)


def _one_line(all_rows: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """Name, summary (cut to the width left) and source, one line each; an unavailable plugin
    shows why and the pip line instead of its summary."""
    name_width = max(len(record["name"]) for record in all_rows)
    lines = []
    for record in rows:
        source = "" if record["distribution"] == BUILT_IN else f"  {record['distribution']} {record['version']}"
        text = record["summary"] if record["available"] else f"unavailable: {record['unavailable_reason']}"
        room = max(console.width - 2 - name_width - 2 - len(source), 10)
        text = text if len(text) <= room else text[: room - 1].rstrip() + "…"
        style = "" if record["available"] else "red"
        lines.append(f"  [cyan]{escape(record['name']).ljust(name_width)}[/]  "
                     f"{f'[{style}]' if style else ''}{escape(text)}{f'[/{style}]' if style else ''}[dim]{escape(source)}[/]")
    return "\n".join(lines)


def _option_lines(record: dict[str, Any]) -> list[str]:
    lines = []
    if record.get("benchmarks"):
        lines.append(f"      benchmarks: {escape(', '.join(record['benchmarks']))}")
    for option in record["options"]:
        default = "required" if option["required"] else f"= {option['default']!r}"
        constraints = f" ({option['constraints']})" if option["constraints"] else ""
        lines.append(f"      [green]{option['name']}[/]: {escape(option['type'])} {escape(default)}{escape(constraints)}"
                     f"  [dim]{escape(option['description'])}[/]")
    return lines
