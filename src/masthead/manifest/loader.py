"""issue.yaml → :class:`~masthead.model.issue.Manifest`, every error with its line and column.

YAML is composed into nodes (which carry their marks) and constructed here node by node with
PyYAML's *safe* constructor, so that a bad value ("2025-13-45") is reported where it stands,
all problems are reported at once, and alias expansion is bounded ("billion laughs").
The same machinery validates article keys from Markdown front matter and HTML ``<meta>``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from masthead.diagnostics import Diagnostic, IssueError, Position, Report
from masthead.model.issue import (
    ArticleEntry,
    EpubOptions,
    IssueMeta,
    LeadImage,
    Manifest,
    PdfOptions,
    SectionEntry,
    length_mm,
    page_mm,
)
from masthead.runtime import confine, i18n, safexml, urls

MAX_NODES = 50_000  # values after alias expansion; a real manifest has a few hundred
MAX_BYTES = 4 * 1024 * 1024

ISSUE_KEYS = (
    "publication", "date", "language", "title", "number", "volume", "issn", "publisher", "rights",
    "description", "editors", "subjects", "identifier", "cover", "cover_lines", "theme", "sections", "articles",
    "epub", "pdf",
)
ARTICLE_KEYS = (
    "title", "standfirst", "deck", "byline", "authors", "date", "kicker", "lang", "dir", "image",
    "reading_time", "summary", "tags",
)
IMAGE_KEYS = ("src", "alt", "caption", "credit")
EPUB_KEYS = ("embed_fonts", "image_max_size", "image_quality", "page_list", "accessibility_summary", "certified_by", "certifier_credential", "certifier_report")
PDF_KEYS = ("page_size", "margins", "bleed", "crop_marks", "columns", "variant", "image_quality")
PDF_VARIANTS = ("pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4b", "pdf/a-4u",
                "pdf/ua-1", "pdf/ua-2", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")
PAGE_SIZES = ("A3", "A4", "A5", "B4", "B5", "Letter", "Legal", "Ledger", "Tabloid")
MIN_PAGE_MM = 50  # A7 is 74 × 105 mm; under 50 the margins leave no column
MIN_TEXT_MM = 20  # what the margins must leave of a page, each way, for a column of text
# Dates the outputs can carry: four-digit years (EPUB's and PDF's date formats) and a ZIP's
# timestamps, which end in 2107. The Strand of 1891 is in range; year 1 is not.
FIRST_DATE, LAST_DATE = dt.date(1000, 1, 1), dt.date(2099, 12, 31)
# Text a line holds (a name, a title, a byline): longer is a mistake, and the cover could not
# draw it. Paragraph-like values (a description, a caption …) may run longer.
MAX_LINE = 500
MAX_TEXT = 20_000
LONG_KEYS = frozenset({"description", "summary", "standfirst", "deck", "accessibility_summary", "rights",
                       "caption", "credit", "alt"})
# What people coming from other tools write, and what masthead calls it.
_SYNONYMS = {
    "headline": "title", "hed": "title", "subtitle": "standfirst", "dek": "standfirst", "lede": "standfirst",
    "author": "byline", "excerpt": "summary", "keywords": "tags", "language": "lang", "lang": "language",
    "direction": "dir", "article": "articles", "section": "sections", "name": "publication",
    "magazine": "publication", "issue": "number", "editor": "editors", "subject": "subjects",
}
_LENGTH = r"(?:0|[0-9]+(?:\.[0-9]+)?(?:mm|cm|in|pt|pc|px))"


@dataclass(frozen=True)
class Y:
    """A YAML value with its position: a scalar, a list of Y, or a dict of str → Y."""

    value: Any
    pos: Position
    raw: str | None = None  # a scalar's source text: "no" stays "no" where a string is wanted
    keys: dict[str, Position] | None = None  # for mappings: where each key stands


# ---------------------------------------------------------------------------- YAML → Y


# libyaml's parser when PyYAML was built with it: ~10× faster than the pure-Python one (a
# tenth of a cached build), the same nodes and marks, and nesting capped at 1,000 levels.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """Plain data from trusted YAML (a theme's): no positions, no custom tags."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def parse_yaml(text: str, path: Path, report: Report, line_offset: int = 0) -> Y | None:
    """Safe-load ``text`` into :class:`Y` values; problems go to ``report``, None on failure."""
    def pos(mark) -> Position:
        return Position(path, mark.line + 1 + line_offset, mark.column + 1)

    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        report.error(Position(path, 1, 1), f"larger than {MAX_BYTES // (1024 * 1024)} MB; is this really YAML?")
        return None
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)
    except RecursionError:
        report.error(Position(path, 1 + line_offset, 1), "nested too deeply")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        report.error(pos(mark) if mark else Position(path, 1, 1), f"invalid YAML: {shown(exc.problem or exc.context, 200)}")
        return None
    except yaml.YAMLError as exc:
        report.error(Position(path, 1, 1), f"invalid YAML: {exc}")
        return None
    if node is None:
        return Y(None, Position(path, 1 + line_offset, 1))
    constructor = yaml.SafeLoader("")
    budget = [MAX_NODES]

    def convert(node) -> Y | None:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooLarge(pos(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            try:
                value = constructor.construct_object(node, deep=True)
            except (ValueError, TypeError, yaml.YAMLError) as exc:
                report.error(pos(node.start_mark), f"invalid value '{shown(node.value)}': {_reason(exc)}")
                return None
            return Y(value, pos(node.start_mark), raw=node.value)
        if isinstance(node, yaml.SequenceNode):
            items = [convert(child) for child in node.value]
            return Y([i for i in items if i is not None], pos(node.start_mark))
        try:
            constructor.flatten_mapping(node)  # "<<" merge keys
        except yaml.YAMLError as exc:
            report.error(pos(node.start_mark), f"invalid merge: {_reason(exc)}")
            return None
        mapping: dict[str, Y] = {}
        keys: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                report.error(pos(key_node.start_mark), "a key must be a plain word")
                continue
            key = key_node.value
            if key in mapping or key in keys:
                report.error(pos(key_node.start_mark), f"duplicate key '{shown(key)}'")
                continue
            keys[key] = pos(key_node.start_mark)
            value = convert(value_node)
            if value is not None:
                mapping[key] = value
        return Y(mapping, pos(node.start_mark), keys=keys)

    try:
        return convert(node)
    except _TooLarge as exc:
        report.error(exc.args[0], f"more than {MAX_NODES} values after expanding aliases; refusing to go on")
        return None
    except RecursionError:
        report.error(Position(path, 1, 1), "nested too deeply")
        return None


class _TooLarge(Exception):
    pass


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "problem", None) or exc).strip().splitlines()[0]


# ---------------------------------------------------------------------------- field checks


class Fields:
    """Reads typed values out of one YAML mapping, reporting problems at their positions."""

    def __init__(self, y: Y, known: tuple[str, ...], report: Report, what: str):
        self.y, self.report = y, report
        self.map: dict[str, Y] = y.value if isinstance(y.value, dict) else {}
        if not isinstance(y.value, dict):
            report.error(y.pos, f"{what} must be a mapping of keys to values")
        for key, key_pos in (y.keys or {}).items():
            if key not in known:
                close = [_SYNONYMS[key]] if _SYNONYMS.get(key) in known else difflib.get_close_matches(key, known, n=1, cutoff=0.75)
                hint = f" — did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(known)})"
                report.error(key_pos, f"unknown key '{shown(key)}' in {what}{hint}")

    def has(self, key: str) -> bool:
        return key in self.map

    def pos(self, key: str) -> Position:
        return self.map[key].pos if key in self.map else self.y.pos

    def _missing(self, key: str, required: bool) -> None:
        # A key whose value was already reported as invalid is not also "missing".
        if required and key not in (self.y.keys or {}):
            self.report.error(self.y.pos, f"missing required key '{key}'")

    def string(self, key: str, required: bool = False) -> str | None:
        y = self.map.get(key)
        if y is None:
            self._missing(key, required)
            return None
        return as_string(y, key, self.report, required)

    def strings(self, key: str, split_commas: bool = False) -> tuple[str, ...]:
        y = self.map.get(key)
        if y is None:
            return ()
        if isinstance(y.value, list):
            out = [as_string(item, key, self.report) for item in y.value]
            return tuple(s for s in out if s)
        text = as_string(y, key, self.report)
        if not text:
            return ()
        parts = text.split(",") if split_commas else [text]
        return tuple(p.strip() for p in parts if p.strip())

    def integer(self, key: str, minimum: int = 0, maximum: int = 1_000_000) -> int | None:
        y = self.map.get(key)
        if y is None:
            return None
        value = y.value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):  # ASCII digits only ("²" is a digit to isdigit)
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.report.error(y.pos, f"'{key}' must be a whole number from {minimum} to {maximum}, not '{shown(y.raw)}'")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        y = self.map.get(key)
        if y is None:
            return default
        if not isinstance(y.value, bool):
            self.report.error(y.pos, f"'{key}' must be true or false, not '{shown(y.raw)}'")
            return default
        return y.value

    def date(self, key: str, required: bool = False) -> dt.date | None:
        y = self.map.get(key)
        if y is None:
            self._missing(key, required)
            return None
        value = y.value
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if not isinstance(value, dt.date):
            self.report.error(y.pos, f"'{key}' must be a date written YYYY-MM-DD, not '{shown(y.raw)}'")
            return None
        if not FIRST_DATE <= value <= LAST_DATE:
            self.report.error(y.pos, f"'{key}' must be a date from {FIRST_DATE.year} to {LAST_DATE.year} "
                              f"(what e-books, PDFs and ZIP archives can carry), not '{value.isoformat()}'")
            return None
        return value

    def language(self, key: str, required: bool = False) -> str | None:
        tag = self.string(key, required)
        if tag is not None and not i18n.is_valid_tag(tag):
            self.report.error(self.pos(key), f"'{shown(tag)}' is not a BCP 47 language tag (like en, en-GB, ar, pt-BR)")
            return None
        return tag

    def path(self, key: str, root: Path, base_dir: Path) -> Path | None:
        ref = self.string(key)
        return None if ref is None else confined(ref, self.pos(key), root, base_dir, self.report)


def as_string(y: Y, key: str, report: Report, required: bool = False) -> str | None:
    if isinstance(y.value, (dict, list)):
        report.error(y.pos, f"'{key}' must be text, not a {'mapping' if isinstance(y.value, dict) else 'list'}")
        return None
    if y.value is None:
        if required:
            report.error(y.pos, f"'{key}' must not be empty")
        return None
    # Plain scalars YAML would read as numbers, dates or booleans keep their text here.
    text = y.value if isinstance(y.value, str) else (y.raw or str(y.value))
    text = safexml.xml_text(text).strip()  # no control characters XML cannot carry
    if required and not text:
        report.error(y.pos, f"'{key}' must not be empty")
    limit = MAX_TEXT if key in LONG_KEYS else MAX_LINE
    if len(text) > limit:
        report.error(y.pos, f"'{key}' is {len(text):,} characters long; at most {limit:,} are taken")
        return None
    return text or None


def shown(raw: str | None, limit: int = 60) -> str:
    """A value as a one-line message quotes it: control characters escaped, cut at ``limit``."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in (raw or "")[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def confined(ref: str, position: Position, root: Path, base_dir: Path, report: Report) -> Path | None:
    try:
        return confine.resolve(root, base_dir, ref, url=False)  # a file path: "%41.md" is not "A.md"
    except confine.Refused as exc:
        report.error(position, shown(str(exc), 300))  # the path as written: on one line
        return None


def article_fields(y: Y, report: Report, root: Path, base_dir: Path, extra: tuple[str, ...] = ()) -> dict:
    """The article keys of one mapping (front matter, ``<meta>`` or manifest entry), normalized.

    Only keys present are returned, so that later sources override earlier ones key by key.
    """
    f = Fields(y, ARTICLE_KEYS + extra, report, "article")
    out: dict[str, Any] = {}
    for key in ("title", "kicker", "summary"):
        if f.has(key):
            out[key] = f.string(key)
    for key in ("standfirst", "deck"):
        if f.has(key):
            out["standfirst"] = f.string(key)
    for key in ("byline", "authors"):
        if f.has(key):
            out["byline"] = f.strings(key)
    if f.has("tags"):
        out["tags"] = f.strings("tags", split_commas=True)
    if f.has("date"):
        out["date"] = f.date("date")
    if f.has("lang"):
        out["lang"] = f.language("lang")
    if f.has("dir"):
        direction = f.string("dir")
        if direction not in ("ltr", "rtl"):
            report.error(f.pos("dir"), f"'dir' must be ltr or rtl, not '{shown(direction)}'")
        else:
            out["dir"] = direction
    if f.has("reading_time"):
        out["reading_time"] = f.integer("reading_time", 1, 10_000)
    if f.has("image"):
        out["image"] = _lead_image(f.map["image"], report, root, base_dir)
    return out


def _lead_image(y: Y, report: Report, root: Path, base_dir: Path) -> LeadImage | None:
    if isinstance(y.value, str):  # "image: photo.jpg" is the short form
        y = Y({"src": y}, y.pos, keys={"src": y.pos})
    f = Fields(y, IMAGE_KEYS, report, "image")
    src = f.path("src", root, base_dir) if f.has("src") else None
    if not f.has("src"):
        report.error(y.pos, "an image needs 'src'")
    if src is None:
        return None
    alt = f.string("alt")
    if alt is None and f.has("alt"):
        alt = ""  # alt: "" (or alt: with nothing) says the picture is decorative
    return LeadImage(src, alt, f.string("caption"), f.string("credit"), f.pos("src"))


# ---------------------------------------------------------------------------- issue.yaml



class ArticleFormats(Protocol):
    """What the manifest asks of the read stage's readers (masthead.content.readers.registry,
    which the pipeline hands in): whether some reader reads a file, and how to say none does.
    Without it every file is taken here, and the read stage says the same at the same place."""

    def accepts(self, path: Path) -> bool: ...

    def unsupported(self, shown_ref: str) -> str: ...


def load(manifest_path: Path, formats: ArticleFormats | None = None) -> Manifest:
    """Read and validate ``issue.yaml``; raise IssueError with every problem found."""
    report = Report()
    manifest_path, root = _issue_root(manifest_path)
    try:
        raw = confine.read_input(manifest_path, MAX_BYTES, follow=False)
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise IssueError([Diagnostic(Position(manifest_path, line, col), "not UTF-8 text; save the file as UTF-8")]) from None
    except OSError as exc:
        raise IssueError([_diag(manifest_path, f"cannot read: {exc.strerror}")]) from None
    y = parse_yaml(text, manifest_path, report)
    if y is None or y.value is None:
        if y is not None:
            report.error(Position(manifest_path, 1, 1), "the manifest is empty")
        report.raise_if_errors()
    f = Fields(y, ISSUE_KEYS, report, "issue.yaml")
    if not isinstance(y.value, dict):
        report.raise_if_errors()

    language = f.language("language", required=True) or "en"
    publication = f.string("publication", required=True) or ""
    date = f.date("date", required=True) or dt.date(1970, 1, 1)
    number = f.integer("number", 0, 1_000_000)
    issn = f.string("issn")
    if issn is not None and not valid_issn(issn):
        report.error(f.pos("issn"), f"'{shown(issn)}' is not a valid ISSN (NNNN-NNNC with a correct check digit)")
    cover = f.path("cover", root, root)  # typed by its content, not its suffix: render._cover
    identifier = f.string("identifier") or _default_identifier(publication, date, number)

    meta = IssueMeta(
        root=root, manifest_path=manifest_path, slug=root.name, publication=publication, date=date,
        language=language, direction=i18n.direction_of(language), title=f.string("title"),
        number=number, volume=f.integer("volume", 0, 1_000_000), issn=issn,
        publisher=f.string("publisher"), rights=f.string("rights"), description=f.string("description"),
        editors=f.strings("editors"), subjects=f.strings("subjects"), identifier=identifier,
        cover=cover, cover_position=f.pos("cover") if f.has("cover") else None,
        cover_lines=f.strings("cover_lines"),
        theme=f.string("theme") or "default", theme_position=f.pos("theme") if f.has("theme") else None,
        epub=_epub_options(f, report), pdf=_pdf_options(f, report),
    )
    sections = _sections(f, report, root, formats)
    seen: set[Path] = set()
    for entry in (e for s in sections for e in s.entries):
        if entry.file in seen:
            report.error(entry.position, f"'{entry.file.name}' is listed twice")
        seen.add(entry.file)
    report.raise_if_errors()
    return Manifest(meta, sections)


def _issue_root(manifest_path: Path) -> tuple[Path, Path]:
    """issue.yaml resolved, and the issue's folder: the one that holds issue.yaml. A link as
    issue.yaml may name a file beside it, never one elsewhere, which would make its folder,
    and all that is in it, the issue."""
    given = manifest_path.absolute()
    try:
        resolved, folder = manifest_path.resolve(), given.parent.resolve()
    except RuntimeError:  # a loop of links (Python 3.11)
        raise IssueError([_diag(given, "a link that leads nowhere (a loop of links)")]) from None
    except OSError as exc:
        raise IssueError([_diag(given, f"cannot read: {exc.strerror}")]) from None
    if not confine.utf8_name(folder):
        raise IssueError([_diag(given, "the issue's folder has a name that is not UTF-8 (a byte that is no "
                                       "character); rename the folder")])
    if resolved.parent != folder:
        raise IssueError([_diag(given, "a link to a file in another folder: the issue is the folder that holds "
                                       "issue.yaml, so keep the file there (a link to a file beside it is fine)")])
    return resolved, folder


def _diag(path: Path, message: str) -> Diagnostic:
    return Diagnostic(Position(path, 1, 1), message)


def valid_issn(issn: str) -> bool:
    match = re.fullmatch(r"([0-9]{4})-?([0-9]{3})([0-9Xx])", issn.strip())
    if not match:
        return False
    digits = match.group(1) + match.group(2)
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1)))
    check = (11 - total % 11) % 11
    return match.group(3).upper() == ("X" if check == 10 else str(check))


def _default_identifier(publication: str, date: dt.date, number: int | None) -> str:
    # Stable: the same publication, date and number give the same identifier on every build.
    name = f"masthead:{publication}|{date.isoformat()}|{'' if number is None else number}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _epub_options(f: Fields, report: Report) -> EpubOptions:
    if not f.has("epub"):
        return EpubOptions()
    o = Fields(f.map["epub"], EPUB_KEYS, report, "epub options")
    page_list = "auto"
    if o.has("page_list"):
        value = o.map["page_list"].value
        page_list = "auto" if value == "auto" else str(o.boolean("page_list", True)).lower()
    return EpubOptions(
        embed_fonts=o.boolean("embed_fonts", True), page_list=page_list,
        image_max_size=o.integer("image_max_size", 100, 10_000) or 1600,
        image_quality=o.integer("image_quality", 10, 100) or 80,
        accessibility_summary=o.string("accessibility_summary"), certified_by=o.string("certified_by"),
        certifier_credential=o.string("certifier_credential"), certifier_report=_web_address(o, "certifier_report", report),
    )


def _web_address(o: Fields, key: str, report: Report) -> str | None:
    """An http(s) URL, well formed (EPUBCheck refuses the book over anything else)."""
    url = o.string(key)
    if url is not None and not (re.match(r"https?://", url, re.I) and urls.safe_external_url(url)):
        report.error(o.pos(key), f"'{key}' must be a web address (https://…), not '{shown(url)}'")
        return None
    return url


def _pdf_options(f: Fields, report: Report) -> PdfOptions:
    if not f.has("pdf"):
        return PdfOptions()
    o = Fields(f.map["pdf"], PDF_KEYS, report, "pdf options")
    page_size = o.string("page_size") or "A4"
    named = {s.lower(): s for s in PAGE_SIZES}
    if page_size.lower() in named:
        page_size = named[page_size.lower()]
    elif not re.fullmatch(rf"{_LENGTH} {_LENGTH}", page_size):
        report.error(o.pos("page_size"), f"page_size must be one of {', '.join(PAGE_SIZES)} or 'WIDTH HEIGHT' (like '170mm 240mm'), not '{shown(page_size)}'")
    elif any(re.fullmatch(r"0+(?:\.0*)?[a-z]*", length) for length in page_size.split()):
        report.error(o.pos("page_size"), f"a page has a width and a height: '{shown(page_size)}' makes one of them 0")
    elif min(sides := page_mm(page_size)) < MIN_PAGE_MM:  # a print image of 0 pixels, a column of no width
        report.error(o.pos("page_size"), f"'{page_size}' is {' × '.join(f'{side:.3g}' for side in sides)} mm: "
                     f"a page needs at least {MIN_PAGE_MM} mm each way for its margins and a column of text")
    margins = o.string("margins")
    if margins is not None and not re.fullmatch(rf"{_LENGTH}( {_LENGTH}){{0,3}}", margins):
        report.error(o.pos("margins"), f"margins must be one to four lengths like '18mm 15mm', not '{shown(margins)}'")
    elif margins is not None and not any(d.position == o.pos("page_size") for d in report.errors):
        _check_margins(margins, page_size, o.pos("margins"), report)
    bleed = o.string("bleed")
    if bleed is not None and not re.fullmatch(_LENGTH, bleed):
        report.error(o.pos("bleed"), f"bleed must be a length like '3mm', not '{shown(bleed)}'")
    variant = o.string("variant")
    if variant is not None and variant.lower() not in PDF_VARIANTS:
        report.error(o.pos("variant"), f"unknown PDF variant '{shown(variant)}' (one of {', '.join(PDF_VARIANTS)})")
    return PdfOptions(
        page_size=page_size, margins=margins, bleed=bleed, crop_marks=o.boolean("crop_marks", False),
        columns=o.integer("columns", 1, 3) or 2, variant=variant.lower() if variant else None,
        image_quality=o.integer("image_quality", 10, 100) or 90,
    )


def _check_margins(margins: str, page_size: str, position: Position, report: Report) -> None:
    """The margins must leave MIN_TEXT_MM of the page each way (CSS's one to four sides)."""
    sides = [length_mm(length) for length in margins.split()]
    top, right, bottom, left = (sides * 4)[:4] if len(sides) == 1 else (
        sides * 2 if len(sides) == 2 else sides + [sides[1]] if len(sides) == 3 else sides)
    width, height = page_mm(page_size)
    across, down = width - left - right, height - top - bottom
    if min(across, down) < MIN_TEXT_MM:
        report.error(position, f"margins '{margins}' leave {across:.3g} × {down:.3g} mm of the {width:.3g} × {height:.3g} mm "
                     f"page; a page needs at least {MIN_TEXT_MM} mm each way for its text")


def _sections(f: Fields, report: Report, root: Path, formats: ArticleFormats | None) -> tuple[SectionEntry, ...]:
    if f.has("sections") and f.has("articles"):
        later = max(("sections", "articles"), key=lambda k: (f.y.keys[k].line, f.y.keys[k].col))
        report.error(f.y.keys[later], "give either 'sections' or 'articles', not both")
        return ()
    if not f.has("sections") and not f.has("articles"):
        report.error(f.y.pos, "the manifest needs either 'sections' or 'articles' (one of the two)")
        return ()
    if f.has("articles"):
        y = f.map["articles"]
        return (SectionEntry(None, _entries(y, report, root, formats), y.pos),)
    y = f.map["sections"]
    if not isinstance(y.value, list) or not y.value:
        report.error(y.pos, "'sections' must be a list of {title, articles}")
        return ()
    sections = []
    for item in y.value:
        s = Fields(item, ("title", "articles"), report, "section")
        if not s.has("articles"):
            report.error(item.pos, "a section needs 'articles'")
            continue
        sections.append(SectionEntry(s.string("title"), _entries(s.map["articles"], report, root, formats), item.pos))
    return tuple(sections)


def _entries(y: Y, report: Report, root: Path, formats: ArticleFormats | None) -> tuple[ArticleEntry, ...]:
    if not isinstance(y.value, list) or not y.value:
        report.error(y.pos, "'articles' must be a list of article files")
        return ()
    entries = []
    for item in y.value:
        if isinstance(item.value, dict):
            overrides = article_fields(item, report, root, root, extra=("file",))
            if "file" not in item.value:
                report.error(item.pos, "an article entry needs 'file'")
                continue
            ref = as_string(item.value["file"], "file", report, required=True)
            file_pos = item.value["file"].pos
        else:
            ref = as_string(item, "article", report, required=True)
            file_pos, overrides = item.pos, {}
        path = confined(ref, file_pos, root, root, report) if ref else None
        if path is None:
            continue
        if formats is not None and not formats.accepts(path):  # a file some reader reads
            report.error(file_pos, formats.unsupported(shown(ref)))
            continue
        entries.append(ArticleEntry(path, overrides, file_pos))
    return tuple(entries)
