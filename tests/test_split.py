"""Articles over the e-reader limit cut into parts at section boundaries (split.py).

Unit tests on hand-made documents with a small limit, then one issue with three 60,000-word
articles (bench/generate.py) through the real stages, cut, packed and checked by EPUBCheck.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote
from xml.sax.saxutils import escape

from lxml import etree

from helpers import NS, ROOT, Epub, epubcheck, pipeline
from masthead.layout import split
from masthead.model.documents import (
    Document,
    Metadata,
    RenderedIssue,
    Resource,
    TocEntry,
)
from masthead.model.issue import PdfOptions
from masthead.render.ending import ending

LIMIT = 4_000
XLINK = "{http://www.w3.org/1999/xlink}href"
NOTE = "//*[contains(concat(' ', @epub:type, ' '), ' footnote ')]"


# ---------------------------------------------------------------------------- hand-made issues


def page(title: str, body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
            'lang="en" xml:lang="en" dir="ltr" epub:prefix="z3998: http://www.daisy.org/z3998/2012/vocab/structure/#">\n'
            f'<head>\n<meta charset="utf-8"/>\n<title>{title}</title>\n'
            '<link rel="stylesheet" type="text/css" href="css/epub.css"/>\n</head>\n'
            f'<body class="article-page" epub:type="bodymatter">\n{body}\n</body>\n</html>\n').encode()


def words(tag: str, n: int) -> str:
    return " ".join(f"{tag}w{i}" for i in range(n))  # every word says where it came from


def paragraph(tag: str, n: int = 60, inside: str = "") -> str:
    return f"<p>{words(tag, n)}{inside}</p>"


def noteref(n: int) -> str:
    return f'<a href="#note-{n}" id="noteref-{n}" class="noteref" epub:type="noteref" role="doc-noteref">{n}</a>'


def note(n: int) -> str:
    return (f'<aside id="note-{n}" class="footnote" epub:type="footnote" role="doc-footnote"><p>'
            f'<a href="#noteref-{n}" role="doc-backlink" class="backlink">{n}</a> {words(f"n{n}", 12)}</p></aside>')


def article(title: str, blocks: list[str], notes: list[str], ended: bool = False) -> bytes:
    """An article document as templates/default/article.xhtml.j2 makes it, page marker included;
    ``ended``: with the body's end kept with "More from" as the built-in theme keeps it (ending.py)."""
    body = "\n".join(blocks) + "\n" + (f'<div class="footnotes">{"".join(notes)}</div>\n' if notes else "")
    more = ('<aside class="more-from" aria-label="More from Test"><h2 class="more-from-title">More from Test</h2>'
            '<ul><li><a href="small.xhtml">Small</a></li></ul></aside>\n')
    end = ending(body)
    if ended:
        assert end.last, "nothing to keep with 'More from'"
        parts = (f'<div class="article-body">\n{end.lead}</div>\n<div class="article-end">\n'
                 f'<div class="article-body article-body-end">\n{end.last}\n</div>\n{more}</div>\n')
    else:
        parts = f'<div class="article-body">\n{body}</div>\n{more}'
    return page(title, (
        '<span id="page-1" epub:type="pagebreak" role="doc-pagebreak" aria-label="1" class="pagebreak-start"/>\n'
        '<article class="article" lang="en" xml:lang="en" dir="ltr">\n<header class="article-head">\n'
        f'<p class="kicker">Kicker</p>\n<h1 class="headline">{title}</h1>\n'
        '<p class="standfirst">Standfirst here</p>\n<p class="article-meta"><span class="byline">By Ann</span></p>\n</header>\n'
        + parts + '</article>'))


def long_article(ended: bool = False) -> bytes:
    """Eight h2 sections, each with a note; a nested id, a page marker and links to itself."""
    blocks = [f'<p id="intro">{words("intro", 40)} <a href="#s5">ahead</a> <a href="big.xhtml#deep">deep</a></p>']
    notes = []
    for s in range(1, 9):
        blocks += [f'<h2 id="s{s}">Section {s}</h2>', paragraph(f"s{s}a", inside=noteref(s)), paragraph(f"s{s}b")]
        notes.append(note(s))
        if s == 4:
            blocks.append(f'<p>{words("s4c", 20)}<span id="page-2" epub:type="pagebreak" role="doc-pagebreak" '
                          f'aria-label="2"/>{words("s4d", 20)} <a href="#intro">back</a></p>')
        if s == 6:
            blocks.append(f'<blockquote><p>{words("s6q", 20)} <span id="deep">deep</span></p></blockquote>')
    return article("Big story", blocks, notes, ended)


def document(name: str, kind: str, content: bytes, properties: tuple[str, ...] = ()) -> Document:
    return Document(name, kind, "Big story" if name == "big.xhtml" else name, "en", "ltr", content, properties)


def rendered(documents: list[Document], page_list: tuple[tuple[str, str], ...] = ()) -> RenderedIssue:
    meta = Metadata("Test", "Test Weekly", "en", "ltr", "urn:uuid:0", dt.date(2025, 1, 31), dt.datetime(2025, 1, 31),
                    ("Ann",), (), None, None, None, (), 1, None, None, ())
    toc = (TocEntry("News", "big.xhtml", (TocEntry("Big story", "big.xhtml"), TocEntry("Small", "small.xhtml"))),)
    css = Resource("css/epub.css", "text/css", b"p {}", frozenset({"epub"}))
    return RenderedIssue("test", meta, tuple(documents), (css,), toc, None, PdfOptions(), page_list=page_list)


def sample_issue(big: bytes | None = None) -> RenderedIssue:
    links = '<p><a href="big.xhtml">Big</a> <a href="big.xhtml#s6">six</a> <a href="big.xhtml#deep">deep</a></p>'
    nav = ('<nav epub:type="toc" id="toc"><ol><li><a href="big.xhtml">Big story</a></li>'
           '<li><a href="small.xhtml">Small</a></li></ol></nav>\n<nav epub:type="page-list" hidden="hidden"><ol>'
           '<li><a href="big.xhtml#page-1">1</a></li><li><a href="big.xhtml#page-2">2</a></li></ol></nav>')
    return rendered([
        document("cover.xhtml", "cover", page("Cover", "<p>Cover</p>")),
        document("contents.xhtml", "contents", page("Contents", '<p><a href="big.xhtml">Big story</a> '
                                                               '<a href="small.xhtml">Small</a></p>')),
        document("big.xhtml", "article", big or long_article()),
        document("small.xhtml", "article", article("Small", [links], [])),
        document("nav.xhtml", "nav", page("Contents", nav), ("nav",)),
    ], page_list=(("1", "big.xhtml#page-1"), ("2", "big.xhtml#page-2")))


# ---------------------------------------------------------------------------- what every cut must keep


def xml(data: bytes):
    return etree.fromstring(data)


def broken_links(files: dict[str, bytes], resources: set[str]) -> list[str]:
    """Every href/src that names no file, or an id its file does not have."""
    ids = {name: set(xml(data).xpath("//@id")) for name, data in files.items()}
    broken = []
    for name, data in files.items():
        for element in xml(data).iter(etree.Element):
            for attribute in ("href", "src", XLINK):
                value = element.get(attribute)
                if not value or re.match(r"[a-z]+:", value):
                    continue
                path, _, fragment = value.partition("#")
                target = unquote(path) or name
                if (target not in files and target not in resources) or (fragment and unquote(fragment) not in ids.get(target, ())):
                    broken.append(f"{name}: {value}")
    return broken


def notes_beside_references(data: bytes) -> list[str]:
    """Noterefs whose note is not an element marked as a footnote in the same file."""
    root = xml(data)
    notes = {e.get("id") for e in root.xpath(NOTE, namespaces=NS)}
    return [a.get("href") for a in root.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
            if a.get("href", "")[1:] not in notes or not a.get("href", "").startswith("#")]


def text(data: bytes, notes: bool) -> list[str]:
    """The words of a document's body, without its footnotes, or of its footnotes alone."""
    body = xml(data).find("x:body", NS)
    found = body.xpath("." + NOTE, namespaces=NS)
    if notes:
        return [w for n in found for w in re.findall(r"\w+", "".join(n.itertext()))]
    for n in found:
        n.getparent().remove(n)
    return re.findall(r"\w+", "".join(body.itertext()))


def parts_of(issue: RenderedIssue, stem: str) -> list[Document]:
    return [d for d in issue.documents if re.fullmatch(rf"{stem}(-\d+)*\.xhtml", d.name)]


def assert_cut_well(before: RenderedIssue, after: RenderedIssue, name: str, limit: int) -> list[Document]:
    """The checks every cut article must pass; returns its parts."""
    original = next(d for d in before.documents if d.name == name)
    parts = parts_of(after, name.removesuffix(".xhtml"))
    assert len(parts) >= 2 and parts[0].name == name
    names = [d.name for d in after.documents]
    assert names[names.index(name):names.index(name) + len(parts)] == [p.name for p in parts]  # in reading order
    assert len(set(names)) == len(names)
    source = xml(original.content)
    for k, part in enumerate(parts):
        assert len(part.content) <= limit, (part.name, len(part.content))
        assert part[1:5] == original[1:5] and part.properties == original.properties  # kind, title, lang, direction
        root = xml(part.content)
        assert root.attrib == source.attrib
        assert etree.tostring(root.find("x:head", NS)) == etree.tostring(source.find("x:head", NS))
        assert root.find("x:body", NS).attrib == source.find("x:body", NS).attrib
        ids = root.xpath("//@id")
        assert len(ids) == len(set(ids)), part.name
        assert len(root.findall(".//x:header[@class='article-head']", NS)) == (k == 0)
        assert len(root.findall(".//x:aside[@class='more-from']", NS)) == (k == len(parts) - 1)
        assert notes_beside_references(part.content) == [], part.name
    for notes in (False, True):
        assert [w for p in parts for w in text(p.content, notes)] == text(original.content, notes)
    return parts


def files_of(issue: RenderedIssue) -> dict[str, bytes]:
    return {d.name: d.content for d in issue.documents if d.kind != "print"}


# ---------------------------------------------------------------------------- unit tests


def test_an_issue_with_nothing_big_is_returned_as_it_is():
    issue = sample_issue()
    assert split.split(issue, limit=10 * len(long_article())) is issue


def test_a_long_article_is_cut_at_h2_with_notes_links_and_page_list_following():
    before = sample_issue()
    after = split.split(before, limit=LIMIT)
    parts = assert_cut_well(before, after, "big.xhtml", LIMIT)
    assert [p.name for p in parts] == ["big.xhtml"] + [f"big-{k}.xhtml" for k in range(2, len(parts) + 1)]
    assert len(parts) >= 3
    for part in parts[1:]:
        first = xml(part.content).find(".//x:div[@class='article-body']/*", NS)
        assert first.tag == f"{{{NS['x']}}}h2"  # every part but the first begins a section
    assert broken_links(files_of(after), {"css/epub.css"}) == []
    holder = {i: d.name for d in parts for i in xml(d.content).xpath("//@id")}
    assert after.page_list == tuple((folio, f"{holder[f'page-{folio}']}#page-{folio}") for folio in ("1", "2"))
    assert holder["page-1"] == "big.xhtml" and holder["page-2"] != "big.xhtml"
    small = next(d for d in after.documents if d.name == "small.xhtml").content
    assert f'href="{holder["s6"]}#s6"'.encode() in small and f'href="{holder["deep"]}#deep"'.encode() in small
    assert b'href="big.xhtml"' in small  # no fragment: the first part, under the old name
    nav = xml(next(d for d in after.documents if d.name == "nav.xhtml").content)
    assert nav.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NS) == ["big.xhtml", "small.xhtml"]
    assert nav.xpath("//x:nav[@epub:type='page-list']//x:a/@href", namespaces=NS) == [h for _, h in after.page_list]
    assert after.toc == before.toc  # entries name whole articles: the first part
    for name in ("cover.xhtml", "contents.xhtml"):  # nothing in them moved: the very same bytes
        assert next(d for d in after.documents if d.name == name) is next(d for d in before.documents if d.name == name)
    assert split.split(before, limit=LIMIT) == after  # deterministic


def test_the_end_kept_with_more_from_is_given_back_to_the_body_before_it_is_cut():
    before = sample_issue(long_article(ended=True))
    parts = assert_cut_well(before, split.split(before, limit=LIMIT), "big.xhtml", LIMIT)
    for part in parts:
        assert xml(part.content).findall(".//x:div[@class='article-body article-body-end']", NS) == []


def test_a_wrapper_and_its_continuation_are_one_block_again_and_the_body_s_own_end_class_is_left_alone():
    wrapped = ('<article class="story">' + "".join(paragraph(f"p{i}", inside=noteref(1) if i == 0 else "") for i in range(40))
               + f'<div class="footnotes">{note(1)}</div></article>')
    document_ = document("big.xhtml", "article", article("Big story", [wrapped], [], ended=True))
    assert b'role="presentation"' in document_.content
    parts = split._cut(document_, 3000, {"big.xhtml"}, {"big.xhtml"})  # one block, cut between its paragraphs
    assert len(parts) > 1
    for _, part in parts:  # the note goes with its reference, out of the wrapper it was in
        assert notes_beside_references(etree.tostring(part)) == []
    assert sum(len(part.findall(".//x:aside[@id='note-1']", NS)) for _, part in parts) == 1
    tree = split._parse(document_.content)
    holder = tree.find(".//x:div[@class='article-body']", NS)
    split._rejoin(holder)
    assert [etree.QName(e).localname for e in holder] == ["article"]
    assert text(etree.tostring(tree), True) == text(article("Big story", [wrapped], []), True)
    assert text(etree.tostring(tree), False) == text(article("Big story", [wrapped], []), False)
    assert tree.findall(".//x:div[@class='article-body article-body-end']", NS) == []
    stray = article("Big story", [paragraph("a"), '<div class="article-body-end">' + paragraph("b") + "</div>",
                                  paragraph("c"), paragraph("d")], [], ended=True)
    tree = split._parse(stray)
    holder = tree.find(".//x:div[@class='article-body']", NS)
    split._rejoin(holder)
    whole = [paragraph("a"), '<div class="article-body-end">' + paragraph("b") + "</div>", paragraph("c"), paragraph("d")]
    assert text(etree.tostring(tree), False) == text(article("Big story", whole, []), False)


def test_links_inside_the_parts_name_the_part_holding_their_target():
    after = split.split(sample_issue(), limit=LIMIT)
    parts = parts_of(after, "big")
    holder = {i: d.name for d in parts for i in xml(d.content).xpath("//@id")}
    first = xml(parts[0].content)
    assert first.xpath("//x:p[@id='intro']/x:a/@href", namespaces=NS) == [f"{holder['s5']}#s5", f"{holder['deep']}#deep"]
    back = next(p for p in parts if p.name == holder["page-2"])
    assert xml(back.content).xpath("//x:a[text()='back']/@href", namespaces=NS) == ["big.xhtml#intro"]
    for part in parts:  # a noteref and its note's back link stay inside one file
        for href in xml(part.content).xpath("//x:a[@role='doc-backlink' or @epub:type='noteref']/@href", namespaces=NS):
            assert href.startswith("#")


def test_a_section_too_big_for_one_file_is_cut_at_h3_then_at_paragraphs():
    blocks = [paragraph("intro"), '<h2 id="small">Small</h2>', paragraph("small")]
    blocks += ['<h2 id="big">Big</h2>']  # a heading right before another: never a file's last block
    for h in range(1, 5):  # subsections that fit in a file one at a time
        blocks += [f'<h3 id="h{h}">Sub {h}</h3>'] + [paragraph(f"h{h}p{i}") for i in range(4)]
    blocks += ['<h3 id="huge">Huge</h3>']  # bigger than a file
    for i in range(10):
        blocks += [f'<h4 id="h4-{i}">Minor {i}</h4>', paragraph(f"huge{i}", 40)] if i % 2 else [paragraph(f"huge{i}")]
    blocks += ['<h2 id="after">After</h2>', paragraph("after")]
    before = sample_issue(article("Big story", blocks, []))
    after = split.split(before, limit=LIMIT)
    parts = assert_cut_well(before, after, "big.xhtml", LIMIT)
    starts = []
    for part in parts:
        body = xml(part.content).find(".//x:div[@class='article-body']", NS)
        starts.append(etree.QName(body[0]).localname + (f"#{body[0].get('id')}" if body[0].get("id") else ""))
        assert not re.fullmatch(r"h\d", etree.QName(body[-1]).localname)  # no file ends with a heading
    assert starts[0] == "p" and starts[1] == "h2#big"  # the big section begins a file; "small" shares the first
    assert "h2#after" not in starts  # what follows a cut section may share its last file
    assert "h3#huge" in starts and len(starts) > starts.index("h3#huge") + 1  # the huge one cut too
    huge = starts.index("h3#huge")
    assert all(s.startswith("h3") for s in starts[2:huge])  # blocks only inside the huge subsection
    assert all(s == "p" or s.startswith("h4") for s in starts[huge + 1:])


def test_parts_stay_under_the_limit_when_links_grow_to_name_parts():
    # Every paragraph links to every section: "#sN" becomes "big-K.xhtml#sN" in the other parts.
    links = " ".join(f'<a href="#s{s}">{s}</a>' for s in range(1, 9))
    blocks = []
    for s in range(1, 9):
        blocks += [f'<h2 id="s{s}">Section {s}</h2>', paragraph(f"s{s}a", 30, " " + links), paragraph(f"s{s}b", 30, " " + links)]
    before = sample_issue(article("Big story", blocks, []))
    for limit in range(2_600, 6_000, 37):
        after = split.split(before, limit=limit)
        parts = {p.name: p.content for p in parts_of(after, "big")}
        assert max(map(len, parts.values())) <= limit, limit
        assert broken_links(parts, {"css/epub.css", "small.xhtml"}) == []


def test_part_names_never_take_another_documents_name():
    before = sample_issue()
    other = document("big-2.xhtml", "article", article("Other", ['<h2 id="s6">Six</h2>', paragraph("o")], []))
    before = before._replace(documents=(*before.documents[:3], other, *before.documents[3:]))
    after = split.split(before, limit=LIMIT)
    names = [d.name for d in after.documents]
    assert len(set(names)) == len(names)
    assert names.count("big-2.xhtml") == 1 and "big-2-2.xhtml" in names
    assert next(d for d in after.documents if d.name == "big-2.xhtml") is other
    assert broken_links(files_of(after), {"css/epub.css"}) == []


def test_a_block_bigger_than_the_limit_is_a_part_of_its_own():
    blocks = [paragraph("a"), '<h2 id="t">Table</h2>', f"<table><tr><td>{words('cell', 1500)}</td></tr></table>",
              '<h2 id="u">After</h2>', paragraph("b")]
    before = sample_issue(article("Big story", blocks, []))
    after = split.split(before, limit=LIMIT)
    parts = parts_of(after, "big")
    oversized = [p for p in parts if len(p.content) > LIMIT]
    assert len(oversized) == 1 and xml(oversized[0].content).find(".//x:table", NS) is not None
    assert [w for p in parts for w in text(p.content, False)] == text(before.documents[2].content, False)


# ---------------------------------------------------------------------------- the real pipeline


def build_in_process(folder: Path) -> RenderedIssue:
    """The pipeline up to render (pagemarks needs the PDF layout: left out)."""
    return pipeline(folder, printed=True).render()


def test_three_60000_word_articles_make_a_valid_epub_of_small_files(tmp_path):
    from masthead.export import devices, epub

    folder = tmp_path / "issue"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(folder), "--articles", "3",
                    "--words", "60000"], check=True, capture_output=True)
    (folder / "articles" / "short.md").write_text(  # an article under the limit that links into a long one
        "---\ntitle: Short\n---\n\nSee [section 35](article-001.md#section-35) and [the start](article-001.md).\n",
        encoding="utf-8")
    manifest = folder / "issue.yaml"
    manifest.write_text(manifest.read_text() + "      - articles/short.md\n", encoding="utf-8")
    before = build_in_process(folder)
    big = [d.name for d in before.documents if d.kind == "article" and len(d.content) > split.LIMIT]
    assert big == ["article-001.xhtml", "article-002.xhtml", "article-003.xhtml"]  # the premise: too big as they are
    after = split.split(before)
    for name in big:
        assert_cut_well(before, after, name, split.LIMIT)
    for name in ("cover.xhtml", "contents.xhtml", "nav.xhtml"):
        assert next(d for d in after.documents if d.name == name) is next(d for d in before.documents if d.name == name)
    short_before = next(d for d in before.documents if d.name == "short.xhtml").content
    short_after = next(d for d in after.documents if d.name == "short.xhtml").content
    moved = next(d.name for d in parts_of(after, "article-001") if b'id="section-35"' in d.content)
    assert moved != "article-001.xhtml"
    assert short_after == short_before.replace(b'"article-001.xhtml#section-35"', f'"{moved}#section-35"'.encode())

    data = epub.export(after)
    path = tmp_path / "issue.epub"
    path.write_bytes(data)
    book = Epub(path)
    documents = {n.removeprefix(book.base): book.zip.read(n) for n in book.zip.namelist() if n.endswith(".xhtml")}
    assert max(len(d) for d in documents.values()) <= split.LIMIT
    assert book.spine() == [d.name for d in after.documents if d.kind not in ("nav", "print")]
    assert [d for d in book.spine() if d.startswith("article-")] == \
        ["article-001.xhtml", "article-001-2.xhtml", "article-002.xhtml", "article-002-2.xhtml",
         "article-003.xhtml", "article-003-2.xhtml"]
    toc = [a.get("href") for a in book.nav().xpath("//x:nav[@epub:type='toc']//x:a", namespaces=NS)]
    assert [h for h in toc if h.startswith("article-")] == ["article-001.xhtml", "article-001.xhtml",
                                                              "article-002.xhtml", "article-003.xhtml"]  # section + entries
    resources = {n.removeprefix(book.base) for n in book.zip.namelist()}
    assert broken_links(documents, resources) == []
    for name, content in documents.items():
        assert notes_beside_references(content) == [], name
    assert [f for f in devices.check_epub(data) if f.rule == "footnotes-pop-up"] == []
    assert epubcheck(path) == []

    # Kobo's flavour: its sentence spans make documents ~60 % bigger, so it splits after them.
    from masthead.export import kepub

    kobo = tmp_path / "issue.kepub.epub"
    kobo.write_bytes(kepub.export(before))
    kbook = Epub(kobo)
    sizes = [kbook.zip.getinfo(n).file_size for n in kbook.zip.namelist() if n.endswith(".xhtml")]
    assert max(sizes) <= split.LIMIT
    assert len([d for d in kbook.spine() if d.startswith("article-")]) > 3
    assert epubcheck(kobo) == []


# ---------------------------------------------------------------------------- blocks too big for a file


def only_block(part: Document, tag: str) -> list:
    """The article body's ``tag`` elements in a part, at any depth."""
    return xml(part.content).findall(f".//x:div[@class='article-body']//x:{tag}", NS)


def test_an_ordered_list_too_big_for_a_file_is_cut_at_its_items_with_its_numbering_and_ids_kept():
    value = ' value="100"'
    items = [f'<li id="item-{n}"{value if n == 40 else ""}>{words(f"i{n}", 12)} <a href="#item-{n % 119 + 1}">next</a></li>\n'
             for n in range(1, 120)]
    blocks = [paragraph("intro", inside=' <a href="#item-90">ninety</a>'), '<h2 id="list">List</h2>',
              f'<ol start="5" id="the-list" class="long">{"".join(items)}</ol>', paragraph("after")]
    before = sample_issue(article("Big story", blocks, []))
    after = split.split(before, limit=LIMIT)
    parts = assert_cut_well(before, after, "big.xhtml", LIMIT)
    lists = [(p, ol) for p in parts for ol in only_block(p, "ol")]
    assert len(lists) > 3 and len({p.name for p, _ in lists}) == len(lists)  # one piece a file
    assert lists[0][1].get("id") == "the-list" and all(ol.get("id") is None for _, ol in lists[1:])
    assert all(ol.get("class") == "long" for _, ol in lists)
    expected, number = {}, 5  # what each item's number was in the one list
    for n in range(1, 120):
        number = 100 if n == 40 else number
        expected[f"item-{n}"], number = number, number + 1
    for _, ol in lists:  # each piece starts where the one before stopped
        first = ol.find("x:li", NS)
        assert int(ol.get("start")) == expected[first.get("id")] or first.get("value") == "100"
    assert [li.get("id") for _, ol in lists for li in ol.findall("x:li", NS)] == [f"item-{n}" for n in range(1, 120)]
    assert broken_links({p.name: p.content for p in parts}, {"css/epub.css", "small.xhtml"}) == []


def test_a_table_too_big_for_a_file_is_cut_at_its_rows_repeating_its_head_never_inside_a_rowspan():
    rows = []
    for r in range(150):
        if r == 60:
            rows.append(f'<tr id="row-{r}"><td rowspan="3">{words("span", 30)}</td><td>{words(f"r{r}", 6)}</td></tr>')
        else:
            rows.append(f'<tr id="row-{r}">' + ("" if r in (61, 62) else f"<td>{r}</td>") + f"<td>{words(f'r{r}', 6)}</td></tr>")
    table = (f'<table id="t"><caption>Caption here</caption><colgroup><col/><col/></colgroup>'
             f'<thead><tr><th id="h-a">A</th><th>B</th></tr></thead><tbody>{"".join(rows)}</tbody>'
             f'<tfoot><tr><td>foot</td><td>total</td></tr></tfoot></table>')
    before = sample_issue(article("Big story", [paragraph("intro", inside=' <a href="#row-120">row</a>'), table], []))
    after = split.split(before, limit=LIMIT)
    parts = parts_of(after, "big")
    tables = [(p, t) for p in parts for t in only_block(p, "table")]
    assert len(tables) > 3 and all(len(p.content) <= LIMIT for p in parts)
    head = etree.tostring(tables[0][1].find("x:thead", NS))
    for k, (_, t) in enumerate(tables):
        assert etree.tostring(t.find("x:thead", NS)) == head  # the head in every piece
        assert len(t.findall("x:colgroup", NS)) == 1
        assert (t.find("x:caption", NS) is not None) == (k == 0) and (t.get("id") == "t") == (k == 0)
        assert (t.find("x:tfoot", NS) is not None) == (k == len(tables) - 1)
    ids = [tr.get("id") for _, t in tables for tr in t.findall("x:tbody/x:tr", NS)]
    assert ids == [f"row-{r}" for r in range(150)]
    holder = {tr.get("id"): p.name for p, t in tables for tr in t.findall("x:tbody/x:tr", NS)}
    assert holder["row-60"] == holder["row-61"] == holder["row-62"]  # a rowspan's rows stay together
    assert broken_links({p.name: p.content for p in parts}, {"css/epub.css", "small.xhtml"}) == []


def test_a_definition_list_too_big_for_a_file_is_cut_between_its_term_groups():
    groups = "".join(f'<dt id="term-{g}">Term {g}</dt>' + (f"<dt>Also {g}</dt>" if g % 7 == 0 else "")
                     + f"<dd>{words(f'd{g}', 25)}</dd>" + (f"<dd>{words(f'e{g}', 5)}</dd>" if g % 5 == 0 else "") + "\n"
                     for g in range(80))
    before = sample_issue(article("Big story", [paragraph("intro"), f'<dl id="glossary">{groups}</dl>'], []))
    after = split.split(before, limit=LIMIT)
    parts = assert_cut_well(before, after, "big.xhtml", LIMIT)
    lists = [dl for p in parts for dl in only_block(p, "dl")]
    assert len(lists) > 3
    for dl in lists:  # each piece begins with a term and ends with a description
        children = [etree.QName(c).localname for c in dl]
        assert children[0] == "dt" and children[-1] == "dd"
    assert [dt.get("id") for dl in lists for dt in dl.findall("x:dt[@id]", NS)] == [f"term-{g}" for g in range(80)]


def test_a_preformatted_block_too_big_for_a_file_is_cut_between_its_lines():
    code = "\n".join(f"line {n:04d} = compute(x, y) + {'z' * (n % 30)}  # <{n}> & more" for n in range(400))
    listing = f'<pre id="listing"><code class="py">{escape(code)}\n</code></pre>'
    before = sample_issue(article("Big story", [paragraph("intro"), listing], []))
    after = split.split(before, limit=LIMIT)
    parts = assert_cut_well(before, after, "big.xhtml", LIMIT)
    blocks = [pre for p in parts for pre in only_block(p, "pre")]
    assert len(blocks) > 3 and blocks[0].get("id") == "listing"
    assert all(len(pre) == 1 and pre[0].get("class") == "py" and pre[0].text.endswith("\n") for pre in blocks)
    assert "".join(pre[0].text for pre in blocks) == code + "\n"  # every line once, in order, whole


def test_an_element_with_nowhere_to_cut_it_is_named():
    blocks = [paragraph("intro"), f'<p id="giant">{words("giant", 1500)}</p>', paragraph("after")]
    oversized: list[tuple[str, str]] = []
    after = split.split(sample_issue(article("Big story", blocks, [])), limit=LIMIT, oversized=oversized)
    assert len(parts_of(after, "big")) == 3
    assert [(name, id_) for name, _, id_ in oversized] == [("big.xhtml", "giant")]
    assert oversized[0][1].startswith('<p id="giant"> ("giantw0 giantw1 giantw2')


def test_pieces_of_a_block_joined_again_give_the_block_back():
    table = ("<table><colgroup><col/></colgroup><tr><th>Head</th></tr>"
             + "".join(f"<tr><td>{words(f'r{r}', 20)}</td></tr>\n" for r in range(30)) + "</table>")
    listing = "<pre><code>" + "".join(f"line {n} {words('c', 10)}\n" for n in range(50)) + "</code></pre>"
    items = "".join(f'<li id="i{n}">{words(f"i{n}", 20)}</li>\n' for n in range(40))
    source = (f'<div xmlns="http://www.w3.org/1999/xhtml"><section id="s"><h2>Head</h2><ol start="3">{items}</ol>'
              f'<p>{words("p", 10)}</p>{table}</section>\n{listing}\n</div>')
    holder = etree.fromstring(source)
    def size(element) -> int:  # as split.py measures: without the namespace lxml declares on each
        return len(etree.tostring(element)) - len(f' xmlns="{NS["x"]}"')

    divider = split._Divider(1_000, size, lambda e: 0, holder)
    for block in list(holder):
        divider.divide(block)
    pieces = list(holder)
    sizes = [size(p) for p in pieces]
    assert len(pieces) > 10 and max(sizes) <= 1_000, sizes
    assert pieces[1].find(".//x:ol", NS).get("start") == str(3 + len(pieces[0].findall(".//x:li", NS)))
    tables = [p.find(".//x:table", NS) for p in pieces if p.find(".//x:table", NS) is not None]
    assert len(tables) > 2 and all(t.find("x:tr", NS)[0].tag == f"{{{NS['x']}}}th" for t in tables)  # the header row in each
    whole = pieces[0]
    for piece in pieces[1:]:
        holder.remove(piece)
        if divider.continues(piece, whole):
            divider.join(whole, piece)
        else:
            whole.tail, whole = "\n", piece
            holder.append(piece)
    assert etree.tostring(holder) == etree.tostring(etree.fromstring(source))
