"""issue.yaml → :class:`~masthead.model.issue.Manifest`, every error with its line and column.

YAML is composed into nodes (which carry their marks) and constructed here node by node with
PyYAML's *safe* constructor, so that a bad value ("2025-13-45") is reported where it stands,
all problems are reported at once, and alias expansion is bounded ("billion laughs").
The same machinery validates article keys from Markdown front matter and HTML ``<meta>``.

Which keys there are, what each takes and its default are declared in
:mod:`masthead.model.schema`; here each kind of value has its reader (``_READERS``) and
each further check its function (``_CHECKS``), with the messages users see. The schema is read
when a manifest is loaded (``schema.SCHEMA``), so a test may put a copy with one more key there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from masthead.diagnostics import Diagnostic, IssueError, Position, Report
from masthead.model import schema
from masthead.model.issue import (
    AdvertEntry,
    ArticleEntry,
    EpubOptions,
    IssueMeta,
    LeadImage,
    Manifest,
    PdfOptions,
    SectionEntry,
    Translation,
    length_mm,
    page_mm,
)
from masthead.model.schema import SCHEMA, Key, Table
from masthead.runtime import confine, i18n, icc, safexml, urls

MAX_NODES = 50_000  # values after alias expansion; a real manifest has a few hundred
MAX_BYTES = 4 * 1024 * 1024

# The key names, limits and choices, as the schema declares them (named here for other modules).
ISSUE_KEYS = SCHEMA.names("issue")
ARTICLE_KEYS = SCHEMA.names("article")
IMAGE_KEYS = SCHEMA.names("image")
EPUB_KEYS = SCHEMA.names("epub")
PDF_KEYS = SCHEMA.names("pdf")
PDF_VARIANTS = schema.PDF_VARIANTS
PAGE_SIZES = tuple(schema.NAMED_PAGE_MM)
MIN_PAGE_MM, MIN_TEXT_MM = schema.MIN_PAGE_MM, schema.MIN_TEXT_MM
FIRST_DATE, LAST_DATE = schema.FIRST_DATE, schema.LAST_DATE
MAX_LINE, MAX_TEXT = schema.MAX_LINE, schema.MAX_TEXT
LONG_KEYS = SCHEMA.long_keys()
# What people coming from other tools write, and what masthead calls it.
_SYNONYMS = SCHEMA.synonyms()
_LENGTH = schema.LENGTH


@dataclass(frozen=True)
class Y:
    """A YAML value with its position: a scalar, a list of Y, or a dict of str → Y."""

    value: Any
    pos: Position
    raw: str | None = None  # a scalar's source text: "no" stays "no" where a string is wanted
    keys: dict[str, Position] | None = None  # for mappings: where each key stands


# ---------------------------------------------------------------------------- YAML → Y


# libyaml's parser when PyYAML was built with it: much faster than the pure-Python one (see
# bench/README.md), the same nodes and marks, and nesting capped at 1,000 levels.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:  # whatever the YAML holds
    """Plain data from trusted YAML (a theme's): no positions, no custom tags."""
    return yaml.load(text, Loader=SAFE_LOADER)


def parse_yaml(text: str, path: Path, report: Report, line_offset: int = 0) -> Y | None:
    """Safe-load ``text`` into :class:`Y` values; problems go to ``report``, None on failure."""
    def pos(mark: yaml.Mark) -> Position:
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

    def convert(node: yaml.Node) -> Y | None:
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
        if not isinstance(node, yaml.MappingNode):  # the composer makes no other kind
            raise TypeError(f"a YAML node of an unknown kind: {type(node).__name__}")
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
            with contextlib.suppress(ValueError):
                value = dt.date.fromisoformat(value.strip())
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

    def path(self, key: str, root: Path, base_dir: Path, required: bool = False) -> Path | None:
        ref = self.string(key, required)
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
    if not visible(text):  # only spaces and invisible characters (U+200B, U+FEFF, U+2066 …): empty
        text = ""
    if required and not text:
        report.error(y.pos, f"'{key}' must not be empty")
    limit = MAX_TEXT if key in LONG_KEYS else MAX_LINE
    if len(text) > limit:
        report.error(y.pos, f"'{key}' is {len(text):,} characters long; at most {limit:,} are taken")
        return None
    return text or None


# Characters that show nothing although Unicode does not count them as spaces or format
# characters (category Cf, taken whole): the Hangul fillers, the combining grapheme joiner,
# the Braille blank, the Khmer inherent vowels, the Mongolian vowel separator's neighbours.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
                       "\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c"
                       "\ufe0d\ufe0e\ufe0f")


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: a character that is no space, no format character
    (Unicode's Cf: U+200B, U+FEFF, U+00AD, bidi controls …) and none of :data:`_INVISIBLE`."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Zs", "Zl", "Zp", "Cc")
               and c not in _INVISIBLE for c in text)


def shown(raw: str | None, limit: int = 60) -> str:
    """A value as a one-line message quotes it: control characters escaped, cut at ``limit``."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in (raw or "")[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def confined(ref: str, position: Position, root: Path, base_dir: Path, report: Report,
             folder: str = "the issue folder") -> Path | None:
    try:
        return confine.resolve(root, base_dir, ref, url=False, folder=folder)  # a file path: "%41.md" is not "A.md"
    except confine.Refused as exc:
        report.error(position, shown(str(exc), 300))  # the path as written: on one line
        return None


# ---------------------------------------------------------------------------- keys, as declared


@dataclass
class _Context:
    """What a key's reader may need besides its mapping: where paths start, the values so far."""

    root: Path
    base_dir: Path
    values: dict[str, Any]


_SKIP = object()  # an invalid choice: left out of an article's keys, not set to None


def read_key(f: Fields, key: Key, root: Path, base_dir: Path, values: dict[str, Any] | None = None) -> Any:
    """``key``'s value in ``f``, checked as its declaration says (kind, range, choices, check);
    the declared default when it is absent or invalid, the problem reported at its place."""
    reader = _CHECKS[key.check] if key.check else _READERS[key.kind]
    value = reader(f, key, _Context(root, base_dir, {} if values is None else values))
    return key.default if value is None else value


def read_table(f: Fields, table: str, root: Path, base_dir: Path) -> dict[str, Any]:
    """The stored keys of ``table`` read from ``f``, in declared order: values by their kind,
    option mappings as the record :data:`RECORDS` names for their table. The keys that hold
    articles (sections, articles, image) are the callers' to read."""
    values: dict[str, Any] = {}
    for key in schema.SCHEMA.keys(table):
        if not key.stored or key.kind in ("sections", "articles", "image"):
            continue
        if key.kind == "mapping":
            values[key.name] = _options(f, key, root)
        else:
            values[key.name] = read_key(f, key, root, base_dir, values)
    return values


# The record each option mapping is read into (its fields are its table's keys: tests/test_schema.py).
RECORDS: dict[str, Callable[..., Any]] = {"epub": EpubOptions, "pdf": PdfOptions}


def _options(f: Fields, key: Key, root: Path) -> Any:
    record = RECORDS[key.name]
    if not f.has(key.name):
        return record()
    table = schema.SCHEMA.table(key.table or key.name)
    o = Fields(f.map[key.name], schema.SCHEMA.names(table.name), f.report, table.what)
    return record(**read_table(o, table.name, root, root))


def _choice(f: Fields, key: Key, where: _Context) -> Any:
    if not f.has(key.name):
        return None
    value = f.string(key.name)
    choices = [str(c) for c in key.choices]
    if value not in choices:
        f.report.error(f.pos(key.name), f"'{key.name}' must be {_either(choices)}, not '{shown(value)}'")
        return _SKIP
    return value


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _roles(f: Fields, key: Key, where: _Context) -> Any:
    """A mapping of names (a Word paragraph style's) to one of the key's choices each; each
    unknown role an error at its value, a "did you mean" when one is close."""
    y = f.map.get(key.name)
    if y is None or y.value is None:
        return None
    choices = [str(c) for c in key.choices]
    if not isinstance(y.value, dict):
        f.report.error(y.pos, f"'{key.name}' must be a mapping of style names to what each is "
                              f"(Standfirst: standfirst), not '{shown(y.raw)}'")
        return _SKIP
    roles: dict[str, str] = {}
    for name, value in y.value.items():
        role = as_string(value, key.name, f.report)
        if role is None:
            continue
        if role not in choices:
            close = difflib.get_close_matches(role.lower(), choices, n=1, cutoff=0.6)
            hint = f" — did you mean '{close[0]}'?" if close else f" (one of {', '.join(choices)})"
            f.report.error(value.pos, f"'{shown(role)}' is no role for the style '{shown(name)}'{hint}")
            continue
        roles[name] = role
    return roles or _SKIP


def _translations(f: Fields, key: Key, where: _Context) -> tuple[Translation, ...] | None:
    """``{fr: articles/x.fr.md, …}``: each tag well formed and named once, each file as ``file:``'s."""
    y = f.map.get(key.name)
    if y is None:
        return None
    if not isinstance(y.value, dict) or not y.value:
        f.report.error(y.pos, f"'{key.name}' must be a mapping of languages to files, like {{fr: articles/x.fr.md}}")
        return None
    out: dict[str, Translation] = {}
    for tag, value in y.value.items():
        at = (y.keys or {}).get(tag, value.pos)
        if not i18n.is_valid_tag(tag):
            f.report.error(at, f"'{shown(tag)}' is not a BCP 47 language tag (like en, en-GB, ar, pt-BR)")
            continue
        lang = i18n.canonical_tag(tag)
        if lang in out:
            f.report.error(at, f"a second translation into '{lang}': give one file per language")
            continue
        ref = as_string(value, tag, f.report, required=True)
        path = confined(ref, value.pos, where.root, where.base_dir, f.report) if ref else None
        if path is not None:
            out[lang] = Translation(lang, path, value.pos)
    return tuple(out.values())


_READERS: dict[str, Callable[[Fields, Key, _Context], Any]] = {
    "text": lambda f, key, where: f.string(key.name, key.required),
    "texts": lambda f, key, where: f.strings(key.name, key.split_commas),
    "integer": lambda f, key, where: f.integer(key.name, *(() if key.minimum is None or key.maximum is None
                                                            else (key.minimum, key.maximum))),
    "boolean": lambda f, key, where: f.boolean(key.name, key.default),
    "date": lambda f, key, where: f.date(key.name, key.required),
    "language": lambda f, key, where: f.language(key.name, key.required),
    "path": lambda f, key, where: f.path(key.name, where.root, where.base_dir, key.required),
    "choice": _choice,
    "roles": _roles,
    "translations": _translations,
}


def _issn(f: Fields, key: Key, where: _Context) -> str | None:
    issn = f.string(key.name)
    if issn is not None and not valid_issn(issn):
        f.report.error(f.pos(key.name), f"'{shown(issn)}' is not a valid ISSN (NNNN-NNNC with a correct check digit)")
    return issn


def _web_address(f: Fields, key: Key, where: _Context) -> str | None:
    """An http(s) URL, well formed (EPUBCheck refuses the book over anything else)."""
    url = f.string(key.name)
    if url is not None and not (re.match(key.pattern or "", url, re.I) and urls.safe_external_url(url)):
        f.report.error(f.pos(key.name), f"'{key.name}' must be a web address (https://…), not '{shown(url)}'")
        return None
    return url


def _page_list(f: Fields, key: Key, where: _Context) -> str | None:
    if not f.has(key.name):
        return None
    return "auto" if f.map[key.name].value == "auto" else str(f.boolean(key.name, True)).lower()


def _page_size(f: Fields, key: Key, where: _Context) -> str:
    page_size = f.string(key.name) or key.default
    named = {str(s).lower(): str(s) for s in key.choices}
    at = f.pos(key.name)
    if page_size.lower() in named:
        page_size = named[page_size.lower()]
    elif not re.fullmatch(key.pattern or "", page_size):
        f.report.error(at, f"{key.name} must be one of {', '.join(named.values())} or 'WIDTH HEIGHT' "
                           f"(like '170mm 240mm'), not '{shown(page_size)}'")
    elif any(re.fullmatch(r"0+(?:\.0*)?[a-z]*", length) for length in page_size.split()):
        f.report.error(at, f"a page has a width and a height: '{shown(page_size)}' makes one of them 0")
    elif min(sides := page_mm(page_size)) < MIN_PAGE_MM:  # a print image of 0 pixels, a column of no width
        f.report.error(at, f"'{page_size}' is {' × '.join(f'{side:.3g}' for side in sides)} mm: "
                       f"a page needs at least {MIN_PAGE_MM} mm each way for its margins and a column of text")
    return page_size


def _margins(f: Fields, key: Key, where: _Context) -> str | None:
    margins = f.string(key.name)
    if margins is not None and not re.fullmatch(key.pattern or "", margins):
        f.report.error(f.pos(key.name), f"margins must be one to four lengths like '18mm 15mm', not '{shown(margins)}'")
    elif margins is not None and not any(d.position == f.pos("page_size") for d in f.report.errors):
        _check_margins(margins, where.values["page_size"], f.pos(key.name), f.report)
    return margins


def _length(f: Fields, key: Key, where: _Context) -> str | None:
    length = f.string(key.name)
    if length is not None and not re.fullmatch(key.pattern or "", length):
        f.report.error(f.pos(key.name), f"{key.name} must be a length like '3mm', not '{shown(length)}'")
    return length


def _pdf_variant(f: Fields, key: Key, where: _Context) -> str | None:
    variant = f.string(key.name)
    choices = [str(c) for c in key.choices]
    if variant is not None and variant.lower() not in choices:
        f.report.error(f.pos(key.name), f"unknown PDF variant '{shown(variant)}' (one of {', '.join(choices)})")
    return variant.lower() if variant else None


def _output_intent(f: Fields, key: Key, where: _Context) -> Path | None:
    """A CMYK ICC output profile in the issue folder (or, named in publication.yaml, in the
    publication's folder, where the key is written: as a theme's, render/theme.py
    ``theme_root``); and the keys a CMYK job must agree with (``color`` and ``variant`` come
    before it)."""
    root, base_dir = where.root, where.base_dir
    written_in = f.pos(key.name).path if f.has(key.name) else None
    folder = "the issue folder"
    if written_in is not None and written_in.name == PUBLICATION_FILE and written_in.parent == where.root.parent:
        root = base_dir = where.root.parent  # and confined to it
        folder = "the publication folder"
    ref = f.string(key.name)
    path = None if ref is None else confined(ref, f.pos(key.name), root, base_dir, f.report, folder)
    cmyk = where.values.get("color") == "cmyk"
    if f.has(key.name) and not cmyk:
        f.report.error(f.pos(key.name), f"'{key.name}' is the press's profile for a CMYK print edition: "
                                        "add 'color: cmyk', or leave it out")
    variant = where.values.get("variant")
    if cmyk and variant and not variant.startswith("pdf/x"):
        f.report.error(f.pos("variant"), f"a CMYK print edition is written as PDF/X (pdf/x-1a, pdf/x-3, pdf/x-4 or "
                                         f"pdf/x-5g), not {variant}")
    if path is None:
        return None
    try:
        icc.check_output_profile(confine.read_input(path, icc.PROFILE_LIMIT))
    except OSError as exc:
        f.report.error(f.pos(key.name), f"{key.name}: cannot read '{shown(f.string(key.name))}': "
                                        f"{exc.strerror or exc}")
        return None
    except icc.NotAnOutputProfile as exc:
        f.report.error(f.pos(key.name), f"{key.name}: '{shown(f.string(key.name))}' is {exc}")
        return None
    return path


def _advert_link(f: Fields, key: Key, where: _Context) -> str | None:
    """Where an advert leads: http(s) or mailto, well formed; ``javascript:`` or anything else refused."""
    url = f.string(key.name)
    if url is not None and not (re.fullmatch(key.pattern or "", url, re.S) and urls.safe_external_url(url)):
        f.report.error(f.pos(key.name), f"'{key.name}' must be a web address (https://…) or a mailto: address, "
                                        f"not '{shown(url)}'")
        return None
    return url


# Checks beyond a key's kind, named by its declaration's ``check``.
_CHECKS: dict[str, Callable[[Fields, Key, _Context], Any]] = {
    "advert_link": _advert_link, "issn": _issn, "web_address": _web_address, "page_list": _page_list, "page_size": _page_size,
    "margins": _margins, "length": _length, "pdf_variant": _pdf_variant, "output_intent": _output_intent,
}


# ---------------------------------------------------------------------------- articles


def article_fields(y: Y, report: Report, root: Path, base_dir: Path, table: str = "article") -> dict[str, Any]:
    """The article keys of one mapping (front matter, ``<meta>`` or manifest entry), normalized:
    an alias is stored as the key it stands for (deck as standfirst).

    Only keys present are returned, so that later sources override earlier ones key by key.
    ``table`` is "entry" for a manifest entry, which also takes ``file`` (its caller's to read).
    """
    f = Fields(y, schema.SCHEMA.names(table), report, schema.SCHEMA.table(table).what)
    out: dict[str, Any] = {}
    for key in schema.SCHEMA.keys(table):
        if key.name == "file" or not f.has(key.name):  # an entry's file: its caller reads it
            continue
        value = _lead_image(f.map[key.name], report, root, base_dir) if key.kind == "image" else read_key(f, key, root, base_dir)
        if value is not _SKIP:
            out[key.alias_of or key.name] = value
    return out


def _lead_image(y: Y, report: Report, root: Path, base_dir: Path) -> LeadImage | None:
    if isinstance(y.value, str):  # "image: photo.jpg" is the short form
        y = Y({"src": y}, y.pos, keys={"src": y.pos})
    f = Fields(y, schema.SCHEMA.names("image"), report, schema.SCHEMA.table("image").what)
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
    y = _read_yaml(manifest_path, report, "the manifest")
    shared_path = publication_file(root)
    if shared_path is not None:  # the publication's settings, which the issue's own override
        shared = _read_yaml(shared_path, report, "publication.yaml")
        _publication_fields(shared, report)
        report.raise_if_errors()
        y = inherit(shared, y)
    issue = schema.SCHEMA.table(schema.SCHEMA.root)
    f = Fields(y, schema.SCHEMA.names(issue.name), report, issue.what)
    if not isinstance(y.value, dict):
        report.raise_if_errors()

    values = read_table(f, issue.name, root, root)
    # Stand-ins for required values that were missing or wrong (reported), so that checking goes on.
    language = values["language"] = values["language"] or "en"
    values["publication"] = values["publication"] or ""
    values["date"] = values["date"] or dt.date(1970, 1, 1)
    values["identifier"] = values["identifier"] or _default_identifier(values["publication"], values["date"], values["number"])
    meta = IssueMeta(
        root=root, manifest_path=manifest_path, slug=root.name, direction=i18n.direction_of(language),
        cover_position=f.pos("cover") if f.has("cover") else None,
        theme_position=f.pos("theme") if f.has("theme") else None, **values,
    )
    sections = _sections(f, report, root, issue, formats)
    adverts = _adverts(f, report, root)
    seen: set[Path] = set()
    for entry in (e for s in sections for e in s.entries):
        if entry.file in seen:
            report.error(entry.position, f"'{entry.file.name}' is listed twice")
        seen.add(entry.file)
    for entry in (e for s in sections for e in s.entries):
        for translation in entry.translations:
            if translation.lang.lower() == language.lower():
                report.error(translation.position, f"'{translation.lang}' is the issue's own language: a translation "
                             "is into another language")
            elif translation.file in seen:
                report.error(translation.position, f"'{translation.file.name}' is listed twice (an article "
                             "or a translation already)")
            seen.add(translation.file)
    report.raise_if_errors()
    return Manifest(meta, sections, adverts)


def _read_yaml(path: Path, report: Report, what: str) -> Y:
    """A YAML file of the issue (or its publication) as :class:`Y`; IssueError when it cannot be."""
    try:
        raw = confine.read_input(path, MAX_BYTES, follow=False)
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise IssueError([Diagnostic(Position(path, line, col), "not UTF-8 text; save the file as UTF-8")]) from None
    except OSError as exc:
        raise IssueError([_diag(path, f"cannot read: {exc.strerror}")]) from None
    y = parse_yaml(text, path, report)
    if y is None or y.value is None:
        if y is not None:
            report.error(Position(path, 1, 1), f"{what} is empty")
        raise IssueError(report.errors)  # parse_yaml reported why when it gave None
    return y


# ---------------------------------------------------------------------------- publication.yaml

PUBLICATION_FILE = "publication.yaml"


def publication_file(root: Path) -> Path | None:
    """The publication.yaml of the issue in folder ``root``: the one in the folder that holds
    the issue's folder (never one further up), or None. It is the one file outside the issue
    folder that a build reads; a link there is refused when it is read (docs/security.md)."""
    candidate = root.parent / PUBLICATION_FILE
    return candidate if candidate.is_file() or candidate.is_symlink() else None


def _publication_fields(y: Y, report: Report) -> Fields:
    """publication.yaml's keys checked by name: the shared issue keys and the publication's own."""
    table = schema.SCHEMA.table("publication")
    return Fields(y, (*table.shares, *schema.SCHEMA.names(table.name)), report, table.what)


def inherit(shared: Y, own: Y) -> Y:
    """``own`` (issue.yaml) over ``shared`` (publication.yaml's issue keys): a key the issue gives
    wins; a mapping both give (``epub:``, ``pdf:``) is merged key by key. Every value keeps the
    position where it stands, in whichever file that is."""
    if not isinstance(shared.value, dict) or not isinstance(own.value, dict):
        return own
    return _merged(shared, own, schema.SCHEMA.table("publication").shares)


def _merged(shared: Y, own: Y, names: tuple[str, ...] | None) -> Y:
    mapping: dict[str, Y] = {}
    keys: dict[str, Position] = {}
    for name, value in shared.value.items():
        if names is None or name in names:
            mapping[name], keys[name] = value, (shared.keys or {}).get(name, value.pos)
    for name, key_pos in (own.keys or {}).items():
        keys[name] = key_pos
        value = own.value.get(name)
        if value is None:  # an invalid value, reported: not the publication's either
            mapping.pop(name, None)
        elif name in mapping and isinstance(value.value, dict) and isinstance(mapping[name].value, dict):
            mapping[name] = _merged(mapping[name], value, None)
        else:
            mapping[name] = value
    return Y(mapping, own.pos, keys=keys)


def load_publication(folder: Path) -> dict[str, Any]:
    """publication.yaml in ``folder``, checked: its shared issue keys as an issue would read them
    (the publication's name, language …) and its own keys; IssueError with every problem."""
    report = Report()
    path = folder / PUBLICATION_FILE
    y = _read_yaml(path, report, "publication.yaml")
    f = _publication_fields(y, report)
    report.raise_if_errors()
    values = {name: read_key(f, schema.SCHEMA.key(schema.SCHEMA.root, name), folder, folder)
              for name in ("publication", "language", "issn", "publisher", "rights", "description")}
    values.update(read_table(f, "publication", folder, folder))
    report.raise_if_errors()
    return values


def sources(manifest_path: Path) -> dict[str, Position | None]:
    """Where each key of the issue's effective settings stands (issue.yaml or publication.yaml),
    ``pdf.page_size`` for an option; None for a key given nowhere (its default holds)."""
    report = Report()
    manifest_path, root = _issue_root(manifest_path)
    y = _read_yaml(manifest_path, report, "the manifest")
    shared_path = publication_file(root)
    if shared_path is not None:
        y = inherit(_read_yaml(shared_path, report, "publication.yaml"), y)
    given = y.value if isinstance(y.value, dict) else {}
    keys = y.keys or {}
    out: dict[str, Position | None] = {}
    for key in schema.SCHEMA.keys(schema.SCHEMA.root):
        if key.kind == "mapping":
            options = given.get(key.name)
            inner = options.keys or {} if options is not None and isinstance(options.value, dict) else {}
            for sub in schema.SCHEMA.names(key.table or key.name):
                out[f"{key.name}.{sub}"] = inner.get(sub)
        elif key.name not in ("sections", "articles"):
            out[key.name] = keys.get(key.name)
    return out


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
    match = re.fullmatch(schema.ISSN, issn.strip())
    if not match:
        return False
    digits = match.group(1) + match.group(2)
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return match.group(3).upper() == ("X" if check == 10 else str(check))


def _default_identifier(publication: str, date: dt.date, number: int | None) -> str:
    # Stable: the same publication, date and number give the same identifier on every build.
    name = f"masthead:{publication}|{date.isoformat()}|{'' if number is None else number}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _check_margins(margins: str, page_size: str, position: Position, report: Report) -> None:
    """The margins must leave MIN_TEXT_MM of the page each way (CSS's one to four sides)."""
    sides = [length_mm(length) for length in margins.split()]
    top, right, bottom, left = (sides * 4)[:4] if len(sides) == 1 else (
        sides * 2 if len(sides) == 2 else [*sides, sides[1]] if len(sides) == 3 else sides)
    width, height = page_mm(page_size)
    across, down = width - left - right, height - top - bottom
    if min(across, down) < MIN_TEXT_MM:
        report.error(position, f"margins '{margins}' leave {across:.3g} × {down:.3g} mm of the {width:.3g} × {height:.3g} mm "
                     f"page; a page needs at least {MIN_TEXT_MM} mm each way for its text")


def _sections(f: Fields, report: Report, root: Path, issue: Table, formats: ArticleFormats | None) -> tuple[SectionEntry, ...]:
    for group in issue.one_of:  # (sections, articles): exactly one of them
        given = [key for key in group if f.has(key)]
        named = _either([f"'{key}'" for key in group])
        if len(given) > 1:
            key_pos = f.y.keys or {}  # a mapping's: every key given is there
            later = max(given, key=lambda k: (key_pos[k].line, key_pos[k].col))
            report.error(key_pos[later], f"give either {named}, not both")
            return ()
        if not given:
            report.error(f.y.pos, f"the manifest needs either {named} (one of the two)")
            return ()
    if f.has("articles"):
        y = f.map["articles"]
        return (SectionEntry(None, _entries(y, report, root, formats), y.pos),)
    y = f.map["sections"]
    if not isinstance(y.value, list) or not y.value:
        report.error(y.pos, "'sections' must be a list of {title, articles}")
        return ()
    sections = []
    section = schema.SCHEMA.table("section")
    for item in y.value:
        s = Fields(item, schema.SCHEMA.names(section.name), report, section.what)
        if not s.has("articles"):
            report.error(item.pos, "a section needs 'articles'")
            continue
        values = read_table(s, section.name, root, root)
        sections.append(SectionEntry(values["title"], _entries(s.map["articles"], report, root, formats), item.pos))
    return tuple(sections)


def _entries(y: Y, report: Report, root: Path, formats: ArticleFormats | None) -> tuple[ArticleEntry, ...]:
    if not isinstance(y.value, list) or not y.value:
        report.error(y.pos, "'articles' must be a list of article files")
        return ()
    entries = []
    translations_key = schema.SCHEMA.key("entry", "translations")
    for item in y.value:
        translations: tuple[Translation, ...] = ()
        if isinstance(item.value, dict):
            overrides = article_fields(item, report, root, root, table="entry")
            # the keys article_fields read and reported (an unknown one too) are not told again
            f = Fields(item, tuple(item.value), report, "article")
            translations = read_key(f, translations_key, root, root) or ()
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
        if formats is not None:  # a file some reader reads: the article's, and each translation's
            refused = [(at, file) for at, file in [(file_pos, path), *((t.position, t.file) for t in translations)]
                       if not formats.accepts(file)]
            for at, file in refused:
                report.error(at, formats.unsupported(shown(ref if file == path else file.name)))
            if refused:
                continue
        entries.append(ArticleEntry(path, overrides, file_pos, translations))
    return tuple(entries)


def _adverts(f: Fields, report: Report, root: Path) -> tuple[AdvertEntry, ...]:
    """issue.yaml's ``adverts:``, each checked by the "advert" table; a fixed place taken once.
    Whether ``after:`` names an article is the read stage's to say (it gives articles their ids)."""
    if not f.has("adverts"):
        return ()
    y = f.map["adverts"]
    if not isinstance(y.value, list):
        report.error(y.pos, "'adverts' must be a list of adverts, each {image, alt, advertiser, link, after or place}")
        return ()
    table = schema.SCHEMA.table("advert")
    out: list[AdvertEntry] = []
    placed: dict[str, Position] = {}
    for item in y.value:
        a = Fields(item, schema.SCHEMA.names(table.name), report, table.what)
        if not isinstance(item.value, dict):
            continue
        if not item.value:  # {}: one message naming what it lacks, not one a key at one place
            report.error(item.pos, "an empty advert: it needs 'image', 'alt', 'advertiser' and 'after' or 'place'")
            continue
        values = read_table(a, table.name, root, root)
        for group in table.one_of:  # (after, place): exactly one of them
            for key in group:  # given empty (after: "", null, "  "): no article, the advert lost
                y_key = a.map.get(key)
                if y_key is not None and values[key] is None and not isinstance(y_key.value, (dict, list)):
                    report.error(y_key.pos, f"'{key}' must not be empty")
            given = [key for key in group if a.has(key)]
            if len(given) > 1:
                report.error(a.pos(given[-1]), f"give either {_either([repr(k) for k in group])}, not both")
            elif not given:
                report.error(item.pos, "an advert needs 'after' (the article it follows) or 'place' "
                                       f"({_either(list(schema.ADVERT_PLACES))})")
        place = values["place"]
        if place is not None:
            if place in placed:
                first = placed[place]
                report.error(a.pos("place"), f"a second advert at '{place}' (the first is at line {first.line}): "
                                             "a page holds one")
            placed.setdefault(place, a.pos("place"))
        if any(values[k] is None for k in ("image", "alt", "advertiser")) or _SKIP in values.values():
            continue  # reported: a missing one by read_table, an empty one by as_string
        out.append(AdvertEntry(values["image"], values["alt"], values["advertiser"], values["link"], values["size"],
                               values["after"], place, values["print"], values["epub"], values["web"],
                               item.pos, a.pos("image"), a.pos("after") if a.has("after") else None))
    return tuple(out)
