"""The EPUB's fonts: each theme face cut to the characters the issue shows, and nothing lost.

The subsets are made by HarfBuzz (fonts.py); they are read back here with fontTools, a
different implementation, and compared with the theme's whole faces: the characters, the
outlines, the Arabic joining forms, the licence names.
"""

from __future__ import annotations

import io
from pathlib import Path

from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont
from lxml import etree

from helpers import ROOT, Epub

THEME_FONTS = ROOT / "templates" / "default" / "fonts"


def _fonts(book: Epub) -> dict[str, TTFont]:
    return {href.removeprefix("fonts/"): TTFont(io.BytesIO(book.read(href)))
            for href in (i["href"] for i in book.manifest().values()) if href.startswith("fonts/")}


def _shown_characters(book: Epub) -> set[str]:
    """Every character of the reading documents' text and attributes (alt text, titles)."""
    chars: set[str] = set()
    for item in book.manifest().values():
        if item["media-type"] == "application/xhtml+xml":
            root = etree.fromstring(book.read(item["href"]))
            for element in root.iter():
                chars |= set(element.text or "") | set(element.tail or "")
                for value in element.attrib.values():
                    chars |= set(value)
    return {c for c in chars if not c.isspace()}


def _outline(font: TTFont, char: str) -> list:
    glyphs = font.getGlyphSet()
    pen = DecomposingRecordingPen(glyphs)  # components by outline: glyph names differ in a subset
    glyphs[font.getBestCmap()[ord(char)]].draw(pen)
    return pen.value


def test_each_face_keeps_every_character_the_issue_shows(sample_build):
    book = Epub(sample_build["epub"])
    shown = _shown_characters(book)
    cut = _fonts(book)
    assert cut, "the EPUB embeds no fonts"
    for name, subset in cut.items():
        whole = TTFont(THEME_FONTS / name)
        needed = {ord(c) for c in shown} & set(whole.getBestCmap())
        missing = needed - set(subset.getBestCmap())
        assert not missing, f"{name} lost {sorted(chr(c) for c in missing)[:20]}"
        # Cut, not copied: a small share of the face's characters stays.
        assert len(subset.getBestCmap()) < len(whole.getBestCmap()) / 2
        assert len(book.read(f"fonts/{name}")) < (THEME_FONTS / name).stat().st_size / 3


def test_outlines_are_the_theme_faces_own(sample_build):
    book = Epub(sample_build["epub"])
    for name, subset in _fonts(book).items():
        whole = TTFont(THEME_FONTS / name)
        sample = [c for c in "agQ&fi€é" if ord(c) in subset.getBestCmap()]
        sample += [c for c in "مدينة" if ord(c) in subset.getBestCmap()]
        assert sample, name
        for char in sample:
            assert _outline(subset, char) == _outline(whole, char), f"{name}: {char!r} drawn differently"


def test_faces_keep_their_joining_kerning_ligatures_and_licence(sample_build):
    cut = _fonts(Epub(sample_build["epub"]))
    naskh = [name for name in cut if name.startswith("NotoNaskhArabic")]
    assert naskh, "the sample's Arabic article needs the Naskh face"
    for name in naskh:
        features = {record.FeatureTag for record in cut[name]["GSUB"].table.FeatureList.FeatureRecord}
        assert {"init", "medi", "fina"} <= features, f"{name} lost Arabic joining: {sorted(features)}"
    for name in ("NotoSerif-Regular.ttf", "NotoSans-Bold.ttf"):  # Latin: kerning and ligatures
        gsub = {record.FeatureTag for record in cut[name]["GSUB"].table.FeatureList.FeatureRecord}
        gpos = {record.FeatureTag for record in cut[name]["GPOS"].table.FeatureList.FeatureRecord}
        assert "liga" in gsub and "kern" in gpos, (name, sorted(gsub), sorted(gpos))
    for name, subset in cut.items():
        names = {record.nameID for record in subset["name"].names}
        assert {1, 2, 13, 14} <= names, f"{name} lost its family or licence names"
        # Hints are for low-resolution screens; e-readers rasterize without them.
        assert not {"fpgm", "prep", "cvt "} & set(subset.keys()), name


def test_a_face_no_character_needs_is_left_out(strand_build):
    """The Strand stories are English: no Arabic face in the EPUB nor in its @font-face rules."""
    book = Epub(strand_build["epub"])
    cut = _fonts(book)
    assert "NotoSerif-Regular.ttf" in cut
    assert not [name for name in cut if "Arabic" in name]
    assert b"Naskh" not in book.read("css/fonts.css")


def test_a_cached_cut_is_the_cut_for_exactly_these_characters(tmp_path, monkeypatch):
    """The cache key is what subset() reads: whether a face is needed depends on the issue's
    characters alone, not on the punctuation and ASCII every cut carries anyway."""
    from masthead.render import fonts

    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    from masthead.runtime.cache import Cache

    store = Cache.from_environment()
    latin = (THEME_FONTS / "NotoSerif-Regular.ttf").read_bytes()
    arabic, mixed = frozenset("مدينة لا تنام"), frozenset("مدينة لا تنام A")
    for first, second in ((arabic, mixed), (mixed, arabic)):
        assert fonts._cut(latin, first, store) == fonts.subset(latin, first)
        assert fonts._cut(latin, second, store) == fonts.subset(latin, second)  # not the first one's entry
    assert fonts.subset(latin, arabic) is None and fonts.subset(latin, mixed) is not None


def test_a_file_that_is_no_font_is_left_out_with_a_warning_at_the_file(issue_dir, tmp_path):
    """A web page saved under a font's name (a common download mistake) and a truncated face:
    each is named in a warning and left out of both editions, whose stylesheets then do not
    point at it (WeasyPrint would warn again, and a reader would fetch a broken file)."""
    import re
    import subprocess

    from helpers import masthead, need

    fonts = issue_dir / "templates" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "NotoSerif-Italic.ttf").write_text("<!DOCTYPE html><html><body>Download</body></html>")
    (fonts / "NotoSans-Bold.ttf").write_bytes((THEME_FONTS / "NotoSans-Bold.ttf").read_bytes()[:3000])
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out))
    assert result.returncode == 0, result.stderr
    warned = {Path(m[1]).resolve() for m in re.finditer(r"^(.+?): warning: not a font", result.stderr, re.M)}
    assert warned == {(fonts / "NotoSerif-Italic.ttf").resolve(), (fonts / "NotoSans-Bold.ttf").resolve()}, result.stderr
    assert "cannot be loaded" not in result.stderr, result.stderr  # WeasyPrint was not given them
    book = Epub(out / "issue.epub")
    hrefs = {i["href"] for i in book.manifest().values()}
    assert "fonts/NotoSerif-Italic.ttf" not in hrefs and "fonts/NotoSans-Bold.ttf" not in hrefs
    assert "fonts/NotoSerif-Regular.ttf" in hrefs  # the good faces stay
    css = book.read("css/fonts.css").decode()
    assert "NotoSerif-Italic" not in css and "NotoSans-Bold" not in css and "NotoSerif-Regular" in css
    # The PDF names its fonts by family (Masthead-Serif…), so what shows it got none of the
    # two is WeasyPrint's silence above; every font it has is embedded.
    listed = subprocess.run([need("pdffonts"), str(out / "issue.pdf")], capture_output=True, text=True).stdout
    rows = [line.split() for line in listed.splitlines()[2:] if line.strip()]
    assert rows and all(row[-5] == "yes" for row in rows), listed


def test_a_drawn_cover_is_set_in_the_built_in_face_when_the_themes_is_no_font(issue_dir, tmp_path):
    """The issue has no cover, so one is drawn in the theme's faces; a face that is no font
    must not stop the build (Pillow refuses it): the warning, and the built-in face instead."""
    from helpers import masthead

    fonts = issue_dir / "templates" / "fonts"
    fonts.mkdir(parents=True)
    for name in ("NotoSerif-Bold.ttf", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        (fonts / name).write_text("<!DOCTYPE html><html><body>Download</body></html>")
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr and "not a font" in result.stderr, result.stderr
    book = Epub(out / "issue.epub")
    covers = [i["href"] for i in book.manifest().values() if "cover-image" in i.get("properties", "")]
    from PIL import Image

    with Image.open(io.BytesIO(book.read(covers[0]))) as picture:
        assert picture.size[0] > 1000  # drawn, at the cover's size


def test_a_glyph_the_theme_lacks_prints_in_a_fallback_font_and_the_epub_carries_only_the_themes(issue_dir, tmp_path):
    """A decision of issue 20 (docs/security.md): the PDF takes a glyph the theme's fonts lack
    from the machine's fonts rather than printing a box; the EPUB carries the theme's alone."""
    import subprocess
    import zipfile

    from helpers import build_folder, need

    article = issue_dir / "articles" / "one.md"
    article.write_text(article.read_text("utf-8") + "\nA snowman \u2603 here.\n", "utf-8")
    out = build_folder(issue_dir, tmp_path / "out")
    fonts = subprocess.run([need("pdffonts"), str(out["pdf"])], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]]
    assert any(not n.startswith("Masthead-") for n in names), names  # the machine's fallback, embedded
    text = subprocess.run([need("pdftotext"), str(out["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert "\u2603" in text
    with zipfile.ZipFile(out["epub"]) as book:
        shipped = [n for n in book.namelist() if n.endswith((".ttf", ".otf", ".woff", ".woff2"))]
    theme = {f.name for f in (Path(__file__).resolve().parents[1] / "templates" / "default" / "fonts").glob("*.ttf")}
    assert shipped and {Path(n).name for n in shipped} <= theme
