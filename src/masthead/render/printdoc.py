"""The whole-issue print document's parts: what an article's body becomes inside it.

The EPUB gives each article a file of its own; the PDF lays out one document holding them
all, so ids must stay unique (each is prefixed with its article's), links between articles
become links inside the document, and footnotes move to their calls for WeasyPrint's
``float: footnote``. Plain lxml: the templates that wrap these parts run in render/templates.py.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from lxml import etree

from masthead.model.issue import Issue
from masthead.runtime import urls
from masthead.runtime.safexml import OPS, XHTML, parse_fragment, serialize_fragment


def body_for_print(body: str, article_id: str) -> str:
    """One article's body inside the whole-issue document: ids prefixed, links made internal."""
    root = parse_fragment(body)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("id"):
            element.set("id", f"{article_id}--{_anchor(element.get('id'))}")
        href = element.get("href")
        if href and not href.startswith(("http:", "https:", "mailto:", "tel:")):
            target, _, fragment = href.partition("#")
            target_id = target.removesuffix(".xhtml") if target else article_id
            element.set("href", f"#{target_id}--{urls.fragment(_anchor(unquote(fragment)))}" if fragment else f"#{target_id}")
    notes_at_calls(root)
    list_numbers(root)
    return serialize_fragment(root)


def list_numbers(root) -> None:
    """Ordered lists numbered as their ``start``, ``reversed`` and items' ``value`` say.

    WeasyPrint 70 resets every list's counter to 0 and reads none of those attributes: a list
    from 995 printed 1, 2, 3. Its counters are set here in the print document only."""
    for ol in root.iter(f"{{{XHTML}}}ol"):
        items = [li for li in ol if li.tag == f"{{{XHTML}}}li"]
        reversed_ = ol.get("reversed") is not None
        try:
            start = int(ol.get("start")) if ol.get("start") is not None else (len(items) if reversed_ else 1)
        except ValueError:
            continue
        if start == 1 and not reversed_ and not any(li.get("value") for li in items):
            continue  # as WeasyPrint counts anyway: the print document as it was
        step = -1 if reversed_ else 1
        ol.set("style", f"counter-reset: list-item {start - step};")
        for li in items:
            # WeasyPrint sets a counter before it adds the item's step: a value is set one step short.
            style = f"counter-increment: list-item {step};" if reversed_ else ""
            if (li.get("value") or "").lstrip("-").isdigit():
                style += f" counter-set: list-item {int(li.get('value')) - step};"
            if style:
                li.set("style", style.strip())


def _anchor(id_: str) -> str:
    """An id as WeasyPrint can name it: it makes each id a CSS string (``-weasy-anchor: "id"``),
    which a quote would end and a backslash escape, so those two (and "%", to keep two ids
    apart) are percent-encoded, in the id and in every link to it alike."""
    return re.sub(r'[%"\\]', lambda m: f"%{ord(m.group()):02X}", id_)


_NOT_INLINE = tuple(f"{{{XHTML}}}{name}" for name in ("table", "ul", "ol", "dl", "pre", "blockquote", "figure"))


def notes_at_calls(root) -> None:
    """Move each footnote to its call, as a span that print.css floats to the page's foot.

    WeasyPrint places ``float: footnote`` elements where they stand in the flow, so the note
    must follow its reference; it draws the call itself, so the reference link is hidden.
    """
    epub_type = f"{{{OPS}}}type"
    notes = {e.get("id"): e for e in root.iter(f"{{{XHTML}}}aside") if "footnote" in (e.get(epub_type) or "").split()}
    if any(True for note in notes.values() for _ in note.iter(*_NOT_INLINE)):
        # A table or a list cannot sit in a line (WeasyPrint 70 fails on it); and the page's
        # footnote numbers count only the moved notes: all the article's notes stay endnotes.
        return
    if _crowded(root, notes):
        return  # endnotes too: see _crowded
    for ref in list(root.iter(f"{{{XHTML}}}a")):
        if "noteref" not in (ref.get(epub_type) or "").split():
            continue
        note = notes.pop(unquote((ref.get("href") or "").lstrip("#")), None)
        if note is None:
            continue
        span = etree.Element(f"{{{XHTML}}}span", {"class": "print-footnote", "id": note.get("id")})
        for n, block in enumerate(note):
            for back in block.iter(f"{{{XHTML}}}a"):
                if back.get("role") == "doc-backlink":  # the number: WeasyPrint draws the marker
                    parent = back.getparent()
                    if parent is not None:
                        if back.tail:
                            previous = back.getprevious()
                            if previous is not None:
                                previous.tail = (previous.tail or "") + back.tail.lstrip()
                            else:
                                parent.text = (parent.text or "") + back.tail.lstrip()
                        parent.remove(back)
                    break
            inline = etree.SubElement(span, f"{{{XHTML}}}span")
            inline.text = (" " if n else "") + (block.text or "")
            inline.extend(list(block))
        ref.set("class", (ref.get("class", "") + " moved-note").strip())
        ref.addnext(span)
        span.tail, ref.tail = ref.tail, None
        note.getparent().remove(note)
    for holder in list(root.iter(f"{{{XHTML}}}div")):
        if holder.get("class") == "footnotes" and not len(holder):
            holder.getparent().remove(holder)


# Notes that make footnotes too slow to lay out: more than NOTES_PER_STRETCH of them (each
# counting 1, and 1 more for each NOTE_CHARS characters it holds beyond SHORT_NOTE) called
# within STRETCH_CHARS characters of the article's text (about half a page of A4 in two columns).
NOTES_PER_STRETCH, STRETCH_CHARS, NOTE_CHARS, SHORT_NOTE = 8, 4000, 800, 200


def _crowded(root, notes: dict) -> bool:
    """Are some of the article's notes called too close together for footnotes?

    WeasyPrint 70 lays a page's whole footnote area out again for each note it places on the
    page, in each of the passes that balance its columns, and again for each note it takes
    back: a page costs about the square of what its notes hold (bench/README.md has the
    figures). An article whose notes are that close together keeps them as endnotes (the list
    at its end, as in the EPUB): its layout costs what its text does. So does a note too long
    for a page's foot (WeasyPrint also printed a page of each). Where notes are as far apart
    as a magazine's (a few to a page) nothing changes."""
    weights = {key: 1 + max(0, len("".join(note.itertext())) - SHORT_NOTE) / NOTE_CHARS for key, note in notes.items()}
    if sum(weights.values()) <= NOTES_PER_STRETCH:
        return False
    calls: list[tuple[int, float]] = []  # (where in the text, weight) of each call, in order
    offset = 0
    epub_type = f"{{{OPS}}}type"
    for element in root.iter():
        if element.tag == f"{{{XHTML}}}a" and "noteref" in (element.get(epub_type) or "").split():
            weight = weights.get(unquote((element.get("href") or "").lstrip("#")))
            if weight is not None:
                calls.append((offset, weight))
        if isinstance(element.tag, str) and element.get("class") != "footnotes":
            offset += len(element.text or "") + len(element.tail or "")  # near enough: a tail a little early
    first, total = 0, 0.0
    for where, weight in calls:  # the calls within STRETCH_CHARS before each, weighed
        total += weight
        while where - calls[first][0] > STRETCH_CHARS:
            total -= calls[first][1]
            first += 1
        if total > NOTES_PER_STRETCH:
            return True
    return False


_BDI = re.compile(r"<bdi(?:\s[^<>]*)?>|</bdi\s*>")


def isolates(html: str) -> str:
    """The print document with each ``<bdi>``'s text between FSI and PDI (U+2068, U+2069).
    WeasyPrint 70 implements no ``unicode-bidi``, so a ``<bdi>`` isolated nothing in the PDF;
    Pango's bidi (FriBidi) honours the characters, and a PDI ends an override begun inside."""
    if "<bdi" not in html:
        return html
    return _BDI.sub(lambda m: m.group() if m.group().endswith("/>") else
                    f"{m.group()}\u2068" if m.group()[1] != "/" else f"\u2069{m.group()}", html)


def page_css(issue: Issue) -> str:
    pdf = issue.meta.pdf
    rules = [f"size: {_CSS_SIZE.get(pdf.page_size, pdf.page_size)};"]
    if pdf.bleed:
        rules.append(f"bleed: {pdf.bleed};")
    if pdf.crop_marks:
        rules.append("marks: crop cross;")
    if pdf.margins:
        rules.append(f"margin: {pdf.margins};")
    css = f"@page {{ {' '.join(rules)} }}\n.print-article .article-body {{ column-count: {pdf.columns}; column-gap: 6mm; }}"
    if pdf.color == "cmyk":
        from masthead.render import press

        css = press.page_rules() + css
    return css


PRINT_DPI = 300  # what a printer needs; more is only a larger file and a slower layout
_CSS_SIZE = {"Tabloid": "11in 17in"}  # a name CSS does not have: WeasyPrint ignored it and set A4


def image_boxes(issue: Issue) -> tuple[tuple[int, int], tuple[int, int]]:
    """The pixels an image needs in print at PRINT_DPI: (across the page, in one column of the
    article body), each (width, height). A lead image spans the page; a figure in the body sits
    in a column, where 3,000 pixels made 900 ppi in two columns of A4: five times the file."""
    pdf = issue.meta.pdf
    width, height = pdf.page_mm
    page = (round(width / 25.4 * PRINT_DPI), round(height / 25.4 * PRINT_DPI))
    return page, (-(-page[0] // max(1, pdf.columns)), page[1])

