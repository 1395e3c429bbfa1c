"""Diagnostics and the exceptions that carry them.

Every problem a user can cause is a :class:`Diagnostic` with a source position, printed as
``path:line:col: message``. Stages collect diagnostics in a :class:`Report` so that a user sees
all of an issue's problems at once; a stage that cannot go on raises :class:`IssueError`. Each
exception class carries the process exit status the CLI returns for it (as click does), so the
CLI never decides exit codes itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple


class Position(NamedTuple):
    """Where something stands in a source file; line and col are 1-based, or None."""

    path: Path
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        shown = _display_path(self.path)
        if self.line is None:
            return shown
        if self.col is None:
            return f"{shown}:{self.line}"
        return f"{shown}:{self.line}:{self.col}"


class Diagnostic(NamedTuple):
    """One message about the input, errors and warnings alike."""

    position: Position
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        if self.severity == "warning":
            return f"{self.position}: warning: {self.message}"
        return f"{self.position}: {self.message}"


def _display_path(path: Path) -> str:
    # Relative to the working folder when below it: shorter, and what an editor's
    # "jump to error" expects; absolute otherwise.
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


class MastheadError(Exception):
    """Base of every error masthead reports to the user; never shown with a traceback."""

    exit_code = 1


class UsageError(MastheadError):
    """The command line itself is wrong (a missing folder, an unknown format)."""

    exit_code = 2


class IssueError(MastheadError):
    """An issue has errors: one or more positioned diagnostics."""

    exit_code = 1

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):  # from a worker process: with its diagnostics, not their text
        return (type(self), (self.diagnostics,))


class Diagnosed:
    """Anything that holds a list of diagnostics and is asked for its errors and warnings."""

    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


class Report(Diagnosed):
    """Collects the diagnostics of one issue while the stages run."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, position: Position, message: str) -> None:
        self.diagnostics.append(Diagnostic(position, message, "error"))

    def warning(self, position: Position, message: str) -> None:
        self.diagnostics.append(Diagnostic(position, message, "warning"))

    def raise_if_errors(self) -> None:
        """Stop the build when any error was reported; warnings travel on."""
        if self.errors:
            raise IssueError(self.errors)
