"""Device compatibility rules: silent on every good issue, and each fires on a file that breaks it."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from masthead.export.devices import RULES, check_epub


def rewrite(epub: bytes, changes: dict[str, bytes | None], extra: dict[str, bytes] | None = None) -> bytes:
    """The archive with some entries replaced (None removes one) and some added."""
    source = zipfile.ZipFile(io.BytesIO(epub))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = changes.get(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def entry(epub: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(epub)).read(name)


@pytest.fixture(scope="module")
def good(sample_build) -> bytes:
    return sample_build["epub"].read_bytes()


def test_no_findings_on_the_sample_and_the_corpus(good, strand_build):
    assert check_epub(good) == []
    assert check_epub(strand_build["epub"].read_bytes()) == []


def rules_of(findings) -> set[str]:
    return {f.rule for f in findings}


def test_missing_language(good):
    opf = re.sub(rb"<dc:language>[^<]*</dc:language>", b"", entry(good, "EPUB/content.opf"))
    assert rules_of(check_epub(rewrite(good, {"EPUB/content.opf": opf}))) == {"language-declared"}


def test_css_custom_properties(good):
    css = entry(good, "EPUB/css/epub.css") + b"\n:root { --ink: #222; } p { color: var(--ink); }\n"
    assert rules_of(check_epub(rewrite(good, {"EPUB/css/epub.css": css}))) == {"no-css-custom-properties"}


def test_double_hyphen_in_a_comment(good):
    page = entry(good, "EPUB/the-week.xhtml").replace(b"<head>", b"<head><!-- a -- b -->", 1)
    assert rules_of(check_epub(rewrite(good, {"EPUB/the-week.xhtml": page}))) == {"no-double-hyphen-in-comments"}


def test_woff_fonts(good):
    opf = entry(good, "EPUB/content.opf").replace(b'media-type="font/ttf"', b'media-type="font/woff2"', 1)
    assert rules_of(check_epub(rewrite(good, {"EPUB/content.opf": opf}))) == {"fonts-ttf-or-otf"}


def test_size_budget(good):
    findings = check_epub(good, budget=100_000)
    assert rules_of(findings) == {"size-budget"}
    assert "images/harbour-at-night.jpg" in findings[0].message  # it names what weighs most


def test_apple_display_options(good):
    broken = rewrite(good, {"META-INF/com.apple.ibooks.display-options.xml": None})
    assert rules_of(check_epub(broken)) == {"apple-display-options"}


def test_noteref_to_something_that_is_not_a_footnote(good):
    page = entry(good, "EPUB/night-shift.xhtml")
    page = page.replace(b'epub:type="footnote"', b'epub:type="sidebar"', 1)
    assert rules_of(check_epub(rewrite(good, {"EPUB/night-shift.xhtml": page}))) == {"footnotes-pop-up"}


def test_no_cover_image(good):
    opf = entry(good, "EPUB/content.opf").replace(b' properties="cover-image"', b"")
    assert rules_of(check_epub(rewrite(good, {"EPUB/content.opf": opf}))) == {"cover-image"}


def test_kepub_without_kobo_spans(good):
    assert rules_of(check_epub(good, kepub=True)) == {"kobo-spans"}


def test_every_rule_is_tested():
    tested = {"language-declared", "no-css-custom-properties", "no-double-hyphen-in-comments", "fonts-ttf-or-otf",
              "size-budget", "apple-display-options", "footnotes-pop-up", "cover-image", "kobo-spans", "image-pixels"}
    assert set(RULES) == tested


def test_no_findings_on_the_arabic_issue(tmp_path):
    from helpers import ROOT, build_folder

    epub = build_folder(ROOT / "issues" / "al-fanar-2025-11-28", tmp_path / "out", "epub")["epub"]
    assert check_epub(epub.read_bytes()) == []


def test_epub_css_leaves_size_and_fonts_to_the_reader(good):
    """Readers change font size and face: the EPUB's CSS uses relative units and no !important."""
    archive = zipfile.ZipFile(io.BytesIO(good))
    for name in archive.namelist():
        if name.endswith(".css"):
            css = re.sub(r"/\*.*?\*/", "", archive.read(name).decode(), flags=re.S)  # comments aside
            assert "!important" not in css, name
            sizes = re.findall(r"font(?:-size)?\s*:[^;}]*?(\d+(?:\.\d+)?(px|pt|cm|mm|in))", css)
            assert sizes == [], (name, sizes)


def test_an_image_over_apple_books_pixel_limit(good):
    """Apple Books refuses an image of more than 4,000,000 pixels inside an EPUB: a given
    image that large is found (the generated cover is 1560 x 2496, under it)."""
    from PIL import Image

    names = zipfile.ZipFile(io.BytesIO(good)).namelist()
    photo = next(n for n in names if n.startswith("EPUB/images/") and n.endswith(".jpg"))
    big = io.BytesIO()
    Image.new("RGB", (2001, 2000), (200, 190, 180)).save(big, "JPEG")
    findings = check_epub(rewrite(good, {photo: big.getvalue()}))
    assert rules_of(findings) == {"image-pixels"}
    assert [f.file for f in findings] == [photo] and "4,002,000 pixels" in findings[0].message
    with Image.open(io.BytesIO(entry(good, "EPUB/images/cover.png"))) as cover:
        assert cover.size == (1560, 2496) and cover.size[0] * cover.size[1] <= 4_000_000
