"""Article input a probe found mishandled: each case must keep its text and give an EPUB that
EPUBCheck passes, and a PDF that builds. One small issue holds them all (EPUBCheck once).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import Epub, epubcheck, masthead, need

ARTICLES = {
    # An end tag of the page in raw HTML ended libxml2's reading of the article there.
    "articles/stray-end-tags.md": "---\ntitle: Stray\n---\n\nWSTART\n\n</div></div></article></body></html>\n\nWAFTERCLOSE\n",
    # Lone CR line ends: CommonMark's line ends too, front matter included.
    "articles/lone-cr.md": b"---\rtitle: WCRTITLE\r---\r\rWCRBODY one.\r\rWCRBODY two.\r",
    # UTF-8 bytes under a declaration of Latin-1 (or windows-1252): read as the UTF-8 they are.
    "articles/declared-latin1.xhtml": ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
                                      '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Latin</title></head>'
                                      "<body><p>WENC café</p></body></html>\n").encode("utf-8"),
    "articles/declared-1252.html": ('<?xml version="1.0" encoding="windows-1252"?>\n<title>Win</title>'
                                    "<p>WWIN naïve <b>bold</p>\n").encode("utf-8"),
    # A footnote as a <section>: ARIA in HTML allows doc-footnote on aside, div or p only.
    "articles/section-note.xhtml": ('<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
                                    "<head><title>Notes</title></head><body><p>Text.</p>"
                                    '<section epub:type="footnote" id="n1"><p>WSECTIONNOTE</p></section></body></html>\n'),
    # A footnote holding a table: WeasyPrint 70 failed on it as a footnote in the line.
    "articles/table-note.md": ("---\ntitle: Table note\n---\n\nx[^t] and y[^p].\n\n[^t]: WHFOOT\n\n"
                               "    | a | b |\n    |---|---|\n    | WFTABLE | 2 |\n\n[^p]: WPLAINNOTE\n"),
    # A <picture>'s <img> is the picture; a <video> and inline SVG go, each with a warning.
    "articles/media.html": ('<title>Media</title><p>WMEDIA</p><picture><source srcset="x.webp"/>'
                            '<img src="../images/p.png" alt="WPICTUREALT"/></picture>\n'
                            '<video src="v.mp4"><p>fallback</p></video>\n<svg><text>drawn</text></svg>\n'),
    # No <title>: the first heading is the title; a <br> in it is a space, a script's text no word.
    "articles/heading-title.html": "<h1>WLINEA<br/>WLINEB <script>WEVIL</script></h1><p>Text.</p>\n",
}
WORDS = ("WSTART", "WAFTERCLOSE", "WCRTITLE", "WCRBODY", "WENC café", "WWIN naïve", "WSECTIONNOTE", "WFTABLE",
         "WPLAINNOTE", "WMEDIA")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("articles") / "probe"
    for name, content in ARTICLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    from PIL import Image

    (root / "images").mkdir()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(root / "images" / "p.png")
    (root / "issue.yaml").write_text("publication: Probe Weekly\ndate: 2025-03-01\nlanguage: en\narticles:\n"
                                     + "".join(f"  - {name}\n" for name in ARTICLES), "utf-8")
    out = root.parent / "out"
    return out, masthead("build", str(root), "-o", str(out), "-f", "epub,pdf")


def test_the_build_succeeds(built):
    out, result = built
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_pictures_image_stays_and_what_goes_is_said(built):
    out, result = built
    book = Epub(out / "probe.epub")
    media = next(i["href"] for i in book.manifest().values() if i["href"].startswith("media"))
    images = list(book.xml(media).iter("{http://www.w3.org/1999/xhtml}img"))
    assert [i.get("alt") for i in images] == ["WPICTUREALT"]
    warned = [line for line in result.stderr.splitlines() if "left out: e-readers cannot be relied on" in line]
    assert [re.search(r"<(\w+)>", line)[1] for line in warned] == ["video", "svg"], result.stderr
    assert all(re.match(r".*media\.html:\d+:1: warning:", line) for line in warned), warned


def test_every_word_reaches_the_epub(built):
    out, _ = built
    book = Epub(out / "probe.epub")
    text = " ".join(" ".join(book.xml(i["href"]).itertext()) for i in book.manifest().values()
                    if i["media-type"] == "application/xhtml+xml")
    assert [w for w in WORDS if w not in text] == []
    assert "WCRTITLE" in " ".join(book.xml("nav.xhtml").itertext())  # the front matter was read as such


def test_a_title_from_a_heading_has_its_words_only(built):
    out, _ = built
    nav = " ".join(Epub(out / "probe.epub").xml("nav.xhtml").itertext())
    assert "WLINEA WLINEB" in nav and "WEVIL" not in nav, nav


def test_every_word_reaches_the_pdf(built):
    out, _ = built
    text = subprocess.run([need("pdftotext"), str(out / "probe.pdf"), "-"], capture_output=True, text=True).stdout
    assert [w for w in WORDS if w not in " ".join(text.split())] == []


def test_no_footnote_role_on_a_section(built):
    out, _ = built
    book = Epub(out / "probe.epub")
    for item in book.manifest().values():
        if item["media-type"] == "application/xhtml+xml":
            for section in book.xml(item["href"]).iter("{http://www.w3.org/1999/xhtml}section"):
                assert section.get("role") != "doc-footnote", item["href"]


def test_epubcheck_passes(built):
    out, _ = built
    assert [(m["ID"], m["message"]) for m in epubcheck(out / "probe.epub")] == []
