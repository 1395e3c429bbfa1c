"""Languages: BCP 47 tags, writing direction, Babel locales and the theme's message catalogues.

One place answers "what does language X need": its direction, the locale that formats its dates,
and the translations of the fixed words the templates add ("Contents", "min read" …).
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

from masthead.runtime.cache import Cache

# RFC 5646's ABNF, section 2.1: a langtag (language with up to three extended language
# subtags, script, region, variants, extensions each led by a singleton, private use), a tag of
# private use alone, or one of the grandfathered tags (the "regular" ones are langtags already).
_LANGTAG = (r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language, extlang
            r"(?:-[A-Za-z]{4})?"  # script
            r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
            r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
            r"(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*"  # extensions: en-u-ca-gregory
            r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?")  # private use: de-DE-x-foo
_IRREGULAR = ("en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|"
              "i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE")
_BCP47 = re.compile(rf"(?:{_LANGTAG}|[Xx](?:-[A-Za-z0-9]{{1,8}})+|(?i:{_IRREGULAR}))")
# Scripts written right to left, for tags Babel does not know.
_RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-Arab", "ps", "sd", "syr", "ug", "ur", "yi"}


def is_valid_tag(tag: str) -> bool:
    """A well-formed BCP 47 language tag (RFC 5646's syntax: en, en-GB, sr-Latn-RS, es-419,
    en-u-ca-gregory, de-DE-x-foo …); whether its subtags are registered is not asked."""
    return bool(_BCP47.fullmatch(tag))


def canonical_tag(tag: str) -> str:
    """A well-formed tag in BCP 47's conventional case (tags match in any case): AR → ar,
    sr-latn-rs → sr-Latn-RS, pt-br → pt-BR; a singleton and what follows it lower case
    (de-DE-X-Foo → de-DE-x-foo, en-U-CA-Gregory → en-u-ca-gregory)."""
    out: list[str] = []
    extended = False  # after a singleton: an extension's or private use's subtags
    for number, part in enumerate(tag.split("-")):
        extended = extended or len(part) == 1
        if number == 0 or extended:
            out.append(part.lower())
        else:
            out.append(part.title() if len(part) == 4 and part.isalpha() else part.upper() if len(part) == 2
                       else part.lower())
    return "-".join(out)


def base_tag(tag: str) -> str:
    """The language, script, region and variants of a tag, without its extensions and private
    use: what the interface (locale, catalogue, direction) follows. de-DE-x-foo → de-DE; a tag
    of private use alone (x-foo) or grandfathered as i-… has none: ""."""
    parts = tag.split("-")
    end = next((i for i, part in enumerate(parts) if len(part) == 1), len(parts))
    return "-".join(parts[:end])


def language_name(tag: str) -> str:
    """The language's name in itself, as a language switch shows it: Français, العربية, English."""
    locale = locale_of(tag)
    if locale.language != base_tag(tag).split("-")[0].lower():  # a language Babel does not know: its tag
        return tag
    name = locale.get_display_name(locale) or tag
    return name[:1].upper() + name[1:]


@functools.cache
def locale_of(tag: str) -> Locale:
    """The Babel locale closest to ``tag``: en-GB → en_GB, sr-Latn-RS → sr_Latn_RS,
    de-DE-x-foo → de_DE, xx → en."""
    base = base_tag(tag)
    candidates = [base.replace("-", "_"), base.split("-")[0]] if base else []
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


@functools.cache
def direction_of(tag: str) -> str:
    """"rtl" for right-to-left scripts, else "ltr" (an extension's "-arab", Arabic digits, is no script)."""
    tag = base_tag(tag)
    language = tag.split("-")[0].lower()
    if language in _RTL_LANGUAGES or "-arab" in tag.lower() or "-hebr" in tag.lower():
        return "rtl"
    if language == locale_of(tag).language:
        return "rtl" if locale_of(tag).character_order == "right-to-left" else "ltr"
    return "ltr"


_CATALOGUES: dict[bytes, Translations] = {}  # a pure memo: a catalogue's text → its translations


def _catalogue(source: bytes, store: Cache | None) -> Translations:
    # The theme ships .po files (reviewable text), compiled here, once per process and text
    # (keyed by the bytes: a theme edited under build --watch is read anew). The compiled
    # catalogue is kept in the run's cache too, since Babel's compiler pulls in the email
    # package and costs more than a rebuild's whole rendering. A catalogue that cannot be read
    # raises _Unreadable, and neither cache keeps it (the memo keeps no exception, nor Cache.cached).
    from masthead.runtime import cache

    found = _CATALOGUES.get(source)
    if found is None:
        if store is None:
            found = _loaded(_compiled(source), source)
        else:
            key = cache.key("catalogue", cache.package_stamp("babel"), source)
            found = _loaded(store.cached("catalogues", key, lambda: _compiled(source)), source)
        if len(_CATALOGUES) >= 64:
            del _CATALOGUES[next(iter(_CATALOGUES))]
        _CATALOGUES[source] = found
    return found


class _Unreadable(Exception):
    """A message catalogue Babel or gettext refuses: why, and where (1-based line and column)."""

    def __init__(self, reason: str, line: int = 1, col: int = 1):
        super().__init__(reason)
        self.reason, self.line, self.col = reason, line, col


# A PO line that holds a string: a keyword and a quoted string, or a continuation string.
_STRING_LINE = re.compile(rb'^\s*(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"')
_CLOSED = re.compile(rb'"(?:[^"\\]|\\.)*"\s*$')  # the string closes at the end of the line


def _unclosed_string(source: bytes) -> _Unreadable | None:
    """A string left open at the end of its line (``msgstr "Inhalt``): Babel reads it without a
    word, dropping its last character; gettext's msgfmt calls it "end-of-line within string"."""
    for number, line in enumerate(source.split(b"\n"), 1):
        start = _STRING_LINE.match(line)
        if start and not _CLOSED.match(line, start.end() - 1):
            return _Unreadable("end of line within a string: a closing \" is missing", number,
                               len(line[: start.end() - 1].decode("utf-8", "replace")) + 1)
    return None


def _compiled(source: bytes) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    unclosed = _unclosed_string(source)
    if unclosed is not None:
        raise unclosed
    buffer = io.BytesIO()
    try:
        # abort_invalid: a line Babel cannot read is an error here, not a WARNING it prints on stdout
        write_mo(buffer, read_po(io.BytesIO(source), abort_invalid=True))
    except Exception as exc:  # noqa: BLE001 - the text's fault: an encoding, a header
        raise _unreadable(exc, source) from None
    _loaded(buffer.getvalue(), source)  # what gettext refuses (a Plural-Forms) is not cached either
    return buffer.getvalue()


def _loaded(compiled: bytes, source: bytes) -> Translations:
    try:
        loaded = Translations(io.BytesIO(compiled), domain="masthead")
        for n in (0, 1, 2, 3, 5, 11, 21, 101, 1000):  # the plural rule runs, as ngettext will run it
            loaded.plural(n)
    except Exception as exc:  # noqa: BLE001 - gettext's reading of the header the text gave
        raise _unreadable(exc, source, plural=True) from None
    return loaded


def _unreadable(exc: Exception, source: bytes, plural: bool = False) -> _Unreadable:
    """Why the catalogue ``source`` was refused, at the line it concerns when that is cheap to find
    (``plural``: gettext refused it, whose only reading of the text is its Plural-Forms)."""
    lines = source.split(b"\n")
    lineno = getattr(exc, "lineno", None)
    if type(exc).__name__ == "PoFileError" and lineno:  # Babel's: the line it could not read
        return _Unreadable(str(exc).split(" on ", 1)[0].strip() or "a line that is not PO syntax", lineno + 1, 1)  # 0-based

    def header(name: bytes, value: bytes = b"") -> tuple[int, int]:
        for number, line in enumerate(lines, 1):
            start = line.lower().find(name.lower() + b":")
            if start >= 0:
                at = line.lower().find(value.lower(), start) if value else -1
                return number, len(line[:at if at >= 0 else start].decode("utf-8", "replace")) + 1
        return 1, 1

    if isinstance(exc, UnicodeDecodeError):  # Babel decodes line by line: find the line it had
        for number, line in enumerate(lines, 1):
            if exc.object and line.strip() == exc.object.strip():
                offset = len(line) - len(line.lstrip()) + exc.start
                col = len(line[:offset].decode(exc.encoding, "replace")) + 1
                return _Unreadable(f"byte 0x{exc.object[exc.start]:02x} is not {exc.encoding} text", number, col)
        return _Unreadable(f"not {exc.encoding} text: {exc.reason}")
    if isinstance(exc, LookupError) and "encoding" in str(exc):
        found = re.search(rb"charset=([^\s;\"\\]*)", source, re.IGNORECASE)
        charset = found.group(1).decode("utf-8", "replace") if found else "?"
        return _Unreadable(f"unknown charset '{charset}'", *header(b"Content-Type", b"charset="))
    message = str(exc) or type(exc).__name__
    if plural or "plural" in message or "int()" in message:  # gettext's parse of the rule, Babel's int(nplurals)
        if "int()" in message:
            message = f"nplurals is not a number ({message.rsplit(': ', 1)[-1]})"
        return _Unreadable(f"Plural-Forms: {message}", *header(b"Plural-Forms"))
    if "locale identifier" in message:
        return _Unreadable(f"Language: {message}", *header(b"Language"))
    if "time data" in message or "unconverted data" in message:
        for name in (b"POT-Creation-Date", b"PO-Revision-Date"):
            if name.lower() + b":" in source.lower():
                return _Unreadable(f"a date in the header: {message}", *header(name))
    return _Unreadable(message)


def translations(tag: str, locale_dirs: tuple[Path, ...], store: Cache | None = None) -> NullTranslations:
    """The theme's translations for ``tag`` (en-GB, then en), first theme folder first; their
    compiled form kept in ``store``, the run's cache, when one is given.

    A catalogue that cannot be read is an IssueError at the .po file (a theme is input too).
    """
    from masthead.diagnostics import Diagnostic, IssueError, Position
    from masthead.runtime import confine

    po_path = catalogue_path(tag, locale_dirs)
    if po_path is None:
        return NullTranslations()
    try:
        return _catalogue(confine.read_input(po_path, confine.THEME_FILE_LIMIT), store)
    except _Unreadable as exc:
        where, message = Position(po_path, exc.line, exc.col), f"invalid message catalogue: {exc.reason}"
    except OSError as exc:
        where, message = Position(po_path), f"cannot read the message catalogue: {exc.strerror or exc}"
    raise IssueError([Diagnostic(where, message)])


def catalogue_path(tag: str, locale_dirs: tuple[Path, ...]) -> Path | None:
    """The .po file :func:`translations` reads for ``tag``, if any."""
    tag = base_tag(tag)
    if not tag:
        return None
    language = tag.split("-")[0].lower()
    for locale_dir in locale_dirs:
        for name in (tag.replace("-", "_"), language):
            po_path = locale_dir / name / "LC_MESSAGES" / "masthead.po"
            if po_path.is_file():
                return po_path
    return None


# Quotation marks by language: primary open, primary close, secondary open, secondary close.
# French sets its guillemets off with no-break spaces.
_QUOTES = {
    "en": "“”‘’", "fr": ("«\u00a0", "\u00a0»", "“", "”"), "de": "„“‚‘", "es": "«»“”", "it": "«»“”",
    "pt": "«»“”", "ru": "«»„“", "uk": "«»„“", "pl": "„”‚’", "cs": "„“‚‘", "nl": "“”‘’",
    "sv": "””’’", "da": "»«›‹", "fi": "””’’", "no": "«»‘’", "nb": "«»‘’", "ja": "「」『』",
    "zh": "“”‘’", "ko": "“”‘’", "ar": "«»“”", "fa": "«»“”", "he": "”“’‘", "tr": "“”‘’",
    "el": "«»“”", "hu": "„”»«", "ro": "„”«»",
}


def quotes(language: str) -> tuple[str, str, str, str]:
    opening, closing, inner_opening, inner_closing = _QUOTES.get(language.split("-")[0].lower(), _QUOTES["en"])
    return opening, closing, inner_opening, inner_closing


# Silent reading speeds: words per minute, or characters per minute for zh and ja.
# Trauzettel-Klosinski & Dietz, "Standardized assessment of reading performance: the new
# International Reading Speed Texts IReST", IOVS 2012 (adult means, 17 languages); Japanese
# uses 500 characters a minute, the middle of the 400–600 usually cited for adult readers.
_SPEEDS = {
    "en": 228, "ar": 138, "de": 179, "es": 218, "fi": 161, "fr": 195, "he": 187, "it": 188,
    "ja": 500, "nl": 202, "pl": 166, "pt": 181, "ru": 184, "uk": 184, "sl": 180, "sv": 199,
    "tr": 166, "zh": 255, "ko": 500, "fa": 150, "ur": 150,
}


def reading_speed(tag: str) -> int:
    return _SPEEDS.get(tag.split("-")[0].lower(), 200)
