"""Books as real ones are: an endnotes list of 10,000 items, and ids that HTML allows but XML
names do not (Standard Ebooks' ``entry-1661-7-18/1661-7-23``, a leading digit, ``:``, letters
beyond ASCII). The list is cut at its items (split.py), every link follows its id, and every
id is kept, in the EPUB, the KEPUB, the PDF and the web edition.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from lxml import etree

from helpers import NS, Epub, build_folder, epubcheck, masthead

NOTES = 10_000
WORDS = "the harbour lights were burning low along the quay while the night shift began".split()


def book_html(notes: int = NOTES, chapters: int = 20) -> str:
    """A book-length article: chapters whose paragraphs call five notes each, then the notes as
    one ordered list (each item with an id and a link back to its call), as Standard Ebooks has them."""
    out = ["<html><head><title>A Long Book</title></head><body>"]
    n = 0
    for chapter in range(1, chapters + 1):
        out.append(f'<h2 id="chapter-{chapter}">Chapter {chapter}</h2>')
        for _ in range(notes // chapters // 5):
            calls = []
            for _ in range(5):
                n += 1
                calls.append(" ".join(WORDS[(n + k) % len(WORDS)] for k in range(6))
                             + f'<a href="#note-{n}" id="noteref-{n}" epub:type="noteref">{n}</a>')
            out.append(f"<p>{' '.join(calls)}.</p>")
    out.append('<section id="endnotes" epub:type="endnotes" role="doc-endnotes"><h2>Endnotes</h2><ol>')
    for k in range(1, n + 1):
        out.append(f'<li id="note-{k}" epub:type="endnote"><p>Note {k}: '
                   + " ".join(WORDS[(k * 3 + j) % len(WORDS)] for j in range(8))
                   + f'. <a href="#noteref-{k}" epub:type="backlink" role="doc-backlink">↩</a></p></li>')
    out.append("</ol></section></body></html>")
    return "\n".join(out)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Epub:
    """The book built as an EPUB alone (the PDF of 10,000 notes would take a minute)."""
    folder = tmp_path_factory.mktemp("long") / "book"
    (folder / "articles").mkdir(parents=True)
    (folder / "issue.yaml").write_text("publication: Long Books\ntitle: Notes\ndate: 2025-11-28\nlanguage: en\n"
                                       "sections:\n  - title: Book\n    articles:\n      - articles/book.html\n", "utf-8")
    (folder / "articles" / "book.html").write_text(book_html(), "utf-8")
    return Epub(build_folder(folder, folder.parent / "out", "epub")["epub"])


def documents(book: Epub) -> dict[str, etree._Element]:
    return {n.removeprefix(book.base): etree.fromstring(book.zip.read(n)) for n in book.zip.namelist() if n.endswith(".xhtml")}


def follow(name: str, href: str) -> tuple[str, str]:
    """The file and id a link in ``name`` names (every document sits in one folder)."""
    path, _, fragment = href.partition("#")
    return unquote(path) or name, unquote(fragment)


def test_a_book_with_10000_endnotes_has_no_page_over_300_kb_and_passes_epubcheck(book):
    sizes = {n: book.zip.getinfo(n).file_size for n in book.zip.namelist() if n.endswith(".xhtml")}
    assert max(sizes.values()) <= 300_000, max(sizes.items(), key=lambda item: item[1])
    notes = [n for n, root in documents(book).items() if root.xpath("//x:li[@epub:type='endnote']", namespaces=NS)]
    assert len(notes) > 5  # the one list in pieces, each in a file of its own
    assert epubcheck(book.path) == []


def test_every_note_link_and_back_link_of_the_10000_note_book_reaches_its_target(book):
    docs = documents(book)
    ids = {name: {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")} for name, root in docs.items()}
    calls = [(name, a) for name in book.spine() for a in docs[name].xpath("//x:a[@epub:type='noteref']", namespaces=NS)]
    assert len(calls) == NOTES
    numbers = []
    for name, call in calls:
        where, target = follow(name, call.get("href"))
        note = ids[where][target]  # the file exists and holds the note
        assert note.get(f"{{{NS['epub']}}}type") == "endnote" and target == f"note-{call.text}"
        back = note.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
        assert len(back) == 1
        assert follow(where, back[0].get("href")) == (name, call.get("id"))  # and back to the call
        numbers.append(int(call.text))
    assert numbers == list(range(1, NOTES + 1))
    # The list's numbering goes on across its pieces: each piece starts at its first note.
    for name, root in docs.items():
        for ol in root.xpath("//x:ol[x:li[@epub:type='endnote']]", namespaces=NS):
            first = int(ol[0].get("id").removeprefix("note-"))
            assert int(ol.get("start", "1")) == first, name
    broken = [(name, a.get("href")) for name, root in docs.items() for a in root.iter(f"{{{NS['x']}}}a")
              if a.get("href") and not re.match(r"[a-z]+:", a.get("href"))
              and (lambda f, i: f not in ids or (i and i not in ids[f]))(*follow(name, a.get("href")))]
    assert broken == []


# ---------------------------------------------------------------------------- ids HTML allows

ODD = ["entry-1661-7-18/1661-7-23", "1661", "ns:colon", "café", "a.b", "🌙", "50%", "q?x=1", "br[1]", 'quo"te',
       "h#h", "back\\slash", "مرحبا"]


def href_to(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-./:?=" else "".join(f"%{b:02X}" for b in c.encode()) for c in value)


@pytest.fixture(scope="module")
def odd(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("odd") / "odd"
    (folder / "articles").mkdir(parents=True)
    links = ", ".join(f'<a href="#{href_to(v)}">{i}</a>' for i, v in enumerate(ODD)) + ', <a href="#a%20b">space</a>' \
        + ', <a href="#a-b">hyphen</a>'
    targets = "\n".join(f'<p id="{v.replace(chr(34), "&quot;")}">Target {i}.</p>' for i, v in enumerate(ODD))
    (folder / "articles" / "a.html").write_text(f"<title>Diary</title><p>See {links}.</p>\n{targets}\n"
                                                '<p id="a b">Space.</p>\n<p id="a-b">Hyphen.</p>\n', "utf-8")
    across = ", ".join(f"[{i}](a.html#{href_to(v)})" for i, v in enumerate(ODD)) + ", [space](a.html#a%20b)"
    (folder / "articles" / "b.md").write_text(f"---\ntitle: Other\n---\n\nSee {across}.\n", "utf-8")
    (folder / "issue.yaml").write_text("publication: Odd Ids\ntitle: Odd\ndate: 2025-11-28\nlanguage: en\n"
                                       "articles:\n  - articles/a.html\n  - articles/b.md\n", "utf-8")
    out = folder.parent / "out"
    result = masthead("build", str(folder), "-o", str(out), "-f", "epub,kepub,pdf,html")
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def test_ids_with_slashes_colons_leading_digits_and_any_letter_are_kept_in_the_epub_and_kepub_and_every_link_works(odd):
    out, stderr = odd
    assert "names no element" not in stderr, stderr
    for path in (out / "odd.kepub.epub", out / "odd.epub"):
        book = Epub(path)
        docs = documents(book)
        ids = {name: set(root.xpath("//@id")) for name, root in docs.items()}
        assert set(ODD) | {"a-b"} <= ids["a.xhtml"]  # as the source has them ("a b" is no id in HTML)
        followed = [follow(name, a.get("href")) for name in ("a.xhtml", "b.xhtml")
                    for a in docs[name].iter(f"{{{NS['x']}}}a") if "#" in (a.get("href") or "")]
        assert sorted(followed) == sorted([("a.xhtml", v) for v in ODD] * 2 + [("a.xhtml", "a-b-2")] * 2
                                          + [("a.xhtml", "a-b")])
        assert [f for f in followed if f[1] not in ids[f[0]]] == []
    assert epubcheck(path) == []  # the EPUB's (the KEPUB adds its spans only)


def test_ids_html_allows_keep_working_links_in_the_pdf_and_the_web_edition(odd):
    from pypdf import PdfReader

    out, _ = odd
    reader = PdfReader(out / "odd.pdf")
    names = set(reader.named_destinations)
    internal = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            destination = annotation.get("/Dest") or (action.get("/D") if action is not None and action.get("/S") == "/GoTo" else None)
            if destination is not None:
                internal.append(str(destination))
    odd_links = [d for d in internal if d.startswith("a--")]
    assert len(odd_links) == 2 * len(ODD) + 3 and all(d in names for d in odd_links)
    assert {"a--entry-1661-7-18/1661-7-23", "a--1661", "a--café", "a--🌙"} <= names  # kept as they are where WeasyPrint can

    pages = {p.name: lxml.html.fromstring(p.read_bytes()) for p in (out / "odd").glob("*.html")}
    ids = {name: set(root.xpath("//@id")) for name, root in pages.items()}
    assert set(ODD) <= ids["a.html"]
    followed = [follow(name, a.get("href")) for name in ("a.html", "b.html") for a in pages[name].iter("a")
                if "#" in (a.get("href") or "") and a.get("href").split("#")[0] in ("", "a.html")
                and a.get("href") != "#mh-main"]  # the page's own skip link
    assert len(followed) == 2 * len(ODD) + 3 and [f for f in followed if f[1] not in ids[f[0]]] == []


def test_an_id_with_a_space_and_the_same_id_with_a_hyphen_both_survive_and_links_go_to_each(odd):
    """id="a b" became "a-b", and the real "a-b" beside it then lost its id: both links went to
    "Space.". The real one keeps its id; the other gets one of its own; each link goes to its
    element in the EPUB, the web edition and the PDF."""
    from pypdf import PdfReader

    out, stderr = odd
    assert "names no element" not in stderr, stderr
    book = Epub(out / "odd.epub")
    epub_page = documents(book)["a.xhtml"]
    web_page = lxml.html.fromstring((out / "odd" / "a.html").read_bytes())
    for root in (epub_page, web_page):
        by_text = {"".join(e.itertext()): e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
        assert (by_text["Space."], by_text["Hyphen."]) == ("a-b-2", "a-b"), by_text
        links = {"".join(a.itertext()): a.get("href") for a in root.iter() if isinstance(a.tag, str)
                 and a.tag.rsplit("}", 1)[-1] == "a" and "".join(a.itertext()) in ("space", "hyphen")}
        assert links == {"space": "#a-b-2", "hyphen": "#a-b"}, links
    across = [a.get("href") for a in documents(book)["b.xhtml"].iter(f"{{{NS['x']}}}a") if "".join(a.itertext()) == "space"]
    assert across == ["a.xhtml#a-b-2"]
    assert {"a--a-b", "a--a-b-2"} <= set(PdfReader(out / "odd.pdf").named_destinations)


def test_list_numbers_print_as_their_start_reversed_and_value_say_with_room_for_four_digits(tmp_path):
    # A list numbered from 995: printed so (WeasyPrint 70 reads no start, render/printdoc.py sets
    # its counter), with the margin "ol-digits-4" widens (content/shape.py) so that "1004."
    # begins at its column's edge, not in the margin or the gap; a reversed list and a value too.
    from pagefaults import lines

    root = tmp_path / "issue"
    (root / "articles").mkdir(parents=True)
    items = "\n".join(f"{n}. Note {n}, long enough to wrap onto a second line in a column of the page." for n in range(995, 1005))
    text = f"---\ntitle: Notes\n---\n\nThe text before the notes begins at the column's edge.\n\n{items}\n"
    (root / "articles" / "a.md").write_text(text, encoding="utf-8")
    (root / "articles" / "b.html").write_text(
        "<h1>Counts</h1><p>Down:</p><ol reversed=''><li>Third</li><li>Second</li><li>First</li></ol>"
        "<p>Jump:</p><ol><li>One</li><li value='7'>Seven</li><li>Eight</li></ol>", encoding="utf-8")
    (root / "issue.yaml").write_text("publication: Lists\ndate: 2025-01-31\nlanguage: en\narticles:\n"
                                     "  - articles/a.md\n  - articles/b.html\n", encoding="utf-8")
    built = build_folder(root, tmp_path / "out")
    assert Epub(built["epub"]).xml("a.xhtml").find(".//x:ol", NS).get("class") == "ol-digits-4"
    pages = lines(built["pdf"])
    page = next(page for page in pages if any(line.text == "1004." for line in page))
    markers = [line for line in page if re.fullmatch(r"\d{3,4}\.", line.text)]
    assert [m.text for m in markers] == [f"{n}." for n in range(995, 1005)]
    left = min(line.x0 for line in page if line.text == "edge.")  # the first column's edge
    item_x = sorted({round(line.x0) for line in page if line.text.startswith("Note ")})  # items' text, each column
    for marker in markers:
        edge = left + (item_x[-1] - item_x[0] if marker.x0 > item_x[0] else 0)
        assert marker.x0 >= edge - 0.5, (marker, edge)
    counted = [line.text for page in pages for line in page if re.fullmatch(r"\d\.", line.text)]
    assert counted[-6:] == ["3.", "2.", "1.", "1.", "7.", "8."]


def test_ids_with_characters_url_parsers_refuse_keep_links_epubcheck_accepts(tmp_path):
    # U+FFFD, a noncharacter and a C1 control are allowed in an HTML id, but EPUBCheck refused
    # the links as they were (RSC-020): they are percent-encoded in the href, the id kept.
    root = tmp_path / "issue"
    (root / "articles").mkdir(parents=True)
    ids = ("a\ufffd", "c\ufdd0", "e\x85x")
    body = "".join(f'<p id="{i}">Target {n}.</p>' for n, i in enumerate(ids)) + "".join(f'<p><a href="#{i}">to {n}</a></p>'
                                                                                    for n, i in enumerate(ids))
    (root / "articles" / "a.html").write_text(f"<h1>Odd</h1>{body}", encoding="utf-8")
    (root / "issue.yaml").write_text("publication: Ids\ndate: 2025-01-31\nlanguage: en\narticles:\n  - articles/a.html\n",
                                     encoding="utf-8")
    built = build_folder(root, tmp_path / "out", "epub")
    page = Epub(built["epub"]).xml("a.xhtml")
    assert {p.get("id") for p in page.iter("{http://www.w3.org/1999/xhtml}p")} >= set(ids)
    assert epubcheck(built["epub"]) == []
