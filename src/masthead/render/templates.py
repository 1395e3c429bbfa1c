"""The only place Jinja runs: the issue → complete XHTML documents and their resources.

For the EPUB: a cover page, a contents page, the navigation document and one document per
article. For the PDF: one ``print`` document holding the whole issue, whose links and ids are
rewritten to stay unique and internal. Fixed words go through the theme's message catalogues
in the issue's language, around an article in another language too. Article text is data, never template source:
it reaches Jinja only as already-escaped values or as the sanitized body.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import jinja2
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal
from lxml import etree
from markupsafe import Markup

from masthead.content import images, incremental
from masthead.diagnostics import Diagnostic, IssueError, Position, Report, UsageError
from masthead.manifest import loader
from masthead.manifest.editions import Version
from masthead.model.documents import (
    EPUB,
    PDF,
    WEB,
    Accessibility,
    Document,
    Kind,
    LanguageLink,
    Metadata,
    RenderedIssue,
    Resource,
    TocEntry,
)
from masthead.model.issue import Advert, Article, Issue, IssueMeta
from masthead.model.schema import ADVERT_PLACES
from masthead.render import cover, fonts, press, printdoc, sandbox, stylesheets
from masthead.render import theme as theme_module
from masthead.render import web as web_module
from masthead.render.adverts import advert_css, print_box
from masthead.render.ending import ending
from masthead.render.theme import Theme, template_error, written_at
from masthead.runtime import cache, confine, i18n, safexml, workers
from masthead.runtime.cache import Cache

MORE_FROM = 3  # articles listed under "More from …"
EPUB_COVER_BOX = (1560, 2496)  # 1:1.6, 3,893,760 pixels: within Apple Books' 4,000,000
EPUB_COVER_BYTES = 500_000  # stores and readers show covers small; a camera file is wasted


def render(issue: Issue, theme: Theme, report: Report, printed: bool = True,
           cover_ready: Callable[[], None] = lambda: None, jobs: int | None = None,
           store: Cache | None = None, versions: Mapping[Path, tuple[Version, ...]] | None = None,
           web: bool = False) -> RenderedIssue:
    """Every document and resource of the issue; ``printed=False`` leaves out the print
    document (and its resources' work) when no output needs the print edition; ``web=True``
    adds the web edition's own pages and script (render/web.py) when an output needs them.
    ``cover_ready()`` waits for a cover being drawn meanwhile (:func:`cover_drawn_ahead`).
    A big issue's articles are set in ``jobs`` processes (the outputs do not depend on it).
    ``store`` is the run's cache (none: nothing is taken from a cache or left in one).
    ``versions``: each translated article's editions (manifest/editions.py), by its file, for
    the web edition's language switch."""
    meta = issue.meta
    store = store or Cache(None)
    env = _environment(theme, store)
    advert_images, shown = _advert_images(issue, report, printed, store)
    # the digital editions' markup gives each advert picture's size as it is written there
    # (turned upright, fitted to image_max_size), not the file's
    issue = issue._replace(adverts=tuple(a._replace(width=shown[a.id][0], height=shown[a.id][1]) if a.id in shown else a
                                         for a in issue.adverts))
    context = _Context(issue, theme, env, store)
    resources: list[Resource] = []
    resources += stylesheets.stylesheets(theme, report)
    resources += _images(issue, report, printed, store)
    resources += advert_images
    cover_resources: list[Resource]
    if meta.cover is None:  # drawn: its name is known now, its picture is taken last
        cover_resources, cover_image, cover_is_generated = [], GENERATED_COVER, True
    else:
        cover_resources, cover_image, cover_is_generated = _cover(issue, theme, report, printed, store)

    documents: list[Document] = []
    try:
        documents.append(context.document("cover.xhtml", Kind.COVER, "cover.xhtml.j2", meta.language,
                                          cover_image=cover_image))
        documents += context.advert_documents(issue.adverts_at("inside_front_cover", "epub"))
        documents.append(context.document("contents.xhtml", Kind.CONTENTS, "contents.xhtml.j2", meta.language))
        for document in _article_documents(context, jobs):  # each followed by the adverts placed after it
            documents.append(document)
            documents += context.advert_documents(issue.adverts_after(document.name.removesuffix(".xhtml"), "epub"))
        documents += context.advert_documents(issue.adverts_at("inside_back_cover", "epub") + issue.adverts_at("back_cover", "epub"))
        documents.append(context.document("nav.xhtml", Kind.NAV, "nav.xhtml.j2", meta.language, properties=("nav",)))
        metadata = _metadata(issue)
        if printed:
            documents.append(context.print_document(cover_image, cover_is_generated, metadata))
    finally:
        cover_ready()  # even when a template fails: no drawing process is left behind

    if meta.cover is None:
        cover_resources = _cover(issue, theme, report, printed, store)[0]
    resources += cover_resources
    resources += fonts.resources(theme, frozenset(context.chars) if meta.epub.embed_fonts else None, report, store)
    if not theme.built_in:
        documents = _cleaned(documents, resources, context, report)
    gettext = i18n.translations(meta.language, theme.locale_dirs, store).gettext
    if printed and meta.pdf.color == "cmyk":  # for a press: what the PDF reads, in the output intent's CMYK
        resources = press.separate(resources, meta, report, store)
    languages = _language_links(issue, versions or {})
    web_pages: list[Document] = []
    if web:  # after the fonts: the EPUB's font subsets do not depend on the web pages
        resources += web_module.script(report)
        web_pages = context.web_pages(cover_image, dict(languages))
        if not theme.built_in:  # the chrome's script and controls go too: its pages work without them
            web_pages = _cleaned(web_pages, resources, context, Report())
    return RenderedIssue(
        slug=meta.slug, meta=metadata, documents=tuple(documents),
        resources=tuple(sorted(resources, key=lambda r: (r.name, sorted(r.targets)))),
        toc=_toc(issue), cover_image=cover_image, pdf=meta.pdf, accessibility=_accessibility(issue),
        page_list_label=gettext("Pages"), languages=languages,
        languages_label=gettext("Languages"),
        web=tuple(web_pages),
    )


def _language_links(issue: Issue, versions: Mapping[Path, tuple[Version, ...]]) -> tuple[tuple[str, tuple[LanguageLink, ...]], ...]:
    """The web edition's language switch of each translated article, by its document: a link
    to its page in each edition's web folder (the same document name in all of them)."""
    out = []
    for article in issue.articles:
        found = versions.get(article.source, ())
        links = tuple(LanguageLink(lang, i18n.language_name(lang), f"../{v.folder}/{article.doc_name}", v.current)
                      for v in found for lang in [article.lang if v.current else v.lang])
        if links:
            out.append((article.doc_name, links))
    return tuple(out)


# ---------------------------------------------------------------------------- Jinja


def _environment(theme: Theme, store: Cache) -> sandbox.Sandbox:
    # A new environment for every render, even in a process that renders again (build
    # --watch, preview): a kept one would miss a template added in front of the one it loaded,
    # and renders in two threads would switch each other's translations. Compiled templates
    # come from the bytecode cache; keeping the environment saved little.
    # Sandboxed: an issue's own templates/ folder is input like any other, and must not be
    # able to reach Python's internals, files or unbounded work through a template (sandbox.py).
    env = sandbox.Sandbox(
        loader=theme.loader(),  # each template read as any input is (confine.read_input)
        autoescape=True,  # every value is escaped unless it is Markup we made
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(store),
    )
    env.install_null_translations(newstyle=True)
    return env


def _bytecode_cache(store: Cache) -> jinja2.BytecodeCache | None:
    """Compiled templates, kept between runs: compiling the theme costs more than rendering it.

    Jinja keys each entry by the template's name and checksums its source, so an edited
    template is compiled again; the folder is per masthead and Jinja version, because the
    compiled code depends on the environment's options.
    """
    folder = _bytecode_folder(store)
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # no cache: templates are compiled each time
    return _BytecodeCache(str(folder), store)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's, but a full or read-only disk only costs speed, as for the rest of the cache."""

    def __init__(self, folder: str, store: Cache):
        super().__init__(folder)
        self.store = store

    def dump_bytecode(self, bucket) -> None:
        if self.store.full:
            return
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:  # Jinja removed its temporary file
            self.store.failed(exc)


def _bytecode_folder(store: Cache) -> Path | None:
    base = store.folder
    if base is None or not store.writable or store.full:
        return None
    return base / "templates" / cache.key(jinja2.__version__, sandbox.VERSION, "autoescape,i18n,trim,lstrip")[:16]


class _Context:
    """Renders templates with the values every template may use (see docs/templates.md)."""

    def __init__(self, issue: Issue, theme: Theme, env: sandbox.Sandbox, store: Cache):
        self.issue, self.theme, self.env, self.store = issue, theme, env, store
        self.articles = issue.articles
        # What templates see: plain values, made once (sandbox.plain), whatever is rendered
        self._plain_memo: dict = {}
        self.plain_issue = self.plain(issue)
        self.section_of = {a.id: s.title for s in issue.sections for a in s.articles}
        self.chars: set[str] = set()  # what the EPUB's documents show: what its fonts must have

    def theme_file(self, template: str) -> Path:
        """The file a template is read from (the first folder of the chain that has it)."""
        found = self.theme.find(template)
        return found if found is not None else Path(template)

    def plain(self, value):
        return sandbox.plain(value, self.issue.meta.root, self._plain_memo)

    def _render(self, template: str, lang: str, **values) -> str:
        self.env.install_gettext_translations(sandbox.CheckedTranslations(i18n.translations(lang, self.theme.locale_dirs, self.store)),
                                              newstyle=True)
        locale = i18n.locale_of(lang)
        written = self.issue.meta.written_in or self.issue.meta.language
        helpers: dict[str, Callable[..., object]] = {
            "format_date": lambda d, fmt="long": format_date(d, sandbox.pattern(fmt), locale=locale) if d else "",
            "format_number": lambda n: format_decimal(n, locale=locale),
            "format_list": lambda items: format_list(sandbox.short_list(items), locale=locale) if items else "",
            # a byline's names listed so, each isolated (<bdi>) from the text around it
            "format_names": lambda items: sandbox.isolated_names(items, locale),
            # a name in plain text (a title, an aria-label) between FSI and PDI: a <bdi> there
            "isolate": lambda text: f"\u2068{text}\u2069" if text else "",
            # lang, xml:lang and dir for text in another language than the page's
            "lang_attrs": lambda other: _lang_attrs(other.lang, other.direction, lang),
            # and the page's own, for its words inside text in another language
            "ui_attrs": lambda other: _lang_attrs(lang, i18n.direction_of(lang), other.lang or lang),
            # and issue.yaml's, for its words (publication, title, sections) in an edition in
            # another language; inside ``other`` (an article), as against its language
            "written_attrs": lambda other=None: _lang_attrs(written, i18n.direction_of(written),
                                                            (other.lang if other is not None else "") or lang),
            # in the print document, on a number that another article's text gives (its reading
            # time): the PDF's chunks lay it out as zeros and the join writes it (layout/furniture.py)
            "late_attr": lambda: Markup(' data-masthead-late=""') if values.get("print_edition") else Markup(""),
        }
        helpers.update((k, v) for k, v in values.items() if callable(v) and not isinstance(v, str))
        plain = {k: self.plain(v) for k, v in values.items() if k not in helpers}
        given = {
            "issue": self.plain_issue, "meta": self.plain_issue.meta, "lang": lang, "dir": i18n.direction_of(lang),
            "embed_fonts": self.issue.meta.epub.embed_fonts, "issue_title": _issue_title(self.issue),
            **{k: v for k, v in plain.items() if v is not sandbox.OMITTED},
        }
        try:
            loaded = self.env.get_template(template)
            return sandbox.render(self.env, loaded, helpers.values(), {**given, **helpers})
        except Exception as exc:  # a theme's mistake (an issue's templates/ is input): say where
            diagnostic = template_error(exc, self.theme, lang)
            if diagnostic is None and isinstance(exc, (sandbox.TemplateLimit, RecursionError)):
                # what it wrote grew too long: no one line of it is to blame, the template is
                what = exc if isinstance(exc, sandbox.TemplateLimit) else "nested too deeply to be read"
                diagnostic = Diagnostic(Position(self.theme_file(template), 1, 1), f"template: {what}")
            if diagnostic is None:
                raise
            raise IssueError([diagnostic]) from None

    def document(self, name: str, kind: Kind, template: str, lang: str, properties=(), **values) -> Document:
        html = self._render(template, lang, toc=_toc(self.issue), href=lambda a: a.doc_name, **values)
        title = _issue_title(self.issue) if kind == Kind.COVER else self._title_for(kind, lang)
        return Document(name, kind, title, lang, i18n.direction_of(lang), self._xml(name, template, html, kind),
                        tuple(properties))

    def _title_for(self, kind: Kind, lang: str) -> str:
        gettext = i18n.translations(lang, self.theme.locale_dirs, self.store).gettext
        return gettext("Contents")

    def _more(self, article: Article) -> list[Article]:
        # The next articles in reading order, wrapping round: a reader at the last
        # article is still offered somewhere to go.
        others = [a for a in self.articles if a.id != article.id]
        index = next(i for i, a in enumerate(self.articles) if a.id == article.id)
        ordered = others[index:] + others[:index]
        return ordered[:MORE_FROM]

    def article_part(self, article: Article, body: str, href, more: list[Article] | None = None,
                     print_edition: bool = False) -> Markup:
        # The interface's words (section, byline, date, reading time, "More from") in the
        # issue's language, as a newsstand app frames a story in another language; the
        # article's own text keeps its language and direction on its <article>.
        # `body` whole (the contract with an issue's own templates); the built-in one shows
        # it as `body_lead` and `body_last`, the last block kept with "More from" (ending.py).
        end = ending(body)
        html = self._render("_article.xhtml.j2", self.issue.meta.language, article=article, body=Markup(body),
                            body_lead=Markup(end.lead), body_last=Markup(end.last),
                            section_title=self.section_of.get(article.id),
                            more=self._more(article) if more is None else more, href=href,
                            print_edition=print_edition)
        return Markup(html)

    def web_pages(self, cover_image: str, languages: Mapping[str, tuple[LanguageLink, ...]]) -> list[Document]:
        """The web edition's pages: its home page (the EPUB's contents page's name, so every
        link to it holds) and each article's page, from the theme's web_*.xhtml.j2 templates
        (render/web.py). Not the EPUB's documents: nothing here reaches the EPUB or the PDF.
        ``languages``: each translated article's language switch, by its document."""
        lang = self.issue.meta.language
        href = lambda a: a.doc_name  # noqa: E731 - x.xhtml: the web edition names it x.html
        out = [Document("contents.xhtml", Kind.CONTENTS, self._title_for(Kind.CONTENTS, lang), lang,
                        i18n.direction_of(lang), self._xml("contents.xhtml", "web_home.xhtml.j2",
                                                           self._render("web_home.xhtml.j2", lang, href=href,
                                                                        adverts=self._adverts_by_place("web"),
                                                                        cover_image=cover_image), Kind.PRINT))]
        gettext = i18n.translations(lang, self.theme.locale_dirs, self.store).gettext
        for article in self.articles:
            body = web_module.notes_in_place(article.body, gettext("Close"), gettext("Go to the note"))
            part = self.article_part(article, body, href, more=[])
            previous, following = web_module.neighbours(self.articles, article)
            html = self._render("web_article.xhtml.j2", lang, article=article, part=part, href=href,
                                more=self._more(article), previous=previous, following=following,
                                section_title=self.section_of.get(article.id),
                                translations=web_module.translations(languages.get(article.doc_name, ())))
            # Kind.PRINT to _xml: checked well-formed, its characters not added to the EPUB's fonts
            data = self._xml(article.doc_name, "web_article.xhtml.j2", html, Kind.PRINT)
            out.append(Document(article.doc_name, Kind.ARTICLE, article.title, lang, i18n.direction_of(lang), data))
        return out

    def article_document(self, section_title, article: Article) -> Document:
        part = self.article_part(article, article.body, href=lambda a: a.doc_name)
        # The document's root takes the issue's language and direction, the <article> its own:
        # reading systems page a document by its root's direction, and one that differs from
        # the spine's is paged backwards, skipped or shown blank (epub.js, Readium, Foliate).
        lang = self.issue.meta.language
        html = self._render("article.xhtml.j2", lang, article=article, part=part,
                            prefixes=article.epub_prefixes)
        data = self._xml(article.doc_name, "article.xhtml.j2", html, Kind.ARTICLE)
        return Document(article.doc_name, Kind.ARTICLE, article.title, lang, i18n.direction_of(lang), data)

    def advert_documents(self, adverts: tuple[Advert, ...]) -> list[Document]:
        """Each advert's own EPUB document (advert.xhtml.j2): a page in the spine at its place,
        no article (Kind.ADVERT: not in the contents, the nav's list or the reading times)."""
        lang = self.issue.meta.language
        out = []
        for advert in adverts:
            html = self._render("advert.xhtml.j2", lang, advert=advert)
            data = self._xml(advert.doc_name, "advert.xhtml.j2", html, Kind.ADVERT)
            out.append(Document(advert.doc_name, Kind.ADVERT, advert.entry.advertiser, lang, i18n.direction_of(lang), data))
        return out

    def _adverts_by_place(self, edition: str) -> dict[str, tuple[Advert, ...]]:
        """What a template needs to place ``edition``'s adverts: by the id of the article each
        follows, and by fixed place ("inside_front_cover" …)."""
        issue = self.issue
        placed = {a.id: issue.adverts_after(a.id, edition) for a in self.articles}
        placed.update((place, issue.adverts_at(place, edition)) for place in ADVERT_PLACES)
        return {k: v for k, v in placed.items() if v}

    def print_document(self, cover_image: str | None, generated: bool, meta: Metadata) -> Document:
        internal = lambda a: f"#{a.id}"  # noqa: E731 - links inside the one document
        parts = {a.id: self.article_part(a, printdoc.body_for_print(a.body, a.id), href=internal, print_edition=True)
                 for a in self.articles}
        html = self._render("print.xhtml.j2", meta.language, parts=parts, href=internal, print_edition=True,
                            adverts=self._adverts_by_place("print"), advert_css=advert_css(self.issue),
                            cover_image=cover_image, generated_cover=generated,
                            creators=meta.creators, keywords=meta.keywords, page_css=printdoc.page_css(self.issue),
                            modified=meta.modified.strftime("%Y-%m-%dT%H:%M:%SZ"))
        lang = meta.language
        data = self._xml("print.xhtml", "print.xhtml.j2", printdoc.isolates(html), Kind.PRINT)
        return Document("print.xhtml", Kind.PRINT, _issue_title(self.issue), lang, i18n.direction_of(lang), data)

    def _xml(self, name: str, template: str, html: str, kind: Kind) -> bytes:
        """The document's bytes, checked to be well-formed XML: a theme bug must not reach an
        output. One parse also gives the characters an EPUB document shows, when its fonts
        are embedded (and subset to those characters)."""
        data = html.encode("utf-8")
        try:
            if kind != Kind.PRINT and self.issue.meta.epub.embed_fonts:
                self.chars.update(self.store.memo("chars", (data,), lambda: frozenset("".join(_parse(data).itertext()))))
            else:
                self.store.memo("well-formed", (data,), lambda: _parse(data) is not None, size=lambda _: 1)
        except etree.XMLSyntaxError as exc:
            source = Path(self.env.get_template(template).filename or template)
            # A tag left open is met at the next closing tag: the line to show is the open one.
            opened = re.search(r"mismatch: \S+ line (\d+) and", exc.msg or "")
            number = int(opened[1]) if opened else exc.lineno
            line = data.decode("utf-8").split("\n")[number - 1].strip() if number else ""
            shown = f" (line {number} of {name}: {line[:80]!r})" if line else ""
            raise IssueError([Diagnostic(written_at(self.theme, line) or Position(source), f"{template} renders {name}, "
                                         f"which is not well-formed XHTML: {exc.msg}{shown}")]) from None
        return data


def _cleaned(documents: list[Document], resources: list[Resource], context: _Context, report: Report) -> list[Document]:
    """The documents of a theme that is not built in, through the articles' allow-list
    (sandbox.clean_document); each removal is a warning at the theme's line that wrote it."""
    names = frozenset(r.name for r in resources) | frozenset(d.name for d in documents)
    ids = {d.name: frozenset(i.decode("utf-8", "replace") for i in _ID.findall(d.content)) for d in documents}
    out, told = [], set()
    for document in documents:
        removed: list[tuple[str, str]] = []

        def found(what: str, text: str, removed: list[tuple[str, str]] = removed) -> None:
            removed.append((what, text))

        data = sandbox.clean_document(document.content, names, ids, document.name, found)
        for what, text in removed:
            where = _written(context, text) or Position(context.theme_file(
                _TEMPLATE_OF.get(document.kind, "article.xhtml.j2")), 1, 1)
            if (where, what) not in told:
                told.add((where, what))
                report.warning(where, f"removed {what} from {document.name}: a theme's documents pass the "
                                      "allow-list articles do")
        out.append(document._replace(content=data) if data is not document.content else document)
    return out


_ID = re.compile(rb"\sid=[\"']([^\"']*)[\"']")


def _written(context: _Context, text: str) -> Position | None:
    """The first line of the theme's own (not built-in) templates that holds ``text``."""
    needle = text.lower()
    for folder in context.theme.folders:
        if folder.is_relative_to(theme_module.builtin_root()):
            continue
        for path in sorted(folder.rglob("*.j2")):
            try:
                lines = path.read_text("utf-8").split("\n")
            except (OSError, UnicodeDecodeError):
                continue
            for number, line in enumerate(lines, 1):
                column = line.lower().find(needle)
                if column >= 0:
                    return Position(path, number, column + 1)
    return None


_TEMPLATE_OF = {"cover": "cover.xhtml.j2", "contents": "contents.xhtml.j2", "nav": "nav.xhtml.j2",
                "print": "print.xhtml.j2", "article": "article.xhtml.j2"}


def _article_documents(context: _Context, jobs: int | None) -> list[Document]:
    """Each article's document, in order; a big issue's in worker processes (copies of this
    one: the issue is not pickled, only the documents come back), where a copy is safe: not
    while another thread runs, such as a progress bar's refresh (workers.fork_map)."""
    pairs = [(s.title, a) for s in context.issue.sections for a in s.articles]
    if sum(len(a.body) for _, a in pairs) < incremental.PARALLEL_BYTES:
        jobs = 1  # below this, starting processes costs more than it saves (as for reading)
    else:
        for name in ("article.xhtml.j2", "_article.xhtml.j2"):  # loaded once, here, for every copy
            with contextlib.suppress(Exception):  # a theme's mistake: reported where it is rendered
                context.env.get_template(name)
    out = []
    for document, chars in workers.fork_map(functools.partial(_article_alone, context), pairs, jobs):
        out.append(document)
        context.chars |= chars
    return out


def _article_alone(context: _Context, pair: tuple) -> tuple[Document, frozenset[str]]:
    kept, context.chars = context.chars, set()
    try:
        return context.article_document(*pair), frozenset(context.chars)
    finally:
        context.chars = kept


def _lang_attrs(other: str, direction: str, current: str) -> Markup:
    if not other or other == current:
        return Markup("")
    return Markup(' lang="%s" xml:lang="%s" dir="%s"') % (other, other, direction)


def _issue_title(issue: Issue) -> str:
    meta = issue.meta
    if meta.title:
        return meta.title
    return f"{meta.publication}, {format_date(meta.date, 'long', locale=i18n.locale_of(meta.language))}"


def _parse(data: bytes):
    return safexml.parse(data)


# ---------------------------------------------------------------------------- resources


def _advert_images(issue: Issue, report: Report, printed: bool,
                   store: Cache) -> tuple[list[Resource], dict[str, tuple[int, int]]]:
    """Each advert's picture: for the EPUB (and the web edition, which takes the EPUB's
    pictures) as an article image is sized, and for print covering its box, bleed included,
    at 300 ppi (render/adverts.py); each only for the editions that show the advert. And the
    size of each digital picture written, by the advert's id (its markup's width and height)."""
    epub, pdf = issue.meta.epub, issue.meta.pdf
    out = []
    shown: dict[str, tuple[int, int]] = {}
    for advert in issue.adverts:
        variants = []
        digital = (EPUB if advert.shown_in("epub") else frozenset()) | (WEB if advert.shown_in("web") else frozenset())
        if digital:
            variants.append(((epub.image_max_size, epub.image_max_size), epub.image_quality, digital))
        if printed and advert.shown_in("print"):
            variants.append((print_box(issue, advert), pdf.image_quality, PDF))
        try:
            data = advert.asset.read()
            for (width, height), quality, targets in variants:
                prepared, info = images.prepare_cached(data, width, height, quality, store=store)
                out.append(Resource(advert.image, info.media_type, prepared, targets))
                if targets != PDF:
                    shown[advert.id] = (info.width, info.height)
        except (OSError, images.ImageError) as exc:
            report.error(advert.asset.position, f"'{advert.asset.source.name}': {exc}")
    return out, shown


def _images(issue: Issue, report: Report, printed: bool, store: Cache) -> list[Resource]:
    """Each image twice: sized for e-readers, and for print (300 dpi where it prints: a lead
    image across the page, a figure across a column; printdoc.image_boxes)."""
    epub, pdf = issue.meta.epub, issue.meta.pdf
    page, column = printdoc.image_boxes(issue) if printed else ((0, 0), (0, 0))
    leads = {a.image.name for a in issue.articles if a.image is not None}
    out = []
    for asset in issue.assets:
        variants = [((epub.image_max_size, epub.image_max_size), epub.image_quality, EPUB)]
        if printed:
            variants.append((page if asset.name in leads else column, pdf.image_quality, PDF))
        try:
            data = asset.read()
            for (width, height), quality, targets in variants:
                prepared, info = images.prepare_cached(data, width, height, quality, store=store)
                out.append(Resource(asset.name, info.media_type, prepared, targets))
        except (OSError, images.ImageError) as exc:
            report.error(asset.position, f"'{asset.source.name}': {exc}")
    return out


def ahead(meta: IssueMeta, theme: Theme, jobs: int | None, store: Cache) -> Callable[[], None]:
    """Work :func:`render` would do, done in other processes into the cache while the articles
    are read; returns the function to call before :func:`render`, which then finds it there.

    - The manifest's cover, prepared for the EPUB (a camera-sized cover is Pillow's longest job).
    - On a cache's first build with a theme, its templates compiled and the issue language's
      catalogue. (Later builds find them; an edited template is compiled in line.)

    Together a good share of a cold build of a dozen stories. Each task has its own process: in
    one, the two took longer than reading a dozen stories, and the build waited for them
    (bench/README.md). Nothing starts when there is nothing to do, or no cache to leave it in.
    """
    if store.folder is None or not store.writable:
        return lambda: None
    tasks: list[Callable[[], object]] = []
    if meta.cover is not None:
        try:
            data = confine.read_input(meta.cover, confine.IMAGE_LIMIT)
        except OSError:
            data = None  # render says what is wrong with it
        if data is not None and not images.is_prepared(data, *_EPUB_COVER, store=store):
            tasks.append(lambda: _epub_cover(data, store))
    compiled = _bytecode_folder(store)
    if compiled is not None and not (compiled.is_dir() and any(compiled.iterdir())):
        tasks.append(lambda: _compile_theme(meta, theme, store))
    waits = [workers.ahead(task, jobs) for task in tasks]

    def wait_all() -> None:  # (a lambda gave [] when there was no task)
        for wait in waits:
            wait()
    return wait_all


def _compile_theme(meta: IssueMeta, theme: Theme, store: Cache) -> None:
    env = _environment(theme, store)
    for name in env.list_templates(filter_func=lambda name: name.endswith(".j2")):
        env.get_template(name)  # compiled into the bytecode cache
    i18n.translations(meta.language, theme.locale_dirs, store)


_EPUB_COVER = (*EPUB_COVER_BOX, 85, EPUB_COVER_BYTES)  # box, JPEG quality, bytes at most


def _epub_cover(data: bytes, store: Cache) -> tuple[bytes, images.ImageInfo]:
    return images.prepare_cached(data, *_EPUB_COVER, store=store)


def _cover(issue: Issue, theme: Theme, report: Report, printed: bool, store: Cache) -> tuple[list[Resource], str, bool]:
    """The cover picture: the manifest's, scaled, or one drawn from the theme's design."""
    meta = issue.meta
    if meta.cover is not None:
        try:
            data = confine.read_input(meta.cover, confine.IMAGE_LIMIT)
            epub, info = _epub_cover(data, store)
            if info.format not in ("JPEG", "PNG"):  # by content: a WebP, TIFF or BMP was made a PNG
                raise images.ImageError(f"this file is {info.format}")
            name = f"images/cover{info.extension}"
            out = [Resource(name, info.media_type, epub, EPUB)]
            if printed:
                width, height = printdoc.image_boxes(issue)[0]  # the whole page at 300 dpi
                page, pinfo = images.prepare_cached(data, width, height, quality=meta.pdf.image_quality, store=store)
                out.append(Resource(name, pinfo.media_type, page, PDF))
            return out, name, False
        except (OSError, images.ImageError) as exc:
            why = f"must be a JPEG or PNG image; {exc}" if isinstance(exc, images.ImageError) else exc
            report.error(meta.cover_position or Position(meta.manifest_path), f"cover: {why}")
            return [], "", False
    png = cover.draw_cached(issue, theme, store)
    return [Resource(GENERATED_COVER, "image/png", png, EPUB)], GENERATED_COVER, True


GENERATED_COVER = "images/cover.png"


def cover_drawn_ahead(issue: Issue, theme: Theme, jobs: int | None, store: Cache) -> Callable[[], None]:
    """Draw the cover of an issue whose manifest names none in another process, into the
    cache, while :func:`render` sets the documents (pass it what this returns): drawing takes
    a tenth of the time rendering 120 stories takes. Nothing starts when the cache has it already."""
    if issue.meta.cover is not None or store.folder is None or not store.writable:
        return lambda: None
    if cover.is_cached(issue, theme, store):
        return lambda: None
    return workers.ahead(lambda: cover.draw_cached(issue, theme, store), jobs)


def _modified(issue: Issue) -> dt.datetime:
    """The outputs' timestamp: SOURCE_DATE_EPOCH when set (reproducible builds), else the issue date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        # reproducible-builds.org: a malformed value is an error. Up to 2099, as issue dates.
        if not re.fullmatch(r"[0-9]{1,10}", epoch) or int(epoch) > LAST_EPOCH:
            raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds from 0 to {LAST_EPOCH} "
                             f"(1970 to 2099), not '{loader.shown(epoch)}'")
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    return dt.datetime.combine(issue.meta.date, dt.time(0, 0))


LAST_EPOCH = int(dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp())


def _metadata(issue: Issue) -> Metadata:
    meta = issue.meta
    creators: list[str] = []
    for article in issue.articles:
        for name in article.byline:
            if name not in creators:
                creators.append(name)
    keywords = list(meta.subjects)
    for article in issue.articles:
        keywords += [t for t in article.tags if t not in keywords]
    return Metadata(
        title=_issue_title(issue), publication=meta.publication, language=meta.language,
        direction=meta.direction, identifier=meta.identifier, date=meta.date, modified=_modified(issue),
        creators=tuple(creators), editors=meta.editors, publisher=meta.publisher, rights=meta.rights,
        description=meta.description, subjects=meta.subjects, number=meta.number, volume=meta.volume,
        issn=meta.issn, keywords=tuple(keywords),
    )


def _accessibility(issue: Issue) -> Accessibility:
    """The package's accessibility claims, made only as far as the issue bears them out."""
    images = sum(a.images for a in issue.articles)
    missing = sum(a.images_without_alt for a in issue.articles)
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability", "ARIA"]
    if images and not missing:
        features.append("alternativeText")
    options = issue.meta.epub
    summary = options.accessibility_summary or (
        "Every page is marked up with its language, headings in order, landmarks and a table of contents "
        "that follows the sections. "
        + ("Every image has a text alternative. " if images and not missing else "")
        + ("Some images have no text alternative. " if missing else "")
        + "Text can be resized and restyled by the reader."
    )
    return Accessibility(
        access_modes=("textual", "visual") if images else ("textual",),
        # Text alone suffices when every image has a text alternative.
        sufficient=((("textual",),) + ((("textual", "visual"),) if images else ())) if not missing else (("textual", "visual"),),
        features=tuple(features), summary=summary, conforms=not missing,
        certified_by=options.certified_by, certifier_credential=options.certifier_credential,
        certifier_report=options.certifier_report,
    )


def _toc(issue: Issue) -> tuple[TocEntry, ...]:
    entries: list[TocEntry] = []
    for section in issue.sections:
        children = tuple(TocEntry(a.title, a.doc_name, (), a.lang, a.direction) for a in section.articles)
        if section.title and children:
            entries.append(TocEntry(section.title, children[0].href, children))
        else:
            entries.extend(children)
    return tuple(entries)
