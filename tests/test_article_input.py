"""Article input a probe found mishandled: each case must keep its text and give an EPUB that
EPUBCheck passes, and a PDF that builds. One small issue holds them all (EPUBCheck once).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from helpers import NS, Epub, epubcheck, masthead, need

# Markup an HTML parser forgives and EPUBCheck refuses (repair.py mends it): each fragment's
# W… words must all arrive. The same fragments go in as XHTML (read exactly as written) and as
# HTML after a <title> (where libxml2's HTML 4 parser left HTML5 elements in the head).
ODD_MARKUP = [
    '<p>WDIVP1 <div>WDIVP2</div> WDIVP3</p>',
    '<p>WULP1<ul><li>WULP2</li></ul>WULP3</p>',
    '<p>WTABP1<table><tr><td>WTABP2</td></tr></table></p>',
    '<p>WHP1<h2>WHP2</h2>WHP3</p>',
    '<p><span>WSPAN1<div>WSPAN2</div>WSPAN3</span></p>',
    '<div><em>WEM1<p>WEM2</p></em></div>',
    '<ul><p>WPUL1</p><li>WPUL2</li>WPUL3</ul>',
    '<div><li>WLI1</li><li>WLI2</li></div>',
    '<table><tr><td>WCAP1</td></tr><caption>WCAP2</caption></table>',
    '<table><tr><td colspan="0" rowspan="x">WCOL1</td><td colspan="2000">WCOL2</td></tr></table>',
    '<p><time datetime="garbage">WTIME1</time> <time>WTIME2</time> <time>2024-01-02</time></p>',
    '<p role="banana">WROLE1</p><div role="note doc-banana">WROLE2</div>',
    '<p><a href="https://example.com/">WAA1 <a href="https://example.org/">WAA2</a></a></p>',
    '<table>WTT1<tr><td>WTT2</td>WTT3</tr></table>',
    '<div><td>WTD1</td></div><tr><td>WTD2</td></tr>',
    '<dl>WDL1<p>WDL2</p><dd>WDL3</dd><dt>WDL4</dt></dl><dd>WDL5</dd>',
    '<figure><p>WFIG1</p><figcaption>WFIG2</figcaption><p>WFIG3</p><figcaption>WFIG4</figcaption></figure><figcaption>WFIG5</figcaption>',
    '<details><p>WSUM1</p><summary>WSUM2</summary></details><summary>WSUM3</summary>',
    '<header><header>WHDR1</header><footer>WHDR2</footer></header><address><h2>WHDR3</h2></address>',
    '<hgroup><h2>WHG1</h2><p>WHG2</p><div>WHG3</div></hgroup>',
    '<ol start="x" type="q" reversed="no"><li value="v">WATT1</li></ol><p dir="sideways" lang="not a lang!">WATT2</p>'
    '<img src="https://example.com/x.png" width="wide"/><details open="maybe"><summary>s</summary>WATT3</details>',
    '<p aria-hidden="yes" aria-banana="1" aria-level="high" aria-describedby="nope">WARIA1</p>',
    '<p><bdo>WBDO1</bdo> <data>WDATA1</data> <rt>WRT1</rt></p>',
    '<table><thead><tr><th>WTH1</th></tr></thead><thead><tr><th>WTH2</th></tr></thead><tbody><td>WTH3</td></tbody><tfoot><tr><td>WTH4</td></tr></tfoot><tr><td>WTH5</td></tr></table>',
    '<p>WHR1<hr/>WHR2</p>',
    '<pre>WPRE1<div>WPRE2</div></pre>',
    '<p>WBQ1<blockquote>WBQ2</blockquote></p>',
    '<ol>WOL1<li>WOL2</li></ol>',
    '<ul></ul><ol>  </ol><dl></dl><table></table><tr></tr>',
    '<details><p>WDET1</p></details>',
    '<p>WABP1<a href="https://example.com/"><div>WABP2</div></a></p>',
    '<table><tr><th id="h1x">a</th><td headers="h1x nothere">WHEAD1</td></tr></table>',
    '<table><tr><th scope="diagonal">WSCOPE1</th></tr></table>',
    '<p><dfn>WDFN1 <dfn>WDFN2</dfn></dfn></p>',
    '<table><caption>WCT1<table><tr><td>WCT2</td></tr></table></caption><tr><td>x</td></tr></table>',
    '<table><colgroup><td>WCG1</td></colgroup><col span="0"/><tr><td>x</td></tr></table>',
    '<p><ruby>WRB1<rt>WRB2</rt></ruby><rp>(</rp></p>',
    '<div role="note">WRO1</div><section role="doc-chapter">WRO2</section><aside role="doc-tip">WRO3</aside>'
    '<p><a href="https://example.com/" role="doc-biblioref">WRO4</a></p><figure role="group"><p>WRO5</p></figure>'
    '<span role="presentation">WRO6</span><div role="region">WRO7</div><div role="complementary">WRO8</div>',
    '<p role="doc-chapter">WRM1</p><span role="doc-noteref">WRM2</span><div role="button">WRM3</div>'
    '<p role="heading">WRM4</p><div role="note doc-tip">WRM5</div>',
    '<dl><div><dt>WDD1</dt><dd>WDD2</dd></div><div><dt>WDD3</dt><dd>WDD4</dd></div></dl>',
    '<p><time datetime="2024-02-30T10:00Z">WTI1</time> <time datetime="PT2H30M">WTI2</time> <time>10:30</time> '
    '<time datetime="2024-W05">WTI3</time> <time datetime="2024-13-01">WTI4</time></p>',
    '<p><em>WED1<strong>WED2<ul><li>WED3</li></ul>WED4</strong></em></p>',
    '<p>WLP1<li>WLP2</li>WLP3</p>',
]


ARTICLES = {
    # An end tag of the page in raw HTML ended libxml2's reading of the article there.
    "articles/stray-end-tags.md": "---\ntitle: Stray\n---\n\nWSTART\n\n</div></div></article></body></html>\n\nWAFTERCLOSE\n",
    # Lone CR line ends: CommonMark's line ends too, front matter included.
    "articles/lone-cr.md": b"---\rtitle: WCRTITLE\r---\r\rWCRBODY one.\r\rWCRBODY two.\r",
    # UTF-8 bytes under a declaration of Latin-1 (or windows-1252): read as the UTF-8 they are.
    "articles/declared-latin1.xhtml": ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
                                      '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Latin</title></head>'
                                      "<body><p>WENC café</p></body></html>\n").encode(),
    "articles/declared-1252.html": ('<?xml version="1.0" encoding="windows-1252"?>\n<title>Win</title>'
                                    "<p>WWIN naïve <b>bold</p>\n").encode(),
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
    "articles/odd-markup.xhtml": ('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Odd XHTML</title></head><body>'
                                  + "".join(ODD_MARKUP) + "</body></html>\n"),
    "articles/odd-markup-html.html": "<title>Odd HTML</title>\n<section>HSECTIONFIRST1</section>" + re.sub(
        r"\bW([A-Z]{2,}\d+)", r"H\1", "".join(ODD_MARKUP)) + "\n",
}
WORDS = ("WSTART", "WAFTERCLOSE", "WCRTITLE", "WCRBODY", "WENC café", "WWIN naïve", "WSECTIONNOTE", "WFTABLE",
         "WPLAINNOTE", "WMEDIA")
ODD_WORDS = sorted(set(re.findall(r"\bW[A-Z]{2,}\d+\b", "".join(ODD_MARKUP))))


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
    _out, result = built
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
    for article, prefix in (("odd-markup.xhtml", "W"), ("odd-markup-html.xhtml", "H")):  # each word in its own article
        odd = " ".join(book.xml(article).itertext())
        assert [w for w in ODD_WORDS if not re.search(rf"\b{prefix}{w[1:]}\b", odd)] == [], article
    assert "HSECTIONFIRST1" in " ".join(book.xml("odd-markup-html.xhtml").itertext())
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


@pytest.mark.parametrize("fmt", ["epub", "pdf"])
def test_markup_nested_too_deep_is_the_articles_error(tmp_path, fmt):
    """libxml2 opens no document nested 256 deep: that was blamed on the theme's template; and
    WeasyPrint's layout ran out of stack near 250 (a RecursionError, an internal error)."""
    (tmp_path / "a.html").write_text("<title>Deep</title><p>x</p>" + "<div>" * 240 + "WDEEP" + "</div>" * 240, "utf-8")
    (tmp_path / "b.md").write_text("---\ntitle: Fine\n---\n\nFine.\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - b.md\n  - a.html\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", fmt)
    assert result.returncode == 1, result.stderr
    # the 101st <div>, at its column: 27 characters of <title> and <p>, then 100 <div>s
    assert re.search(r"(^|/)a\.html:1:528: elements nested more than 100 deep", result.stderr), result.stderr
    assert "template" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_each_warning_points_at_its_own_occurrence(tmp_path):
    """Warnings found by searching the source for the text pointed every repeat at the first."""
    from PIL import Image

    (tmp_path / "x.png").write_bytes(b"")
    Image.new("RGB", (20, 20)).save(tmp_path / "x.png")
    (tmp_path / "a.html").write_text('<title>A</title>\n<p><img src="x.png"/></p>\n<p>text</p>\n<p><img src="x.png"/></p>\n'
                                     '<p><a href="#nope">l</a></p>\n<p><a href="#nope">m</a></p>\n', "utf-8")
    (tmp_path / "b.md").write_text("---\ntitle: B\n---\n\n[a](#gone) and [b](#gone)\n\n"
                                   '<img alt="no src"><img src="x.png">\n\n<img src="x.png">\n', "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - a.html\n  - b.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    found = re.findall(r"(\w\.\w+):(\d+):(\d+): warning: (image without|'#\w+' names)", result.stderr)
    assert sorted((f, int(line), int(col)) for f, line, col, _ in found) == [
        ("a.html", 2, 14), ("a.html", 4, 14), ("a.html", 5, 13), ("a.html", 6, 13), ("b.md", 5, 5), ("b.md", 5, 20),
        ("b.md", 7, 29), ("b.md", 9, 11)], result.stderr  # an <img> with no src shifts nothing


def test_an_image_named_cover_is_not_the_cover(tmp_path):
    """images/cover.png in an article took the generated cover's name: two ZIP entries, one picture."""
    import zipfile

    from PIL import Image

    (tmp_path / "images").mkdir()
    Image.new("RGB", (300, 200), (200, 0, 0)).save(tmp_path / "images" / "cover.png")
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\n![Red box](images/cover.png)\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - a.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0 and "Duplicate name" not in result.stderr, result.stderr
    path = tmp_path / "out" / f"{tmp_path.name}.epub"
    names = zipfile.ZipFile(path).namelist()
    assert len(names) == len(set(names))
    book = Epub(path)
    img = next(book.xml("a.xhtml").iter("{http://www.w3.org/1999/xhtml}img"))
    picture = Image.open(__import__("io").BytesIO(book.read(img.get("src"))))
    assert picture.size == (300, 200) and picture.convert("RGB").getpixel((5, 5)) == (200, 0, 0)
    assert [(m["ID"], m["message"]) for m in epubcheck(path)] == []


def test_fragments_in_any_script_and_positions_below_front_matter(tmp_path):
    """markdown-it percent-encodes #café, so no link to a heading in another script resolved;
    a search for an image's src found it in the front matter first; alt: "" was called missing."""
    from PIL import Image

    Image.new("RGB", (20, 20)).save(tmp_path / "x.png")
    (tmp_path / "b.md").write_text(
        '---\ntitle: B\nimage: {src: x.png, alt: ""}\n---\n\nFirst ![ok alt](x.png) here.\n\n![](x.png)\n\n<img src="x.png">\n\n'
        "Links [a](#café), [b](#caf%C3%A9), [c](#مرحبا-بالعالم) and [d](#nowhere).\n\n## Café\n\n## مرحبا بالعالم\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - b.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    warnings = [line.split("b.md:", 1)[1] for line in result.stderr.splitlines() if "warning:" in line]
    assert warnings == ["10:11: warning: image without alt text; describe it, or write alt=\"\" if it is decorative",
                        "12:64: warning: '#nowhere' names no element in this article; link removed"], result.stderr
    path = tmp_path / "out" / f"{tmp_path.name}.epub"
    doc = Epub(path).xml("b.xhtml")
    ids = {e.get("id") for e in doc.iter() if e.get("id")}
    hrefs = [a.get("href") for a in doc.iter("{http://www.w3.org/1999/xhtml}a") if (a.get("href") or "").startswith("#")]
    assert hrefs == ["#café", "#café", "#مرحبا-بالعالم"] and {"café", "مرحبا-بالعالم"} <= ids
    assert [(m["ID"], m["message"]) for m in epubcheck(path)] == []


def test_a_form_or_noscript_keeps_its_text_and_an_open_comment_is_warned(tmp_path):
    (tmp_path / "d.md").write_text('---\ntitle: D\n---\n\n<form action="x">\n\nInside a form WFORM1\n\n'
                                   '<label>Label WFORM2 <input value="v"></label>\n\n</form>\n\n<noscript>WNOSCRIPT</noscript>\n', "utf-8")
    (tmp_path / "c.html").write_text("<title>C</title>\n<p>one</p>\n<p>two <!-- an editor's note\n<p>three</p>\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - d.md\n  - c.html\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    text = " ".join(Epub(tmp_path / "out" / f"{tmp_path.name}.epub").xml("d.xhtml").itertext())
    assert all(w in text for w in ("WFORM1", "WFORM2", "WNOSCRIPT")), text
    assert re.search(r"c\.html:3:8: warning: an HTML comment opened here is never closed", result.stderr), result.stderr


def test_a_vast_table_is_cut_at_its_rows_and_a_page_that_stays_too_big_names_its_element(tmp_path):
    """split.py cut between blocks only: a table had none to cut at, and its page stayed 500 KB.
    Now a table is cut at its rows; a paragraph of 400 KB has nowhere to be cut, and is named."""
    rows = "".join(f"| row {r} cell | some text here | {r} |\n" for r in range(8000))
    (tmp_path / "t.md").write_text("---\ntitle: T\n---\n\nIntro.\n\n| a | b | c |\n|---|---|---|\n" + rows, "utf-8")
    (tmp_path / "s.md").write_text("---\ntitle: S\n---\n\n" + "A paragraph of words that repeat.\n\n" * 12000, "utf-8")
    (tmp_path / "g.html").write_text("<title>G</title><p>Intro.</p>\n<p id='giant'>" + "Words without end. " * 22000 + "</p>", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - t.md\n  - s.md\n  - g.html\n",
                                         "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "even after splitting" in line]
    assert len(warned) == 1, result.stderr
    assert re.search(r"g\.html:2:4: warning: a page of \d+ KB even after splitting: <p id=\"giant\"> \(\"Words without end", warned[0])
    book = Epub(tmp_path / "out" / f"{tmp_path.name}.epub")
    sizes = {n: book.zip.getinfo(n).file_size for n in book.zip.namelist() if n.endswith(".xhtml")}
    assert [n.removeprefix(book.base)[:2] for n, size in sizes.items() if size > 300_000] == ["g-"]  # the giant's own page
    tables = [n for n in book.spine() if n.startswith("t") and book.xml(n).find(".//x:table", NS) is not None]
    assert len(tables) > 1  # the table in pieces, each with its head
    assert all(book.xml(n).find(".//x:table/x:thead", NS) is not None for n in tables)


def test_utf16_with_a_bom_is_read_and_an_empty_image_is_named(tmp_path):
    (tmp_path / "a.md").write_bytes("---\ntitle: Unicode\n---\n\nWUTF16 café\n".encode("utf-16"))
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - a.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    assert "WUTF16 café" in " ".join(Epub(tmp_path / "out" / f"{tmp_path.name}.epub").xml("a.xhtml").itertext())
    (tmp_path / "e.png").write_bytes(b"")
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\n\n![x](e.png)\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 1 and re.search(r"a\.md:5:\d+: 'e\.png': the file is empty", result.stderr), result.stderr


def test_a_broken_numbered_fragment_beside_footnotes_is_warned_at_its_place(tmp_path):
    """The footnotes' links (#note-1, #noteref-1 …, made from [^1]) are not in the source, and
    are no longer searched for one by one; a link the writer typed with such a name still is."""
    (tmp_path / "n.md").write_text("---\ntitle: N\n---\n\nA note[^1] and another[^2].\n\nSee [it](#note-9) and [that](#note-1).\n\n"
                                   "[^1]: One.\n[^2]: Two.\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - n.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    warnings = [line.split("n.md:", 1)[1] for line in result.stderr.splitlines() if "warning:" in line]
    assert warnings == ["7:10: warning: '#note-9' names no element in this article; link removed"], result.stderr
    doc = Epub(tmp_path / "out" / f"{tmp_path.name}.epub").xml("n.xhtml")
    hrefs = [a.get("href") for a in doc.iter("{http://www.w3.org/1999/xhtml}a")]
    assert hrefs.count("#note-1") == 2 and "#note-9" not in hrefs  # the note's own link, and the writer's


def _lead_image_issue(folder: Path, image_keys: str, formats: str = "epub") -> subprocess.CompletedProcess:
    """An issue of one article c.md whose lead image x.png has ``image_keys`` (YAML lines under
    ``image:``), built into folder/out."""
    from PIL import Image

    Image.new("RGB", (40, 30), (10, 20, 30)).save(folder / "x.png")
    (folder / "c.md").write_text(f"---\ntitle: C\nimage:\n  src: x.png\n  alt: A dark field\n{image_keys}---\n\n## Intro\n\nText.\n",
                                 "utf-8")
    (folder / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - c.md\n", "utf-8")
    return masthead("build", str(folder), "-o", str(folder / "out"), "-f", formats)


def test_a_lead_images_caption_and_credit_are_inline_markdown(tmp_path):
    """"Photograph: *Ann Lee* for [The Lantern](https://…)" was printed with its asterisks and
    brackets. Now it is set as Markdown, phrasing content only, links only out to the web."""
    result = _lead_image_issue(
        tmp_path, "  caption: 'The *harbour* at 3 a.m. -- \"quiet\" <div>WDIV</div> ![no](x.png) <script>alert(1)</script>"
        "<span id=\"intro\" epub:type=\"pagebreak\">.</span> <ruby>漢<rt>kan</rt></ruby> ^[aside]'\n"
        "  credit: 'Photograph: **Ann Lee** for [The Lantern](https://lantern.example/) and [here](c.md), "
        "[js](javascript:alert(1))'\n", "epub,pdf")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / f"{tmp_path.name}.epub"
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    doc = Epub(path).xml("c.xhtml")
    caption = doc.find(".//x:figure[@class='lead-image']//x:span[@class='caption']", ns)
    credit = doc.find(".//x:figure[@class='lead-image']//x:span[@class='credit']", ns)
    assert caption.find("x:em", ns).text == "harbour"
    assert "".join(caption.itertext()).split() == "The harbour at 3 a.m. – “quiet” WDIV . 漢kan ^[aside]".split()
    assert [e.tag.split("}")[1] for e in caption.iter()] == ["span", "em", "span", "ruby", "rt"]  # no div, img, script
    assert [e.get("id") for e in doc.iter() if e.get("id") == "intro"] == ["intro"]  # the heading's: none in the caption
    assert credit.find("x:strong", ns).text == "Ann Lee"
    assert [(a.get("href"), a.text) for a in credit.iter("{http://www.w3.org/1999/xhtml}a")] == [
        ("https://lantern.example/", "The Lantern")]  # the issue's file and javascript: are text
    assert "".join(credit.itertext()).endswith("and here, [js](javascript:alert(1))")  # markdown-it leaves it as text
    assert "&lt;" not in Epub(path).read("c.xhtml").decode() and "*" not in "".join(caption.itertext())
    assert [(m["ID"], m["message"]) for m in epubcheck(path)] == []
    need("pdftotext")
    text = subprocess.run(["pdftotext", str(tmp_path / "out" / f"{tmp_path.name}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Photograph: Ann Lee for The Lantern" in " ".join(text.split()) and "**" not in text


def test_a_caption_link_that_becomes_text_keeps_no_link_attributes(tmp_path):
    """A link inside a link, or to nowhere, gives way to a <span>: without its href and
    hreflang, which a <span> may not hold (EPUBCheck's RSC-005)."""
    result = _lead_image_issue(
        tmp_path, "  caption: '<a href=\"https://a.example/\">out <em><a href=\"https://b.example/\">in</a></em></a>'\n"
        "  credit: '<a href=\"javascript:alert(1)\" hreflang=\"fr\">Ann</a>'\n")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / f"{tmp_path.name}.epub"
    figure = Epub(path).xml("c.xhtml").find(".//{http://www.w3.org/1999/xhtml}figure[@class='lead-image']")
    spans = [e for e in figure.iter("{http://www.w3.org/1999/xhtml}span") if e.text in ("in", "Ann")]
    assert [(e.text, dict(e.attrib)) for e in spans] == [("in", {}), ("Ann", {})]
    assert [a.get("href") for a in figure.iter("{http://www.w3.org/1999/xhtml}a")] == ["https://a.example/"]
    assert [(m["ID"], m["message"]) for m in epubcheck(path)] == []


def test_a_caption_nested_too_deep_is_an_error_at_the_image(tmp_path):
    """The body's limit of 100 nested elements holds in a caption too: an error at the image,
    not an internal error."""
    result = _lead_image_issue(tmp_path, "  caption: '" + "<span>" * 120 + "deep" + "</span>" * 120 + "'\n")
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert re.search(r"c\.md:\d+:\d+: the lead image's caption or credit nests elements more than 100 deep", result.stderr), result.stderr
    assert not (tmp_path / "out").exists()


def test_links_that_leave_the_issue_are_kept_or_removed_at_their_line_never_an_internal_error(tmp_path):
    """A well-formed http(s), mailto or tel link stays; one that is not well formed, or of
    another scheme, is removed with a warning at its line, its text kept (a redesign once
    left this path calling a function that had moved, and every such link was an internal error)."""
    (tmp_path / "a.md").write_text(
        "---\ntitle: A\n---\n\n[ftp](ftp://example.com/)\n\n[mail](mailto:ed@example.com)\n\n[bare](https://)\n\n"
        "[host](//example.com/x)\n\n[good](https://example.com/a)\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles: [a.md]\n", "utf-8")
    result = masthead("check", str(tmp_path))
    assert result.returncode == 0 and "internal error" not in result.stderr, result.stderr
    warned = sorted((int(line), what) for line, what in re.findall(r"a\.md:(\d+):\d+: warning: link to '[^']*' removed(.{0,30})",
                                                                    result.stderr))
    assert [line for line, _ in warned] == [5, 9, 11], result.stderr  # ftp, the bare https://, //host: mailto and https stay
    assert "only http(s), mailto and tel" in result.stderr and "not a well-formed URL" in result.stderr
