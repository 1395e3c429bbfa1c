"""RenderedIssue → PDF through WeasyPrint, confined to the rendered resources.

WeasyPrint's default fetcher reads any file and any URL (see ../shared/notes/libraries.md).
Ours answers only for the resources the render stage produced, by name, and refuses every
other URL, so an article cannot make the PDF read a local file, reach the network or embed
an attachment. The document carries its dates and identifier, so rebuilds are identical.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from masthead.model.documents import Kind, RenderedIssue

BASE_URL = "https://masthead.invalid/"  # .invalid can never resolve (RFC 2606)
# On the part of a long article that a chunk begins with (layout/pdfchunks.py): the article's id
CONTINUES = "data-masthead-continues"


class PageStart(NamedTuple):
    """Where a printed page begins: which document, and the first words on it."""

    folio: int
    document: str  # the EPUB document the page's first text comes from, "night-shift.xhtml"
    text: str  # the first line's text on the page ("" when the page starts the document)


def export(issue: RenderedIssue, warn=lambda message: None) -> bytes:
    """The PDF's bytes; ``warn(message)`` hears of every refused resource and layout problem."""
    return write(issue, layout(issue, warn))


@contextlib.contextmanager
def laid_out(issue: RenderedIssue, warn=lambda message: None) -> Iterator[Any]:
    """:func:`layout`, for the block; then the font files WeasyPrint wrote for it are removed.

    WeasyPrint copies each @font-face font into a temporary folder of its own and removes it
    when its font configuration is collected, which a process that ends with ``os._exit`` (the
    command, the layout workers) never does: each build left a folder of fonts in the system's
    temporary folder. Here the configuration is ours, and cleaned up when the block ends.
    """
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    try:
        yield layout(issue, warn, fonts)
    finally:
        fonts.__del__()  # WeasyPrint's own clean-up: its folder of fonts, removed now


def layout(issue: RenderedIssue, warn=lambda message: None, fonts=None):
    """Lay out the print document (a WeasyPrint Document), reading only rendered resources;
    ``fonts``: the WeasyPrint FontConfiguration to use (:func:`laid_out` cleans its up)."""
    import weasyprint  # imported here: its import is paid only when a PDF is asked for
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    resources = {r.name: r for r in issue.resources_for("pdf")}

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            name = unquote(parts.path.lstrip("/")) if url.startswith(BASE_URL) else None
            if name in resources:
                resource = resources[name]
                return URLFetcherResponse(url, body=resource.data, headers={"Content-Type": resource.media_type})
            warn(f"refused to load '{url[:80]}': only the issue's own files are read")
            raise ValueError(f"refused: {url}")

    (document,) = issue.documents_of(Kind.PRINT)
    handler = _Collect(warn)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        html = weasyprint.HTML(string=document.content.decode("utf-8"), base_url=BASE_URL,
                               url_fetcher=ConfinedFetcher(allowed_protocols=("https",), allow_redirects=False))
        return html.render(pdf_tags=True, font_config=fonts)
    finally:
        logger.removeHandler(handler)


def write(issue: RenderedIssue, document) -> bytes:
    from weasyprint.pdf import metadata

    _exact_profiles(issue, document)
    # PDF/X-4 and X-5's XMP carry an xmpMM:DocumentID that WeasyPrint draws from uuid4() at
    # every write: two builds of one issue differed there. The ID names the document, so it is
    # made from the issue's identifier (as the PDF's /ID is), for this write only.
    random_uuid = metadata.uuid4
    metadata.uuid4 = lambda: uuid.uuid5(uuid.NAMESPACE_URL, issue.meta.identifier)
    try:
        with _cmyk_gradients(issue), _marks(issue):
            return document.write_pdf(
                pdf_identifier=hashlib.md5(issue.meta.identifier.encode()).hexdigest().encode(),
                pdf_variant=issue.pdf.variant or ("pdf/x-4" if issue.pdf.color == "cmyk" else None),
                pdf_tags=True,  # tagged: structure and language for assistive technology
                custom_metadata=True,
            )
    finally:
        metadata.uuid4 = random_uuid


@contextlib.contextmanager
def _cmyk_gradients(issue: RenderedIssue) -> Iterator[None]:
    """In a CMYK job, each gradient's colours in CMYK. WeasyPrint 70 gives a CSS or SVG
    gradient sRGB stops but the document's default colour space, DeviceCMYK under a CMYK output
    intent: three values where four are read, drawn wrong or not at all. Here each shading it
    adds in DeviceCMYK has its functions' sRGB values converted through the output intent
    (render/press.py's converter, as the stylesheets' colours are)."""
    profile = [r.data for r in issue.resources_for("pdf") if r.media_type == "application/vnd.iccprofile"]
    if issue.pdf.color != "cmyk" or not profile:
        yield
        return
    import pydyf
    from weasyprint.pdf.stream import Stream

    from masthead.render import press

    to_cmyk = press.cmyk_converter(profile[0])

    def convert(function) -> None:
        if function.get("FunctionType") == 3:
            for sub in function.get("Functions", ()):
                convert(sub)
        elif function.get("FunctionType") == 2:
            for key in ("C0", "C1"):
                if key in function and len(function[key]) == 3:
                    function[key] = pydyf.Array(to_cmyk(*(float(v) for v in function[key])))

    original = Stream.add_shading

    def add_shading(self, shading_type, domain, coords, extend, function, color_space=None):
        shading = original(self, shading_type, domain, coords, extend, function, color_space)
        if shading["ColorSpace"] == "/DeviceCMYK":
            convert(function)
        return shading

    Stream.add_shading = add_shading
    try:
        yield
    finally:
        Stream.add_shading = original


# Registration: all four inks, so that the marks print on every plate and show how they register.
REGISTRATION = "device-cmyk(1 1 1 1)"
CIRCLE_STROKE = 1.5  # × 0.5 × 0.5 × 0.75: 0.28 pt


@contextlib.contextmanager
def _marks(issue: RenderedIssue) -> Iterator[None]:
    """In a CMYK job, crop and cross marks in registration ink. WeasyPrint 70 draws them (as
    the page's first background layer, in the bleed outside the trim) from an SVG picture
    stroked ``black`` and filled ``transparent``: RGB operators in every page of a press job.
    Its SVG renderer takes ``device-cmyk()`` as CSS does, so the picture it parses is stroked
    in that instead, and filled with nothing.

    In every job with marks, the registration circles are stroked wider: WeasyPrint strokes
    them 1 wide under two half scales (and the page's 0.75), 0.19 pt, under the 0.25 pt a plate
    holds (preflight's hairline); 1.5 wide they are 0.28 pt, as a press expects its marks."""
    if not issue.pdf.crop_marks:
        yield
        return
    cmyk = issue.pdf.color == "cmyk"
    import types
    from xml.etree import ElementTree

    from weasyprint import draw

    def fromstring(text, parser=None):
        if cmyk:
            text = text.replace('stroke="black"', f'stroke="{REGISTRATION}"').replace('fill="transparent"', 'fill="none"')
        text = text.replace("<circle ", f'<circle stroke-width="{CIRCLE_STROKE}" ')
        return ElementTree.fromstring(text, parser)

    from weasyprint import document as wp_document

    original, draw_page = draw.ElementTree, wp_document.draw_page

    def marks_last(page, stream) -> None:
        """The page drawn without its marks, then its marks: WeasyPrint draws them first, as
        its background's top layer, and a picture printed to the bleed (a full-page advert)
        covered them, where the press trims by them."""
        marks = page.style["marks"]
        background = page.background
        if not marks or not page.bleed or background is None or not background.layers:
            draw_page(page, stream)
            return
        page.style["marks"] = ()
        try:
            draw_page(page, stream)
        finally:
            page.style["marks"] = marks
        if getattr(page, "masthead_furnished", False):  # (a chunk's page: its furniture draws them: furniture.py)
            return
        bare = background._replace(color=background.color._replace(alpha=0) if hasattr(background.color, "_replace")
                                   else _transparent(background.color), layers=[background.layers[-1]._replace(image=None)])
        shadows = background.style["box_shadow"]
        background.style["box_shadow"] = ()  # (draw_background draws the page's shadow first: not twice)
        try:
            draw.draw_background(stream, bare, clip_box=False, bleed=page.bleed, marks=marks)
        finally:
            background.style["box_shadow"] = shadows

    draw.ElementTree = types.SimpleNamespace(fromstring=fromstring)
    wp_document.draw_page = marks_last
    try:
        yield
    finally:
        draw.ElementTree, wp_document.draw_page = original, draw_page


def _transparent(color):
    """A colour of WeasyPrint's (tinycss2's), fully transparent."""
    import copy

    clear = copy.copy(color)
    clear.alpha = 0
    return clear


def _exact_profiles(issue: RenderedIssue, document) -> None:
    """The output intent embedded as the press gave it. WeasyPrint writes each @color-profile
    as LittleCMS serializes it again (FOGRA39L's 155 KB became 409 KB, tags rewritten), so the
    PDF/X OutputIntent's DestOutputProfile would not be the file the press sent: each profile
    read from a resource is given back its own bytes."""
    resources = {BASE_URL + r.name: r.data for r in issue.resources_for("pdf")
                 if r.media_type == "application/vnd.iccprofile"}
    for profile in document.color_profiles.values():
        if profile.src in resources and not hasattr(profile, "exact"):
            profile.exact = resources[profile.src]
            profile.__class__ = type("ExactColorProfile", (type(profile),),
                                     {"content": property(lambda self: self.exact)})


def page_starts(issue: RenderedIssue, document) -> list[PageStart]:
    """For each page of a laid-out document, the EPUB document and text it starts with.

    The print document's sections carry the ids of the EPUB documents they stand for
    ("cover", "contents", an article's id). The page's first text is the first run of text in the main flow
    (running heads, footnotes and generated content such as leaders are left aside).
    """
    from weasyprint.formatting_structure import boxes

    names = {d.name.removesuffix(".xhtml"): d.name for d in issue.documents_of(Kind.COVER, Kind.CONTENTS, Kind.ARTICLE, Kind.ADVERT)}
    first: dict[str, int] = {}  # id → the first page its element is on (a page lists each id on it)
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            first.setdefault(name, index)
    starts = []
    for index, page in enumerate(document.pages):
        found: list = []

        def walk(box, section, found=found, index=index):  # bound: called within this page's turn
            if found or isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
                return
            element = getattr(box, "element", None)
            if element is not None and "::" not in box.element_tag and element.tag.endswith("section") \
                    and ((element.get("id") or element.get(CONTINUES)) in names or _is_advert(element)):
                section = element.get("id") or element.get(CONTINUES)
                if first.get(section) == index:  # not box.remove_decoration_sides: WeasyPrint clears it
                    found.append((section, ""))  # when it lays the page out again (a target-counter changed)
                    return
            if isinstance(box, boxes.TextBox) and "::" not in box.element_tag and box.text.strip() and section:
                found.append((section, box.text))
                return
            for child in getattr(box, "children", ()):
                walk(child, section)

        walk(page._page_box, None)
        if found and found[0][0] != BLANK:
            section, text = found[0]
            # an advert in print only has no EPUB document: its page is still named (the flatplan's)
            starts.append(PageStart(index + 1, names.get(section, f"{section}.xhtml"), " ".join(text.split())))
        elif found or page._page_box.page_type.blank:
            # a blank page (before an inside back cover on a recto, the back cover after it): no
            # document's; layout/pagemarks.py marks it beside the next (or last) document's start
            starts.append(PageStart(index + 1, "", ""))
    return starts


BLANK = "back-cover"  # print.xhtml.j2's blank back cover after an inside back cover without one


def _is_advert(element) -> bool:
    """An advert's page in the print document (print.xhtml.j2's section.print-advert), or the
    blank back cover after an inside back cover (section.print-blank-back, id BLANK)."""
    return bool({"print-advert", "print-blank-back"} & set((element.get("class") or "").split()))


class _Collect(logging.Handler):
    """WeasyPrint logs what it skips (an unknown CSS property, a failed image): keep it."""

    def __init__(self, warn):
        super().__init__(logging.WARNING)
        self.warn = warn

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith("Failed to load") or "refused" not in message:
            self.warn(f"PDF: {message}")
