"""What the render stage makes and the formats receive: complete documents and resources.

The render stage produces one :class:`RenderedIssue`; the print layout may mark its pages in
it (layout/pagemarks.py) and split it (layout/split.py). The output formats
(export/formats.py) write it out without reading YAML, articles or templates: every decision
about content and look is made before this point, so a new format is a class registered
there, and the pipeline does not change.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import NamedTuple

from masthead.model.issue import PdfOptions


class Kind(StrEnum):
    """What a document is: the EPUB's cover, contents, navigation and article documents, or
    the print edition's one document holding the whole issue."""

    COVER = "cover"
    CONTENTS = "contents"
    NAV = "nav"
    ARTICLE = "article"
    ADVERT = "advert"  # an advertisement's own page: in the spine, never counted as an article
    PRINT = "print"


# what a reader pages through: not the nav, not the print document
PAGES = (Kind.COVER, Kind.CONTENTS, Kind.ARTICLE, Kind.ADVERT)


class Document(NamedTuple):
    """A complete XHTML document (UTF-8 bytes with its XML declaration)."""

    name: str  # file name, "contents.xhtml"; every document sits in one folder
    kind: Kind
    title: str
    lang: str
    direction: str
    content: bytes
    properties: tuple[str, ...] = ()  # EPUB manifest properties ("svg", "nav" …)


# The outputs a resource goes to (Resource.targets); the web edition takes the EPUB's and its own.
EPUB, PDF, BOTH = frozenset({"epub"}), frozenset({"pdf"}), frozenset({"epub", "pdf"})
WEB = frozenset({"web"})


class Resource(NamedTuple):
    """A file a document uses: stylesheet, font, image."""

    name: str  # "css/epub.css", "fonts/NotoSerif-Regular.ttf", "images/harbour.jpg"
    media_type: str
    data: bytes
    targets: frozenset[str]  # the outputs that carry it: {"epub"}, {"pdf"}, both, or {"web"}


class TocEntry(NamedTuple):
    title: str
    href: str  # "night-shift.xhtml"; a section links to its first article
    children: tuple[TocEntry, ...] = ()
    lang: str = ""  # the article's language ("" for a section: the issue's)
    direction: str = ""


class LanguageLink(NamedTuple):
    """One entry of a web page's language switch: the article in one edition of the issue."""

    lang: str  # the article's language there (BCP 47)
    name: str  # the language's name in itself: Français, العربية
    href: str  # relative, from this page: "../<slug>.fr/kitab.xhtml" (the web edition names it .html)
    current: bool  # the page it is on


class Metadata(NamedTuple):
    title: str
    publication: str
    language: str
    direction: str
    identifier: str
    date: dt.date
    modified: dt.datetime  # UTC; from the issue date or SOURCE_DATE_EPOCH, never the clock
    creators: tuple[str, ...]  # every byline of the issue, in order, once each
    editors: tuple[str, ...]
    publisher: str | None
    rights: str | None
    description: str | None
    subjects: tuple[str, ...]
    number: int | None
    volume: int | None
    issn: str | None
    keywords: tuple[str, ...]


class Accessibility(NamedTuple):
    """What the package declares about the issue's accessibility (EPUB Accessibility 1.1)."""

    access_modes: tuple[str, ...]  # "textual", and "visual" when there are images
    sufficient: tuple[tuple[str, ...], ...]  # sets of access modes that suffice to read the issue
    features: tuple[str, ...]  # schema.org accessibilityFeature values
    summary: str
    conforms: bool  # true when nothing found stands against WCAG 2.2 AA conformance
    certified_by: str | None = None
    certifier_credential: str | None = None
    certifier_report: str | None = None


class RenderedIssue(NamedTuple):
    slug: str
    meta: Metadata
    documents: tuple[Document, ...]  # in reading order
    resources: tuple[Resource, ...]
    toc: tuple[TocEntry, ...]
    cover_image: str | None  # the Resource name of the cover picture
    pdf: PdfOptions  # what the PDF exporter needs beyond the documents: the variant
    accessibility: Accessibility | None = None
    page_list: tuple[tuple[str, str], ...] = ()  # (folio, "doc.xhtml#page-N"): print pages in the EPUB
    page_list_label: str = "Pages"  # the page list's name in the issue's language
    # the web edition's language switch, by article document: the article in the original and
    # each translation (manifest/editions.py); only translated articles have one
    languages: tuple[tuple[str, tuple[LanguageLink, ...]], ...] = ()
    languages_label: str = "Languages"  # the switch's name, in the issue's language
    # The web edition's own pages (render/web.py), when an output asked for them: its home page
    # (named contents.xhtml) and its article pages, by the EPUB documents' names. No other
    # output reads them; without them the web edition shows the EPUB's documents.
    web: tuple[Document, ...] = ()

    def documents_of(self, *kinds: Kind) -> tuple[Document, ...]:
        return tuple(d for d in self.documents if d.kind in kinds)

    def resources_for(self, target: str) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if target in r.targets)
