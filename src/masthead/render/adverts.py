"""The adverts' print boxes: where each picture prints, and the pixels it needs there.

A full-page advert is a page of its own with no folio or running head (print.css's
``@page advert``), its picture over the whole page and the bleed beyond it (``pdf: bleed``;
the trim without one); a half-page advert, the lower half of such a page, to the bleed at the
foot and the sides. The picture covers its box (``object-fit: cover``: cut, never stretched),
so it is prepared at the size that covers the box at PRINT_DPI, never larger than it is.
"""

from __future__ import annotations

import math

from masthead.model.issue import Advert, Issue, length_mm
from masthead.render.printdoc import PRINT_DPI


def _page(issue: Issue) -> tuple[float, float, float]:
    """The trim's width and height and the bleed, in mm."""
    pdf = issue.meta.pdf
    width, height = pdf.page_mm
    return width, height, length_mm(pdf.bleed) if pdf.bleed else 0.0


def box_mm(issue: Issue, size: str) -> tuple[float, float, float, float]:
    """An advert's picture box on its page: left, top, width, height in mm from the trim's
    top left corner (negative: into the bleed)."""
    width, height, bleed = _page(issue)
    if size == "half":
        return -bleed, height / 2, width + 2 * bleed, height / 2 + bleed
    return -bleed, -bleed, width + 2 * bleed, height + 2 * bleed


def print_box(issue: Issue, advert: Advert) -> tuple[int, int]:
    """The pixels the advert's print picture is fitted into: enough to cover its box at
    PRINT_DPI (a picture shaped otherwise than its box is cut), and no more than it has."""
    _, _, width_mm, height_mm = box_mm(issue, advert.entry.size)
    need_w, need_h = width_mm / 25.4 * PRINT_DPI, height_mm / 25.4 * PRINT_DPI
    scale = max(need_w / advert.width, need_h / advert.height)
    # two pixels over: the picture is fitted into the box keeping its shape, and rounded
    box = math.ceil(advert.width * scale) + 2, math.ceil(advert.height * scale) + 2
    return (advert.width, advert.height) if box[0] >= advert.width or box[1] >= advert.height else box


def advert_css(issue: Issue) -> str:
    """The print document's rules placing the adverts' pictures (print.css has the rest)."""
    rules = []
    for size in ("full", "half"):
        left, top, width, height = box_mm(issue, size)
        rules.append(f".print-advert-{size} .print-advert-image {{ left: {left:.3f}mm; top: {top:.3f}mm; "
                     f"width: {width:.3f}mm; height: {height:.3f}mm; }}")
    return "\n".join(rules)
