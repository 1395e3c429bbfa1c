"""Print page numbers in the EPUB: markers and a page list whose labels match the PDF's folios."""

from __future__ import annotations

import re
import subprocess

import pypdf

from helpers import NS, Epub, masthead, need

MARKER = re.compile(r'<span id="page-(\d+)" epub:type="pagebreak" role="doc-pagebreak" aria-label="\1"(?: class="pagebreak-start")?/>')


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def top_of_page(pdf, number: int) -> list[str]:
    """The first words of a PDF page's body: running heads and folios left out."""
    need("pdftotext")
    text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [line for line in text.splitlines() if line.strip()]
    heads = re.compile(r"^(\d+ · The Lantern|THE LANTERN · \d+|Briefing|Features|Culture)$")
    body = [line for line in lines if not heads.match(line.strip())]
    return words(" ".join(body[:3]))


def test_page_list_labels_are_the_pdfs_folios_and_text_matches_the_page_tops(sample_build):
    book = Epub(sample_build["epub"])
    pages = len(pypdf.PdfReader(sample_build["pdf"]).pages)
    page_list = book.nav().find(".//x:nav[@epub:type='page-list']", NS)
    entries = [(a.text, a.get("href")) for a in page_list.findall(".//x:a", NS)]
    assert [label for label, _ in entries] == [str(n) for n in range(1, pages + 1)]
    checked = 0
    for label, href in entries:
        document, fragment = href.split("#")
        source = book.read(document).decode()
        assert f'id="{fragment}"' in source
        after = source.split(f'<span id="{fragment}"', 1)[1].split("/>", 1)[1]
        following = words(re.sub(r"<[^>]+>", " ", after))[:6]
        # (after the markers of blank pages beside it: the padding before an inside back cover)
        if re.search(r"<body[^>]*>\s*(?:<span [^>]*epub:type=\"pagebreak\"[^>]*/>\s*)*$",
                     source.split(f'<span id="{fragment}"', 1)[0]):
            continue  # the page starts the document: checked below by the outline
        top = top_of_page(sample_build["pdf"], int(label))
        # The marker stands before the whole word a hyphen split; compare from the next word.
        # (pdftotext gives mixed-direction lines in visual order: compare words, not order.)
        if any("\u0600" <= c <= "\u06ff" for c in "".join(top)):
            assert set(following[1:4]) <= set(top), (label, following, top)
        else:
            assert " ".join(following[1:4]) in " ".join(top), (label, following, top)
        checked += 1
    assert checked >= 5


def test_markers_are_in_order_and_declared(sample_build):
    book = Epub(sample_build["epub"])
    found = []
    for document in book.spine():
        found += [int(n) for n in MARKER.findall(book.read(document).decode())]
    assert found == sorted(found) and found[0] == 1
    properties = {m.text for m in book.meta_property("schema:accessibilityFeature")}
    assert {"pageBreakMarkers", "pageNavigation"} <= properties
    assert book.meta_property("pageBreakSource")[0].text == book.metadata("identifier")[0]


def test_epub_only_build_has_no_page_list_unless_asked(issue_dir, tmp_path):
    assert masthead("build", str(issue_dir), "-o", str(tmp_path / "a"), "--format", "epub").returncode == 0
    plain = Epub(tmp_path / "a" / "issue.epub")
    assert plain.nav().find(".//x:nav[@epub:type='page-list']", NS) is None
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text() + "epub:\n  page_list: true\n")
    assert masthead("build", str(issue_dir), "-o", str(tmp_path / "b"), "--format", "epub").returncode == 0
    marked = Epub(tmp_path / "b" / "issue.epub")
    assert marked.nav().find(".//x:nav[@epub:type='page-list']", NS) is not None
    assert b'epub:type="pagebreak"' in marked.read("one.xhtml")
