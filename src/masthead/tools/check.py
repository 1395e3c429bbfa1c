"""``masthead check``: the pipeline up to render, the EPUB made in memory, and nothing written.

:func:`check` runs the stages :func:`masthead.pipeline.build` runs (load, read, render) on one
:class:`~masthead.pipeline.Pipeline`, so it reports the same positioned errors for the same
input, and the warnings besides; then it exports the EPUB in memory and runs the device rules
on it (export/devices.py), as a build does. The render decodes every image and renders every
template, the print document's too; it leaves the EPUB's font subsets out, since cutting them
costs time, writes to masthead's cache and has nothing to say about the issue. The print layout
(WeasyPrint) does not run: the few warnings it gives while laying out pages only ``build``
shows. Nothing is written anywhere, not even to the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.diagnostics import Diagnosed, Diagnostic, IssueError, Position, UsageError
from masthead.model.documents import RenderedIssue
from masthead.model.issue import Issue
from masthead.runtime.cache import Cache

if TYPE_CHECKING:
    from masthead.pipeline import Pipeline


@dataclass
class Checked(Diagnosed):
    """What checking one issue found, and the issue as read when it has no errors."""

    manifest_path: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)  # in source order: path, line, col
    issue: Issue | None = None
    rendered: RenderedIssue | None = None
    run: Pipeline | None = None  # the pipeline that checked it, to go on from (preview, flatplan)
    outputs: dict = field(default_factory=dict)  # the formats asked for, made in memory
    internal: str | None = None  # an exception of masthead's own: a bug, not the input's fault

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.internal)

    def to_json(self) -> dict:
        errors = [_diagnostic_json(d) for d in self.errors]
        if self.internal:
            errors.append({"path": str(Position(self.manifest_path)), "line": None, "col": None,
                           "message": f"internal error: {self.internal}"})
        return {"issue": str(Position(self.manifest_path)), "errors": errors,
                "warnings": [_diagnostic_json(d) for d in self.warnings]}


def check(manifest_path: Path, debug: bool = False, formats: tuple[str, ...] = ("epub",), store: Cache | None = None,
          edition: str | None = None) -> Checked:
    """Validate one issue without writing anything; problems are in the result, never raised.

    ``formats`` are made in memory after render, without the print layout (the EPUB's device
    rules run; preview asks for the web edition too). ``store``: the cache to read (default:
    the environment's; preview's remembers); checking adds nothing to it, nor writes anything
    anywhere. An exception that is not the input's fault is caught into ``internal`` unless ``debug``.
    ``edition``: the issue's edition in that language (a usage error, raised, when the tag is malformed).
    """
    from masthead.pipeline import BuildContext, Pipeline

    result = Checked(manifest_path)
    ctx = BuildContext(cache=(store or Cache.from_environment()).read_only())
    run = Pipeline(manifest_path, ctx, formats=formats, fonts=False, printed=True, layout=False, edition=edition)
    report = run.report
    try:
        result.rendered, result.issue = run.render(), run.read()
        result.outputs = run.export()
        result.run = run
    except UsageError:  # the command's fault (--edition), not the issue's
        raise
    except IssueError as exc:
        known = {id(d) for d in report.diagnostics}
        report.diagnostics.extend(d for d in exc.diagnostics if id(d) not in known)
    except Exception as exc:
        if debug:
            raise
        result.internal = f"{type(exc).__name__}: {exc}"
    result.diagnostics = sort(report.diagnostics)
    return result


def sort(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """By file, then line and column, as a compiler lists them; the same place keeps its order."""
    return sorted(diagnostics, key=lambda d: (str(d.position.path), d.position.line or 0, d.position.col or 0))


def _diagnostic_json(d: Diagnostic) -> dict:
    where = {"part": d.position.part} if d.position.part else {}  # a file without lines: "paragraph 14 (…)"
    return {"path": str(Position(d.position.path)), "line": d.position.line, "col": d.position.col, **where,
            "message": d.message}
