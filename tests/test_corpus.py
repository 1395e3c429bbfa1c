"""Real-world input: the Strand Magazine corpus (Standard Ebooks' XHTML), opened by real readers."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pypdf
from lxml import etree

import pagefaults
from helpers import CORPUS, Epub, epubcheck, need


def source_words() -> int:
    total = 0
    for path in sorted((CORPUS / "articles").glob("*.xhtml")):
        body = etree.parse(str(path)).find(".//{http://www.w3.org/1999/xhtml}body")
        total += len(" ".join(body.itertext()).split())
    return total


def test_strand_passes_epubcheck(strand_build):
    assert epubcheck(strand_build["epub"]) == []


def test_strand_keeps_standard_ebooks_semantics(strand_build):
    book = Epub(strand_build["epub"])
    page = book.read("a-case-of-identity.xhtml").decode()
    assert 'epub:prefix="se: https://standardebooks.org/vocab/1.0 z3998: http://www.daisy.org/z3998/2012/vocab/structure/"' in page
    assert 'epub:type="z3998:name-title"' in page
    assert "core.css" not in page and "local.css" not in page  # the theme owns the look
    assert '<i lang="fr">affaire de coeur</i>' in page


def test_calibre_reads_every_word(strand_build, tmp_path):
    need("ebook-convert")
    text = tmp_path / "strand.txt"
    subprocess.run(["ebook-convert", str(strand_build["epub"]), str(text)], capture_output=True, check=True, timeout=600)
    words = len(text.read_text(encoding="utf-8").split())
    assert words >= source_words()


def test_calibre_metadata(strand_build):
    need("ebook-meta")
    out = subprocess.run(["ebook-meta", str(strand_build["epub"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Title\s*:\s*The Adventures of Sherlock Holmes$", out, re.M)
    assert re.search(r"^Publisher\s*:\s*George Newnes$", out, re.M)
    assert re.search(r"^Languages\s*:\s*eng$", out, re.M)


def test_mupdf_renders_the_epub(strand_build, tmp_path):
    need("mutool")
    out = tmp_path / "page-%d.png"
    result = subprocess.run(["mutool", "draw", "-r", "40", "-o", str(out), str(strand_build["epub"]), "1-4"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 4 and all(p.stat().st_size > 1000 for p in pages)
    assert pages[0].stat().st_size > 10_000  # page 1 is the cover picture, not a blank page
    text = subprocess.run(["mutool", "draw", "-F", "txt", "-o", "-", str(strand_build["epub"]), "3-4"],
                          capture_output=True, text=True, timeout=300).stdout
    assert "Contents" in text or "Scandal" in text


def test_cover_is_scaled_for_e_readers(strand_build):
    from PIL import Image

    with zipfile.ZipFile(strand_build["epub"]) as z:
        data = z.read("EPUB/images/cover.jpg")
    with Image.open(__import__("io").BytesIO(data)) as image:
        assert image.width <= 1600 and image.height <= 2560
    assert len(data) < 500_000 < (CORPUS / "images" / "cover.jpg").stat().st_size


def test_strand_pdf_has_every_story(strand_build):
    reader = pypdf.PdfReader(strand_build["pdf"])
    assert len(reader.pages) > 100
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "July–December 1891" in titles and "January–June 1892" in titles
    children = [i.title for group in reader.outline if isinstance(group, list) for i in group]
    assert "A Scandal in Bohemia" in children and "The Adventure of the Copper Beeches" in children


def test_no_stranded_heading_and_no_lonely_ending_in_print(strand_build):
    need("mutool")
    assert pagefaults.faults(strand_build["pdf"], strand_build["epub"]) == []
