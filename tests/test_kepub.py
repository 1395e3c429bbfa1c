"""The KEPUB (Kobo's EPUB): the EPUB with koboSpans, checked against the plain EPUB of the same build.

Each book is built once per module with ``--format epub,kepub`` (the sample with the PDF too,
so that its documents carry page-break markers): the KEPUB's documents must be the EPUB's with
spans and Kobo's two divs added and nothing else changed, and everything that is not a content
document (package, navigation, NCX, styles, fonts, images) must be the same bytes.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from helpers import NS, SAMPLE, Epub, epubcheck, masthead
from masthead.export.kepub import koboize, sentences

X = NS["x"]
EPUB_TYPE = f"{{{NS['epub']}}}type"
KOBO_ID = re.compile(r"kobo\.(\d+)\.(\d+)")
CASES = Path(__file__).parent / "cases"
SUFFIX = {"epub": ".epub", "kepub": ".kepub.epub", "pdf": ".pdf"}


def build(issue: Path, out: Path, formats: str) -> dict[str, Path]:
    result = masthead("build", str(issue), "-o", str(out), "--format", formats)
    assert result.returncode == 0, result.stderr
    assert "kobo-spans" not in result.stderr  # masthead's own device check finds every document spanned
    return {fmt: out / f"{issue.name}{SUFFIX[fmt]}" for fmt in formats.split(",")}


@pytest.fixture(scope="module")
def sample_books(tmp_path_factory) -> dict[str, Path]:
    return build(SAMPLE, tmp_path_factory.mktemp("kepub-sample"), "epub,kepub,pdf")


@pytest.fixture(scope="module")
def strand_books(strand_copy, tmp_path_factory) -> dict[str, Path]:
    return build(strand_copy, tmp_path_factory.mktemp("kepub-strand"), "epub,kepub")


@pytest.fixture(scope="module", params=["sample", "strand"])
def books(request) -> dict[str, Path]:
    return request.getfixturevalue(f"{request.param}_books")


def content_documents(book: Epub) -> list[str]:
    return book.spine()  # cover, contents, articles (the nav is not in the spine)


def articles(book: Epub) -> list[str]:
    """The spine's articles: not the cover, the contents or an advert's page (issue.yaml's adverts:)."""
    return [href for href in book.spine() if href not in ("cover.xhtml", "contents.xhtml") and not href.startswith("advert-")]


def kobo_spans(root) -> list:
    return [s for s in root.iter(f"{{{X}}}span") if s.get("class") == "koboSpan"]


def without_kobo(root):
    """The document with every koboSpan and Kobo's two divs replaced by their content."""
    for span in kobo_spans(root):
        span.tag = "strip-me"
    for div in root.iter(f"{{{X}}}div"):
        if div.get("id") in ("book-columns", "book-inner"):
            div.tag = "strip-me"
    etree.strip_tags(root, "strip-me")
    return root


def body_text(root) -> str:
    return "".join(root.find(f"{{{X}}}body").itertext())


# --- the built books ------------------------------------------------------------------------

def test_the_file_is_named_slug_kepub_epub(sample_books, strand_books):
    for books, slug, extra in ((sample_books, SAMPLE.name, {f"{SAMPLE.name}.pdf"}),
                               (strand_books, "strand-1891", set())):
        out = books["kepub"].parent
        names = {p.name for p in out.iterdir() if not p.name.endswith(".json")}
        assert names == {f"{slug}.epub", f"{slug}.kepub.epub"} | extra
        with zipfile.ZipFile(books["kepub"]) as z:
            first = z.infolist()[0]
            assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
            assert z.read("mimetype") == b"application/epub+zip"


def test_epubcheck_reports_nothing(books):
    assert epubcheck(books["kepub"]) == []


def test_every_article_has_kobo_spans_with_unique_ids(books):
    book = Epub(books["kepub"])
    assert len(articles(book)) >= 8
    for href in articles(book):
        root = book.xml(href)
        spans = kobo_spans(root)
        assert len(spans) > 10, href
        ids = [s.get("id") for s in spans]
        assert all(KOBO_ID.fullmatch(i) for i in ids), href
        assert len(set(ids)) == len(ids), href
        every_id = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(set(every_id)) == len(every_id), href


def test_numbering_starts_at_one_and_follows_the_text(books):
    book = Epub(books["kepub"])
    for href in content_documents(book):
        numbers = [tuple(map(int, KOBO_ID.fullmatch(s.get("id")).groups())) for s in kobo_spans(book.xml(href))]
        assert numbers[0] == (1, 1), href
        for (p0, s0), (p1, s1) in itertools.pairwise(numbers):
            # the next segment of the same paragraph, or the first segment of the next one
            assert (p1, s1) in ((p0, s0 + 1), (p0 + 1, 1)), (href, (p0, s0), (p1, s1))


def test_spans_hold_text_or_one_image_and_never_nest(books):
    book = Epub(books["kepub"])
    for href in content_documents(book):
        root = book.xml(href)
        for span in kobo_spans(root):
            assert span.getparent().get("class") != "koboSpan"
            if len(span):
                assert [c.tag for c in span] == [f"{{{X}}}img"] and not (span.text or "").strip(), href
            else:
                assert span.text and span.text.strip(), href
        for img in root.iter(f"{{{X}}}img"):
            assert img.getparent().get("class") == "koboSpan", href


def test_body_content_is_inside_book_columns_and_book_inner(books):
    book = Epub(books["kepub"])
    for href in content_documents(book):
        body = book.xml(href).find(f"{{{X}}}body")
        assert not (body.text or "").strip() and len(body) == 1, href
        (columns,) = body
        assert (columns.tag, columns.get("id")) == (f"{{{X}}}div", "book-columns")
        assert [(c.tag, c.get("id")) for c in columns] == [(f"{{{X}}}div", "book-inner")]


def test_text_is_the_plain_epubs_text(books):
    plain, kobo = Epub(books["epub"]), Epub(books["kepub"])
    assert content_documents(kobo) == content_documents(plain)
    for href in content_documents(kobo):
        assert body_text(kobo.xml(href)) == body_text(plain.xml(href)), href


def test_only_spans_and_divs_were_added(books):
    """With Kobo's markup taken out, each document is the plain EPUB's, element for element."""
    plain, kobo = Epub(books["epub"]), Epub(books["kepub"])
    for href in content_documents(kobo):
        expected = etree.tostring(plain.xml(href), method="c14n")
        assert etree.tostring(without_kobo(kobo.xml(href)), method="c14n") == expected, href
        source = kobo.read(href)
        assert source.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html '), href


def test_noterefs_and_page_breaks_survive_unchanged(sample_books):
    plain, kobo = Epub(sample_books["epub"]), Epub(sample_books["kepub"])
    noterefs = breaks = 0
    for href in content_documents(kobo):
        def markers(book, href=href):
            root = book.xml(href)
            found = [e for e in root.iter() if e.get(EPUB_TYPE) in ("noteref", "pagebreak")]
            return [etree.tostring(e, with_tail=False) for e in found]

        ours = markers(kobo)
        assert ours == markers(plain), href
        noterefs += sum(b' epub:type="noteref"' in m for m in ours)
        breaks += sum(b' epub:type="pagebreak"' in m for m in ours)
        for marker in ours:
            assert b"koboSpan" not in marker
    assert noterefs >= 4 and breaks >= 10
    # The page list and the notes still point at ids that exist.
    for entry in kobo.nav().findall(".//x:nav[@epub:type='page-list']//x:a", NS):
        document, fragment = entry.get("href").split("#")
        assert kobo.xml(document).find(f".//*[@id='{fragment}']") is not None, entry.get("href")
    night = kobo.xml("night-shift.xhtml")
    for ref in night.findall(".//x:a[@epub:type='noteref']", NS):
        note = night.find(f".//*[@id='{ref.get('href').lstrip('#')}']")
        assert note.get(EPUB_TYPE) == "footnote"


def test_nav_is_left_alone(books):
    kobo = Epub(books["kepub"])
    assert b"koboSpan" not in kobo.read("nav.xhtml") and b"book-columns" not in kobo.read("nav.xhtml")


def test_package_navigation_and_resources_are_the_plain_epubs(books):
    with zipfile.ZipFile(books["epub"]) as plain, zipfile.ZipFile(books["kepub"]) as kobo:
        assert kobo.namelist() == plain.namelist()
        documents = {f"EPUB/{href}" for href in content_documents(Epub(books["kepub"]))}
        for name in kobo.namelist():
            if name not in documents:
                assert kobo.read(name) == plain.read(name), name
    plain_opf, kobo_opf = Epub(books["epub"]).opf, Epub(books["kepub"]).opf
    metadata = [etree.tostring(opf.find("opf:metadata", NS), method="c14n") for opf in (plain_opf, kobo_opf)]
    assert metadata[0] == metadata[1]


def test_two_builds_are_byte_identical(strand_books, strand_copy, tmp_path):
    again = build(strand_copy, tmp_path, "kepub")
    assert again["kepub"].read_bytes() == strand_books["kepub"].read_bytes()


# --- the transformation on small documents --------------------------------------------------

def page(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en">'
            f'<head><title>t</title></head><body>{body}</body></html>\n').encode()


def inner(document: bytes) -> str:
    text = document.decode()
    return text.split('<div id="book-columns"><div id="book-inner">', 1)[1].split("</div></div></body>", 1)[0]


def k(n: str, text: str) -> str:
    return f'<span class="koboSpan" id="kobo.{n}">{text}</span>'


def test_sentences_split_after_terminators_and_space():
    assert sentences("One. Two? “Three!” Four… five") == ["One. ", "Two? ", "“Three!” ", "Four… ", "five"]
    assert sentences("At 2.40 a.m. it was") == ["At 2.40 a.m. ", "it was"]
    assert sentences("Mr.\u00a0Holmes. ") == ["Mr.\u00a0Holmes. "]  # no break at a no-break space
    assert sentences("夜です。港は静か！ そう？") == ["夜です。", "港は静か！ ", "そう？"]
    assert sentences("هل تنام؟ لا.") == ["هل تنام؟ ", "لا."]
    for text in ("", "  ", "no end", "a. b. ", "x\n\ny. z"):
        assert "".join(sentences(text)) == text


def test_spans_follow_inline_markup_without_restructuring():
    out = koboize(page('<p>One. Two <em>three. Four</em> five.</p>\n<p>Six.</p>'))
    assert inner(out) == (f'<p>{k("1.1", "One. ")}{k("1.2", "Two ")}<em>{k("1.3", "three. ")}{k("1.4", "Four")}</em>'
                          f'{k("1.5", " five.")}</p>\n<p>{k("2.1", "Six.")}</p>')
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html ')


def test_markers_noterefs_and_text_only_elements_get_no_spans():
    body = ('<p>A.<span id="page-3" epub:type="pagebreak" role="doc-pagebreak" aria-label="3"/>B'
            '<a href="#n1" id="r1" epub:type="noteref" role="doc-noteref">1</a> C.</p>'
            '<pre>x. y</pre><p><time>2025-01-01</time> and <time datetime="2025">then</time></p>'
            '<svg xmlns="http://www.w3.org/2000/svg"><text>S. T</text></svg>')
    assert inner(koboize(page(body))) == (
        f'<p>{k("1.1", "A.")}<span id="page-3" epub:type="pagebreak" role="doc-pagebreak" aria-label="3"/>{k("1.2", "B")}'
        f'<a href="#n1" id="r1" epub:type="noteref" role="doc-noteref">1</a>{k("1.3", " C.")}</p>'
        f'<pre>x. y</pre><p><time>2025-01-01</time>{k("2.1", " and ")}<time datetime="2025">{k("2.2", "then")}</time></p>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>S. T</text></svg>')


def test_images_get_their_own_span_and_nested_blocks_their_own_paragraph():
    image = '<img src="a.png" alt="A"/>'
    body = f'<figure>{image}<figcaption>Cap.</figcaption></figure><ul><li>One <p>two</p> three</li></ul>'
    assert inner(koboize(page(body))) == (
        f'<figure>{k("1.1", image)}'
        f'<figcaption>{k("2.1", "Cap.")}</figcaption></figure>'
        f'<ul><li>{k("3.1", "One ")}<p>{k("4.1", "two")}</p>{k("5.1", " three")}</li></ul>')


def test_existing_ids_are_not_reused_and_a_kepub_is_not_spanned_twice():
    once = koboize(page('<p id="kobo.1.1">One. Two.</p>'))
    assert inner(once) == f'<p id="kobo.1.1">{k("1.2", "One. ")}{k("1.3", "Two.")}</p>'
    assert koboize(once) == once


@pytest.mark.parametrize("golden", sorted(CASES.glob("*/golden/*.xhtml")), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_golden_documents_keep_their_text(golden):
    source = golden.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    before, after = etree.fromstring(source, parser), etree.fromstring(koboize(source), parser)
    if after.find(f"{{{X}}}body") is None:
        return
    assert body_text(after) == body_text(before)
    assert etree.tostring(without_kobo(after), method="c14n") == etree.tostring(before, method="c14n")
