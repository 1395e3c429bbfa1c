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

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8}|-[0-9][A-Za-z0-9]{3})*$")
# Scripts written right to left, for tags Babel does not know.
_RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-Arab", "ps", "sd", "syr", "ug", "ur", "yi"}


def is_valid_tag(tag: str) -> bool:
    """A well-formed BCP 47 language tag (language, script, region, variants)."""
    return bool(_BCP47.match(tag))


@functools.lru_cache(maxsize=None)
def locale_of(tag: str) -> Locale:
    """The Babel locale closest to ``tag``: en-GB → en_GB, sr-Latn-RS → sr_Latn_RS, xx → en."""
    candidates = [tag.replace("-", "_"), tag.split("-")[0]]
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


@functools.lru_cache(maxsize=None)
def direction_of(tag: str) -> str:
    """"rtl" for right-to-left scripts, else "ltr"."""
    language = tag.split("-")[0].lower()
    if language in _RTL_LANGUAGES or "-arab" in tag.lower() or "-hebr" in tag.lower():
        return "rtl"
    if language == locale_of(tag).language:
        return "rtl" if locale_of(tag).character_order == "right-to-left" else "ltr"
    return "ltr"


@functools.lru_cache(maxsize=64)
def _catalogue(source: bytes) -> Translations:
    # The theme ships .po files (reviewable text), compiled here, once per process and text
    # (keyed by the bytes: a theme edited under build --watch is read anew). The compiled
    # catalogue is cached too, since Babel's compiler pulls in the email package and costs
    # more than a rebuild's whole rendering.
    from masthead import cache

    key = cache.key("catalogue", cache.package_stamp("babel"), source)
    return Translations(io.BytesIO(cache.cached("catalogues", key, lambda: _compiled(source))), domain="masthead")


def _compiled(source: bytes) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(source)))
    return buffer.getvalue()


def translations(tag: str, locale_dirs: tuple[Path, ...]) -> NullTranslations:
    """The theme's translations for ``tag`` (en-GB, then en), first theme folder first."""
    language = tag.split("-")[0].lower()
    names = [tag.replace("-", "_"), language]
    for locale_dir in locale_dirs:
        for name in names:
            po_path = locale_dir / name / "LC_MESSAGES" / "masthead.po"
            if po_path.is_file():
                return _catalogue(po_path.read_bytes())
    return NullTranslations()


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
    value = _QUOTES.get(language.split("-")[0].lower(), _QUOTES["en"])
    return tuple(value)  # type: ignore[return-value]


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
