"""Errors that reach the user as one line each, with the exit code the CLI should use."""
from __future__ import annotations


class SlrbenchError(Exception):
    """An error whose message is fit to show the user as it is (`error: <message>`)."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [str(self)]


class UsageError(SlrbenchError):
    """Bad input from the user: an unknown name, a bad option, a missing file (exit code 2)."""

    exit_code = 2


class OptionsError(UsageError):
    """One or more plugin options failed validation; one line per bad field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)
