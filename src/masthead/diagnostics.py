"""Diagnostics and the exceptions that carry them.

Every problem a user can cause is a :class:`Diagnostic` with a source position, printed as
``path:line:col: message``. Stages collect diagnostics in a :class:`Report` so that a user sees
all of an issue's problems at once; a stage that cannot go on raises :class:`IssueError`. Each
exception class carries the process exit status the CLI returns for it (as click does), so the
CLI never decides exit codes itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple


class Position(NamedTuple):
    """Where something stands in a source file; line and col are 1-based, or None. A file that
    has no lines (a Word document) says where in words instead: ``part`` ("paragraph 14"),
    shown after the path as ``path: paragraph 14``."""

    path: Path
    line: int | None = None
    col: int | None = None
    part: str | None = None

    def __str__(self) -> str:
        shown = one_line(_display_path(self.path))
        if self.line is None:
            return f"{shown}: {one_line(self.part)}" if self.part else shown
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
            return one_line(f"{self.position}: warning: {self.message}")
        return one_line(f"{self.position}: {self.message}")


# What may not reach a terminal or a log as it is: control characters (a line break would
# split a message in two; ESC starts a terminal's escape sequence), the Unicode line breaks,
# and the bytes of a file name that are no UTF-8 (os.fsdecode makes them lone surrogates).
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def internal_error(where: object, error: BaseException | str, debug: bool = False) -> str:
    """The one way masthead says a problem is its own, not the input's: where, what, and what
    to do (``debug``: the command has --debug for a traceback)."""
    what = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return f"{where}: internal error: {what} ({'run with --debug and report it' if debug else 'please report it'})"


def one_line(text: str) -> str:
    """``text`` as one line of plain characters, what it cannot show written as Python
    would (``\\n``, ``\\x1b``; a byte that is no UTF-8 as ``\\xff``)."""
    return _UNSHOWN.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


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
