"""The issue manifest's keys, declared once: the one place a key of ``issue.yaml`` is written.

Each :class:`Key` says what the key takes (its kind, range or choices), its default, a one-line
documentation, and what a change of it invalidates (:class:`Affects`). Everything else about the
manifest is made from these declarations, never written again:

- validation: :mod:`masthead.manifest.loader` reads each key by its kind, with the range,
  choices, default and required-ness declared here (its messages, positions and "did you mean"
  suggestions, from the table's key names and the synonyms below, are the loader's own);
- the model: :mod:`masthead.model.issue`'s records take their defaults from here, and a test
  checks that their fields are the keys of their table;
- the README's reference tables, ``masthead new``'s commented ``issue.yaml`` and the JSON
  Schema printed by ``masthead schema``: :mod:`masthead.manifest.reference`;
- the article cache's key: :mod:`masthead.content.incremental` keys each reading on the issue
  keys declared ``Affects.READ``.

Adding a key is a declaration here plus its use (a record's field, and whatever reads it); a
kind the loader does not know yet also needs its reader there. ``tests/test_schema.py`` shows it
with a key added through :meth:`Schema.with_key`.

This module is a leaf: it imports nothing of masthead, so that the model's records may read
their defaults from it without depending on the manifest stage's code.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

# What a key's value is. The loader has a reader for each; reference.py a JSON Schema and a label.
Kind = Literal[
    "text",  # one line (or, with long=True, a paragraph); YAML numbers, dates and booleans keep their text
    "texts",  # a list of text, or one text
    "integer",  # a whole number from minimum to maximum ("12" quoted too)
    "boolean",  # true or false
    "date",  # YYYY-MM-DD, from FIRST_DATE to LAST_DATE
    "language",  # a BCP 47 tag
    "path",  # a file inside the issue folder, relative to the file that names it
    "choice",  # one of ``choices``
    "mapping",  # a mapping of the keys of the table named ``table``
    "sections",  # a list of mappings of the "section" table
    "articles",  # a list of article entries: a path, or a mapping of the "entry" table
    "image",  # a lead image: a path, or a mapping of the "image" table
    "roles",  # a mapping of names (a Word paragraph style's) to one of ``choices`` each
    "translations",  # a mapping of BCP 47 tags to paths (files inside the issue folder)
    "adverts",  # a list of mappings of the "advert" table
]


class Affects(enum.Enum):
    """What a change of a key's value makes masthead do again (as Sphinx's ``rebuild=``)."""

    READ = "read"  # how each article is read: the article cache is keyed on it (content/incremental.py)
    RENDER = "render"  # the documents and every output, not the readings of the articles
    LAYOUT = "layout"  # the print edition (PDF) only


# Text a line holds (a name, a title, a byline): longer is a mistake, and the cover could not
# draw it. Paragraph-like values (keys declared long: a description, a caption …) may run longer.
MAX_LINE = 500
MAX_TEXT = 20_000
# Dates the outputs can carry: four-digit years (EPUB's and PDF's date formats) and a ZIP's
# timestamps, which end in 2107. The Strand of 1891 is in range; year 1 is not.
FIRST_DATE, LAST_DATE = dt.date(1000, 1, 1), dt.date(2099, 12, 31)
# A CSS length as the pdf: options take it: 0, or a number and a unit.
LENGTH = r"(?:0|[0-9]+(?:\.[0-9]+)?(?:mm|cm|in|pt|pc|px))"
ISSN = r"([0-9]{4})-?([0-9]{3})([0-9Xx])"  # the check digit is the loader's to check
WEB_ADDRESS = r"[Hh][Tt][Tt][Pp][Ss]?://.*"  # the rest is checked as the EPUB's links are
ADVERT_LINK = r"(?:[Hh][Tt][Tt][Pp][Ss]?://|[Mm][Aa][Ii][Ll][Tt][Oo]:).*"  # a web address or mail, nothing else
# Where an advert may stand besides after an article: the printed pages a magazine sells.
ADVERT_PLACES = ("inside_front_cover", "inside_back_cover", "back_cover")
LANGUAGE_TAG = r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*"  # the shape only; i18n.is_valid_tag decides
# The named page sizes, width × height in millimetres, as WeasyPrint sets them (CSS Paged
# Media: Ledger is 11 × 17 in, upright).
NAMED_PAGE_MM: dict[str, tuple[float, float]] = {
    "A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "B4": (250, 353), "B5": (176, 250),
    "Letter": (215.9, 279.4), "Legal": (215.9, 355.6), "Ledger": (279.4, 431.8), "Tabloid": (279.4, 431.8)}
MIN_PAGE_MM = 50  # A7 is 74 × 105 mm; under 50 the margins leave no column
MIN_TEXT_MM = 20  # what the margins must leave of a page, each way, for a column of text
PDF_VARIANTS = ("pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4b", "pdf/a-4u",
                "pdf/ua-1", "pdf/ua-2", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")


@dataclass(frozen=True)
class Key:
    """One key of one table of the manifest."""

    name: str
    kind: Kind
    doc: str  # one line, Markdown: the README's "meaning", the scaffold's comment, the JSON Schema's description
    default: Any = None  # the value the model holds when the key is absent (None: nothing)
    required: bool = False
    minimum: int | None = None  # for integers
    maximum: int | None = None
    choices: tuple[str | bool, ...] = ()  # for a choice, or the names a text may be besides its pattern
    ignore_case: bool = False  # choices taken in any case ("a4" is A4)
    pattern: str | None = None  # a text's shape (Python and ECMAScript regex alike, matched whole)
    long: bool = False  # a paragraph (MAX_TEXT), not a line (MAX_LINE)
    split_commas: bool = False  # texts: "a, b" is two
    check: str | None = None  # a further check the loader makes, by name (loader._CHECKS)
    table: str | None = None  # the table a mapping, image or list of mappings holds
    alias_of: str | None = None  # another spelling of that key (deck → standfirst)
    synonyms: tuple[str, ...] = ()  # what other tools call it: "did you mean" suggests this key
    affects: Affects = Affects.RENDER
    stored: bool = True  # the value is a field of the table's record (sections/articles are not)
    label: str | None = None  # the type as the README says it, when the kind's label is too vague
    default_doc: str | None = None  # a default that is computed, said in words


@dataclass(frozen=True)
class Table:
    """The keys of one mapping of the manifest, in the order they are documented and checked."""

    name: str  # "issue", "epub", "pdf", "section", "article", "entry", "image"
    what: str  # how messages name the mapping: "unknown key 'x' in epub options"
    keys: tuple[Key, ...]
    extends: str | None = None  # a table whose keys come first (an entry has the article keys and file)
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of keys of which exactly one is given
    shares: tuple[str, ...] = ()  # keys of the root table this one may also give, for each issue to inherit


@dataclass(frozen=True)
class Schema:
    """The tables of the manifest; :data:`SCHEMA` is masthead's."""

    tables: tuple[Table, ...]
    root: str = "issue"

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def keys(self, table: str) -> tuple[Key, ...]:
        """The keys a mapping of ``table`` takes: those of the table it extends first."""
        own = self.table(table)
        return (self.keys(own.extends) if own.extends else ()) + own.keys

    def names(self, table: str) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys(table))

    def key(self, table: str, name: str) -> Key:
        for key in self.keys(table):
            if key.name == name:
                return key
        raise KeyError(f"{table}.{name}")

    def all_keys(self) -> Iterator[tuple[Table, Key]]:
        for table in self.tables:
            for key in table.keys:
                yield table, key

    def with_key(self, table: str, key: Key) -> Schema:
        """A copy with ``key`` declared at the end of ``table``: how a test adds a key."""
        return replace(self, tables=tuple(replace(t, keys=(*t.keys, key)) if t.name == table else t
                                          for t in self.tables))

    def synonyms(self) -> dict[str, str]:
        """What people coming from other tools write → what masthead calls it."""
        return {word: key.name for _, key in self.all_keys() for word in key.synonyms}

    def long_keys(self) -> frozenset[str]:
        """Keys whose text may be a paragraph (a key is long in every table that has it)."""
        return frozenset(key.name for _, key in self.all_keys() if key.long)

    def affecting(self, table: str, affects: Affects) -> tuple[str, ...]:
        """The stored keys of ``table`` a change of which does ``affects`` again."""
        return tuple(key.name for key in self.keys(table) if key.affects is affects and key.stored)


_MINIMUM_SIZE = f"at least {MIN_PAGE_MM} mm each way"

ISSUE = Table("issue", "issue.yaml", (
    Key("publication", "text", "the magazine's name, as on its masthead", required=True,
        synonyms=("name", "magazine")),
    Key("date", "date", "the issue's cover date; the outputs' timestamps come from it (the years EPUB, PDF and "
        "ZIP dates carry)", required=True),
    Key("language", "language", "the issue's language (`en`, `en-GB`, `ar`, `fr`, `ja` …); right-to-left "
        "scripts follow from it", required=True, synonyms=("lang",), affects=Affects.READ),
    Key("title", "text", "the issue's own title", default_doc="the publication and the localized date"),
    Key("number", "integer", "the issue's number; the EPUB's `group-position` in the series", minimum=0,
        maximum=1_000_000, synonyms=("issue",)),
    Key("volume", "integer", "the volume's number", minimum=0, maximum=1_000_000),
    Key("issn", "text", "the publication's ISSN, checked for a valid check digit", pattern=ISSN, check="issn",
        label="ISSN `NNNN-NNNC`"),
    Key("publisher", "text", "the publisher, as e-readers and stores show it"),
    Key("rights", "text", "the copyright line", long=True),
    Key("description", "text", "a line or two about the issue, as e-readers and stores show it", long=True),
    Key("editors", "texts", "the issue's editors", default=(), synonyms=("editor",)),
    Key("subjects", "texts", "the issue's subjects, for catalogues", default=(), synonyms=("subject",)),
    Key("identifier", "text", "the EPUB's unique identifier",
        default_doc="a stable `urn:uuid` derived from publication, date and number"),
    Key("cover", "path", "the cover picture", label="path to a JPEG or PNG",
        default_doc="a cover drawn from the masthead, the date and the first headlines"),
    Key("cover_lines", "texts", "the lines of a drawn cover", default=(),
        default_doc="the first articles' kickers and headlines"),
    Key("theme", "text", "a built-in theme's name, or a folder (with `theme.yaml`) inside the issue",
        default="default", label="name or folder"),
    Key("sections", "sections", "the articles in sections, in reading order", table="section",
        synonyms=("section",), affects=Affects.READ, stored=False, label="list of `{title, articles}`"),
    Key("articles", "articles", "instead of `sections`: the articles of one section without a title",
        table="entry", synonyms=("article",), affects=Affects.READ, stored=False),
    Key("adverts", "adverts", "advertisements: pages that are not articles, below", table="advert",
        synonyms=("ads", "advertisements", "advertising", "advert"), stored=False, label="list of adverts"),
    Key("epub", "mapping", "EPUB options, below", table="epub"),
    Key("pdf", "mapping", "PDF options, below", table="pdf", affects=Affects.LAYOUT),
), one_of=(("sections", "articles"),))

EPUB = Table("epub", "epub options", (
    Key("embed_fonts", "boolean", "`true` embeds the theme's fonts, subset to the characters the issue uses; "
        "`false` leaves the reader's own", default=True),
    Key("image_max_size", "integer", "pixels on the long side of images", default=1600, minimum=100,
        maximum=10_000),
    Key("image_quality", "integer", "JPEG quality when an image is encoded again", default=80, minimum=10,
        maximum=100),
    Key("page_list", "choice", "print page numbers in the EPUB: `auto` when the PDF is built in the same run; "
        "`true` lays out the print edition for them even for an EPUB alone", default="auto",
        choices=("auto", True, False), check="page_list"),
    Key("accessibility_summary", "text", "the EPUB's accessibility summary", long=True,
        default_doc="one made from what the issue holds"),
    Key("certified_by", "text", "who certified the issue's accessibility, if a third party did"),
    Key("certifier_credential", "text", "the certifier's credential"),
    Key("certifier_report", "text", "the certifier's report", pattern=WEB_ADDRESS, check="web_address",
        label="web address"),
))

PDF = Table("pdf", "pdf options", tuple(replace(key, affects=Affects.LAYOUT) for key in (
    Key("page_size", "text", f"the page: a named size, or its width and height (`\"170mm 240mm\"`), {_MINIMUM_SIZE}", default="A4",
        choices=tuple(NAMED_PAGE_MM), ignore_case=True, pattern=f"{LENGTH} {LENGTH}", check="page_size",
        label="page size"),
    Key("margins", "text", f"one to four CSS lengths, as in CSS (`20mm 15mm 25mm 18mm`), leaving at least "
        f"{MIN_TEXT_MM} mm of the page each way", pattern=f"{LENGTH}(?: {LENGTH}){{0,3}}", check="margins",
        label="CSS lengths", default_doc="the theme's"),
    Key("bleed", "text", "the picture beyond the trim, for the printer (`3mm`)", pattern=LENGTH, check="length",
        label="CSS length"),
    Key("crop_marks", "boolean", "`true` draws crop and cross marks", default=False),
    Key("columns", "integer", "columns of text on a page", default=2, minimum=1, maximum=3),
    Key("variant", "choice", "a PDF standard to follow, as WeasyPrint offers them", choices=PDF_VARIANTS,
        ignore_case=True, check="pdf_variant"),
    Key("image_quality", "integer", "JPEG quality of images for print", default=90, minimum=10, maximum=100),
    Key("color", "choice", "`rgb`, as on screen; or `cmyk`, for a press: the theme's colours and the images "
        "converted to the output intent, written as PDF/X (`variant`, default `pdf/x-4`)", default="rgb",
        choices=("rgb", "cmyk"), synonyms=("colour", "color_space", "colorspace", "colors")),
    Key("output_intent", "path", "with `color: cmyk`: the press's ICC output profile (CMYK), a file in the issue "
        "folder (in `publication.yaml`: in the publication's folder)", check="output_intent", label="path to a CMYK `.icc`",
        default_doc="the bundled `masthead-fogra39l.icc` (coated offset, FOGRA39)",
        synonyms=("icc", "icc_profile", "output_profile", "profile")),
)))

SECTION = Table("section", "section", (
    Key("title", "text", "the section's title, in the contents"),
    Key("articles", "articles", "the section's articles, in reading order", table="entry", required=True),
))

ARTICLE = Table("article", "article", tuple(replace(key, affects=Affects.READ) for key in (
    Key("title", "text", "the headline; else the first `<h1>`/`<h2>` (which then leaves the body)",
        synonyms=("headline", "hed")),
    Key("standfirst", "text", "the line under the headline", long=True, synonyms=("subtitle", "dek", "lede")),
    Key("deck", "text", "the line under the headline", long=True, alias_of="standfirst"),
    Key("byline", "texts", "a name, or a list of names", synonyms=("author",)),
    Key("authors", "texts", "a name, or a list of names", alias_of="byline"),
    Key("date", "date", "when the article was written or first published"),
    Key("kicker", "text", "a short label above the headline (\"Russia\", \"Books\")"),
    Key("lang", "language", "the article's language, when it differs from the issue's", synonyms=("language",)),
    Key("dir", "choice", "the article's direction, when it differs from its language's", choices=("ltr", "rtl"),
        synonyms=("direction",)),
    Key("image", "image", "the lead image: its path, or `{src, alt, caption, credit}`", table="image"),
    Key("reading_time", "integer", "minutes", minimum=1, maximum=10_000,
        default_doc="computed from the text at the language's reading speed"),
    Key("summary", "text", "free text, for the contents and the metadata", long=True, synonyms=("excerpt",)),
    Key("tags", "texts", "a list of strings (or one, comma-separated)", split_commas=True, synonyms=("keywords",)),
)))

# What a paragraph style of a Word article may stand for (content/readers/docx.py sets each):
# the article's fields, or a kind of block of its body.
STYLE_ROLES = ("title", "kicker", "standfirst", "byline", "summary", "heading", "subheading", "paragraph", "quote",
               "pullquote", "sidebar", "verse", "code", "caption")

ENTRY = Table("entry", "article", (
    Key("file", "path", "in a manifest entry: the article's file, Markdown (`.md`), HTML (`.html`, `.xhtml`) or Word (`.docx`)",
        required=True, affects=Affects.READ),
    Key("style_map", "roles", "a Word article's house paragraph styles and what each is (`{Standfirst: standfirst, "
        "\"Pull Quote\": pullquote}`): a field's paragraphs leave the body for that field", choices=STYLE_ROLES,
        affects=Affects.READ, synonyms=("styles", "style_mapping"), label="mapping of style name → role"),
    Key("translations", "translations", "in a manifest entry: the article in other languages, each its own file "
        "(`{fr: articles/x.fr.md, ar: articles/x.ar.md}`); `masthead build --edition fr` builds the issue's French "
        "edition", affects=Affects.READ, synonyms=("translation", "translated")),
), extends="article")

IMAGE = Table("image", "image", tuple(replace(key, affects=Affects.READ) for key in (
    Key("src", "path", "the picture, relative to the file that names it", required=True),
    Key("alt", "text", "what it shows, for readers who cannot see it; `\"\"` for a decorative picture", long=True),
    Key("caption", "text", "inline Markdown (`Photograph: *Ann Lee* for [The Lantern](https://…)`); links only "
        "to the web", long=True),
    Key("credit", "text", "inline Markdown; links only to the web", long=True),
)))

# One advertisement of ``adverts:``: a page (or half of one) that is no article. It is in the
# issue's editions at its place, never in the contents, the reading times or an article count.
ADVERT = Table("advert", "advert", (
    Key("image", "path", "the advertisement, a picture in the issue folder; printed full bleed (to the bleed box "
        "when `pdf: bleed` is set)", required=True, label="path to a JPEG or PNG", synonyms=("src", "picture")),
    Key("alt", "text", "what the advertisement shows and says, for readers who cannot see it", required=True,
        long=True, synonyms=("alt_text", "description")),
    Key("advertiser", "text", "whose advertisement it is: named beside it in the EPUB and the web edition",
        required=True, synonyms=("sponsor", "client", "brand", "company")),
    Key("link", "text", "where the digital editions' advert leads: `https://…`, `http://…` or `mailto:…`",
        pattern=ADVERT_LINK, check="advert_link", label="web or `mailto:` address",
        synonyms=("href", "website", "target")),
    Key("size", "choice", "`full`: a page; `half`: the lower half of a page of its own", default="full",
        choices=("full", "half")),
    Key("after", "text", "between articles: the article it follows, by its id (its file's name without the "
        "extension: `night-shift`)", label="article id", synonyms=("following", "after_article")),
    Key("place", "choice", "instead of `after`: a fixed page of the print edition, `inside_front_cover` (page 2), "
        "`inside_back_cover` (the second-last) or `back_cover` (the last); the digital editions show it there too",
        choices=ADVERT_PLACES, synonyms=("position", "page", "placement", "where")),
    Key("print", "boolean", "`false` leaves it out of the PDF", default=True),
    Key("epub", "boolean", "`false` leaves it out of the EPUB (and the KEPUB)", default=True),
    Key("web", "boolean", "`false` leaves it out of the web edition", default=True),
), one_of=(("after", "place"),))

# publication.yaml, beside the issue folders: the keys every issue of the publication shares
# (the issue keys named in ``shares``, which an issue.yaml may override, mappings key by key)
# and the publication's own, which describe the publication in its catalogue.
PUBLICATION = Table("publication", "publication.yaml", (
    Key("site_url", "text", "the address where the catalogue is published (`https://…/`): the feeds' and "
        "archive's links start there", pattern=WEB_ADDRESS, check="web_address", label="web address",
        synonyms=("url", "site", "base_url")),
), shares=("publication", "language", "issn", "publisher", "rights", "description", "editors", "subjects",
           "theme", "epub", "pdf"))

SCHEMA = Schema((ISSUE, EPUB, PDF, SECTION, ARTICLE, ENTRY, IMAGE, ADVERT, PUBLICATION))
