"""What the join does with a furnished chunk's content (layout/furniture.py), without a layout:
numbers written in place of marked zeros, the furniture document's source, its pages as an
artifact. (tests/test_pdf_chunks.py lays issues out with all of it and reads the PDFs back.)"""

from __future__ import annotations

import pytest
from lxml import etree

from masthead.layout import furniture

ZERO, ONE, TWO, NINE = 0x13, 0x14, 0x15, 0x1C  # a font's glyphs for 0, 1, 2 and 9
DIGITS = b" ".join(b"%d" % g for g in range(ZERO, ZERO + 10))


def marked(key: int, glyphs: bytes) -> bytes:
    return (b"%masthead-ref " + str(key).encode() + b"\nBT\n/F1 9 Tf\n[" + glyphs + b"] TJ\nET\n%masthead-end " + DIGITS + b"\n")


def test_the_zeros_of_each_marked_number_become_its_digits_and_the_marks_go():
    content = b"q\n" + marked(0, b"<0003>-58<0013>0<0013>0") + b"BT [<0013>] TJ ET\n" + marked(3, b"<00130013><0013>") + b"Q"
    out = furniture.patch(content, {0: "12", 3: "129"})
    assert b"%masthead" not in out
    assert b"<0003>-58<0014>0<0015>0" in out  # the dash kept, the zeros written 1 2
    assert b"BT [<0013>] TJ ET" in out  # a zero that is not marked is text: left alone
    assert b"<00140015><001c>" in out
    assert furniture.patch(content, None) == content.replace(b"%masthead-ref 0\n", b"").replace(
        b"%masthead-ref 3\n", b"").replace(b"%masthead-end " + DIGITS + b"\n", b"")
    unmarked = b"q BT [<0013>] TJ ET Q"
    assert furniture.patch(unmarked, {0: "1"}) is unmarked


def test_a_number_longer_than_its_zeros_is_an_error_never_a_number_cut_short():
    with pytest.raises(RuntimeError, match="more digits"):
        furniture.patch(marked(0, b"<0013><0013>"), {0: "100"})


def page(name: str = "", strings=(), blank: bool = False, side: str = "right", starts=()) -> furniture.PageInfo:
    return furniture.PageInfo(name, blank, side, (800.0, 1100.0, 50.0, 70.0, 700.0, 960.0), tuple(strings), False,
                              tuple(starts))


DOCUMENT = (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><title>t</title></head>'
            b'<body class="print" data-publication="P"><section><p>text</p></section></body></html>')


def test_the_furniture_document_has_a_block_a_page_with_its_name_and_strings_and_breaks_to_a_blank():
    source = furniture.html(DOCUMENT, [page("cover"), page(strings=[("section", ('Say "when" \\ now', "Later"))], side="left",
                                                            starts=["section"]),
                                       page(blank=True, side="right"), page("advert", side="left"),
                                       page(strings=[("section", ("Inside",))], side="right")])
    root = etree.fromstring(source)
    blocks = root.findall(".//{http://www.w3.org/1999/xhtml}div")
    assert root.find("{http://www.w3.org/1999/xhtml}body").get("data-publication") == "P"  # the body's strings
    assert b"<p>text</p>" not in source and b"<div" in source and b"/>" not in source.split(b"<body", 1)[1]
    styles = [b.get("style") for b in blocks]
    assert len(blocks) == 6  # cover; page 2 and its second value; no block for the blank; the advert; page 5, twice
    assert "page: cover" in styles[0] and "break-before: auto" in styles[0]
    assert 'string-set: section "Say \\22 when\\22  \\5c  now"' in styles[1] and "break-before: page" in styles[1]
    assert styles[2] == 'string-set: section "Later"'
    assert "page: advert" in styles[3] and "break-before: left" in styles[3]  # so WeasyPrint makes the blank before it
    # A value set further down its page than its first box: set by a second block, so that
    # string(section, start) reads the value carried in, as it does in one pass.
    assert "string-set" not in styles[4] and styles[5] == 'string-set: section "Inside"'


def test_a_page_name_that_css_would_need_escaped_makes_no_furniture_document():
    assert furniture.html(DOCUMENT, [page("cover"), page("a;b")]) is None


def test_the_furniture_is_an_artifact_with_no_marked_content_of_its_own():
    content = b"q\n/P\n<</MCID 0>>\nBDC\nBT [<0013>] TJ ET\nEMC\n/Span <</MCID 1>> BDC q Q EMC\nQ"
    out = furniture.artifact(content)
    assert out.startswith(b"/Artifact << /Type /Pagination >> BDC\n") and out.endswith(b"\nEMC")
    assert b"MCID" not in out and out.count(b"BDC") == 1 and out.count(b"EMC") == 1
    assert b"BT [<0013>] TJ ET" in out
