"""The built-in theme as reading apps show it: measured in headless Chromium at a phone's
width, in the default, sepia and night themes apps apply (body colour and background
overridden, nothing else) and at 200 % type (readerlook.py). The full lab, with epub.js and
Readium paging, is tests/test_lab*.py; these check the theme's own promises quickly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from readerlook import THEMES, contrast, look

from helpers import ROOT, build_folder

ARABIC = ROOT / "issues" / "al-fanar-2025-11-28"
ACCENT = "#d13b2b"


def unpacked(epub: Path, into: Path) -> Path:
    with zipfile.ZipFile(epub) as z:
        z.extractall(into)
    return into / "EPUB"


@pytest.fixture(scope="module")
def lantern(sample_build, tmp_path_factory) -> Path:
    return unpacked(sample_build["epub"], tmp_path_factory.mktemp("lantern-look"))


@pytest.fixture(scope="module")
def fanar(tmp_path_factory) -> Path:
    out = build_folder(ARABIC, tmp_path_factory.mktemp("fanar-out"), "epub")
    return unpacked(out["epub"], tmp_path_factory.mktemp("fanar-look"))


def failing(result: dict) -> list[tuple]:
    return [(round(t["ratio"], 2), t["cls"] or t["tag"], t["text"][:30]) for t in result["texts"]
            if t["ratio"] < (3 if t["large"] else 4.5)]


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_text_has_aa_contrast_in_each_reading_theme(lantern, theme):
    """Contents, an article with a figure and a table, one with notes, the Arabic one: every
    element with text of its own, its colour composited with its opacity over what is behind it."""
    lowest = []
    for name in ("contents.xhtml", "last-bus.xhtml", "body-clock.xhtml", "madina-la-tanam.xhtml"):
        result = look(lantern / name, theme=theme)
        assert len(result["texts"]) > 20, name
        assert failing(result) == [], (name, theme)
        lowest.append(min(t["ratio"] for t in result["texts"]))
    assert min(lowest) >= 3


def test_links_and_rules_take_the_reading_systems_colour(lantern):
    """In a night theme a link is the body's colour (not a browser's blue), and rules are drawn
    in the text's colour (currentColor), not a fixed dark grey that vanishes."""
    script = """function extra() {
      const c = e => e && getComputedStyle(e);
      return {body: c(document.body).color,
              links: [...document.querySelectorAll('.article-body a, .more-from a')].map(a => c(a).color),
              rule: c(document.querySelector('.more-from')).borderTopColor,
              cell: c(document.querySelector('.article-body td')).borderBottomColor};
    }"""
    extra = look(lantern / "last-bus.xhtml", theme="night", script=script)["extra"]
    assert extra["body"] == "rgb(224, 224, 224)"
    assert extra["links"] and set(extra["links"]) == {extra["body"]}
    assert extra["rule"] == extra["cell"] == extra["body"]


def test_the_accent_stays_three_to_one_on_white_sepia_and_black():
    assert [round(contrast(ACCENT, background), 2) for background in ("#ffffff", "#f4ecd8", "#121212")] == \
        [4.8, 4.08, 3.9]
    css = (ROOT / "templates" / "default" / "css" / "common.css").read_text("utf-8")
    import re
    assert set(re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", css.split("*/", 1)[1])) == {ACCENT}


def test_arabic_issue_reads_in_a_night_theme(fanar):
    for name in ("contents.xhtml", "last-word.xhtml"):
        result = look(fanar / name, theme="night")
        assert failing(result) == [], name


@pytest.mark.parametrize("font", ["100%", "200%"])
def test_nothing_introductory_ends_a_page(lantern, font):
    """Paged as epub.js pages (columns one phone screen wide): no heading, definition term,
    table header or "More from" title is the last thing on a page, with what it introduces
    on the next. The articles chosen have a glossary (dl), a table and section heads."""
    checked = 0
    for name in ("contents.xhtml", "body-clock.xhtml", "last-bus.xhtml", "night-radio.xhtml", "night-shift.xhtml"):
        result = look(lantern / name, font=font, paged=True)
        assert result["pages"] > 1, name
        assert result["stranded"] == [], name
        checked += 1
    assert checked == 5


def test_header_rows_repeat_and_introducers_hold_on(lantern):
    script = """function extra() {
      const s = sel => getComputedStyle(document.querySelector(sel));
      return {thead: s('thead').display, h2: s('.article-body h2').breakAfter, more: s('.more-from-title').breakAfter,
              row: s('tbody tr').breakInside, figure: s('figure').breakInside, teaser: s('.more-from li').breakInside};
    }"""
    # on a tablet: on a phone this table is stacked, its header row hidden (each cell labelled)
    extra = look(lantern / "last-bus.xhtml", width=820, height=1180, script=script)["extra"]
    assert extra == {"thead": "table-header-group", "h2": "avoid", "more": "avoid", "row": "avoid",
                     "figure": "avoid", "teaser": "avoid"}


def test_an_xhtml_articles_notes_are_styled_by_epub_type(lantern):
    """body-clock is given as XHTML: its note references and notes carry epub:type and role,
    not masthead's classes. They are raised and small, the notes smaller than the text, the
    rule above them drawn by the first note; and where an engine hides pop-up notes (as
    iBooks and Kobo do) nothing of the notes' block is left: no rule, no gap."""
    script = """function extra() {
      const s = e => getComputedStyle(e);
      const ref = document.querySelector('a[role~="doc-noteref"]');
      const notes = document.querySelector('section.notes');
      const first = notes.firstElementChild;
      const out = {ref: [s(ref).verticalAlign, s(ref).textDecorationLine,
                         parseFloat(s(ref).fontSize) / parseFloat(s(ref.parentElement).fontSize)],
                   notes: parseFloat(s(notes).fontSize) / parseFloat(s(document.querySelector('.article-body')).fontSize),
                   wrapper: s(notes).borderTopStyle, first: s(first).borderTopStyle};
      const hide = document.createElementNS('http://www.w3.org/1999/xhtml', 'style');
      hide.textContent = '@namespace epub "http://www.idpf.org/2007/ops"; aside[epub|type~="footnote"] { display: none; }';
      document.head.appendChild(hide);
      out.hidden = notes.getBoundingClientRect().height;
      return out;
    }"""
    extra = look(lantern / "body-clock.xhtml", script=script)["extra"]
    assert extra["ref"][:2] == ["super", "none"] and extra["ref"][2] < 0.8
    assert extra["notes"] < 0.9
    assert (extra["wrapper"], extra["first"]) == ("none", "solid")
    assert extra["hidden"] == 0


def test_verse_lines_are_blocks_with_a_hanging_indent(lantern):
    """At 200 % on a phone the long lines of the poem in nocturnes turn over; a turnover
    starts further in than a line does, so the two can be told apart."""
    script = """function extra() {
      return [...document.querySelectorAll('.verse .line')].map(line => {
        const range = document.createRange(); range.selectNodeContents(line);
        const boxes = [...range.getClientRects()].filter(r => r.width > 0);
        const tops = [...new Set(boxes.map(r => Math.round(r.top)))];
        const starts = tops.map(t => Math.min(...boxes.filter(r => Math.round(r.top) === t).map(r => r.left)));
        return {display: getComputedStyle(line).display, starts: starts};
      });
    }"""
    lines = look(lantern / "nocturnes.xhtml", font="200%", script=script)["extra"]
    assert len(lines) == 8 and {line["display"] for line in lines} == {"block"}
    firsts = {round(line["starts"][0]) for line in lines}
    assert len(firsts) == 1  # every line starts at the same place
    turned = [line["starts"] for line in lines if len(line["starts"]) > 1]
    assert turned and all(min(starts[1:]) > starts[0] + 10 for starts in turned)


def test_a_wide_table_is_stacked_on_a_phone_at_large_type_and_a_table_on_a_tablet(lantern):
    """last-bus's four-column table lost its last column at 150 % on a phone. Paged as epub.js
    pages: nothing of it is wider than the page at 100 % or 200 % type; on a phone at 200 %
    each row is a block of cells labelled with their column's header, on a tablet at 100 %
    it is still a table."""
    script = """function extra() {
      const table = document.querySelector('table');
      const td = table.querySelector('tbody td');
      return {table: getComputedStyle(table).display, label: getComputedStyle(td, '::before').content};
    }"""
    phone = look(lantern / "last-bus.xhtml", font="200%", paged=True, script=script)
    assert phone["wide"] == [] and phone["extra"] == {"table": "block", "label": '"Route"'}
    assert look(lantern / "last-bus.xhtml", paged=True)["wide"] == []
    tablet = look(lantern / "last-bus.xhtml", width=820, height=1180, paged=True, script=script)
    assert tablet["wide"] == [] and tablet["extra"]["table"] == "table"


def test_separators_are_text_that_a_reader_without_css_keeps(sample_build, tmp_path):
    """MuPDF, calibre's MOBI, copy-paste and read-aloud take the text, not CSS's generated
    content: the byline's dots and the space between a caption and its credit are in it."""
    import subprocess

    from helpers import need
    need("mutool")
    text = tmp_path / "book.txt"
    subprocess.run(["mutool", "draw", "-q", "-F", "txt", "-o", str(text), str(sample_build["epub"])],
                   capture_output=True, check=True)
    words = " ".join(text.read_text("utf-8").split())
    assert "By Owen Castellane and Nell Farrant · 21 November 2025 · 4 min read" in words
    assert "the town is not. Illustration by Lantern Studio" in words


MORE_FROM = """function extra() {
  const more = document.querySelector('.more-from');
  const height = [...more.getClientRects()].reduce((sum, box) => sum + box.height, 0);
  const withIt = pages();
  more.remove();
  return {height: height, pages: withIt, without: pages()};
}"""
ARTICLES = ("the-week.xhtml", "last-bus.xhtml", "night-shift.xhtml", "body-clock.xhtml", "night-radio.xhtml",
            "nocturnes.xhtml", "madina-la-tanam.xhtml", "last-word.xhtml")


def test_more_from_takes_under_a_third_of_a_phone_page_and_rarely_a_page_of_its_own(lantern):
    """It made a mostly empty page after 5 of the 8 articles (470-564 px of an 844 px phone
    page): now each teaser is its headline and reading time, under a third of a page."""
    measured = [look(lantern / name, paged=True, script=MORE_FROM)["extra"] for name in ARTICLES]
    assert max(m["height"] for m in measured) <= 844 / 3, measured
    added = [m["pages"] - m["without"] for m in measured]
    assert max(added) <= 1 and sum(added) <= len(ARTICLES) // 3, added


def test_more_from_at_large_type_and_on_a_tablet(lantern):
    """At 200 % it takes at most about half a phone page; on a tablet too each teaser is its
    headline and reading time (a container query showing the kicker and standfirst there kept
    Chromium from holding "More from" to the article's end: docs/reading-lab.md), and the box
    holding it also holds the article's last paragraph, on the same page."""
    phone = look(lantern / "the-week.xhtml", font="200%", paged=True, script=MORE_FROM)["extra"]
    assert phone["height"] <= 844 * 0.6
    script = """function extra() {
      const end = document.querySelector('.article-end');
      const last = end.querySelector('.article-body-end p:last-of-type');
      const title = end.querySelector('.more-from-title');
      return {standfirsts: [...document.querySelectorAll('.more-standfirst')].map(e => e.getClientRects().length),
              breakInside: getComputedStyle(end).breakInside,
              sameColumn: Math.abs(last.getBoundingClientRect().left - title.getBoundingClientRect().left) < 5};
    }"""
    tablet = look(lantern / "the-week.xhtml", width=820, height=1180, paged=True, script=script)["extra"]
    assert tablet == {"standfirsts": [0, 0, 0], "breakInside": "avoid", "sameColumn": True}


def test_an_english_article_in_the_arabic_issue_is_set_in_the_serif(fanar):
    """The page is Arabic (Naskh first); the English article goes back to the serif."""
    script = """function extra() {
      const family = sel => getComputedStyle(document.querySelector(sel)).fontFamily.split(',')[0].replace(/"/g, '');
      return [family('.article-body p'), family('.article-meta'), family('.headline')];
    }"""
    assert look(fanar / "last-word.xhtml", script=script)["extra"] == ["Masthead Serif", "Masthead Naskh", "Masthead Sans"]
