"""The validated issue: small immutable records (NamedTuples), built by the manifest and content stages.

``manifest`` produces a :class:`Manifest` (issue metadata and the article entries as the user
wrote them); ``content`` reads each entry and produces the :class:`Issue` with its
:class:`Article` bodies. Later stages only read these records (a changed copy is ``_replace``).
NamedTuples, not frozen dataclasses: eleven dataclasses took 13-18 ms to define, every build,
for the methods they write and compile; a NamedTuple takes a seventh of that.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import NamedTuple

from masthead.diagnostics import Position
from masthead.runtime import confine


class EpubOptions(NamedTuple):
    embed_fonts: bool = True
    image_max_size: int = 1600  # pixels on the long side of inline images
    image_quality: int = 80  # JPEG quality when an image is encoded again
    page_list: str = "auto"  # "auto": print page numbers when the PDF is built too; "true", "false"
    accessibility_summary: str | None = None
    certified_by: str | None = None  # who certified the issue's accessibility, if anyone
    certifier_credential: str | None = None
    certifier_report: str | None = None  # a URL


class PdfOptions(NamedTuple):
    page_size: str = "A4"  # a CSS page size: "A4", "Letter", "210mm 297mm" …
    margins: str | None = None  # CSS lengths, "20mm" or "20mm 15mm 25mm 18mm"
    bleed: str | None = None  # a CSS length, "3mm"
    crop_marks: bool = False
    columns: int = 2
    variant: str | None = None  # a WeasyPrint pdf_variant, "pdf/ua-1" …
    image_quality: int = 90

    @property
    def page_mm(self) -> tuple[float, float]:
        return page_mm(self.page_size)


# The manifest's named page sizes (manifest.PAGE_SIZES), width × height in millimetres, as
# WeasyPrint sets them (CSS Paged Media: Ledger is 11 × 17 in, upright)
NAMED_PAGE_MM = {"A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "B4": (250, 353), "B5": (176, 250),
                 "Letter": (215.9, 279.4), "Legal": (215.9, 355.6), "Ledger": (279.4, 431.8), "Tabloid": (279.4, 431.8)}
_MM_PER = {"mm": 1, "cm": 10, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}


def page_mm(page_size: str) -> tuple[float, float]:
    """A page size the manifest accepted (a name, or two lengths like '170mm 9.5in'), in mm."""
    if page_size in NAMED_PAGE_MM:
        return NAMED_PAGE_MM[page_size]
    width, height = (length_mm(length) for length in page_size.split())
    return width, height


def length_mm(length: str) -> float:
    """A length the manifest accepted ('18mm', '0.5in', '0'), in mm."""
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]*)", length).groups()
    return float(number) * _MM_PER.get(unit, 1)


class IssueMeta(NamedTuple):
    """Everything issue.yaml says about the issue itself."""

    root: Path  # the issue folder, resolved
    manifest_path: Path
    slug: str  # the folder's name: names the outputs
    publication: str
    date: dt.date
    language: str  # BCP 47
    direction: str  # "ltr" or "rtl", from the language
    title: str | None = None
    number: int | None = None
    volume: int | None = None
    issn: str | None = None
    publisher: str | None = None
    rights: str | None = None
    description: str | None = None
    editors: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    identifier: str = ""
    cover: Path | None = None
    cover_position: Position | None = None
    cover_lines: tuple[str, ...] = ()  # for a generated cover; default: the first headlines
    theme: str = "default"
    theme_position: Position | None = None
    epub: EpubOptions = EpubOptions()
    pdf: PdfOptions = PdfOptions()


class LeadImage(NamedTuple):
    src: Path  # resolved, inside the issue folder
    alt: str | None
    caption: str | None  # inline Markdown as written; clean XHTML (Markup) after the content stage
    credit: str | None  # the same
    position: Position
    name: str = ""  # the image's name in the outputs, set by the content stage


class ArticleEntry(NamedTuple):
    """One article as the manifest names it: its file, and the keys the entry overrides."""

    file: Path  # resolved, inside the issue folder
    overrides: dict  # validated article keys (see manifest.ARTICLE_KEYS)
    position: Position


class SectionEntry(NamedTuple):
    title: str | None
    entries: tuple[ArticleEntry, ...]
    position: Position


class Manifest(NamedTuple):
    meta: IssueMeta
    sections: tuple[SectionEntry, ...]


class Asset(NamedTuple):
    """A file an article uses (an image), and the name it has in the outputs."""

    source: Path  # the image file; for a data: URI, the article that carried it
    name: str  # "images/harbour.jpg": the same relative name in the EPUB and the PDF
    position: Position  # where it was first referred to
    data: bytes | None = None  # the bytes of a data: URI image

    def read(self) -> bytes:
        return self.data if self.data is not None else confine.read_input(self.source, confine.IMAGE_LIMIT)

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.source.stat().st_size


class Article(NamedTuple):
    id: str  # unique in the issue, from the file name; names the article's document
    source: Path
    title: str
    standfirst: str | None
    byline: tuple[str, ...]
    date: dt.date | None
    kicker: str | None
    lang: str
    direction: str
    image: LeadImage | None
    reading_time: int  # minutes
    words: int  # words, or characters for scripts written without spaces
    summary: str | None
    tags: tuple[str, ...]
    body: str  # a clean XHTML fragment (serialized children of <body>), links already final
    assets: tuple[Asset, ...]
    epub_prefixes: tuple[tuple[str, str], ...] = ()  # epub:type vocabularies the body uses
    images: int = 0  # images in the body and the lead image
    images_without_alt: int = 0  # of those, images with no alt attribute at all

    @property
    def doc_name(self) -> str:
        return f"{self.id}.xhtml"


class Section(NamedTuple):
    title: str | None
    articles: tuple[Article, ...]


class Issue(NamedTuple):
    meta: IssueMeta
    sections: tuple[Section, ...]

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for s in self.sections for a in s.articles)

    @property
    def image_bytes(self) -> int:
        """What the issue's image files weigh, its cover included."""
        return sum(a.size for a in self.assets) + (self.meta.cover.stat().st_size if self.meta.cover else 0)

    @property
    def assets(self) -> tuple[Asset, ...]:
        seen: dict[str, Asset] = {}
        for article in self.articles:
            for asset in article.assets:
                seen.setdefault(asset.name, asset)
        return tuple(seen.values())
