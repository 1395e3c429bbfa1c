"""The generated cover: every character drawn in a face that has it (font fallback), for
every language the theme has a catalogue for, and within Apple Books' pixel limit."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from helpers import ROOT, pipeline
from masthead.render import cover

LOCALES = sorted(p.name for p in (ROOT / "templates" / "default" / "locale").iterdir() if p.is_dir())


def read(folder: Path):
    run = pipeline(folder)
    return run.read(), run.theme


def drawn(folder: Path) -> tuple[bytes, list[tuple[str, Path | None]]]:
    issue, look = read(folder)
    record: list = []
    return cover.draw(issue, look, record=record), record


def missing(record) -> list[tuple[str, str, str]]:
    """(character, its name, the face) for each character drawn in a face without it."""
    return [(c, unicodedata.name(c, hex(ord(c))), face.name if face else "no face")
            for text, face in record for c in text
            if not c.isspace() and unicodedata.category(c)[0] != "M" and (face is None or ord(c) not in cover.cmap(face))]


def test_the_arabic_issues_dateline_has_its_middle_dot():
    """Noto Naskh Arabic has no U+00B7: the dateline's dot was a box; it is drawn in the
    theme's serif now, the Arabic around it in Naskh."""
    png, record = drawn(ROOT / "issues" / "al-fanar-2025-11-28")
    assert missing(record) == []
    dot = [face.name for text, face in record if "·" in text]
    assert dot and set(dot) == {"NotoSerif-Regular.ttf"}
    assert {face.name for text, face in record if "العدد" in text} == {"NotoNaskhArabic-Regular.ttf"}
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1560, 2496) and image.size[0] * image.size[1] <= 4_000_000


@pytest.mark.parametrize("locale", LOCALES)
def test_no_glyph_is_missing_on_a_cover_in_each_catalogues_language(issue_dir, locale):
    """The dateline and number in the language's words (Babel's date, the catalogue's
    "Issue"), checked character by character against the cmap of the face that draws it.
    Hebrew, Japanese and Chinese are in none of the theme's faces: they come from the
    machine's fonts (make system-deps installs fonts-droid-fallback for CJK)."""
    manifest_file = issue_dir / "issue.yaml"
    manifest_file.write_text(manifest_file.read_text().replace("language: en", f"language: {locale}"))
    issue, look = read(issue_dir)
    text = cover._dateline(issue, look)
    if any(cover._system_face(c) is None and not any(ord(c) in cover.cmap(f) for f in cover._chain(look, text, False))
           for c in text if not c.isspace()):
        pytest.skip(f"no font on this machine has every character of {text!r}")
    _png, record = drawn(issue_dir)
    assert text in "".join(t for t, _ in record) or all(part in "".join(t for t, _ in record) for part in text.split())
    assert missing(record) == [], text
