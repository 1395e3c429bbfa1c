"""The print layout in chunks (export/pdfchunks.py, pdfjoin.py): the same PDF as one pass.

A generated issue of twelve short articles in two sections is laid out once in one pass and
once in chunks of about 3,000 words, so that chunks begin inside an issue section and on
left as well as right pages. The two PDFs are read back with pypdf, pikepdf and poppler:
pages and their printed text (folios, running heads, contents and "More from" numbers),
outline, links, the EPUB page starts; then the joined PDF's own structure: tags, fonts,
metadata, and the same bytes whatever the number of workers. They differ in one way: the
one pass loses footnotes (WeasyPrint 70, see the first text test), the chunks do not.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pypdf
import pytest
from lxml import etree

from helpers import ROOT, need, outline, pipeline
from masthead.layout import pdf, pdfchunks
from masthead.runtime.safexml import XHTML

CHUNK = 3000  # words: chunks of two of the generated articles, beginning on left and right pages


def generated_issue(folder: Path, articles: int, words: int):
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(folder), "--articles", str(articles),
                    "--words", str(words)], check=True, capture_output=True)
    return pipeline(folder, printed=True).render()


def lay_out(rendered, chunk_words: int, jobs: int = 2, want_pdf: bool = True):
    warnings: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "CHUNK_WORDS", chunk_words)
        patch.setattr(pdfchunks, "ONE_PASS_WORDS", 0)
        printed = pdfchunks.run(rendered, jobs=jobs, want_pdf=want_pdf, warn=warnings.append)
    return printed, warnings


@pytest.fixture(scope="module")
def issue(tmp_path_factory):
    return generated_issue(tmp_path_factory.mktemp("chunks") / "gazette", 12, 1100)


@pytest.fixture(scope="module")
def built(issue, tmp_path_factory):
    """{"one": …, "chunked": …}: each a Printed, with its PDF's path under "…-pdf"."""
    folder = tmp_path_factory.mktemp("pdfs")
    out = {"one": lay_out(issue, 10**9)[0], "chunked": lay_out(issue, CHUNK)[0]}
    for name in ("one", "chunked"):
        out[f"{name}-pdf"] = folder / f"{name}.pdf"
        out[f"{name}-pdf"].write_bytes(out[name].data)
    return out


def plan(issue):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "CHUNK_WORDS", CHUNK)
        patch.setattr(pdfchunks, "ONE_PASS_WORDS", 0)
        return pdfchunks.plan(issue)


def page_text(path: Path, number: int, layout: bool = True) -> str:
    need("pdftotext")
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), *(["-layout"] if layout else []),
                           str(path), "-"], capture_output=True, text=True, check=True).stdout


def notes_more(ours: str, theirs: str) -> bool:
    """``ours`` is ``theirs`` with footnotes more at its foot."""
    common = theirs.rstrip("\f\n")
    return ours.startswith(common) and re.match(r"\n+\d+\. \S", ours[len(common):]) is not None


def links(reader: pypdf.PdfReader) -> list[tuple[int, str, tuple[int, ...]]]:
    found = []
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            target = str(annotation["/Dest"]) if "/Dest" in annotation else "URI " + str(annotation["/A"]["/URI"])
            found.append((number, target, tuple(round(float(v)) for v in annotation["/Rect"])))
    return found


def named_pages(reader: pypdf.PdfReader) -> dict[str, int]:
    return {name: reader.get_destination_page_number(dest) + 1 for name, dest in reader.named_destinations.items()}


def first_folios(chunks, reader: pypdf.PdfReader) -> list[int]:
    """Where each chunk begins: its first article's page in a one-pass PDF."""
    pages = named_pages(reader)
    first = re.compile(rb'<section class="print-article[^"]*" id="([^"]+)"')
    return [1] + [pages[first.search(c.issue.documents_of("print")[0].content).group(1).decode()] for c in chunks[1:]]


def chunk_of_pages(issue, built) -> list[tuple[int, int]]:
    """(first folio, last folio) of each chunk."""
    firsts = first_folios(plan(issue), pypdf.PdfReader(built["one-pdf"]))
    return list(zip(firsts, [*(f - 1 for f in firsts[1:]), built["one"].pages], strict=True))


# ------------------------------------------------------------------------------ the plan


def test_small_issues_take_one_pass_and_big_ones_are_cut_where_it_matters(issue, built):
    assert pdfchunks.plan(issue) is None  # 13,200 words, under the default CHUNK_WORDS
    chunks = plan(issue)
    assert len(chunks) >= 5
    front = chunks[0].issue.documents_of("print")[0].content
    assert b'id="contents"' in front and b'class="print-article' not in front
    opening = re.compile(rb'<section class="(print-article[^"]*)"')
    openings = [opening.search(c.issue.documents_of("print")[0].content).group(1) for c in chunks[1:]]
    assert any(b"section-start" not in o for o in openings), "no chunk begins inside an issue section"
    spans = chunk_of_pages(issue, built)
    assert any(first % 2 == 0 for first, _ in spans[1:]), "no chunk begins on a left page"
    assert any(first % 2 == 1 for first, _ in spans[1:]), "no chunk begins on a right page"


def test_rules_that_print_page_numbers_of_other_chunks():
    css = ('.contents-link::after { content: leader(". ") target-counter(attr(href url), page); color: red }\n'
           ".more-from a::after, .x a { content: \" — \" target-counter(attr(href), page); }\n"
           "p::after { content: counter(page) }")
    page = pdfchunks.PAGE_ATTRIBUTE
    assert pdfchunks._numbered_rules(css) == [
        f'.contents-link[{page}]::after {{ content: leader(". ") attr({page}); }}',
        f'.more-from a[{page}]::after, .x a[{page}] {{ content: " — " attr({page}); }}',
    ]
    kept = pdfchunks._without_first("@page :first { margin: 0 }\n@page :left, :first { margin: 1mm }\n"
                                    "@page :right { @top-left { content: none } }\np:first-child { color: red }")
    assert ":first {" not in kept and "@page :left {" in kept and "@top-left" in kept and "p:first-child" in kept


# ------------------------------------------------------------------------------ the same PDF


def test_same_pages_and_printed_text_as_one_pass(built):
    """Page for page the same text, but for footnotes the one pass loses: when WeasyPrint lays
    a page out again (a target-counter() value changed), it drops a footnote it had carried
    to the next page. The chunks print page numbers without target-counter(), and keep them."""
    one, chunked = pypdf.PdfReader(built["one-pdf"]), pypdf.PdfReader(built["chunked-pdf"])
    assert len(chunked.pages) == len(one.pages) == built["chunked"].pages == built["one"].pages
    restored = 0
    for number in range(1, len(one.pages) + 1):
        ours = page_text(built["chunked-pdf"], number, layout=False)
        theirs = page_text(built["one-pdf"], number, layout=False)
        if ours != theirs:
            assert notes_more(ours, theirs), f"page {number}"
            restored += 1
    assert restored <= 3


def test_every_footnote_is_printed(issue, built):
    notes = [" ".join("".join(note.itertext()).split()[:6]) for note in
             etree.fromstring(issue.documents_of("print")[0].content).iter(f"{{{XHTML}}}span")
             if note.get("class") == "print-footnote"]
    assert len(notes) == 24
    text = " ".join(subprocess.run(["pdftotext", str(built["chunked-pdf"]), "-"], capture_output=True, text=True,
                                   check=True).stdout.replace("\u2010\n", "").split())
    assert [note for note in notes if note not in text] == []


def test_folios_and_running_heads_follow_the_issue(issue, built):
    front = chunk_of_pages(issue, built)[0][1]
    for number in range(2, built["chunked"].pages + 1):  # the cover has no head
        head = next(line for line in page_text(built["chunked-pdf"], number).splitlines() if line.strip())
        left, right = rf"^\s*{number}\s+·\s+The Benchmark Gazette", rf"The Benchmark Gazette\s+·\s+{number}\s*$"
        assert re.search(right if number % 2 else left, head, re.I), (number, head)
        if number > front:  # articles: the issue section's name too
            assert re.search(r"Front of book|Features", head, re.I), (number, head)


def test_contents_numbers_are_the_pages_where_articles_start(built):
    reader = pypdf.PdfReader(built["chunked-pdf"])
    articles = [page for depth, _, page in outline(reader) if depth == 2]
    assert len(articles) == 12
    contents = "".join(page_text(built["chunked-pdf"], n) for n in range(2, articles[0]))
    assert [int(n) for n in re.findall(r"\. \.\s+(\d+)\s*$", contents, re.M)] == articles
    start = {int(re.search(r"\((\d+)\)$", title).group(1)): page  # headlines end "(article number)"
             for depth, title, page in outline(reader) if depth == 2}
    more = re.findall(r"\((\d+)\)\s+—\s+(\d+)", "".join(page_text(built["chunked-pdf"], n)
                                                        for n in range(articles[0], built["chunked"].pages + 1)))
    assert len(more) == 3 * 12  # "More from": three articles after each, with the page each starts on
    assert all(int(page) == start[int(article)] for article, page in more), more


def test_same_outline_as_one_pass(built):
    chunked = outline(pypdf.PdfReader(built["chunked-pdf"]))
    assert chunked == outline(pypdf.PdfReader(built["one-pdf"]))
    assert [depth for depth, _, _ in chunked][:3] == [1, 1, 2]  # Contents, a section, its first article
    assert sum(depth == 1 for depth, _, _ in chunked) == 3


def test_links_go_where_they_go_in_one_pass(issue, built):
    one, chunked = pypdf.PdfReader(built["one-pdf"]), pypdf.PdfReader(built["chunked-pdf"])
    assert [link[:2] for link in links(chunked)] == [link[:2] for link in links(one)]  # (a note more moves rectangles)
    assert not [link for link in links(chunked) if link[1].startswith("URI " + pdfchunks.LINK_BASE)]
    pages, spans = named_pages(one), chunk_of_pages(issue, built)
    ours = named_pages(chunked)
    assert {name: ours[name] for name in pages} == pages
    assert all("--note-" in name for name in set(ours) - set(pages))  # the notes the one pass lost
    crossing = [(page, target) for page, target, _ in links(chunked) if not target.startswith("URI ")
                and next(i for i, (a, b) in enumerate(spans) if a <= page <= b)
                != next(i for i, (a, b) in enumerate(spans) if a <= pages[target] <= b)]
    assert len(crossing) > 20  # contents, "More from" and the articles' cross references
    for _page, target in crossing:
        dest = chunked.named_destinations[target]
        assert chunked.get_destination_page_number(dest) + 1 == pages[target]


def test_same_page_starts_for_the_epub_as_one_pass(built):
    assert built["chunked"].starts == built["one"].starts
    assert [s.folio for s in built["chunked"].starts] == list(range(1, built["chunked"].pages + 1))


# ------------------------------------------------------------------------------ the joined PDF


def test_one_tagged_structure(built):
    chunked, one = pikepdf.open(built["chunked-pdf"]), pikepdf.open(built["one-pdf"])
    assert chunked.Root.MarkInfo.Marked is True and str(chunked.Root.Lang) == "en-GB"
    assert [o for o in chunked.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructTreeRoot"] \
        == [chunked.Root.StructTreeRoot]
    tree = chunked.Root.StructTreeRoot
    assert len(tree.K) == 1 and tree.K[0].S == "/Document"
    nums = tree.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert len(parents) == len(nums) // 2 and int(tree.ParentTreeNextKey) == max(parents) + 1

    def count(element, pages: set) -> int:
        """The tagged elements under ``element``, but for NonStruct groups (which WeasyPrint
        writes per fragment of a box, more of them in one pass than in chunks: each keeps all
        the content it groups)."""
        assert "/Pg" not in element or element.Pg.objgen in pages
        kids = element.get("/K")
        kids = kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        return (element.S != "/NonStruct") + sum(count(k, pages) for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k)

    assert count(tree.K[0], {p.obj.objgen for p in chunked.pages}) \
        >= count(one.Root.StructTreeRoot.K[0], {p.obj.objgen for p in one.pages}) > 1000  # (notes the one pass lost)
    for page in chunked.pages:
        marks = parents[int(page.obj.StructParents)]
        assert all(m.Pg.objgen == page.obj.objgen for m in marks if isinstance(m, pikepdf.Dictionary) and "/Pg" in m)
        for annotation in page.obj.get("/Annots", ()):
            element = parents[int(annotation.StructParent)]
            assert any(k.get("/Obj") is not None and k.Obj.objgen == annotation.objgen
                       for k in element.K if isinstance(k, pikepdf.Dictionary))


def test_fonts_embedded_and_each_subset_named_apart(built):
    need("pdffonts")
    listing = subprocess.run(["pdffonts", str(built["chunked-pdf"])], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert len(listing) > 5
    assert all(re.search(r"\byes\s+yes\s+yes\s+\d+\s+0\s*$", line) for line in listing), listing
    names = [line.split()[0] for line in listing]
    assert len(set(names)) == len(names)  # a subset tag names one subset only


def test_metadata_and_identifier_as_one_pass(issue, built):
    need("pdfinfo")

    def info(path: Path) -> dict[str, str]:
        lines = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return dict(line.split(":", 1) for line in lines.splitlines() if ":" in line)

    one, chunked = info(built["one-pdf"]), info(built["chunked-pdf"])
    for key in ("Title", "Author", "Producer", "CreationDate", "ModDate", "Tagged", "Pages", "Page size"):
        assert chunked[key] == one[key], key
    identifier = hashlib.md5(issue.meta.identifier.encode()).hexdigest().encode()
    assert bytes(pikepdf.open(built["chunked-pdf"]).trailer.ID[0]) == identifier


def test_same_bytes_for_any_number_of_workers(issue, built):
    again, _ = lay_out(issue, CHUNK, jobs=1)
    assert again.data == built["chunked"].data
    assert again.starts == built["chunked"].starts


def test_page_list_alone_needs_no_pdf(issue, built):
    printed, warnings = lay_out(issue, CHUNK, want_pdf=False)
    assert printed.data is None and not warnings
    assert printed.starts == built["one"].starts and printed.pages == built["one"].pages


def test_chunks_guessed_on_the_wrong_side_are_laid_out_again(tmp_path):
    """Left pages holding much less than right ones: a chunk's page count depends on the side
    it starts on. With first-round guesses of one page a chunk, some are on the wrong side, so
    their page counts come out wrong and every chunk after them has to be laid out again."""
    rendered = generated_issue(tmp_path / "narrow", 6, 400)
    narrow = b"\n@page :left { margin-top: 200mm; }\n"
    rendered = rendered._replace(resources=tuple(r._replace(data=r.data + narrow) if r.name == "css/print.css" else r
                                                 for r in rendered.resources))
    one, _ = lay_out(rendered, 10**9)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "GUESS_WORDS_PER_PAGE", 10**9)  # (guesses are made in this process)
        chunked, _ = lay_out(rendered, 900)
        patch.setattr(pdfchunks, "CHUNK_WORDS", 900)
        patch.setattr(pdfchunks, "ONE_PASS_WORDS", 0)
        chunks = pdfchunks.plan(rendered)
        guesses = pdfchunks._guesses(chunks)
    reader = pypdf.PdfReader(io.BytesIO(one.data))
    starts = first_folios(chunks, reader)
    counts = [b - a for a, b in zip(starts, [*starts[1:], one.pages + 1], strict=True)]
    wrong = [i for i, guess in enumerate(guesses) if guess.start % 2 != starts[i] % 2][:2]
    assert [pdfchunks._lay_out(chunks[i], guesses[i], False).pages for i in wrong] != [counts[i] for i in wrong]
    assert chunked.pages == one.pages and chunked.starts == one.starts
    paths = {"one": tmp_path / "one.pdf", "chunked": tmp_path / "chunked.pdf"}
    paths["one"].write_bytes(one.data)
    paths["chunked"].write_bytes(chunked.data)
    assert outline(pypdf.PdfReader(paths["chunked"])) == outline(reader)
    for number in range(1, one.pages + 1):
        ours, theirs = (page_text(paths[name], number, layout=False) for name in ("chunked", "one"))
        assert ours == theirs or notes_more(ours, theirs), number


def _with_theme(issue, css: str, tmp_path: Path) -> tuple[list[str], list[str]]:
    """The issue with ``css`` after the print stylesheet, laid out in one pass and in chunks:
    each page's text (pdftotext -layout), one pass's first."""
    rendered = issue._replace(resources=tuple(r._replace(data=r.data + css.encode()) if r.name == "css/print.css" else r
                                              for r in issue.resources))
    paths = {"one": tmp_path / "one.pdf", "chunked": tmp_path / "chunked.pdf"}
    paths["one"].write_bytes(lay_out(rendered, 10**9)[0].data)
    paths["chunked"].write_bytes(lay_out(rendered, CHUNK)[0].data)
    counts = {name: len(pypdf.PdfReader(path).pages) for name, path in paths.items()}
    assert counts["one"] == counts["chunked"], counts
    texts = [[page_text(paths[name], n) for n in range(1, counts[name] + 1)] for name in ("one", "chunked")]
    return texts[0], texts[1]


def test_a_theme_that_reads_strings_at_the_start_of_a_page_counts_pages_and_sides_gets_the_pages_of_one_pass(issue, tmp_path):
    """Found by an outside attack: string(name, start) showed a value set further down the page
    as if set at its top; the root's forced side was overridden; counter(page) in content
    counted from each chunk's first page."""
    one, chunked = _with_theme(issue, "\n.article-body h2 { string-set: sub content(); }\n"
                                      "html { break-before: left !important; }\n"
                                      '@page { @bottom-left { content: "[" string(sub, start) "]"; font-size: 7pt; } }\n'
                                      '.print-article .headline::before { content: "[p" counter(page) "] "; }\n', tmp_path)
    assert re.search(r"^\s*4 · The Benchmark Gazette", one[3], re.M) is None  # page 4 a right page: page 1 a left one
    assert re.search(r"The Benchmark Gazette · 4\s*$", one[3], re.M | re.I)
    assert any(re.search(r"\[[A-Z][^\]]+\]", t) for t in one)
    assert any(re.search(r"\[p\d+\] ", t) for t in one)

    def furniture_and_folios(text: str) -> list[str]:  # the running heads, the string at the foot, the [pN]s
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return [lines[0], lines[-1], *re.findall(r"\[p\d+\]", text)] if lines else []

    for number, (ours, theirs) in enumerate(zip(chunked, one, strict=True), 1):
        assert furniture_and_folios(ours) == furniture_and_folios(theirs), number


def test_a_string_name_is_never_css_in_the_furniture_document(issue, tmp_path):
    """A name that CSS escapes (hl "INJECTED", zz) was written as it is into the furniture
    document's string-set: it set a string the theme never named. Now the chunks draw their own
    margin boxes, as one pass prints them."""
    one, chunked = _with_theme(issue, '\n.print-article .headline { string-set: hl\\ \\"INJECTED\\"\\,\\ zz content(); }\n'
                                      '@page { @bottom-left { content: "<" string(hl) ">"; font-size: 8pt; } }\n', tmp_path)
    assert "INJECTED" not in "".join(chunked) and sum("<>" in t for t in chunked) == sum("<>" in t for t in one) > 5


def _rounds_with(rendered, cache) -> tuple[bytes, int]:
    """The PDF laid out in chunks with ``cache``, and how many rounds of layouts it took."""
    rounds = []
    settle = pdfchunks._setups
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "CHUNK_WORDS", CHUNK)
        patch.setattr(pdfchunks, "ONE_PASS_WORDS", 0)
        patch.setattr(pdfchunks, "_setups", lambda *a: rounds.append(1) or settle(*a))
        printed = pdfchunks.run(rendered, jobs=2, want_pdf=True, warn=lambda m: None, cache=cache)
    return printed.data, len(rounds)


@pytest.fixture(scope="module")
def remembered(issue, tmp_path_factory):
    """The issue laid out in chunks twice with one cache: {"cache": folder, "first"/"again":
    (PDF, rounds)}. Shared: each chunked layout of the issue costs seconds."""
    from masthead.runtime.cache import Cache

    folder = tmp_path_factory.mktemp("remembered") / "cache"
    first = _rounds_with(issue, Cache(folder))
    kept = {p.name for p in (folder / "pdf-chunks").glob("*/*-pdf")}
    return {"cache": folder, "first": first, "kept": kept, "again": _rounds_with(issue, Cache(folder))}


def _kept(folder: Path) -> set[str]:
    return {p.name for p in (folder / "pdf-chunks").glob("*/*-pdf")}


def test_a_rebuild_starts_from_what_the_last_build_settled_on_and_lays_out_nothing_unchanged(issue, built, remembered):
    (first, cold_rounds), (again, warm_rounds) = remembered["first"], remembered["again"]
    # The same bytes as a build that remembered nothing, in one round,
    assert first == again == built["chunked"].data
    assert cold_rounds >= 1 and warm_rounds == 1
    # each chunk's written layout kept, and none laid out again.
    assert len(remembered["kept"]) >= len(plan(issue)) and _kept(remembered["cache"]) == remembered["kept"]


def test_a_wrong_remembered_setup_costs_a_round_never_a_wrong_page_number(issue, built, remembered, tmp_path):
    import json
    import shutil

    from masthead.runtime.cache import Cache

    shutil.copytree(remembered["cache"], tmp_path / "cache")
    (entry,) = (tmp_path / "cache" / "pdf-setups").glob("*/*")
    setups = json.loads(entry.read_bytes())
    setups[1][0] += 2  # the second chunk remembered as starting two pages later
    setups[2][1] = [[ref, "99"] for ref, _ in setups[2][1]]  # and the third's references all wrong
    entry.write_bytes(json.dumps(setups).encode())
    data, rounds = _rounds_with(issue, Cache(tmp_path / "cache"))
    assert data == built["chunked"].data and rounds == 2


def test_a_rebuild_after_one_article_changed_lays_out_only_its_chunk(issue, remembered, tmp_path):
    import shutil

    from masthead.runtime.cache import Cache

    shutil.copytree(remembered["cache"], tmp_path / "cache")
    # One word of the fifth article changed, for one of the same length: its chunk alone is laid out again.
    (document,) = [d for d in issue.documents if d.kind == "print"]
    root = etree.fromstring(document.content)
    fifth = [s for s in root.iter(f"{{{XHTML}}}section") if "print-article" in (s.get("class") or "")][4]
    paragraph = next(fifth.iter(f"{{{XHTML}}}p"))
    paragraph.text = "X" + (paragraph.text or "")[1:]
    edited = issue._replace(documents=tuple(d._replace(content=etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
                                            if d is document else d for d in issue.documents))
    data, rounds = _rounds_with(edited, Cache(tmp_path / "cache"))
    assert rounds == 1 and len(_kept(tmp_path / "cache") - remembered["kept"]) == 1
    cold, _ = _rounds_with(edited, Cache(None))
    assert data == cold  # the same bytes as a build that remembered nothing


# ------------------------------------------------------------------------------ issues of strand-1891's size


def test_an_issue_of_a_magazines_size_is_cut_into_chunks_of_a_story_or_two_for_edits():
    # strand-1891 has ~105,000 words of articles: chunks of EDIT_CHUNK_WORDS, so an edit lays out
    # about one story again; a small issue (a sample) keeps its single pass; a book keeps big chunks.
    assert pdfchunks._chunk_words(105_000) == pdfchunks.EDIT_CHUNK_WORDS < pdfchunks.CHUNK_WORDS
    assert pdfchunks._chunk_words(pdfchunks.EDIT_WORDS - 1) is None
    assert pdfchunks._chunk_words(1_500_000) == pdfchunks.CHUNK_WORDS


def _planned(rendered, words: int):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "EDIT_WORDS", 10_000)
        patch.setattr(pdfchunks, "EDIT_CHUNK_WORDS", words)
        return pdfchunks.plan(rendered)


def _laid_out_with(rendered, cache, words: int = CHUNK) -> tuple[bytes, set[int]]:
    """The PDF of ``rendered`` laid out as an issue of strand-1891's size is (scaled down: chunks
    of ``words``), and which chunks were laid out, not taken from ``cache``."""
    missed = []
    cached = pdfchunks._cached_layout
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "EDIT_WORDS", 10_000)
        patch.setattr(pdfchunks, "EDIT_CHUNK_WORDS", words)
        patch.setattr(pdfchunks, "_cached_layout",
                      lambda c, key, *a: cached(c, key, *a) or missed.append(key))
        printed = pdfchunks.run(rendered, jobs=2, want_pdf=True, warn=lambda m: None, cache=cache)
        keys = pdfchunks._chunk_keys(pdfchunks.plan(rendered))
    return printed.data, {keys.index(key) for key in missed}


def _with_words_added(issue, article: int, words: int):
    (document,) = [d for d in issue.documents if d.kind == "print"]
    root = etree.fromstring(document.content)
    section = [s for s in root.iter(f"{{{XHTML}}}section") if "print-article" in (s.get("class") or "")][article]
    paragraph = section.find(f".//{{{XHTML}}}div[@class='article-body']/{{{XHTML}}}p[last()]")  # in the columns
    paragraph.text = (paragraph.text or "") + " added" * words
    return issue._replace(documents=tuple(d._replace(content=etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
                                          if d is document else d for d in issue.documents))


def _digits_moved(before: bytes, after: bytes, chunks) -> set[int]:
    """The chunks with a link to a page whose number has more or fewer digits after the edit."""
    pages = [named_pages(pypdf.PdfReader(io.BytesIO(data))) for data in (before, after)]
    return {i for i, chunk in enumerate(chunks)
            if any(len(str(pages[0].get(ref, 0))) != len(str(pages[1].get(ref, 0))) for ref, _ in chunk.refs)}


STORY = 4000  # words a chunk holds in the stories below: one story each, as strand-1891's


@pytest.fixture(scope="module")
def stories(tmp_path_factory):
    """Six stories of 2,500 words, each a chunk of its own, laid out once into a cache:
    {"issue", "cache", "pdf"}."""
    from masthead.runtime.cache import Cache

    folder = tmp_path_factory.mktemp("stories")
    rendered = generated_issue(folder / "weekly", 6, 2500)
    data, _ = _laid_out_with(rendered, Cache(folder / "cache"), STORY)
    return {"issue": rendered, "cache": folder / "cache", "pdf": data}


@pytest.mark.parametrize("words", [1800, 500])
def test_an_edit_that_moves_pages_lays_out_only_its_chunk(stories, tmp_path, words):
    """Pages moved by two (1,800 words more in the third story) or one (500: every page after
    it changes side): the pages after the edited chunk move, and their folios, running heads,
    sides and the numbers that name them are set after the join, their layouts taken from the
    cache. Laid out again: the edited chunk, and a chunk only when one of its numbers gains a
    digit. The same bytes as a cold build, and the same pages as one pass."""
    import shutil

    from masthead.runtime.cache import Cache

    shutil.copytree(stories["cache"], tmp_path / "cache")
    edited = _with_words_added(stories["issue"], 2, words)
    chunks = _planned(edited, STORY)
    assert len(chunks) == 7 and [c.refs for c in chunks] == [c.refs for c in _planned(stories["issue"], STORY)]
    data, laid = _laid_out_with(edited, Cache(tmp_path / "cache"), STORY)
    cold, _ = _laid_out_with(edited, Cache(None), STORY)
    assert data == cold  # the same bytes as a build that remembered nothing
    moved = len(pypdf.PdfReader(io.BytesIO(data)).pages) - len(pypdf.PdfReader(io.BytesIO(stories["pdf"])).pages)
    assert moved == {1800: 2, 500: 1}[words]
    assert 3 in laid and laid <= {3} | _digits_moved(stories["pdf"], data, chunks)
    assert len(laid) <= 2
    path, one_path = tmp_path / "edited.pdf", tmp_path / "one.pdf"
    path.write_bytes(data)
    one_path.write_bytes(lay_out(edited, 10**9)[0].data)
    assert outline(pypdf.PdfReader(path)) == outline(pypdf.PdfReader(one_path))
    for number in range(1, len(pypdf.PdfReader(path).pages) + 1):
        ours, theirs = page_text(path, number), page_text(one_path, number)  # (-layout: folios, heads, columns)
        assert ours == theirs or notes_more(ours, theirs), number


# ------------------------------------------------------------------------------ a long article


LONG = 1000  # words a chunk holds in these tests: the 4,000-word article is cut into parts


@pytest.fixture(scope="module")
def long_article(tmp_path_factory):
    """An issue of one article of 4,000 words in three sections, with a footnote in each."""
    return generated_issue(tmp_path_factory.mktemp("long") / "book", 1, 4000)


def test_a_long_article_is_cut_into_parts_no_bigger_than_a_chunk(long_article):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdfchunks, "CHUNK_WORDS", LONG)
        patch.setattr(pdfchunks, "ONE_PASS_WORDS", 0)
        chunks = pdfchunks.plan(long_article)
    assert len(chunks) >= 5 and all(chunk.words <= LONG for chunk in chunks)  # one chunk of 4,000 words without the cut
    documents = [etree.fromstring(c.issue.documents_of("print")[0].content) for c in chunks[1:]]
    sections = [d.find(f".//{{{XHTML}}}section") for d in documents]
    assert sections[0].get("id") == "article-001" and sections[0].get(pdf.CONTINUES) is None
    assert [s.get(pdf.CONTINUES) for s in sections[1:]] == ["article-001"] * (len(sections) - 1)
    firsts = [s.find(f".//{{{XHTML}}}div[@class='article-body']")[1].tag.split("}")[1] for s in sections[1:]]
    assert "h2" in firsts and "p" in firsts  # cut before a heading when one comes, else between paragraphs
    whole = etree.fromstring(long_article.documents_of("print")[0].content)
    ids = [e.get("id") for e in whole.find(f".//{{{XHTML}}}section[@id='article-001']").iter() if e.get("id")]
    assert [e.get("id") for s in sections for e in s.iter() if e.get("id")] == ids  # every block once, in order


def test_a_long_article_in_parts_prints_all_its_text_notes_numbered_on_and_its_running_heads(long_article, tmp_path):
    printed, _ = lay_out(long_article, LONG)
    path = tmp_path / "book.pdf"
    path.write_bytes(printed.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words = " ".join(text.replace("\u2010\n", "").split())
    whole = etree.fromstring(long_article.documents_of("print")[0].content)
    body = whole.find(f".//{{{XHTML}}}section[@id='article-001']//{{{XHTML}}}div[@class='article-body']")
    paragraphs = [" ".join("".join(p.itertext()).split()[:6]) for p in body.iter(f"{{{XHTML}}}p")]
    assert len(paragraphs) > 20 and [p for p in paragraphs if p not in words] == []
    assert re.findall(r"^(\d+)\. ", text, re.M) == ["1", "2", "3"]  # not 1, 1, 1: each part goes on counting
    for number in range(3, printed.pages + 1):  # the article's pages, each with the issue section's name
        assert re.search(r"Front of book", page_text(path, number).splitlines()[0], re.I), number
    assert [s.folio for s in printed.starts] == list(range(1, printed.pages + 1))  # a page-list entry for every page
    assert {s.document for s in printed.starts[2:]} == {"article-001.xhtml"}
