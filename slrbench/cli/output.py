"""Shared command-line plumbing: consoles, one-line errors with exit codes, plugin warnings."""
from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import typer
from rich.console import Console
from rich.markup import escape

from slrbench.errors import SlrbenchError

console = Console()
err_console = Console(stderr=True)


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn a `SlrbenchError` into `error: ...` lines on stderr and its exit code."""
    try:
        yield
    except SlrbenchError as error:
        for line in error.lines():
            err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


def print_warnings(messages: list[str], to: Console = err_console) -> None:
    """One `warning: ...` line each (text printed as it is: brackets in paths stay)."""
    for message in messages:
        to.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """Plain JSON on stdout (no colour codes), so it pipes into other tools."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
