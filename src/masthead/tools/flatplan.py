"""The issue's flatplan: every printed page as a thumbnail, in spreads, with what is on it.

Editors plan an issue on a flatplan. Page 1, the cover, stands alone on the right; then come
the spreads 2|3, 4|5 … For a right-to-left issue the binding is on the right, so the spreads
are mirrored: page 1 alone on the left, then 3|2, 5|4 … Under each page: its number and a
label, the section and the headline of the article on it ("Features · Between last orders…").

:func:`labels` reads the labels from the rendered issue and the PDF's page starts;
:func:`draw` renders the PDF's pages with pypdfium2 and sets the sheet with Pillow as a PNG.
Labels may mix scripts: Arabic is set in the theme's Naskh, the rest in its Sans, each run
shaped by libraqm and the runs put in visual order (an Arabic label in an English issue, an
English headline under an Arabic section).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont, features

from masthead.model.documents import RenderedIssue

if TYPE_CHECKING:
    from masthead.pipeline import Pipeline

SEPARATOR = " · "  # between a section's title and an article's headline

# The sheet's geometry, in pixels; the thumbnails are ``thumb_width`` wide.
MARGIN = 24  # around the sheet
GAP = 24  # between two spreads of a row
ROW_GAP = 14  # below a row's captions, before the next row's pages
LABEL_LINES = 2  # a label is set on two lines at most: "Features" / "Between last orders…"

BACKGROUND = (236, 236, 233)
BORDER = (90, 90, 90)
INK = (34, 34, 34)
MUTED = (110, 110, 110)
ARABIC_SCALE = 1.15  # Naskh is set this much larger than the Latin font, to look the same size
RENDER_SCALE = 2  # render at twice the size, then reduce: sharper thumbnails


# ---------------------------------------------------------------------------- labels


def labels(rendered: RenderedIssue, starts: Iterable, *, cover: str = "Cover",
           contents: str = "Contents", pages: int | None = None, advert: str = "Advertisement",
           adverts: Mapping[str, str] | None = None) -> list[str]:
    """One label per printed page: ``cover``, ``contents``, "Section · Headline", or
    "Advertisement · Advertiser" on an advert's page (``adverts``: each advert's document name
    → its advertiser, for an advert printed only, which has no document).

    ``starts`` is :func:`masthead.layout.pdf.page_starts`' list (``folio``, ``document``).
    A page that has no entry there (nothing in the main flow starts on it) continues the
    document of the page before; so do the last ``pages`` when the last start is before
    them (a page that holds only a picture has no text to start with). An article outside any section is labelled with its
    headline alone. ``cover`` and ``contents`` are there for a caller that translates them.
    """
    documents = {d.name: d for d in rendered.documents}
    sections: dict[str, str] = {}  # article document → its section's title
    for entry in rendered.toc:
        for child in entry.children:
            sections.setdefault(_document_of(child.href), entry.title)

    def label(name: str) -> str:
        document = documents.get(name)
        kind = document.kind if document else ""
        if kind == "cover" or name == "cover.xhtml":
            return cover
        if kind == "contents" or name == "contents.xhtml":
            return contents
        if not name:  # a blank page (layout/pdf.py's page_starts)
            return ""
        if kind == "advert" or name in (adverts or {}):
            return f"{advert}{SEPARATOR}{(adverts or {}).get(name) or (document.title if document else name)}"
        headline = document.title if document else name.removesuffix(".xhtml")
        section = sections.get(name, "")
        return f"{section}{SEPARATOR}{headline}" if section else headline

    by_folio = {start.folio: start.document for start in starts}
    if not by_folio:
        return []
    result: list[str] = []
    current = ""
    for folio in range(1, max(max(by_folio), pages or 0) + 1):
        if folio in by_folio:
            current = label(by_folio[folio])
        result.append(current)
    return result


def _document_of(href: str) -> str:
    return href.split("#", 1)[0]


# ---------------------------------------------------------------------------- the sheet


def draw(pdf_bytes: bytes, labels: Sequence[str], rtl: bool = False, columns: int = 4,
         thumb_width: int = 160, *, title: str = "", font: Path | None = None) -> bytes:
    """The flatplan of a PDF as PNG bytes: ``columns`` spreads a row, each page captioned.

    ``labels[i]`` is the caption of page i + 1 (missing ones are left blank, long ones are
    cut with an ellipsis to the page's width). ``rtl`` mirrors the spreads for a
    right-to-left issue. ``font`` is the Latin font (default: the built-in theme's Noto
    Sans); Arabic is set in NotoNaskhArabic-Regular.ttf from the same folder, or the
    built-in theme's.
    """
    import pypdfium2 as pdfium  # imported here: only the flatplan needs it

    if columns < 1:
        raise ValueError("columns must be at least 1")
    if thumb_width < 16:
        raise ValueError("thumb_width must be at least 16 pixels")
    fonts = _Fonts(font)

    document = pdfium.PdfDocument(pdf_bytes)
    try:
        thumbs = [_thumbnail(document[index], thumb_width) for index in range(len(document))]
    finally:
        document.close()

    label_size = max(8, round(thumb_width * 0.07))
    number_size = max(8, round(thumb_width * 0.065))
    title_size = max(12, round(thumb_width * 0.13))
    page_height = max((t.height for t in thumbs), default=round(thumb_width * 297 / 210))
    number_line = round(number_size * 1.9)
    label_line = round(label_size * 1.75)  # Naskh reaches far above and below the baseline
    caption = number_line + LABEL_LINES * label_line + round(label_size * 0.5)
    row_height = page_height + caption + ROW_GAP
    title_height = round(title_size * 2.4) if title else 0

    spreads = _spreads(len(thumbs), rtl)
    rows = max(1, -(-len(spreads) // columns))
    spread_width = 2 * thumb_width
    width = 2 * MARGIN + columns * spread_width + (columns - 1) * GAP
    height = 2 * MARGIN + title_height + rows * row_height - ROW_GAP

    sheet = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(sheet)
    if title:
        _text(pen, fonts, title, title_size, MARGIN, width - MARGIN, MARGIN + round(title_size * 1.4),
              align="right" if rtl else "left", fill=INK, default_rtl=rtl)

    for position, spread in enumerate(spreads):
        row, column = divmod(position, columns)
        left = MARGIN + column * (spread_width + GAP)
        top = MARGIN + title_height + row * row_height
        for side, folio in enumerate(spread):
            if folio is None:
                continue
            x = left + side * thumb_width
            thumb = thumbs[folio - 1]
            y = top + (page_height - thumb.height)  # pages of other sizes sit on the baseline
            sheet.paste(thumb, (x, y))
            pen.rectangle((x, y, x + thumb.width - 1, y + thumb.height - 1), outline=BORDER)
            # the folio on the page's outer side, as it is printed
            outer = "left" if side == 0 else "right"
            baseline = top + page_height + round(number_size * 1.45)
            _text(pen, fonts, str(folio), number_size, x + 3, x + thumb_width - 3, baseline,
                  align=outer, fill=MUTED, default_rtl=False)
            text = " ".join((labels[folio - 1] if folio - 1 < len(labels) else "").split())
            baseline = top + page_height + number_line + round(label_size * 1.1)
            for line, colour in _lines(fonts, text, label_size, thumb_width - 8, rtl):
                _text(pen, fonts, line, label_size, x + 4, x + thumb_width - 4, baseline,
                      align="center", fill=colour, default_rtl=rtl)
                baseline += label_line
        # the spine between the two pages of a spread
        if None not in spread:
            spine = left + thumb_width
            pen.line((spine, top + page_height - max(thumbs[f - 1].height for f in spread if f is not None),
                      spine, top + page_height - 1), fill=BORDER, width=1)

    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=True)
    return out.getvalue()


def _spreads(pages: int, rtl: bool) -> list[tuple[int | None, int | None]]:
    """(left page, right page) for every spread, in order: the cover, 2|3, 4|5 … (3|2 … rtl)."""
    if pages <= 0:
        return []
    spreads: list[tuple[int | None, int | None]] = [(1, None) if rtl else (None, 1)]
    for even in range(2, pages + 1, 2):
        odd = even + 1 if even + 1 <= pages else None
        spreads.append((odd, even) if rtl else (even, odd))
    return spreads


def _thumbnail(page, thumb_width: int) -> Image.Image:
    try:
        page_width, page_height = page.get_size()
        scale = thumb_width / page_width
        image = page.render(scale=scale * RENDER_SCALE).to_pil().convert("RGB")
        size = (thumb_width, max(1, round(page_height * scale)))
        return image.resize(size, Image.Resampling.LANCZOS)
    finally:
        page.close()


# ---------------------------------------------------------------------------- text


class _Fonts:
    """The Latin and the Arabic font at any size, and which characters each one has."""

    def __init__(self, font: Path | None):
        from masthead.render import theme

        builtin = theme.builtin_root() / "default" / "fonts"
        self.latin = Path(font) if font is not None else builtin / "NotoSans-Regular.ttf"
        arabic = self.latin.parent / "NotoNaskhArabic-Regular.ttf"
        self.arabic = arabic if arabic.is_file() else builtin / "NotoNaskhArabic-Regular.ttf"
        self.raqm = features.check("raqm")

    def get(self, which: str, size: int) -> ImageFont.FreeTypeFont:
        if which == "arabic":  # Naskh's letters are small for their size beside Noto Sans'
            return _load(str(self.arabic), round(size * ARABIC_SCALE), self.raqm)
        return _load(str(self.latin), size, self.raqm)

    def has(self, which: str, char: str) -> bool:
        return ord(char) in _cmap(str(self.arabic if which == "arabic" else self.latin))


@functools.lru_cache(maxsize=64)
def _load(path: str, size: int, raqm: bool) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, layout_engine=engine)


@functools.lru_cache(maxsize=8)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _kind(char: str) -> str:
    """"R" (right to left), "L" (left to right), "M" (a mark: like the character before), "N"."""
    bidi = unicodedata.bidirectional(char)
    if bidi in ("R", "AL", "AN"):
        return "R"
    if bidi == "L":
        return "L"
    if bidi == "NSM":
        return "M"
    return "N"  # digits, spaces, punctuation: they take the direction around them


def _runs(fonts: _Fonts, text: str, default_rtl: bool) -> tuple[bool, list[tuple[str, str, bool]]]:
    """The text as runs of (text, font, right to left), in visual order, and its direction.

    A two-level version of the Unicode bidi algorithm: the paragraph takes the direction of
    its first strong character; neutrals between two runs of one direction join them, other
    neutrals take the paragraph's. Inside a run, libraqm orders and shapes the characters.
    """
    kinds = [_kind(c) for c in text]
    for i, k in enumerate(kinds):
        if k == "M":
            kinds[i] = kinds[i - 1] if i else "N"
    first = next((k for k in kinds if k != "N"), None)
    rtl = first == "R" if first else default_rtl
    paragraph = "R" if rtl else "L"
    i = 0
    while i < len(kinds):
        if kinds[i] != "N":
            i += 1
            continue
        j = i
        while j < len(kinds) and kinds[j] == "N":
            j += 1
        before = kinds[i - 1] if i else paragraph
        after = kinds[j] if j < len(kinds) else paragraph
        kinds[i:j] = [before if before == after else paragraph] * (j - i)
        i = j

    # runs of one direction and one font, in logical order
    runs: list[tuple[str, str, str]] = []  # (text, font, direction kind)
    for char, kind in zip(text, kinds, strict=True):
        if kind == "R":
            face = "arabic" if fonts.has("arabic", char) else "latin"
        else:
            face = "latin" if fonts.has("latin", char) or not fonts.has("arabic", char) else "arabic"
        if runs and runs[-1][1] == face and runs[-1][2] == kind:
            runs[-1] = (runs[-1][0] + char, face, kind)
        else:
            runs.append((char, face, kind))

    # visual order: embedded levels reversed (L inside R sits at level 2, R inside L at 1)
    levels = [(1 if k == "R" else (2 if rtl else 0)) for _, _, k in runs]
    order = list(range(len(runs)))
    for level in range(max(levels, default=0), 0, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return rtl, [(runs[n][0], runs[n][1], runs[n][2] == "R") for n in order]


def _run_length(fonts: _Fonts, run: tuple[str, str, bool], size: int) -> float:
    text, face, rtl = run
    font = fonts.get(face, size)
    if fonts.raqm:
        return font.getlength(text, direction="rtl" if rtl else "ltr")
    return font.getlength(text)


def _width(fonts: _Fonts, text: str, size: int, default_rtl: bool) -> float:
    _, runs = _runs(fonts, text, default_rtl)
    return sum(_run_length(fonts, run, size) for run in runs)


def _lines(fonts: _Fonts, text: str, size: int, width: int, default_rtl: bool) -> list[tuple[str, tuple]]:
    """A label as (line, colour) pairs: the section above the headline, or wrapped at a space.

    Each line is cut with an ellipsis if it is still too long.
    """
    if not text:
        return []
    if SEPARATOR in text:
        section, headline = text.split(SEPARATOR, 1)
        return [(_fit(fonts, section, size, width, default_rtl), MUTED),
                (_fit(fonts, headline, size, width, default_rtl), INK)]
    if _width(fonts, text, size, default_rtl) <= width:
        return [(text, INK)]
    words = text.split(" ")
    first = words[0]
    for count in range(len(words) - 1, 0, -1):  # the most words that fit on the first line
        candidate = " ".join(words[:count])
        if _width(fonts, candidate, size, default_rtl) <= width:
            first = candidate
            break
    rest = text[len(first):].strip()
    lines = [(_fit(fonts, first, size, width, default_rtl), INK)]
    if rest:
        lines.append((_fit(fonts, rest, size, width, default_rtl), INK))
    return lines


def _fit(fonts: _Fonts, text: str, size: int, width: int, default_rtl: bool) -> str:
    """``text``, or as much of its beginning as fits in ``width`` with an ellipsis."""
    if _width(fonts, text, size, default_rtl) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if _width(fonts, text[:middle].rstrip(" ·") + "…", size, default_rtl) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip(" ·") + "…"


def _text(pen: ImageDraw.ImageDraw, fonts: _Fonts, text: str, size: int, left: int, right: int,
          baseline: int, *, align: str, fill, default_rtl: bool) -> None:
    """Set ``text`` on ``baseline`` between ``left`` and ``right``, aligned as asked."""
    _, runs = _runs(fonts, text, default_rtl)
    lengths = [_run_length(fonts, run, size) for run in runs]
    total = sum(lengths)
    if align == "center":
        x = left + (right - left - total) / 2
    elif align == "right":
        x = right - total
    else:
        x = left
    for (chunk, face, rtl), length in zip(runs, lengths, strict=True):
        direction = ("rtl" if rtl else "ltr") if fonts.raqm else None  # None: Pillow's default, as without raqm
        pen.text((x, baseline), chunk, font=fonts.get(face, size), fill=fill, anchor="ls", direction=direction)
        x += length


def of_issue(run: Pipeline) -> tuple[bytes, int]:
    """(PNG, page count): the print edition of a pipeline's issue, laid out, drawn as a flatplan."""
    from masthead.runtime import i18n

    printed = run.lay_out(pdf=True)
    assert printed is not None and printed.data is not None
    rendered, meta = run.render(), run.read().meta
    gettext = i18n.translations(meta.language, run.theme.locale_dirs).gettext
    names = labels(rendered, printed.starts, cover=gettext("Cover"), contents=gettext("Contents"), pages=printed.pages,
                   advert=gettext("Advertisement"), adverts={a.doc_name: a.entry.advertiser for a in run.read().adverts})
    png = draw(printed.data, names, rtl=meta.direction == "rtl", title=f"{meta.publication} — {rendered.meta.title}")
    return png, len(names)
