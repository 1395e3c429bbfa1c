"""Layout faults read from a PDF's pages, as a reader sees them (issue 26).

The text lines and their boxes come from MuPDF (``mutool draw -F stext.json``); which lines are
headings, definition terms and "More from" titles comes from the EPUB built from the same issue
(the same documents, before the print layout). Two faults are found:

- a heading or definition term stranded at the foot of a column or page: no line of text
  follows it in its column on its page (its first lines went to the next column);
- a "More from" block alone on a page: its title is the first text of a page below the
  running head, with no line of the article above it.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

XHTML = "{http://www.w3.org/1999/xhtml}"
BODY_TEXT = 8.0  # pt: lines at least this size are text (running heads, folios and notes are smaller)


@dataclass(frozen=True)
class Line:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def marked_texts(epub: Path) -> tuple[set[str], set[str]]:
    """The texts of the headings and terms in the articles' bodies, and of the "More from" titles."""
    heads: set[str] = set()
    endings: set[str] = set()
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if not name.endswith(".xhtml") or name.endswith(("nav.xhtml", "contents.xhtml", "cover.xhtml")):
                continue
            tree = etree.fromstring(z.read(name))
            for body in tree.iter(f"{XHTML}div"):
                if "article-body" in (body.get("class") or "").split():
                    for el in body.iter(*(f"{XHTML}{t}" for t in ("h2", "h3", "h4", "h5", "h6", "dt"))):
                        heads.add(_norm("".join(el.itertext())))
            for el in tree.iter(f"{XHTML}h2"):
                if "more-from-title" in (el.get("class") or "").split():
                    endings.add(_norm("".join(el.itertext())))
    heads.discard("")
    return heads, endings


def lines(pdf: Path) -> list[list[Line]]:
    """Every page's text lines, top to bottom as MuPDF reads them."""
    raw = subprocess.run(["mutool", "draw", "-q", "-F", "stext.json", "-o", "-", str(pdf)], capture_output=True, check=True).stdout
    pages = []
    for number, page in enumerate(json.loads(raw)["pages"], 1):
        found = []
        for block in page["blocks"]:
            for line in block.get("lines", ()):
                text, box = _norm(line["text"]), line["bbox"]
                if text:
                    found.append(Line(number, text, box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"], line["font"]["size"]))
        pages.append(found)
    return pages


def _same(line_text: str, marked: str) -> bool:
    # A line holds the whole heading, or its start when the heading wraps; glyph order in
    # right-to-left lines is MuPDF's, so compare the words as a set too.
    return line_text == marked or (len(line_text) > 6 and marked.startswith(line_text)) or (
        set(line_text.split()) == set(marked.split()))


def faults(pdf: Path, epub: Path) -> list[str]:
    """Every fault of both kinds in a PDF, the EPUB built with it naming what is what."""
    heads, endings = marked_texts(epub)
    pages = lines(pdf)
    return stranded_heads(pages, heads) + lonely_endings(pages, endings)


def stranded_heads(pages: list[list[Line]], heads: set[str]) -> list[str]:
    """The headings and terms with no line after them in their column: "page 3: 'Lates'"."""
    faults = []
    for page in pages:
        for index, line in enumerate(page):
            if line.size < BODY_TEXT or not any(_same(line.text, h) for h in heads):
                continue
            # The heading's own wrapped lines do not count as what follows it.
            rest = [m for m in page[index + 1:] if m.size >= BODY_TEXT and m.y0 >= line.y1 - 1
                    and m.x0 < line.x1 and m.x1 > line.x0 and not any(_same(m.text, h) for h in heads)]
            if not rest:
                faults.append(f"page {line.page}: '{line.text}'")
    return faults


def lonely_endings(pages: list[list[Line]], endings: set[str]) -> list[str]:
    """The "More from" titles that open a page of their own: "page 8: 'More from Al-Fanar'"."""
    faults = []
    for page in pages:
        text = [m for m in page if m.size >= BODY_TEXT]
        for index, line in enumerate(text):
            if any(_same(line.text, e) or _same(line.text.lower(), e.lower()) for e in endings) and index == 0:
                faults.append(f"page {line.page}: '{line.text}'")
    return faults
