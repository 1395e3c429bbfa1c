"""The validated issue: small immutable records (NamedTuples), built by the manifest and content stages.

``manifest`` produces a :class:`Manifest` (issue metadata and the article entries as the user
wrote them); ``content`` reads each entry and produces the :class:`Issue` with its
:class:`Article` bodies. Later stages only read these records (a changed copy is ``_replace``).
NamedTuples, not frozen dataclasses: a dataclass writes and compiles its methods when it is
defined, every build; a NamedTuple costs a fraction of that (bench/README.md).

The records that hold what ``issue.yaml`` says (:class:`IssueMeta`, :class:`EpubOptions`,
:class:`PdfOptions`) are written out as typed classes, so that mypy and readers see their
fields, but no default is written here: each is read from the key's declaration in
:mod:`masthead.model.schema` (``_default``), and ``tests/test_schema.py`` checks that each
record's fields are its table's keys (plus, for IssueMeta, the few the loader derives), in the
declared order. Generating the classes from the schema would save those lines and lose the types.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, NamedTuple

from masthead.diagnostics import Position
from masthead.model.schema import NAMED_PAGE_MM, SCHEMA
from masthead.runtime import confine


def _default(table: str, key: str) -> Any:
    """The default the schema declares for ``table``'s ``key`` (what each key means is there)."""
    return SCHEMA.key(table, key).default


class EpubOptions(NamedTuple):
    """issue.yaml's ``epub:`` options."""

    embed_fonts: bool = _default("epub", "embed_fonts")
    image_max_size: int = _default("epub", "image_max_size")
    image_quality: int = _default("epub", "image_quality")
    page_list: str = _default("epub", "page_list")  # "auto", "true" or "false"
    accessibility_summary: str | None = _default("epub", "accessibility_summary")
    certified_by: str | None = _default("epub", "certified_by")
    certifier_credential: str | None = _default("epub", "certifier_credential")
    certifier_report: str | None = _default("epub", "certifier_report")


class PdfOptions(NamedTuple):
    """issue.yaml's ``pdf:`` options."""

    page_size: str = _default("pdf", "page_size")  # a named size or "WIDTH HEIGHT", as CSS takes it
    margins: str | None = _default("pdf", "margins")  # CSS lengths
    bleed: str | None = _default("pdf", "bleed")  # a CSS length
    crop_marks: bool = _default("pdf", "crop_marks")
    columns: int = _default("pdf", "columns")
    variant: str | None = _default("pdf", "variant")  # a WeasyPrint pdf_variant, lower case
    image_quality: int = _default("pdf", "image_quality")
    color: str = _default("pdf", "color")  # "rgb" or "cmyk"
    output_intent: Path | None = _default("pdf", "output_intent")  # a CMYK ICC profile; None: the bundled one

    @property
    def page_mm(self) -> tuple[float, float]:
        return page_mm(self.page_size)


# NAMED_PAGE_MM: the manifest's named page sizes in millimetres, declared with the schema.
_MM_PER = {"mm": 1, "cm": 10, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}


def page_mm(page_size: str) -> tuple[float, float]:
    """A page size the manifest accepted (a name, or two lengths like '170mm 9.5in'), in mm."""
    if page_size in NAMED_PAGE_MM:
        return NAMED_PAGE_MM[page_size]
    width, height = (length_mm(length) for length in page_size.split())
    return width, height


def length_mm(length: str) -> float:
    """A length the manifest accepted ('18mm', '0.5in', '0'), in mm."""
    match = re.fullmatch(r"([0-9.]+)([a-z]*)", length)
    if match is None:
        raise ValueError(f"not a length: {length!r}")
    number, unit = match.groups()
    return float(number) * _MM_PER.get(unit, 1)


class IssueMeta(NamedTuple):
    """Everything issue.yaml says about the issue itself: its keys, in declared order (but
    sections and articles, which are the Manifest's), and what the loader derives
    (:data:`DERIVED`)."""

    root: Path  # the issue folder, resolved
    manifest_path: Path
    slug: str  # the folder's name: names the outputs
    publication: str
    date: dt.date
    language: str  # BCP 47
    direction: str  # "ltr" or "rtl", from the language
    title: str | None = _default("issue", "title")
    number: int | None = _default("issue", "number")
    volume: int | None = _default("issue", "volume")
    issn: str | None = _default("issue", "issn")
    publisher: str | None = _default("issue", "publisher")
    rights: str | None = _default("issue", "rights")
    description: str | None = _default("issue", "description")
    editors: tuple[str, ...] = _default("issue", "editors")
    subjects: tuple[str, ...] = _default("issue", "subjects")
    identifier: str = ""  # the loader's default (schema: computed from publication, date and number)
    cover: Path | None = _default("issue", "cover")
    cover_position: Position | None = None
    cover_lines: tuple[str, ...] = _default("issue", "cover_lines")
    theme: str = _default("issue", "theme")
    theme_position: Position | None = None
    epub: EpubOptions = EpubOptions()
    pdf: PdfOptions = PdfOptions()
    written_in: str | None = None  # an edition's (manifest/editions.py): the language of issue.yaml's own words


# IssueMeta's fields that are no key of issue.yaml: what the loader derives (and an edition).
DERIVED = ("root", "manifest_path", "slug", "direction", "cover_position", "theme_position", "written_in")


class LeadImage(NamedTuple):
    src: Path  # resolved, inside the issue folder
    alt: str | None
    caption: str | None  # inline Markdown as written; clean XHTML (Markup) after the content stage
    credit: str | None  # the same
    position: Position
    name: str = ""  # the image's name in the outputs, set by the content stage


class Translation(NamedTuple):
    """One of an entry's ``translations``: the article in another language, its own file."""

    lang: str  # a BCP 47 tag, in its canonical case (i18n.canonical_tag): the edition it belongs to
    file: Path  # resolved, inside the issue folder
    position: Position


class ArticleEntry(NamedTuple):
    """One article as the manifest names it: its file, and the keys the entry overrides.

    In an edition (manifest/editions.py) a translated article's entry names the translation's
    file, and ``original`` the file its id comes from; every entry of an edition says the
    ``language`` its file is in when neither the file nor the entry gives one."""

    file: Path  # resolved, inside the issue folder
    overrides: dict[str, Any]  # validated article keys (the schema's "article" table)
    position: Position
    translations: tuple[Translation, ...] = ()  # as the manifest lists them
    original: Path | None = None  # an edition's translated article: the original's file
    language: str | None = None  # an edition's: the file's language unless it says another


class SectionEntry(NamedTuple):
    title: str | None
    entries: tuple[ArticleEntry, ...]
    position: Position


class AdvertEntry(NamedTuple):
    """One of issue.yaml's ``adverts:`` as the manifest gives it (the schema's "advert" table)."""

    image: Path  # resolved, inside the issue folder
    alt: str
    advertiser: str
    link: str | None  # http(s) or mailto, checked
    size: str  # "full" or "half"
    after: str | None  # the id of the article it follows (checked when the articles are read)
    place: str | None  # or one of schema.ADVERT_PLACES
    print: bool
    epub: bool
    web: bool
    position: Position  # the advert's mapping
    image_position: Position
    after_position: Position | None = None


class Manifest(NamedTuple):
    meta: IssueMeta
    sections: tuple[SectionEntry, ...]
    adverts: tuple[AdvertEntry, ...] = ()


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


class Advert(NamedTuple):
    """An advertisement, read: a page (or half of one) of the issue that is no article. It is
    never in ``Issue.articles``: not in the contents, the reading times or any count of articles."""

    id: str  # unique in the issue (no article's): names its EPUB document and its print section
    entry: AdvertEntry
    image: str  # the picture's name in the outputs ("adverts/advert-1.jpg": never an article image's)
    asset: Asset
    width: int  # the picture's pixels
    height: int

    @property
    def doc_name(self) -> str:
        return f"{self.id}.xhtml"

    @property
    def mail(self) -> bool:
        """Is its link an e-mail address (the link then says "Write to …")?"""
        return (self.entry.link or "").lower().startswith("mailto:")

    def shown_in(self, edition: str) -> bool:
        """Is it in ``edition`` ("print", "epub" or "web")?"""
        return bool(getattr(self.entry, edition))


class Issue(NamedTuple):
    meta: IssueMeta
    sections: tuple[Section, ...]
    adverts: tuple[Advert, ...] = ()

    def adverts_after(self, article_id: str, edition: str) -> tuple[Advert, ...]:
        """The adverts ``edition`` shows after the article ``article_id``, in manifest order."""
        return tuple(a for a in self.adverts if a.entry.after == article_id and a.shown_in(edition))

    def adverts_at(self, place: str, edition: str) -> tuple[Advert, ...]:
        """The advert ``edition`` shows at the fixed ``place`` (inside_front_cover …), if any."""
        return tuple(a for a in self.adverts if a.entry.place == place and a.shown_in(edition))

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for s in self.sections for a in s.articles)

    @property
    def image_bytes(self) -> int:
        """What the issue's image files weigh, its cover included."""
        return sum(a.size for a in (*self.assets, *self.advert_assets)) + (self.meta.cover.stat().st_size if self.meta.cover else 0)

    @property
    def assets(self) -> tuple[Asset, ...]:
        """The articles' images (the adverts' pictures are :attr:`advert_assets`: sized apart)."""
        seen: dict[str, Asset] = {}
        for article in self.articles:
            for asset in article.assets:
                seen.setdefault(asset.name, asset)
        return tuple(seen.values())

    @property
    def advert_assets(self) -> tuple[Asset, ...]:
        seen: dict[str, Asset] = {}
        for advert in self.adverts:
            seen.setdefault(advert.asset.name, advert.asset)
        return tuple(seen.values())
