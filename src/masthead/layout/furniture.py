"""Page furniture and page numbers set after the chunks are laid out (issue 26).

A chunk of the print document (pdfchunks.py) is laid out by WeasyPrint, the slow part. What
on its pages depends on where the chunk falls in the issue is little: the folios and running
heads (the margin boxes), the side a page is on (its margins, so where its content sits), and
the page numbers its links print ("More from", the contents). So a chunk is laid out and
written without them, once, whatever its place, and they are set when the chunks are joined:

- **Furniture.** The chunk's pages are drawn without their margin boxes, page background,
  border and marks. One small *furniture document* is laid out for the whole issue: a page for
  each page of the issue, with the page name each had, no content, and the named strings each
  set (``string-set``, read from the chunk's layout), so that WeasyPrint draws every margin box
  with the theme's own rules: counter(page), string(), left and right pages, :first, :blank.
  Each furniture page becomes a form drawn under its page (pdfjoin.py), as an artifact.
- **Sides.** A chunk is laid out as if it began on a recto. On a verso its pages' content is
  moved by the difference between the two sides' content boxes (the theme's mirrored margins),
  which the furniture document gives. A chunk whose pages cannot be moved (forced left or right
  breaks, blank pages, or a side whose content box has another size) is laid out on its side.
- **Page numbers.** A link's number is laid out as zeros of as many digits as the number has
  (the theme's figures are tabular: the width depends on the count of digits only), between
  two PDF comments naming the link and the font's ten digits; the join writes the true digits
  in place of the zeros' glyphs. The digits are added to the font's subset, so each is there.

What could not be made so (running elements, figures of unequal widths, a number drawn in a
group) is reported, and the chunk is laid out with its true folios and numbers, as before.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

REF_ATTRIBUTE = "data-masthead-ref"  # on a number the join writes: its index among the chunk's setup's numbers
PAGE_ATTRIBUTE = "data-masthead-page"  # on every link to an id: the page number target-counter() would show
# On an element whose number another article gives (a reading time in "More from" and the
# contents, render/templates.py's late_attr): the chunk shows it as zeros, the join writes it.
LATE = "data-masthead-late"
MARK_REF = b"%masthead-ref "
MARK_END = b"%masthead-end "
FORM = "/MastheadFurniture"  # the furniture's form, in a furnished page's resources
PX = 0.75  # points in a CSS pixel: WeasyPrint draws a page at this scale
SIDE_BREAKS = frozenset({"left", "right", "recto", "verso"})
CLASS = "masthead-furniture"


class PageInfo(NamedTuple):
    """What the furniture of one page of a chunk depends on."""

    name: str  # the page's name (@page NAME), "" for none
    blank: bool
    side: str  # "left" or "right", as laid out
    box: tuple[float, ...]  # page width and height, content box x, y, width and height (CSS px)
    strings: tuple[tuple[str, tuple[str, ...]], ...]  # (name, values) of the strings set on the page
    opaque: bool = False  # (the furniture's pages) a background of its own: drawn under the content, else over it
    starts: tuple[str, ...] = ()  # the strings set by the page's first box (what string(name, start) reads)


class State:
    """What the hooks saw while a chunk was laid out and written."""

    def __init__(self, furnish: bool) -> None:
        self.furnish = furnish
        self.contexts: list[Any] = []
        self.marked: set[int] = set()
        self.unpatchable = False
        self.digits: dict[str, list[int] | None] = {}  # font hash → its ten digits' glyphs, None if unequal


@contextlib.contextmanager
def hooks(furnish: bool) -> Iterator[State]:
    """Around a chunk's layout and write in a worker: keep WeasyPrint's layout context (for the
    strings each page sets), draw only the content of each page when ``furnish``, and mark the
    numbers of links (REF_ATTRIBUTE) in the page's content stream."""
    from weasyprint import document as wp_document
    from weasyprint import draw

    state = State(furnish)
    context_class, draw_page, draw_text = wp_document.LayoutContext, wp_document.draw_page, draw.draw_text

    class Context(context_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            state.contexts.append(self)

    def page(page_box, stream) -> None:
        if not state.furnish:
            draw_page(page_box, stream)
            return
        page_box.masthead_furnished = True  # (pdf.py's marks are the furniture's to draw)
        stacking = draw.StackingContext.from_page(page_box)
        draw.draw_stacking_context(stream, stacking)

    def text(stream, textbox, *args, **kwargs):
        value = _shown_number(textbox)
        if value is None:
            return draw_text(stream, textbox, *args, **kwargs)
        digits = _digits(state, stream, textbox)  # (before drawing: WeasyPrint frees the text's layout after)
        start = len(stream.stream)
        stream.stream.append(MARK_REF + textbox.element.get(REF_ATTRIBUTE).encode("ascii"))
        result = draw_text(stream, textbox, *args, **kwargs)
        drawn = b"\n".join(item if isinstance(item, bytes) else str(item).encode() for item in stream.stream[start + 1:])
        if digits is None or _glyphs(drawn).count(digits[0]) != len(value):
            state.unpatchable = True
        stream.stream.append(MARK_END + b" ".join(b"%d" % g for g in digits or ()))
        state.marked.add(id(textbox))
        return result

    wp_document.LayoutContext, wp_document.draw_page, draw.draw_text = Context, page, text
    try:
        yield state
    finally:
        wp_document.LayoutContext, wp_document.draw_page, draw.draw_text = context_class, draw_page, draw_text


def _shown_number(textbox) -> str | None:
    """The number this piece of text shows for the join to write (zeros in a chunk laid out
    for patching), or None: a link's generated content (its page number), or the text of a
    late element (pdfchunks.LATE: another article's reading time)."""
    element = getattr(textbox, "element", None)
    if element is None or element.get(REF_ATTRIBUTE) is None:
        return None
    pseudo = "::" in (textbox.element_tag or "")
    if element.get(LATE) is not None:
        match = None if pseudo else re.search(r"[0-9]+", element.text or "")
        value = match.group() if match else ""
    else:
        value = (element.get(PAGE_ATTRIBUTE) or "") if pseudo else ""
    return value if value and any(c.isdigit() for c in textbox.text) else None


def _glyphs(content: bytes) -> list[int]:
    """The glyphs of the hex strings in a piece of content stream (two-byte glyph ids)."""
    return [int(h[i:i + 4], 16) for h in re.findall(rb"<([0-9A-Fa-f]*)>", content) for i in range(0, len(h), 4)]


def _digits(state: State, stream, textbox) -> list[int] | None:
    """The glyphs of 0 to 9 in the font this text is drawn in, added to the font's subset; None
    when the text uses more than one font or the figures are not all of one width."""
    textbox.pango_layout.reactivate(textbox.style)  # (WeasyPrint frees a text's layout between uses)
    try:
        return _digits_of(state, stream, textbox)
    finally:
        textbox.pango_layout.deactivate()


def _digits_of(state: State, stream, textbox) -> list[int] | None:
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    first_line, _ = textbox.pango_layout.get_first_line()
    run, fonts = first_line.runs[0], set()
    while run != ffi.NULL:
        fonts.add(run.data.item.analysis.font)
        run = run.next
    if len(fonts) != 1:
        return None
    (pango_font,) = fonts
    font, font_size = stream.add_font(pango_font)
    if pango.pango_version() < 14802 or font.png:
        font_size = textbox.style["font_size"]
    if font.bitmap:
        return None
    if font.hash not in state.digits:
        state.digits[font.hash] = None
        glyphs = _digit_glyphs(font.file_content, font.index)
        if glyphs is not None:
            widths = []
            for glyph in glyphs:
                pango.pango_font_get_glyph_extents(pango_font, glyph, stream.ink_rect, stream.logical_rect)
                widths.append(round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size))
            if len(set(widths)) == 1:
                for digit, (glyph, width) in enumerate(zip(glyphs, widths, strict=True)):
                    font.widths.setdefault(glyph, width)
                    font.to_unicode.setdefault(glyph, str(digit))
                state.digits[font.hash] = glyphs
    return state.digits[font.hash]


def _digit_glyphs(data: bytes, index: int) -> list[int] | None:
    import io

    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(data), fontNumber=index, lazy=True)
        cmap = font.getBestCmap() or {}
        return [font.getGlyphID(cmap[ord(d)]) for d in "0123456789"]
    except Exception:  # noqa: BLE001 - a font fontTools cannot read: no patching
        return None


# ------------------------------------------------------------------------------ in the worker, after layout


def can_furnish(state: State) -> bool:
    """Whether the margin boxes can be drawn by the furniture document: not with running
    elements (``element()``), whose boxes come from the chunk's content."""
    return bool(state.contexts) and not any(state.contexts[-1].running_elements.values())


def strip(document) -> None:
    """The pages' margin boxes removed (drawn by the furniture document instead)."""
    from weasyprint.formatting_structure import boxes

    for page in document.pages:
        box = page._page_box
        box.children = tuple(child for child in box.children if not isinstance(child, boxes.MarginBox))


def pages(document, state: State) -> list[PageInfo]:
    strings = state.contexts[-1].string_set if state.contexts else {}
    out = []
    for index, page in enumerate(document.pages):
        box = page._page_box
        kind = box.page_type
        set_here = tuple((name, tuple(str(v) for v in by_page[index + 1]))
                         for name, by_page in sorted(strings.items()) if by_page.get(index + 1))
        out.append(PageInfo(kind.name or "", bool(kind.blank), kind.side, _box(box), set_here, False, _set_at_start(box)))
    return out


def _set_at_start(page_box) -> tuple[str, ...]:
    """The strings the page's first boxes set, down its first children, as WeasyPrint reads
    string(name, start)."""
    names: list[str] = []
    element = page_box
    while element is not None:
        found = element.style["string_set"]
        if found != "none":
            names += [name for name, _ in found if name not in names]
        children = getattr(element, "children", None)
        element = children[0] if children else None
    return tuple(names)


def sided(document) -> bool:
    """Whether the chunk's pages depend on the side it begins on: a blank page, or a break to
    a left or right page anywhere but the root (which pdfchunks sets to choose the side)."""
    for page in document.pages:
        if page._page_box.page_type.blank:
            return True
        for box in page._page_box.descendants():
            style = getattr(box, "style", None)
            if style is None or getattr(box, "is_for_root_element", False):
                continue
            if style["break_before"] in SIDE_BREAKS or style["break_after"] in SIDE_BREAKS:
                return True
    return False


def patchable(document, state: State) -> bool:
    """Whether every number a link prints was marked for patching (after the write)."""
    if state.unpatchable:
        return False
    from weasyprint.formatting_structure import boxes

    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TextBox) and _shown_number(box) is not None and id(box) not in state.marked:
                return False
    return True


# ------------------------------------------------------------------------------ the furniture document


_NAME = re.compile(r"-?[_a-zA-Z][_a-zA-Z0-9-]*")  # a page name as the furniture document writes it


def html(content: bytes, infos: list[PageInfo]) -> bytes | None:
    """The furniture document: the print document's root, head and body (their attributes),
    and for each page an empty block with the page's name and the strings it sets. A blank
    page gets no block: the next block breaks to its side, as WeasyPrint made the blank."""
    from lxml import etree

    from masthead.runtime.safexml import XHTML, parse

    if any(info.name and not _NAME.fullmatch(info.name) for info in infos) \
            or any(not _NAME.fullmatch(name) for info in infos for name, _ in info.strings):
        return None  # (a page or string name escaped in the theme's CSS: every chunk draws its own margin boxes)
    root = parse(content, huge_tree=True)
    head, body = root.find(f"{{{XHTML}}}head"), root.find(f"{{{XHTML}}}body")
    out = etree.Element(root.tag, dict(root.attrib), nsmap=root.nsmap)
    out.append(head)
    style = etree.SubElement(head, f"{{{XHTML}}}style")
    style.text = (f"\n.{CLASS} {{ display: block !important; height: 0 !important; min-height: 0 !important; "
                  "max-height: 0 !important; margin: 0 !important; padding: 0 !important; border: 0 none !important; "
                  "float: none !important; position: static !important; break-inside: auto !important; "
                  "break-after: auto !important; visibility: hidden !important; outline: none !important; "
                  "box-shadow: none !important; list-style: none !important; }\n"
                  # (a theme's generated content on blocks would be drawn on every page: none here)
                  f".{CLASS}::before, .{CLASS}::after, .{CLASS}::marker {{ content: none !important; "
                  "display: none !important; }\n")
    new_body = etree.SubElement(out, body.tag, dict(body.attrib))
    pending_side = None
    for index, info in enumerate(infos):
        if info.blank:
            pending_side = "next"
            continue
        before = "auto" if index == 0 else info.side if pending_side else "page"
        pending_side = None
        values = [(name, value) for name, found in info.strings for value in found]
        firsts: dict[str, str] = {}
        for name, value in values:
            firsts.setdefault(name, value)
        rules = [f"break-before: {before} !important", f"page: {info.name or 'auto'} !important"]
        first = {n: v for n, v in firsts.items() if n in info.starts}  # set by the page's first box: at its start
        later = {n: v for n, v in firsts.items() if n not in info.starts}  # set further down: by a second block
        if first:
            rules.append("string-set: " + ", ".join(f"{n} {_css_string(v)}" for n, v in first.items()))
        # (each written <div></div>, never <div/>: WeasyPrint reads the document as HTML)
        etree.SubElement(new_body, f"{{{XHTML}}}div", {"class": CLASS, "style": "; ".join(rules)}).text = ""
        if later:
            etree.SubElement(new_body, f"{{{XHTML}}}div", {
                "class": CLASS, "style": "string-set: " + ", ".join(f"{n} {_css_string(v)}" for n, v in later.items())}).text = ""
        for name, found in info.strings:  # later values set on the same page, in order
            for value in found[1:]:
                etree.SubElement(new_body, f"{{{XHTML}}}div", {"class": CLASS,
                                                               "style": f"string-set: {name} {_css_string(value)}"}).text = ""
    return etree.tostring(out, xml_declaration=True, encoding="UTF-8", doctype="<!DOCTYPE html>")


def _css_string(value: str) -> str:
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\' or ord(c) < 32 or ord(c) == 127 else c for c in value)
    return f'"{escaped}"'


def furnished_pages(laid) -> list[PageInfo]:
    """The furniture document's pages, as PageInfo (strings left out), each opaque when it
    paints a background (the page's or the root's): then it goes under the content, as
    WeasyPrint paints it; else over it, so that the crop marks in the bleed show above a
    picture printed to the bleed (an advert), as a press needs them."""
    return [PageInfo(p._page_box.page_type.name or "", bool(p._page_box.page_type.blank), p._page_box.page_type.side,
                     _box(p._page_box), (),
                     _painted(p._page_box.background) or _painted(getattr(p._page_box, "canvas_background", None)))
            for p in laid.pages]


def _box(page_box) -> tuple[float, ...]:
    """A page's width and height, and its content box's x, y, width and height (CSS px)."""
    return tuple(round(v, 4) for v in (page_box.margin_width(), page_box.margin_height(), page_box.content_box_x(),
                                       page_box.content_box_y(), page_box.width, page_box.height))


def _painted(background) -> bool:
    return background is not None and (background.color.alpha > 0 or any(layer.image is not None for layer in background.layers))


# ------------------------------------------------------------------------------ in the join (no WeasyPrint)


_MARKED = re.compile(rb"%masthead-ref (\d+)\n(.*?)\n?%masthead-end ?([\d ]*)(?:\n|$)", re.S)


def patch(content: bytes, numbers: dict[int, str] | None) -> bytes:
    """A chunk page's content stream with the markers gone and, when ``numbers`` (ref index →
    the page number to print), each marked number's zeros replaced by its digits."""
    if MARK_REF not in content:
        return content

    def fix(match: re.Match) -> bytes:
        region = match.group(2)
        if numbers is None:
            return region + b"\n"
        digits = [int(g) for g in match.group(3).split()]
        number = numbers[int(match.group(1))]
        left = [digits[int(d)] for d in number]
        zero = b"%04x" % digits[0]

        def hexes(found: re.Match) -> bytes:
            text = found.group(1)
            parts = [text[i:i + 4] for i in range(0, len(text), 4)]
            return b"<" + b"".join(b"%04x" % left.pop(0) if p.lower() == zero and left else p for p in parts) + b">"

        patched = re.sub(rb"<([0-9A-Fa-f]*)>", hexes, region)
        if left:
            raise RuntimeError(f"PDF join: page number {number} has more digits than its zeros")
        return patched + b"\n"

    return _MARKED.sub(fix, content)


def artifact(content: bytes) -> bytes:
    """The furniture document's page content as an artifact: its marked content (WeasyPrint
    tags margin boxes without putting them in the structure tree) taken off."""
    content = re.sub(rb"/[^\s/<>\[\]()]+\s*<<[^>]*>>\s*BDC|/[^\s/<>\[\]()]+\s+BMC|(?<![^\s])EMC(?![^\s])", b"", content)
    return b"/Artifact << /Type /Pagination >> BDC\n" + content + b"\nEMC"
