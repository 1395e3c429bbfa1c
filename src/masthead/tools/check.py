"""``masthead check``: every stage of a build up to the exporters, and nothing written.

:func:`check` runs what :func:`masthead.build.build` runs, in the same order and with the same
stops — manifest, theme, content, render — so that it reports the same positioned errors for
the same input, and the warnings besides. The render stage decodes every image and renders every
template; it runs with the EPUB's fonts turned off, since cutting font subsets costs time,
writes to masthead's cache and has nothing to say about the issue. The print layout
(WeasyPrint) and the exporters do not run: they read nothing the stages before them have not
checked, and the few warnings WeasyPrint gives while laying out pages only ``build`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from masthead.content import reading
from masthead.diagnostics import Diagnosed, Diagnostic, IssueError, Position, Report
from masthead.manifest import loader
from masthead.model.documents import RenderedIssue
from masthead.model.issue import Issue
from masthead.render import templates, theme
from masthead.runtime import cache


@dataclass
class Checked(Diagnosed):
    """What checking one issue found, and the issue as read when it has no errors."""

    manifest_path: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)  # in source order: path, line, col
    issue: Issue | None = None
    rendered: RenderedIssue | None = None
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


def check(manifest_path: Path, debug: bool = False) -> Checked:
    """Validate one issue without writing anything; problems are in the result, never raised.

    An exception that is not the input's fault is caught into ``internal`` unless ``debug``.
    """
    result = Checked(manifest_path)
    report = Report()
    try:
        with cache.read_only():  # checking writes nothing anywhere, not even the cache
            _stages(manifest_path, report, result)
    except IssueError as exc:
        report.diagnostics.extend(exc.diagnostics)
    except Exception as exc:  # noqa: BLE001 - a bug of ours, reported in one line as build does
        if debug:
            raise
        result.internal = f"{type(exc).__name__}: {exc}"
    result.diagnostics = sort(report.diagnostics)
    return result


def _stages(manifest_path: Path, report: Report, result: Checked) -> None:
    spec = loader.load(manifest_path)  # the stages and stops of build.build()
    chosen = theme.load(spec.meta)
    issue = reading.read_issue(spec, report)
    if not report.errors:
        rendered = templates.render(_without_fonts(issue), chosen, report)
        if not report.errors:
            result.issue, result.rendered = issue, rendered
            _compatibility(rendered, manifest_path, report)


def _compatibility(rendered: RenderedIssue, manifest_path: Path, report: Report) -> None:
    """The device rules of devices.py, on the EPUB this issue would give (kept in memory)."""
    from masthead.export import devices, epub
    from masthead.layout import split

    for finding in devices.check_epub(epub.export(split.split(rendered))):
        report.warning(Position(manifest_path), f"epub: {finding}")


def sort(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """By file, then line and column, as a compiler lists them; the same place keeps its order."""
    return sorted(diagnostics, key=lambda d: (str(d.position.path), d.position.line or 0, d.position.col or 0))


def _without_fonts(issue: Issue) -> Issue:
    meta = issue.meta
    return issue._replace(meta=meta._replace(epub=meta.epub._replace(embed_fonts=False)))


def _diagnostic_json(d: Diagnostic) -> dict:
    return {"path": str(Position(d.position.path)), "line": d.position.line, "col": d.position.col,
            "message": d.message}
