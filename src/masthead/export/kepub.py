"""RenderedIssue → KEPUB: the EPUB with Kobo's sentence spans, byte-identical for the same input.

A Kobo e-reader opens a book with its own renderer (page counts, reading statistics, better
highlighting) when the file name ends in ``.kepub.epub`` and the text carries Kobo's markup.
This module adds that markup the way Kobo's converter, kepubify and calibre's KoboTouchExtended
driver do, then hands the documents to the EPUB exporter, so metadata, navigation, the NCX and
the reproducible archive are exactly the EPUB's:

- in every content document (cover, contents, articles; the navigation document is left
  alone) each sentence of each text run becomes ``<span class="koboSpan" id="kobo.P.S">``,
  where P counts paragraphs (block elements whose text gets spans) from 1 in the document and
  S counts segments from 1 within the paragraph. Text nodes are wrapped where they stand and
  the tree is never restructured: a sentence that crosses ``<em>`` becomes several spans,
  whitespace between elements stays bare text, and the text of the document is unchanged;
- every image gets a koboSpan of its own (a paragraph of its own);
- nothing goes inside page-break markers, footnote references, ``<pre>``, scripts, SVG or
  MathML, or elements whose content must be plain text (``<time>`` without ``datetime`` …);
- the body's content is wrapped in ``<div id="book-columns"><div id="book-inner">``.
"""

from __future__ import annotations

import re

from lxml import etree

from masthead.model.documents import PAGES, RenderedIssue
from masthead.runtime.cache import Cache
from masthead.runtime.safexml import OPS, XHTML, parse_document

KINDS = PAGES  # documents that get spans; never the nav (or the print document)
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# Elements that sit inside a line of text: their text belongs to the enclosing block. Any
# other element (p, li, h1 … h6, dd, dt, td, th, figcaption, blockquote, div …) is a block.
INLINE = frozenset("""
a abbr b bdi bdo br cite code data del dfn em i img ins kbd mark q rt ruby s samp small span
strong sub sup time u var wbr
""".split())
# Elements whose content stays exactly as it is: raw text, text-only content models, and
# preformatted text (as kepubify: Kobo leaves <pre> alone).
OPAQUE = frozenset("""
script style pre audio video textarea select option optgroup template iframe object canvas
noscript title head rp picture
""".split())
NO_BREAK_SPACES = "\u00a0\u2007\u202f"
_BREAK = rf"[^\S{NO_BREAK_SPACES}]"  # whitespace a line may break at
# A sentence ends at . ! ? … (and Arabic ؟), then any closing quotes or brackets, then a
# breaking space; in CJK at 。！？ and any closing brackets, with or without a space.
_SENTENCE_END = re.compile(
    rf"""[.!?…‼⁇⁈⁉؟]+[\"'”’»›)\]]*{_BREAK}+"""
    rf"""|[。！？]+[」』）〕】〉》"'”’]*{_BREAK}*"""
)


def export(issue: RenderedIssue, store: Cache | None = None) -> bytes:
    from masthead.export import epub
    from masthead.layout import split

    documents = tuple(d._replace(content=koboize(d.content)) if d.kind in KINDS else d for d in issue.documents)
    # Split after marking: the spans make documents ~60 % bigger than the EPUB's.
    return epub.export(split.split(issue._replace(documents=documents)), store)


def koboize(content: bytes) -> bytes:
    """One XHTML document (complete, UTF-8) with Kobo's spans and divs."""
    tree = parse_document(content)
    body = tree.getroot().find(f"{{{XHTML}}}body")
    if body is None:
        return content
    for old in [e for e in body.iter(f"{{{XHTML}}}span") if "koboSpan" in (e.get("class") or "").split()]:
        _unwrap(old)  # spans an input already carried would be numbered twice
    taken = {e.get("id") for e in tree.getroot().iter() if isinstance(e.tag, str) and e.get("id")}
    _Spans(taken).walk(body, body)
    _columns(body, taken)
    out = etree.tostring(tree, encoding="UTF-8", xml_declaration=False, doctype="<!DOCTYPE html>")
    return PROLOG + out + b"\n"


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence end; the pieces join back to ``text``."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    rest = text[start:]
    if rest:
        if pieces and rest.isspace():
            pieces[-1] += rest  # no-break space after the last sentence: not a sentence of its own
        else:
            pieces.append(rest)
    return pieces


class _Spans:
    """Numbers and inserts the spans of one document, in document order."""

    def __init__(self, taken: set[str]):
        self.taken = taken  # ids the document already has
        self.paragraph = 0
        self.segment = 0
        self.block = None  # the block element whose text the current paragraph is

    def walk(self, element, block) -> None:
        if _local(element) not in INLINE:
            block = element
        children = list(element)  # the children as they are: the new spans are not walked
        self._text(element, block)
        for child in children:
            anchor = child
            if isinstance(child.tag, str) and _open(child):
                if child.tag == f"{{{XHTML}}}img":
                    anchor = self._image(child)
                else:
                    self.walk(child, block)
            self._tail(anchor, block)  # a child's tail is this element's text, whatever the child

    def _text(self, element, block) -> None:
        if _blank(element.text):
            return
        pieces, element.text = sentences(element.text), None
        for index, piece in enumerate(pieces):
            element.insert(index, self._span(piece, block))

    def _tail(self, anchor, block) -> None:
        if _blank(anchor.tail):
            return
        pieces, anchor.tail = sentences(anchor.tail), None
        for piece in pieces:
            span = self._span(piece, block)
            anchor.addnext(span)
            anchor = span

    def _image(self, image):
        """``<img>`` inside a koboSpan of its own, as Kobo's converter does; returns the span."""
        span = self._span(None, image)
        self.block = None  # text after the image starts a paragraph
        tail, image.tail = image.tail, None
        image.getparent().replace(image, span)
        span.append(image)
        span.tail = tail
        return span

    def _span(self, text: str | None, block):
        if block is not self.block:
            self.paragraph, self.segment, self.block = self.paragraph + 1, 0, block
        self.segment += 1
        while f"kobo.{self.paragraph}.{self.segment}" in self.taken:
            self.segment += 1
        span = etree.Element(f"{{{XHTML}}}span", {"class": "koboSpan", "id": f"kobo.{self.paragraph}.{self.segment}"})
        span.text = text
        return span


def _open(element) -> bool:
    """Whether spans may go inside ``element``."""
    if not element.tag.startswith(f"{{{XHTML}}}"):
        return False  # SVG, MathML: their text is not HTML's
    name = _local(element)
    if name in OPAQUE:
        return False
    types = (element.get(f"{{{OPS}}}type") or "").split()
    role = (element.get("role") or "").split()
    if "pagebreak" in types or "doc-pagebreak" in role:
        return False  # page-break markers stay as pagemarks wrote them
    if "noteref" in types or "doc-noteref" in role:
        return False  # the note's number stays the link's only content
    return not (name == "time" and element.get("datetime") is None)  # else its text is the machine-readable date


def _columns(body, taken: set[str]) -> None:
    """The body's content inside div#book-columns > div#book-inner, as Kobo's converter does."""
    if {"book-columns", "book-inner"} & taken:
        return  # already there (or the ids are the document's own: duplicates would be invalid)
    columns = etree.Element(f"{{{XHTML}}}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{{{XHTML}}}div", {"id": "book-inner"})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)  # moves the child with its tail
    body.append(columns)  # no text added: the document reads exactly as before


def _unwrap(element) -> None:
    """Replace ``element`` with its content."""
    parent = element.getparent()
    previous = element.getprevious()

    def add(after, text: str | None) -> None:
        if not text:
            return
        if after is None:
            parent.text = (parent.text or "") + text
        else:
            after.tail = (after.tail or "") + text

    add(previous, element.text)
    last = previous
    for child in list(element):
        element.addprevious(child)
        last = child
    add(last, element.tail)
    element.tail = None
    parent.remove(element)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _blank(text: str | None) -> bool:
    return not text or text.isspace()
