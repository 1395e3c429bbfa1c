"""shape.py's verse: each line its own block, whatever marks the verse."""

from __future__ import annotations

from lxml import etree

from masthead.content import shape

X = "http://www.w3.org/1999/xhtml"


def shaped(body: str) -> str:
    tree = etree.fromstring(f'<div xmlns="{X}" xmlns:epub="http://www.idpf.org/2007/ops">{body}</div>')
    shape._verse(tree)
    return etree.tostring(tree, encoding="unicode").split(">", 1)[1].rsplit("<", 1)[0]


def test_a_markdown_verse_becomes_one_block_per_line_keeping_the_breaks():
    assert shaped('<div class="verse"><p>One <em>a</em> x<br/>\nTwo<br/>\nThree</p></div>') == (
        '<div class="verse"><p><span class="line">One <em>a</em> x<br/></span>\n'
        '<span class="line">Two<br/></span>\n<span class="line">Three</span></p></div>')


def test_an_xhtml_poem_by_epub_type_too_and_a_final_break_is_dropped():
    assert shaped('<section epub:type="z3998:poem"><p>A<br/>B<br/></p></section>') == (
        '<section epub:type="z3998:poem"><p><span class="line">A<br/></span>\n<span class="line">B</span></p></section>')


def test_prose_with_a_line_break_is_left_alone():
    assert shaped("<p>An address<br/>on two lines</p>") == "<p>An address<br/>on two lines</p>"


def tabled(body: str) -> str:
    tree = etree.fromstring(f'<div xmlns="{X}">{body}</div>')
    shape._tables(tree)
    return etree.tostring(tree, encoding="unicode").split(">", 1)[1].rsplit("<", 1)[0]


def test_a_table_of_three_columns_is_stackable_each_cell_labelled_by_its_header():
    assert tabled("<p>Before.</p><table><thead><tr><th>A</th><th>B <em>b</em></th><th>C</th></tr></thead>"
                  "<tbody><tr><td>1</td><td>2</td><td>3</td></tr></tbody></table>\nAfter") == (
        '<p>Before.</p><div class="table-wrap"><table class="stackable"><thead><tr><th>A</th><th>B <em>b</em></th><th>C</th></tr></thead>'
        '<tbody><tr><td data-label="A">1</td><td data-label="B b">2</td><td data-label="C">3</td></tr></tbody></table></div>\nAfter')


def test_narrow_or_merged_tables_stay_tables():
    two = "<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>"
    merged = ("<table><thead><tr><th>A</th><th>B</th><th>C</th></tr></thead>"
              '<tbody><tr><td colspan="2">1</td><td>3</td></tr></tbody></table>')
    assert tabled(two) == two and tabled(merged) == merged


def test_a_scene_break_is_written_as_text():
    tree = etree.fromstring(f'<div xmlns="{X}"><p>One.</p><hr/>\n<p>Two.</p><hr class="ornament"/></div>')
    shape._scene_breaks(tree)
    assert etree.tostring(tree, encoding="unicode").split(">", 1)[1].rsplit("<", 1)[0] == (
        '<p>One.</p><p class="scene-break" role="separator">* * *</p>\n<p>Two.</p><hr class="ornament"/>')
