"""Output formats: what each is, and the one registry the pipeline and the command read.

An :class:`OutputFormat` says what its output is called (:meth:`~OutputFormat.target`),
whether it needs the print layout (:meth:`~OutputFormat.layout`), which other formats' bytes
it is made from (:attr:`~OutputFormat.uses`), what to refuse before any work
(:meth:`~OutputFormat.ready`), how to make its bytes from an :class:`Export` (rendered
documents, never the issue's files, YAML or templates) and what device rules to run on them.

:data:`FORMATS` holds them in the order they are exported and listed. The pipeline
(:mod:`masthead.pipeline`), ``--format``'s help and check, the progress stages and the lines a
build prints all come from it, so a new format is one class and one :func:`register` call::

    class Text(OutputFormat):
        name, help = "txt", "txt (the articles as plain text)"
        def export(self, job): return b"..."

    register(Text())

Declarations here import nothing heavy: the exporter modules (ebooklib, WeasyPrint, calibre)
are imported when a format runs, so ``masthead --help`` stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the records only: nothing of them is imported when a command starts
    from masthead.diagnostics import Report
    from masthead.layout.pdfchunks import Printed
    from masthead.model.documents import RenderedIssue
    from masthead.model.issue import Issue, IssueMeta
    from masthead.runtime.cache import Cache

NONE, PAGES, PDF = "", "pages", "pdf"  # what a format needs of the print layout (OutputFormat.layout)


class Export(NamedTuple):
    """What a format's :meth:`~OutputFormat.export` receives."""

    rendered: RenderedIssue  # with the print pages marked when a format asked for them
    issue: Issue  # the articles' sources, for positioned warnings
    printed: Printed | None  # the print layout, when a chosen format needed it
    outputs: Mapping[str, bytes]  # the bytes of the formats this one ``uses``, made before it
    report: Report  # for warnings, at the manifest or an article
    jobs: int | None  # worker processes a format may share its work out to
    store: Cache  # the run's cache


class OutputFormat:
    """One output of a build. Subclass it, set :attr:`name` and :attr:`help`, write :meth:`export`."""

    name: str = ""  # as --format takes it, and as progress() hears it while it is made
    help: str = ""  # how --format's help names it
    suffix: str = ""  # the file's name is <slug><suffix>; "" and folder: the folder <slug>/
    folder: bool = False  # the output is a folder of files (export returns {name: bytes})
    default: bool = False  # built when --format is not given
    uses: tuple[str, ...] = ()  # formats whose bytes this one is made from (exported first, written only when chosen)
    pages: bool = False  # its output line gives the print edition's page count
    web: bool = False  # made from the web edition's own pages (rendered only when a format is)

    def target(self, slug: str) -> str:
        """The output's name in the output folder."""
        return slug if self.folder else f"{slug}{self.suffix or '.' + self.name}"

    def layout(self, meta: IssueMeta, chosen: frozenset[str]) -> str:
        """What it needs of the print layout: :data:`NONE`, :data:`PAGES` (where each page
        begins, for a page list) or :data:`PDF` (the laid-out PDF itself)."""
        return NONE

    def ready(self, manifest_path: Path, out_dir: Path, force: bool) -> None:
        """Refuse at once, before any work, what would make this output fail at the end."""

    def export(self, job: Export) -> bytes | dict[str, bytes]:
        raise NotImplementedError

    def device_checks(self, data: bytes | dict[str, bytes], store: Cache) -> list[str]:
        """Findings of the device rules (:mod:`masthead.export.devices`) on the output."""
        return []


FORMATS: dict[str, OutputFormat] = {}


def register(output_format: OutputFormat) -> OutputFormat:
    """Add a format to the registry (or replace the one of its name); it is listed last."""
    if not output_format.name or not output_format.name.isidentifier():
        raise ValueError(f"{output_format.name!r}: a format's name is a word (it is typed in --format)")
    FORMATS[output_format.name] = output_format
    return output_format


def unregister(name: str) -> None:
    FORMATS.pop(name, None)


def default_names() -> tuple[str, ...]:
    return tuple(name for name, f in FORMATS.items() if f.default)


def chosen(names: tuple[str, ...]) -> list[OutputFormat]:
    """The formats named and those they are made from, in the registry's order."""
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for used in FORMATS[name].uses:
                add(used)

    for name in names:
        add(name)
    return [f for name, f in FORMATS.items() if name in wanted]


def _page_list(meta: IssueMeta, chosen: frozenset[str]) -> str:
    """The EPUB's page list needs the print layout: epub: {page_list: true}, or auto with a PDF."""
    wanted = meta.epub.page_list == "true" or (meta.epub.page_list == "auto" and "pdf" in chosen)
    return PAGES if wanted else NONE


class Epub(OutputFormat):
    name, help, default = "epub", "epub", True
    layout = staticmethod(_page_list)

    def export(self, job: Export) -> bytes:
        from masthead.export import epub

        return epub.export(_split(job), job.store)  # no XHTML file over ~300 KB (split.py)

    def device_checks(self, data: bytes | dict[str, bytes], store: Cache) -> list[str]:
        from masthead.export import devices

        assert isinstance(data, bytes)
        return [str(finding) for finding in devices.check_epub(data, store=store)]


class Kepub(OutputFormat):
    name, help, suffix = "kepub", "kepub (Kobo)", ".kepub.epub"
    layout = staticmethod(_page_list)

    def export(self, job: Export) -> bytes:
        from masthead.export import kepub

        return kepub.export(job.rendered, job.store)  # it splits after Kobo's spans, which add ~60 %

    def device_checks(self, data: bytes | dict[str, bytes], store: Cache) -> list[str]:
        from masthead.export import devices

        assert isinstance(data, bytes)
        return [str(finding) for finding in devices.check_epub(data, kepub=True, store=store)]


class Pdf(OutputFormat):
    name, help, default, pages = "pdf", "pdf", True, True

    def layout(self, meta: IssueMeta, chosen: frozenset[str]) -> str:
        return PDF

    def export(self, job: Export) -> bytes:
        assert job.printed is not None and job.printed.data is not None
        return job.printed.data  # the print layout wrote it (layout/pdfchunks.py)


class Web(OutputFormat):
    name, help, folder, web = "html", "html (the folder DIR/<slug>/)", True, True

    def ready(self, manifest_path: Path, out_dir: Path, force: bool) -> None:
        from masthead.runtime import writes

        writes.refuse_folder_over_issue(manifest_path, out_dir)

    def export(self, job: Export) -> dict[str, bytes]:
        from masthead.export import html

        return html.export(job.rendered)


class Azw3(OutputFormat):
    name = "azw3"
    help = "azw3 (Kindle by USB, through calibre's ebook-convert; Send-to-Kindle takes the EPUB)"
    uses = ("epub",)

    def ready(self, manifest_path: Path, out_dir: Path, force: bool) -> None:
        from masthead.export import azw3

        azw3.require()  # refused now, not after the work, when calibre is missing

    def export(self, job: Export) -> bytes:
        from masthead.export import azw3

        return azw3.export(job.outputs["epub"], job.rendered.slug)


def _split(job: Export) -> RenderedIssue:
    """split.split, and a warning for each article still over the limit, naming the element
    with nowhere to cut it (a paragraph, a list item, a table cell, a line of a <pre> …)."""
    from masthead.layout import split

    origins: dict[str, str] = {}
    oversized: list[tuple[str, str, str | None]] = []
    cut = split.split(job.rendered, origins=origins, oversized=oversized)
    largest: dict[str, int] = {}  # an article's document → its largest part
    for d in cut.documents:
        name = origins.get(d.name, d.name)
        largest[name] = max(largest.get(name, 0), len(d.content))
    for article in job.issue.articles:
        if largest.get(article.doc_name, 0) > split.LIMIT:
            named = [(what, id_) for name, what, id_ in oversized if name == article.doc_name]
            culprit = ", ".join(what for what, _ in named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "") \
                if named else "a passage with no heading or paragraph to cut at"
            where = _where(article.source, next((id_ for _, id_ in named if id_), None))
            job.report.warning(where, f"a page of {largest[article.doc_name] // 1000} KB even after splitting: "
                               f"{culprit} is bigger than a page by itself, with no item, row, term or line to cut at; "
                               f"some e-readers open a page over {split.LIMIT // 1000} KB slowly, or not at all")
    return cut


def _where(source: Path, id_: str | None):
    """The line and column of ``id="…"`` in the article's source, when it has it once (an
    element with an id is found so; Markdown makes most of its ids itself), else the file."""
    from masthead.content.reading import MAX_ARTICLE_BYTES
    from masthead.diagnostics import Position
    from masthead.runtime import confine

    if id_ is None:
        return Position(source)
    try:
        text = confine.read_input(source, MAX_ARTICLE_BYTES, follow=False).decode("utf-8", "replace")
    except OSError:
        return Position(source)
    found = [m.start() for q in "\"'" for m in re.finditer(re.escape(f"id={q}{id_}{q}"), text)]
    if len(found) != 1:
        return Position(source)
    line = text.count("\n", 0, found[0]) + 1
    return Position(source, line, found[0] - (text.rfind("\n", 0, found[0]) + 1) + 1)


for _builtin in (Epub(), Pdf(), Kepub(), Web(), Azw3()):
    register(_builtin)
