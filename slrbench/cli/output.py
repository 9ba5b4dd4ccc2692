"""Shared command-line plumbing: consoles, one-line errors with exit codes, plugin warnings."""
from __future__ import annotations

import contextlib
import errno
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
    """Turn a `SlrbenchError` into `error: ...` lines on stderr and its exit code, and a full disk,
    a read-only or forbidden folder into one such line (exit 2)."""
    try:
        yield
    except SlrbenchError as error:
        for line in error.lines():
            err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None
    except OSError as error:
        if error.errno not in STORAGE_ERRNOS:
            raise
        err_console.print(f"[bold red]error:[/] {escape(storage_error_line(error))}", highlight=False, markup=True,
                          soft_wrap=True)
        raise typer.Exit(2) from None


STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EFBIG}
_STORAGE_HINTS = {errno.ENOSPC: "free some space or choose another folder", errno.EDQUOT: "free some space or "
                  "choose another folder", errno.EROFS: "choose a writable folder", errno.EFBIG: "choose another folder"}


def storage_error_line(error: OSError) -> str:
    """`FILE: No space left on device; free some space ...`, naming the file slrbench meant to write
    rather than its hidden temporary (`slrbench.files.temporary_path`)."""
    from slrbench.files import real_name

    name = real_name(str(error.filename or ""))
    hint = _STORAGE_HINTS.get(error.errno, "")
    return f"{name + ': ' if name else ''}{error.strerror or error}{'; ' + hint if hint else ''}"


def print_warnings(messages: list[str], to: Console = err_console) -> None:
    """One `warning: ...` line each (text printed as it is: brackets in paths stay)."""
    for message in messages:
        to.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """Plain JSON on stdout (no colour codes), so it pipes into other tools."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
