"""Print page numbers inside the EPUB: page-break markers and a page list from the PDF's layout.

After the print document is laid out, the PDF exporter says where each page begins (the
document and the first words on it). Here a marker ``<span epub:type="pagebreak"
role="doc-pagebreak">`` goes into the EPUB document at that point (moved back to the start of
a word that a hyphen split), and the navigation document gets a ``page-list``. A reader on an
e-reader can then find and cite "page 17" of the printed issue. This transforms rendered
documents; it runs no templates and reads no input files.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from masthead.model.documents import PAGES, Document, Kind, RenderedIssue
from masthead.runtime.safexml import OPS, XHTML, parse_document

SEARCH_WORDS = 8  # words of a page's first line used to find it; enough to be unique
_HYPHENS = "-\u2010\u00ad"


def mark(issue: RenderedIssue, starts: Iterable) -> RenderedIssue:
    """The issue with page-break markers, a page list and the matching accessibility claims."""
    by_document: dict[str, list] = {}
    # A page whose document the EPUB has not (an advert in print only) is placed as a blank one is.
    names = {d.name for d in issue.documents if d.kind in PAGES}
    for start in _blank_pages_placed([s if s.document in names else s._replace(document="", text="") for s in starts]):
        by_document.setdefault(start.document, []).append(start)
    documents, page_list = [], []
    for document in issue.documents:
        if document.name in by_document and document.kind in PAGES:
            content, placed = _insert(document.content, by_document[document.name])
            document = document._replace(content=content)
            page_list += [(str(folio), f"{document.name}#page-{folio}") for folio in placed]
        documents.append(document)
    page_list.sort(key=lambda entry: int(entry[0]))
    documents = [_with_page_list(d, page_list, issue.page_list_label) if d.kind == Kind.NAV else d for d in documents]
    a11y = issue.accessibility
    if a11y is not None and page_list:
        a11y = a11y._replace(features=(*a11y.features, "pageBreakMarkers", "pageNavigation"),
                             summary=a11y.summary + " Page-break markers and a page list give the printed issue's page numbers.")
    return issue._replace(documents=tuple(documents), page_list=tuple(page_list), accessibility=a11y)


def _blank_pages_placed(starts: list) -> list:
    """The starts with each blank page's (document "": print.xhtml.j2's padding before an inside
    back cover, its blank back cover) given the document whose start it stands beside: the next
    one, when a document begins on the next page; else the last, when it began on its page."""
    out = []
    for i, start in enumerate(starts):
        if start.document:
            out.append(start)
            continue
        following = next((s for s in starts[i + 1:] if s.document), None)
        before = next((s for s in reversed(starts[:i]) if s.document), None)
        beside = following if following is not None else before
        if beside is not None and not beside.text:  # a document's first page: its markers are at its start
            out.append(start._replace(document=beside.document))
    return out


def _parse(content: bytes):
    return parse_document(content)


def _serialize(tree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", doctype="<!DOCTYPE html>") + b"\n"


def _marker(folio: int):
    span = etree.Element(f"{{{XHTML}}}span")
    span.set("id", f"page-{folio}")
    span.set(f"{{{OPS}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("aria-label", str(folio))
    return span


def _insert(content: bytes, starts: list) -> tuple[bytes, list[int]]:
    tree = _parse(content)
    body = tree.getroot().find(f"{{{XHTML}}}body")
    placed: list[int] = []
    cursor = 0
    leading = 0  # markers at the document's start (a blank page's beside its first page's), in order
    for start in sorted(starts, key=lambda s: s.folio):
        if not start.text:  # the document begins on this page
            marker = _marker(start.folio)
            marker.set("class", "pagebreak-start")  # epub.css: a block of no height, not a line
            if leading:
                body[leading - 1].addnext(marker)
                marker.tail, body[leading - 1].tail = body[leading - 1].tail, None
            else:
                marker.tail, body.text = body.text, None
                body.insert(0, marker)
            leading += 1
            placed.append(start.folio)
            continue
        pieces, text = _text_map(body)
        key = _search_key(start.text)
        offset = text.find(key, cursor) if key else -1
        if offset < 0:
            continue  # the words are not in the document (generated text): no marker for this page
        while offset > 0 and text[offset - 1].isalnum():
            offset -= 1  # a hyphen split the word: the marker goes before the whole word
        _split_at(pieces, offset, _marker(start.folio))
        placed.append(start.folio)
        cursor = offset + 1
    return _serialize(tree), placed


def _normal(value: str, space_before: bool = False) -> tuple[str, list[int], bool]:
    """Text as it reads: whitespace collapsed, soft hyphens gone, lower case; and for each
    character kept, its index in ``value``."""
    out, index = [], []
    for i, char in enumerate(value):
        if char == "\u00ad":
            continue
        if char.isspace():
            if space_before:
                continue
            char, space_before = " ", True
        else:
            lower = char.lower()
            char, space_before = (lower if len(lower) == 1 else char), False
        out.append(char)
        index.append(i)
    return "".join(out), index, space_before


def _search_key(line: str) -> str:
    words = line.split()
    if words and words[-1][-1:] in _HYPHENS:
        words = words[:-1]  # the last word goes on the next line: not in the text as printed
    return _normal(" ".join(words[:SEARCH_WORDS]), True)[0].strip()


def _text_map(body) -> tuple[list, str]:
    """The body's text, normalized, with where each character came from."""
    pieces = []  # (element, "text" or "tail", raw string, start in the normalized text, raw indices)
    normalized: list[str] = []
    length = 0  # of the normalized text so far
    space = True  # whether it ends with a space

    def add(element, attribute: str, raw: str | None):
        nonlocal length, space
        if not raw:
            return
        value, index, space = _normal(raw, space)
        if value:
            pieces.append((element, attribute, raw, length, index))
            normalized.append(value)
            length += len(value)

    def walk(element):
        add(element, "text", element.text)
        for child in element:
            if isinstance(child.tag, str):
                walk(child)
            add(child, "tail", child.tail)

    walk(body)
    return pieces, "".join(normalized)


def _split_at(pieces: list, offset: int, marker) -> None:
    for element, attribute, raw, start, index in pieces:
        if start <= offset < start + len(index):
            raw_index = index[offset - start]
            before, after = raw[:raw_index], raw[raw_index:]
            if attribute == "text":
                element.text = before
                marker.tail = after
                element.insert(0, marker)
            else:
                element.tail = before
                marker.tail = after
                element.addnext(marker)
            return


def _with_page_list(document: Document, page_list: list, label: str) -> Document:
    if not page_list:
        return document
    tree = _parse(document.content)
    body = tree.getroot().find(f"{{{XHTML}}}body")
    nav = etree.SubElement(body, f"{{{XHTML}}}nav")
    nav.set(f"{{{OPS}}}type", "page-list")
    nav.set("id", "page-list")
    nav.set("hidden", "hidden")
    nav.set("aria-label", label)
    ol = etree.SubElement(nav, f"{{{XHTML}}}ol")
    for folio, href in page_list:
        link = etree.SubElement(etree.SubElement(ol, f"{{{XHTML}}}li"), f"{{{XHTML}}}a")
        link.set("href", href)
        link.text = folio
    nav.tail = "\n"
    return document._replace(content=_serialize(tree))
