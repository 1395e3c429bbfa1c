"""A right-to-left issue: Arabic throughout, one English article inside, EPUB and PDF."""

from __future__ import annotations

import re
import subprocess

import pytest

import pagefaults
from helpers import NS, ROOT, Epub, build_folder, epubcheck, need

ARABIC = ROOT / "issues" / "al-fanar-2025-11-28"
ENGLISH_CHROME = re.compile(r"min read|More from|Contents|\bBy\b|Issue \d|Volume|Cover|Landmarks|Pages|Edited by")


@pytest.fixture(scope="module")
def arabic(tmp_path_factory):
    return build_folder(ARABIC, tmp_path_factory.mktemp("arabic-out"))


def test_epubcheck(arabic):
    assert epubcheck(arabic["epub"]) == []


def test_spine_and_documents_read_right_to_left(arabic):
    book = Epub(arabic["epub"])
    assert book.opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    assert book.opf.get("dir") == "rtl" and book.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    for href in ("cover.xhtml", "contents.xhtml", "nav.xhtml", "al-mina.xhtml", "madina-la-tanam.xhtml", "kitab.xhtml"):
        root = book.xml(href)
        assert (root.get("lang"), root.get("dir")) == ("ar", "rtl"), href
    # The English article's page is paged like the issue's; its own language is on <article>.
    english = book.xml("last-word.xhtml")
    assert (english.get("lang"), english.get("dir")) == ("ar", "rtl")
    article = english.find(".//x:article", NS)
    assert (article.get("lang"), article.get("dir")) == ("en-GB", "ltr")


def test_arabic_chrome_has_no_english(arabic):
    book = Epub(arabic["epub"])
    for href in ("cover.xhtml", "contents.xhtml", "nav.xhtml", "al-mina.xhtml", "kitab.xhtml"):
        root = book.xml(href)
        # Text of the page, less what belongs to the English article (marked lang="en-GB").
        for element in root.iter():
            if element.get("lang") == "en-GB" and element is not root:
                element.clear()
        text = " ".join(root.find("x:body", NS).itertext())
        assert not ENGLISH_CHROME.search(text), (href, ENGLISH_CHROME.search(text))
    assert "دقائق للقراءة" in book.read("al-mina.xhtml").decode() or "دقيقة" in book.read("al-mina.xhtml").decode()


def test_english_article_and_names_are_isolated_in_the_arabic_contents(arabic):
    """The whole entry is English and left to right (its <li>, so it is aligned as one), but
    its reading time is Arabic, and the names are isolated in it."""
    book = Epub(arabic["epub"])
    contents = book.xml("contents.xhtml")
    entry = contents.find(".//x:a[@href='last-word.xhtml']/..", NS)
    assert (entry.get("lang"), entry.get("dir")) == ("en-GB", "ltr")
    meta = entry.find("x:span[@class='contents-meta']", NS)
    assert (meta.get("lang"), meta.get("dir")) == ("ar", "rtl")
    names = meta.findall("x:bdi", NS)
    assert [("".join(b.itertext()), b.get("dir")) for b in names] == [("Harriet Okonjo-Vale", "ltr")]
    entry = book.xml("nav.xhtml").find(".//x:a[@href='last-word.xhtml']/..", NS)
    assert (entry.get("lang"), entry.get("dir")) == ("en-GB", "ltr")


def test_pdf_is_mirrored(arabic):
    """Binding on the right: page 3 is a left-hand page, its folio at the outer (left) edge."""
    need("pdftotext")
    out = subprocess.run(["pdftotext", "-f", "3", "-l", "4", "-bbox", str(arabic["pdf"]), "-"],
                         capture_output=True, text=True, check=True).stdout
    pages = out.split("<page ")[1:]
    width = float(re.search(r'width="([\d.]+)"', pages[0]).group(1))

    def folio_x(page: str, number: int) -> float:
        return next(float(m.group(1)) for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(\d+)</word>', page)
                    if m.group(3) == str(number) and float(m.group(2)) < 60)

    assert folio_x(pages[0], 3) < width / 2  # left-hand page: folio on the left
    assert folio_x(pages[1], 4) > width / 2  # right-hand page: folio on the right


def test_pdf_sets_arabic_only_in_the_theme_faces(arabic):
    """Running heads and folios in Arabic need the Naskh face too: a machine's own fallback
    (DejaVu Sans here) would set them in another design, and differ from one machine to the next."""
    need("pdffonts")
    listing = subprocess.run(["pdffonts", str(arabic["pdf"])], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in listing.splitlines()[2:]]
    assert names and all("+Masthead-" in name for name in names), names
    assert not [name for name in names if "Naskh" in name and "Oblique" in name]  # no slanted Arabic


def test_an_english_article_is_framed_in_arabic(arabic):
    """As a newsstand app frames a foreign-language story in its own interface: around the
    English article, the byline's "By", the date, the reading time and "More from" are Arabic
    and right to left; its headline, standfirst and body stay English, left to right."""
    page = Epub(arabic["epub"]).xml("last-word.xhtml")
    article = page.find(".//x:article", NS)
    assert (article.get("lang"), article.get("dir")) == ("en-GB", "ltr")
    meta = article.find(".//x:p[@class='article-meta']", NS)
    assert (meta.get("lang"), meta.get("dir")) == ("ar", "rtl")
    text = "".join(meta.itertext())
    assert not ENGLISH_CHROME.search(text) and "بقلم" in text and "نوفمبر" in text, text
    names = meta.find(".//x:bdi", NS)
    assert ("".join(names.itertext()), names.get("lang"), names.get("dir")) == ("Harriet Okonjo-Vale", "en-GB", "ltr")
    more = article.find(".//x:aside[@class='more-from']", NS)
    assert (more.get("lang"), more.get("dir")) == ("ar", "rtl")
    assert not ENGLISH_CHROME.search(" ".join(more.itertext())) and not ENGLISH_CHROME.search(more.get("aria-label"))
    headline = article.find(".//x:h1", NS)
    assert headline.text == "In praise of the small hours" and headline.get("lang") is None  # the article's
    body = "".join(article.find(".//x:div[@class='article-body']", NS).itertext())
    assert "the small hours" in body


def test_no_stranded_heading_and_no_lonely_ending_in_print(arabic):
    need("mutool")
    assert pagefaults.faults(arabic["pdf"], arabic["epub"]) == []


def test_the_english_articles_last_block_has_no_raised_initial(arabic):
    # Its last paragraph is set apart to stay with "More from"; only the article's first gets
    # the raised initial, which MuPDF reads as a line of its own ("T", then "he next time …").
    need("mutool")
    texts = [line.text for page in pagefaults.lines(arabic["pdf"]) for line in page]
    assert any(text.startswith("The next time you wake") for text in texts)
    assert any(text.startswith("veryone has a small-hours face") for text in texts)  # the first one's "E" raised


def test_a_bidi_override_in_a_byline_is_isolated_and_reverses_nothing_after_it_in_every_format(issue_dir, tmp_path):
    """A name holding U+202E (right-to-left override) and no end to it reversed what followed
    the byline: the other names and the date. Each name is isolated: a <bdi> of its own in the
    EPUB's and the web edition's article and contents, and FSI…PDI in the print document
    (WeasyPrint implements no unicode-bidi), where only that name's letters turn round."""
    import lxml.html

    override = "Ann \u202eLee"
    one = issue_dir / "articles" / "one.md"
    one.write_text(one.read_text().replace("byline: Ann Author\n", f'byline: ["{override}", "Bob Roe"]\ndate: 2025-01-30\n'))
    built = build_folder(issue_dir, tmp_path / "out", "epub,html,pdf")
    book = Epub(built["epub"])
    web = lxml.html.fromstring((tmp_path / "out" / "issue" / "one.html").read_bytes())
    epub_meta = book.xml("one.xhtml").find(".//x:p[@class='article-meta']", NS)
    web_meta = web.find(".//p[@class='article-meta']")
    for meta, bdi, time in ((epub_meta, "x:bdi", "x:time"), (web_meta, "bdi", "time")):
        names = meta.findall(f".//{bdi}", NS)
        assert ["".join(b.itertext()) for b in names] == [override, "Bob Roe"]
        assert meta.find(f".//{time}", NS).getparent() is meta  # the date stands outside every isolate
    contents = book.xml("contents.xhtml").find(".//x:a[@href='one.xhtml']/..", NS)
    assert ["".join(b.itertext()) for b in contents.findall(".//x:bdi", NS)] == [override, "Bob Roe"]
    text = subprocess.run([need("pdftotext"), str(built["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert "Ann eeL and Bob Roe · January 30, 2025" in text, text
