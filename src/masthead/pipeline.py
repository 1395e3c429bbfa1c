"""The pipeline: one issue through six named stages. Read :class:`Pipeline` first.

    load      issue.yaml → a validated Manifest and its theme      (masthead.manifest, render.theme)
    read      each article → clean XHTML, metadata, assets          (masthead.content)
    render    the issue → complete documents and resources (Jinja)  (masthead.render)
    lay out   the print edition's pages, when a format needs them   (masthead.layout)
    export    documents → the bytes of each output format           (masthead.export.formats)
    write     every output put in place at once, or none            (masthead.runtime.writes)

Each stage is a method that runs the stages before it once and keeps its result, so every
entry point asks for the stage it needs and no entry point chains the stages by hand:
``masthead build`` writes, ``check`` stops after render (and exports the EPUB in memory for
the device rules), ``preview`` exports the web edition, ``flatplan`` lays out, and tests take
the stage they examine. Records flow one way (model/issue.py → model/documents.py); errors
gather in the :class:`BuildContext`'s report and stop the pipeline at the end of the stage that
found them (an :class:`~masthead.diagnostics.IssueError`, nothing written).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.diagnostics import Diagnostic, Position, Report, UsageError
from masthead.export import formats as registry
from masthead.runtime.context import BuildContext

__all__ = ["BuildContext", "Output", "Pipeline", "Result", "build", "find_issues", "outputs_of", "progress_stages"]

if TYPE_CHECKING:
    from masthead.layout.pdfchunks import Printed
    from masthead.model.documents import RenderedIssue
    from masthead.model.issue import Issue, Manifest
    from masthead.render.theme import Theme

# What progress() hears as each stage begins (the CLI's bar and --verbose); the export stage
# is heard once per format, by the format's name, between "print layout" and "write".
PROGRESS = {"load": "manifest", "read": "articles", "render": "render", "lay out": "print layout", "write": "write"}


def progress_stages() -> list[str]:
    """Every name progress() can hear, in order: the stages, with each registered format's."""
    return [PROGRESS["load"], PROGRESS["read"], PROGRESS["render"], PROGRESS["lay out"],
            *registry.FORMATS, PROGRESS["write"]]


@dataclass
class Output:
    format: str
    path: Path
    size: int


@dataclass
class Result:
    slug: str
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    images_in: int = 0  # bytes of the issue's image files
    images_out: int = 0  # bytes of the images the EPUB carries
    pages: int = 0  # of the print edition, when it was laid out
    articles: int = 0
    articles_cached: int = 0  # read from the cache, not parsed again (content/incremental.py)


class Pipeline:
    """One issue, for the formats named (default: every default format of the registry).

    ``fonts=False`` leaves the EPUB's font subsets out of the render (check and preview: cutting
    them costs time and says nothing about the issue). ``printed`` renders the print document
    even when no format needs the layout (check: its templates are checked too); ``layout=False``
    makes the formats without the print layout (check: no page list), unless one asks for the PDF
    itself, which :meth:`lay_out` then makes. ``ahead``
    starts the cover and a new theme's compilation in other processes while articles are read
    (a build in the main thread; not check, which also runs in preview's watching thread).
    ``edition``: a language the articles' ``translations`` name (or any other): the issue's
    edition in it, applied at load (which file each article is read from, the issue's language,
    the outputs' names) and so at render (the interface's words). ``language_switch``: False
    where the build makes no edition beside the issue (a catalogue build): the web edition's
    pages then link to no ``../<slug>.fr/`` that is not there.
    """

    def __init__(self, manifest_path: Path, ctx: BuildContext | None = None, formats: tuple[str, ...] | None = None,
                 *, fonts: bool = True, printed: bool | None = None, layout: bool = True, ahead: bool = False,
                 edition: str | None = None, language_switch: bool = True):
        from masthead.manifest import editions

        self.manifest_path = manifest_path
        # an edition in another language (manifest/editions.py): which file each article is read
        # from, the issue's language and the outputs' names; None: the issue as written
        self.edition = None if edition is None else editions.tag_of(edition)
        self.language_switch = language_switch
        self.ctx = ctx or BuildContext()
        names = registry.default_names() if formats is None else formats
        unknown = [name for name in names if name not in registry.FORMATS]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: no such format; choose from {', '.join(registry.FORMATS)}")
        self.names = tuple(names)
        self.formats = registry.chosen(self.names)
        self.fonts, self.printed, self.layout, self.ahead = fonts, printed, layout, ahead
        self._manifest: Manifest | None = None
        self._original: Manifest | None = None  # as issue.yaml says it, whatever the edition
        self._theme: Theme | None = None
        self._issue: Issue | None = None
        self._rendered: RenderedIssue | None = None
        self._laid_out = False
        self._printed: Printed | None = None
        self._marked: RenderedIssue | None = None
        self._outputs: dict[str, bytes | dict[str, bytes]] | None = None

    @property
    def report(self) -> Report:
        return self.ctx.report

    # 1. load
    def load(self) -> Manifest:
        """issue.yaml → the validated manifest (and the theme it names, found)."""
        if self._manifest is None:
            from masthead.content.readers import registry as readers
            from masthead.manifest import loader
            from masthead.render import theme

            self.ctx.progress(PROGRESS["load"])
            manifest = self._original = loader.load(self.manifest_path, readers)  # article files the readers read
            if self.edition is not None:
                from masthead.manifest import editions

                manifest = editions.edition(manifest, self.edition, self.report)
            self._theme = theme.load(manifest.meta)
            self._manifest = manifest
        return self._manifest

    @property
    def original(self) -> Manifest:
        """The manifest as issue.yaml says it (an edition's :meth:`load` gives the edition's)."""
        self.load()
        assert self._original is not None
        return self._original

    @property
    def theme(self) -> Theme:
        self.load()
        assert self._theme is not None
        return self._theme

    # 2. read
    def read(self) -> Issue:
        """Every article → clean XHTML, its metadata and assets; errors stop here."""
        if self._issue is None:
            from masthead.content import reading
            from masthead.render import templates

            manifest = self.load()
            self.ctx.progress(PROGRESS["read"])
            # the cover, a new theme: meanwhile, in other processes
            cover_ready = templates.ahead(manifest.meta, self.theme, self.ctx.jobs, self.ctx.cache) if self.ahead else _nothing
            try:
                issue = reading.read_issue(manifest, self.report, self.ctx.jobs, self.ctx.stats, self.ctx.cache)
            finally:
                cover_ready()
            self.report.raise_if_errors()
            if not self.fonts:
                meta = issue.meta
                issue = issue._replace(meta=meta._replace(epub=meta.epub._replace(embed_fonts=False)))
            self._issue = issue
        return self._issue

    # 3. render
    def render(self) -> RenderedIssue:
        """The issue → complete XHTML documents and resources: the only place Jinja runs."""
        if self._rendered is None:
            from masthead.manifest import editions
            from masthead.render import templates

            issue = self.read()
            self.ctx.progress(PROGRESS["render"])
            cover_drawn = templates.cover_drawn_ahead(issue, self.theme, self.ctx.jobs, self.ctx.cache) if self.ahead else _nothing
            printed = self.printed if self.printed is not None else bool(self._layout_needs())
            # for the web edition's language switch, where the editions it links to are built
            versions = editions.versions(self.original, self.edition) if self.language_switch else {}
            web = any(f.web for f in self.formats)
            self._rendered = templates.render(issue, self.theme, self.report, printed, cover_drawn, self.ctx.jobs, self.ctx.cache,
                                              versions, web=web)
            self.report.raise_if_errors()
        return self._rendered

    def _layout_needs(self) -> set[str]:
        meta = self.load().meta
        chosen = frozenset(self.names)
        needs = {f.layout(meta, chosen) for f in self.formats} - {registry.NONE}
        return needs if self.layout else needs & {registry.PDF}

    # 4. lay out
    def lay_out(self, pdf: bool | None = None) -> Printed | None:
        """The print edition's pages, when a chosen format needs them (``pdf=True``: the PDF
        whatever the formats, as the flatplan draws it); None when none does."""
        needs = self._layout_needs() | ({registry.PDF} if pdf else set())
        if not self._laid_out or (pdf and (self._printed is None or self._printed.data is None)):
            rendered = self.render()
            if needs:
                from masthead.layout import pdfchunks

                self.ctx.progress(PROGRESS["lay out"])  # a big issue in chunks, in worker processes
                self._printed = pdfchunks.run(rendered, jobs=self.ctx.jobs, want_pdf=registry.PDF in needs,
                                              warn=lambda m: self.report.warning(Position(self.load().meta.manifest_path), m),
                                              cache=self.ctx.cache)
            self._laid_out = True
        return self._printed

    def marked(self) -> RenderedIssue:
        """The rendered issue as the formats take it: with each print page's start marked in
        the EPUB's documents when a format asked for a page list."""
        if self._marked is None:
            rendered = self.render()
            printed = self.lay_out()
            if printed is not None and registry.PAGES in self._layout_needs():
                from masthead.layout import pagemarks

                rendered = pagemarks.mark(rendered, printed.starts)
            self._marked = rendered
        return self._marked

    # 5. export
    def export(self) -> dict[str, bytes | dict[str, bytes]]:
        """Each format's bytes (a folder format's {name: bytes}), in memory, device rules run."""
        if self._outputs is None:
            rendered, issue = self.marked(), self.read()
            outputs: dict[str, bytes | dict[str, bytes]] = {}
            for output_format in self.formats:
                self.ctx.progress(output_format.name)
                used: dict[str, bytes] = {}
                for name in output_format.uses:
                    made = outputs[name]
                    if not isinstance(made, bytes):  # a folder format's files: no format is made from them
                        raise TypeError(f"{output_format.name} is declared to be made from {name}, a folder of files")
                    used[name] = made
                job = registry.Export(rendered, issue, self._printed, used, self.report, self.ctx.jobs, self.ctx.cache)
                data = output_format.export(job)
                for finding in output_format.device_checks(data, self.ctx.cache):  # will it work on every device? (export/devices.py)
                    self.report.warning(Position(self.load().meta.manifest_path), f"{output_format.name}: {finding}")
                outputs[output_format.name] = data
            self.report.raise_if_errors()
            self._outputs = {name: data for name, data in outputs.items() if name in self.names}
        return self._outputs

    # 6. write
    def write(self, out_dir: Path, force: bool = False) -> Result:
        """Every chosen output into ``out_dir``, all or nothing (runtime/writes.py)."""
        from masthead.runtime import writes

        started = time.perf_counter()
        for output_format in self.formats:  # refused now, not after the work
            output_format.ready(self.manifest_path, out_dir, force)
        slug = self.load().meta.slug
        folders: dict[Path, dict[str, bytes]] = {out_dir / f.target(slug): {} for f in self.formats if f.folder and f.name in self.names}
        if folders and not force:  # told now, not after the work (write_all checks again)
            writes.refuse_unwritable({}, folders, replace_unmarked=False)
        outputs = self.export()
        self.ctx.progress(PROGRESS["write"])
        files: dict[Path, bytes] = {}
        trees: dict[Path, dict[str, bytes]] = {}
        written: list[Output] = []
        for name, data in outputs.items():
            target = out_dir / registry.FORMATS[name].target(slug)
            if isinstance(data, dict):
                trees[target] = data
                written.append(Output(name, target, sum(map(len, data.values()))))
            else:
                files[target] = data
                written.append(Output(name, target, len(data)))
        writes.write_all(files, trees, replace_unmarked=force)
        issue, rendered = self.read(), self.render()
        return Result(slug, outputs=written, warnings=self.report.warnings, seconds=time.perf_counter() - started,
                      images_in=issue.image_bytes,
                      images_out=sum(len(r.data) for r in rendered.resources_for("epub") if r.media_type.startswith("image/")),
                      pages=self._printed.pages if self._printed else 0, articles=self.ctx.stats.get("articles", 0),
                      articles_cached=self.ctx.stats.get("articles_cached", 0))


def _nothing() -> None:
    pass


def build(manifest_path: Path, out_dir: Path, formats: tuple[str, ...] | None = None,
          ctx: BuildContext | None = None, force: bool = False, edition: str | None = None) -> Result:
    """Build one issue (or its ``edition`` in another language) into ``out_dir``; raise
    IssueError (nothing written) when it has errors.

    ``force``: the web edition may replace an ``out_dir/<slug>`` that masthead did not write.
    """
    started = time.perf_counter()
    run = Pipeline(manifest_path, ctx, formats, ahead=True, edition=edition)
    result = run.write(out_dir, force)
    result.seconds = time.perf_counter() - started
    return result


def outputs_of(manifest_path: Path, out_dir: Path, edition: str | None = None) -> list[Path]:
    """Every path a build of the issue (or of its ``edition``) may write: each registered
    format's file or folder."""
    from masthead.manifest import editions

    slug = manifest_path.resolve().parent.name  # as the loader names it: `.` or a link is its folder
    if edition is not None:
        slug = f"{slug}.{editions.tag_of(edition)}"  # as editions.edition names them
    return [out_dir / f.target(slug) for f in registry.FORMATS.values()]


def find_issues(arguments: tuple[str, ...], cwd: Path) -> list[Path]:
    """The issue.yaml files named on the command line, or every issues/*/issue.yaml."""
    if not arguments:
        found = sorted((cwd / "issues").glob("*/issue.yaml"))
        if not found:
            raise UsageError("no issue given and no issues/*/issue.yaml here")
        return found
    paths = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            path = path / "issue.yaml"
        if not path.is_file():
            raise UsageError(f"{argument}: no such issue (give an issue folder or its issue.yaml)")
        paths.append(path)
    return paths
