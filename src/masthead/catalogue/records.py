"""The catalogue's records: a publication, and what the feeds and the archive need of one built issue.

:func:`listing_of` makes an :class:`IssueListing` from the Issue the pipeline read and the
paths of the issue's outputs; the listing holds plain values only (strings, numbers, dates and
the thumbnail's bytes), so that it pickles small, crosses to and from worker processes or a
Dask cluster, and is all :func:`masthead.catalogue.site.catalogue_files` needs.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from masthead.model.issue import Issue

THUMBNAIL_BOX = (320, 512)  # what e-reader apps show in a list of books (OPDS: "suitable for presentation at a small size")
THUMBNAIL_NAME = "thumbnail.jpg"  # in the issue's folder of the catalogue: "<slug>/thumbnail.jpg"
# The formats a listing links to, by the name the caller gives them in ``files``, and their media types
MEDIA_TYPES = {
    "epub": "application/epub+zip",
    "kepub": "application/kepub+zip",
    "pdf": "application/pdf",
    "azw3": "application/vnd.amazon.ebook",
    "html": "text/html",
}
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
               ".webp": "image/webp", ".avif": "image/avif", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Publication:
    """The publication the issues belong to (publication.yaml's settings, as the catalogue needs them)."""

    name: str
    language: str
    issn: str | None = None
    publisher: str | None = None
    rights: str | None = None
    site_url: str | None = None  # where the catalogue is served ("https://example.org/lantern/"): absolute ids and self links
    description: str | None = None


@dataclass(frozen=True)
class ArticleListing:
    """One article of a listed issue."""

    title: str
    standfirst: str | None
    authors: tuple[str, ...]
    minutes: int  # reading time
    language: str
    direction: str
    section: str | None
    kicker: str | None = None
    href: str | None = None  # its page in the web edition, relative to the catalogue's root (None: no web edition)


@dataclass(frozen=True)
class IssueListing:
    """Everything the archive, the feeds and the web edition's manifest say about one built issue.

    Paths are relative to the catalogue's root ("lantern-47/lantern-47.epub"). ``modified`` is
    the EPUB's ``dcterms:modified`` (the issue's date, or SOURCE_DATE_EPOCH): never the clock.
    """

    slug: str
    title: str  # the issue's title as its EPUB gives it
    publication: str  # the series: every reader's "series" (calibre:series, belongs-to-collection)
    date: dt.date
    language: str
    direction: str  # "ltr" or "rtl"
    identifier: str  # the EPUB's dc:identifier
    modified: dt.datetime  # UTC, naive
    number: int | None = None  # the series index
    volume: int | None = None
    description: str | None = None
    cover_lines: tuple[str, ...] = ()
    publisher: str | None = None
    rights: str | None = None
    issn: str | None = None
    editors: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    articles: tuple[ArticleListing, ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # (format, path), sorted: "epub", "kepub", "pdf", "html", "azw3"
    cover: str | None = None  # the cover image's path
    cover_size: tuple[int, int] | None = None  # (width, height) in pixels, when its bytes were given
    thumbnail: str | None = None  # "<slug>/thumbnail.jpg", written by catalogue_files
    thumbnail_size: tuple[int, int] | None = None
    thumbnail_data: bytes | None = field(default=None, repr=False)

    @property
    def series(self) -> str:
        return self.publication

    @property
    def series_index(self) -> int | None:
        return self.number

    @property
    def summary(self) -> str | None:
        return self.description

    def file(self, name: str) -> str | None:
        """The path of the output ``name`` ("epub", "pdf", "html" …), if the issue has one."""
        return dict(self.files).get(name)

    @property
    def web(self) -> str | None:
        """The web edition's home page."""
        return self.file("html")


def listing_of(issue: Issue, files: Mapping[str, str], slug: str, cover_bytes: bytes | None = None) -> IssueListing:
    """The listing of a built issue.

    ``files``: the issue's outputs by format, each a path relative to the catalogue's root
    ({"epub": "lantern-47/lantern-47.epub", "kepub": …, "pdf": …, "azw3": …, "html":
    "lantern-47/web/index.html", "cover": "lantern-47/cover.jpg"}); any of them may be missing.
    ``cover_bytes``: the cover image's bytes (what ``files["cover"]`` holds), when the caller
    has them: the listing then knows the cover's size and carries a thumbnail (a JPEG within
    :data:`THUMBNAIL_BOX`, made here, so that a catalogue build makes each issue's thumbnail
    where it builds the issue) that :func:`~masthead.catalogue.site.catalogue_files` writes as
    ``<slug>/thumbnail.jpg``. Without them the feeds give the cover itself as the thumbnail.
    """
    from masthead.export.html import page_name
    from masthead.render.templates import _issue_title, _modified

    meta = issue.meta
    web = files.get("html")
    folder = posixpath.dirname(web) if web else None
    sections = {a.id: s.title for s in issue.sections for a in s.articles}
    articles = tuple(
        ArticleListing(
            title=a.title, standfirst=a.standfirst, authors=a.byline, minutes=a.reading_time, language=a.lang,
            direction=a.direction, section=sections.get(a.id), kicker=a.kicker,
            href=None if folder is None else posixpath.join(folder, page_name(a.doc_name)),
        )
        for a in issue.articles
    )
    cover_size = thumbnail_size = None
    thumbnail = thumbnail_data = None
    if cover_bytes:
        cover_size, thumbnail_data, thumbnail_size = _thumbnail(cover_bytes)
        thumbnail = f"{slug}/{THUMBNAIL_NAME}"
    return IssueListing(
        slug=slug, title=_issue_title(issue), publication=meta.publication, date=meta.date, language=meta.language,
        direction=meta.direction, identifier=meta.identifier, modified=_modified(issue), number=meta.number,
        volume=meta.volume, description=meta.description, cover_lines=meta.cover_lines, publisher=meta.publisher,
        rights=meta.rights, issn=meta.issn, editors=meta.editors, subjects=meta.subjects, articles=articles,
        files=tuple(sorted((k, v) for k, v in files.items() if k != "cover")), cover=files.get("cover"),
        cover_size=cover_size, thumbnail=thumbnail, thumbnail_size=thumbnail_size, thumbnail_data=thumbnail_data,
    )


def _thumbnail(data: bytes) -> tuple[tuple[int, int], bytes, tuple[int, int]]:
    """The cover's size, and a JPEG thumbnail of it (the same bytes for the same cover)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        size = image.size
        image.draft("RGB", THUMBNAIL_BOX)  # a JPEG decoded at a fraction of its size: fast
        small = image.convert("RGB")
    small.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return size, out.getvalue(), small.size
