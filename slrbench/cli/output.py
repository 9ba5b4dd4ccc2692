"""Shared command-line plumbing: consoles, one-line errors with exit codes, plugin warnings."""
from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import typer
from rich.console import Console

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
            err_console.print(f"[bold red]error:[/] {line}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


def print_warnings(messages: list[str]) -> None:
    for message in messages:
        err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """Plain JSON on stdout (no colour codes), so it pipes into other tools."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
