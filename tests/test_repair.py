"""repair.py: markup an HTML parser forgives, mended into what XHTML's content model allows.

Each case is an article fragment as the XML parser reads it (an XHTML article reaches the
sanitizer exactly as written) and the markup it must become. Every mended fragment must need
no more mending and keep every word; the whole set is also built and checked by EPUBCheck in
test_article_input.py.
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from masthead.content import htmlrules, repair
from masthead.runtime.safexml import XHTML

CASES = [
    # a block ends the paragraph it stands in; inline markup is carried into a block that takes it
    ("<p>a <div>b</div> c</p>", "<p>a </p><div>b</div><p> c</p>"),
    ('<p id="x" class="k">a<ul><li>b</li></ul></p>', '<p id="x" class="k">a</p><ul><li>b</li></ul>'),
    ('<p id="x"><ul><li>b</li></ul></p>', '<ul id="x"><li>b</li></ul>'),
    ("<p><span>a<div>b</div>c</span></p>", "<p><span>a</span></p><div>b</div><p><span>c</span></p>"),
    ("<div><em>a<p>b</p></em></div>", "<div><em>a</em><p><em>b</em></p></div>"),
    ("<h2>a<blockquote>b</blockquote></h2>", "<h2>a</h2><blockquote>b</blockquote>"),
    ('<p>a<a href="#n"><div>b</div></a></p>', '<p>a</p><a href="#n"><div>b</div></a>'),
    ("<p>a<li>b</li>c</p>", "<p>a</p><ul><li>b</li></ul><p>c</p>"),
    # lists hold items; what strays joins the item before it, or starts one
    ("<ul><p>a</p><li>b</li>c</ul>", "<ul><li><p>a</p></li><li>b c</li></ul>"),
    ("<ol>a<li>b</li></ol>", "<ol><li>a</li><li>b</li></ol>"),
    ("<div><li>a</li> <li>b</li></div>", "<div><ul><li>a</li> <li>b</li></ul></div>"),
    # definition lists: a term first, a definition last, strays into the definition before
    ("<dl>a<dd>b</dd><dt>c</dt></dl>", "<dl><dt/><dd>a</dd><dd>b</dd><dt>c</dt><dd/></dl>"),
    ("<div><dd>a</dd></div>", "<div><dl><dt/><dd>a</dd></dl></div>"),
    ("<dl><div><dt>a</dt><dd>b</dd></div></dl>", None),  # valid: left alone
    # tables: caption first, one head, one foot last, rows beside bodies in a body; the rest before
    ("<table><tr><td>a</td></tr><caption>c</caption></table>", "<table><caption>c</caption><tr><td>a</td></tr></table>"),
    ("<table>t<tr><td>a</td>b</tr></table>", "t<table><tr><td>a</td><td>b</td></tr></table>"),
    ("<table><thead><tr><th>a</th></tr></thead><thead><tr><th>b</th></tr></thead><tr><td>c</td></tr>"
     "<tfoot><tr><td>d</td></tr></tfoot><tbody><td>e</td></tbody></table>",
     "<table><thead><tr><th>a</th></tr></thead><tbody><tr><th>b</th></tr></tbody><tbody><tr><td>c</td></tr></tbody>"
     "<tbody><tr><td>e</td></tr></tbody><tfoot><tr><td>d</td></tr></tfoot></table>"),
    ("<div><td>a</td><td>b</td></div>", "<div><table><tr><td>a</td><td>b</td></tr></table></div>"),
    ("<table><td>a</td><td>b</td></table>", "<table><tr><td>a</td><td>b</td></tr></table>"),
    ('<table><col span="2"/><tr><td>a</td></tr></table>', '<table><colgroup><col span="2"/></colgroup><tr><td>a</td></tr></table>'),
    ("<table><caption>a<table><tr><td>b</td></tr></table></caption><tr><td>c</td></tr></table>",
     "<div>a<table><tr><td>b</td></tr></table></div><table><tr><td>c</td></tr></table>"),
    # elements away from their place
    ("<figure><p>a</p><figcaption>b</figcaption><p>c</p></figure><figcaption>d</figcaption>",
     "<figure><p>a</p><div>b</div><p>c</p></figure><div>d</div>"),
    ("<details><p>a</p><summary>b</summary></details>", "<details><summary>b</summary><p>a</p></details>"),
    ("<details><p>a</p></details>", "<div><p>a</p></div>"),
    ("<p><rt>a</rt></p><summary>b</summary>", "<p><span>a</span></p><div>b</div>"),
    ("<hgroup><h2>a</h2><div>b</div></hgroup>", "<div><h2>a</h2><div>b</div></div>"),
    ("<hgroup><h2>a</h2><p>b</p></hgroup>", None),
    # no link in a link, no header in a header, no heading in an address
    ('<p><a href="#a">a <a href="#b">b</a></a></p>', '<p><a href="#a">a b</a></p>'),
    ("<header><header>a</header></header>", "<header><div>a</div></header>"),
    ("<p><dfn>a <dfn>b</dfn></dfn></p>", "<p><dfn>a b</dfn></p>"),
    # what must be valid to stay
    ('<p><time datetime="nonsense">a</time> <time>b</time> <time>2024-01-02</time> <time datetime="PT2H">c</time></p>',
     '<p><span>a</span> <span>b</span> <time>2024-01-02</time> <time datetime="PT2H">c</time></p>'),
    ('<p><time datetime="2024-13-01">a</time></p>', "<p><span>a</span></p>"),
    ("<p><bdo>a</bdo> <data>b</data></p>", "<p><span>a</span> <span>b</span></p>"),
    ('<p><bdo dir="rtl">a</bdo> <data value="1">b</data></p>', None),
    # found by a fuzzer and EPUBCheck in review
    ("<bdo>a<p>b</p>c</bdo>", "<span>a</span><p><span>b</span></p><span>c</span>"),  # the copies are spans too
    ("<rt><h2>a</h2></rt>", "<h2><span>a</span></h2>"),
    ("<dl><div><div><dt>a</dt><dd>b</dd></div></div></dl>", "<dl><dt/><dd><div><dl><dt>a</dt><dd>b</dd></dl></div></dd></dl>"),
    ("<figure><p>a</p><figcaption>b</figcaption>c</figure>", "<figure><p>a</p><p>c</p><figcaption>b</figcaption></figure>"),
    ("<p><time><em>2020-01-02</em></time></p>", '<p><time datetime="2020-01-02"><em>2020-01-02</em></time></p>'),
    ("<p><ruby>a</ruby> <ruby>b<rt>c</rt>d</ruby></p>", "<p><span>a</span> <ruby>b<rt>c</rt></ruby>d</p>"),
    ("<details><summary><p>a <em>b</em></p></summary>c</details>", "<details><summary>a b</summary>c</details>"),
    ('<div><a href="#x"><details><summary>a</summary>b</details></a></div>', '<div><a href="#x"><div><div>a</div>b</div></a></div>'),
    ('<table><colgroup span="2"><col/></colgroup><tr><td>a</td></tr></table>',
     "<table><colgroup><col/></colgroup><tr><td>a</td></tr></table>"),
    ('<ul><li value="3">a</li></ul><ol><li value="3">b</li></ol>', '<ul><li>a</li></ul><ol><li value="3">b</li></ol>'),
    ("<address><h2>a</h2></address>", None),
]


def _tree(fragment: str):
    return etree.fromstring(f'<div xmlns="{XHTML}">{fragment}</div>')


def _inner(tree) -> str:
    markup = (tree.text or "") + "".join(etree.tostring(c, encoding="unicode") for c in tree)
    return markup.replace(f' xmlns="{XHTML}"', "").replace(' xmlns:epub="http://www.idpf.org/2007/ops"', "")


def _words(tree) -> list[str]:
    return sorted(re.findall(r"\w+", " ".join(tree.itertext())))  # a caption or summary may move up


@pytest.mark.parametrize("fragment, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_mended(fragment, expected):
    tree = _tree(fragment)
    words = _words(tree)
    assert repair.repair(tree) is (expected is not None)
    assert _inner(tree) == (expected if expected is not None else fragment)
    assert _words(tree) == words, "a word was lost"
    assert not htmlrules.broken(tree), "the mended markup still needs mending"


def test_valid_articles_are_not_walked_twice():
    """An article that needs nothing is looked at once and left byte for byte."""
    fragment = ('<h2>h</h2><p>a <em>b</em> <a href="#x">c</a></p><ul><li><p>d</p></li></ul>'
                '<table><caption>t</caption><thead><tr><th>x</th></tr></thead><tbody><tr><td>y</td></tr></tbody></table>'
                '<figure><img src="a.png" alt=""/><figcaption>f</figcaption></figure><dl><dt>t</dt><dd>d</dd></dl>')
    tree = _tree(fragment)
    assert not htmlrules.broken(tree)
    assert repair.repair(tree) is False and _inner(tree) == fragment


@pytest.mark.parametrize("value, ok", [
    ("2024-01-02", True), ("2024-01", True), ("2024", True), ("01-02", True), ("10:30", True), ("10:30:15.5", True),
    ("2024-01-02T10:30Z", True), ("2024-01-02 10:30+01:00", True), ("2024-W05", True), ("PT2H30M", True), ("P3D", True),
    ("2h 30m", True), ("", False), ("yesterday", False), ("2024-13-01", False), ("2024-01-32", False), ("24:00", False),
    ("2024-W54", False), ("P", False), ("PT", False),
])
def test_valid_datetime(value, ok):
    assert htmlrules.valid_datetime(value) is ok


def test_references_to_nothing_go():
    tree = _tree('<p id="d">x</p><p aria-describedby="d">a</p><p aria-labelledby="nope">b</p>'
                 '<table><tr><th id="h">h</th><td headers="h">c</td><td headers="h gone">d</td></tr></table>')
    repair.references(tree)
    assert _inner(tree) == ('<p id="d">x</p><p aria-describedby="d">a</p><p>b</p>'
                            '<table><tr><th id="h">h</th><td headers="h">c</td><td>d</td></tr></table>')


def test_html5_elements_after_a_title_reach_the_body():
    """libxml2's HTML 4 parser leaves a <section> after <title> in the head: the article lost it."""
    import lxml.html

    document = lxml.html.document_fromstring("<title>T</title>\n<section>WA</section> tail <p>WB</p>")
    repair.move_head_strays(document)
    body = document.find("body")
    assert [c.tag for c in document.find("head")] == ["title"]
    assert re.findall(r"W\w", " ".join(body.itertext())) == ["WA", "WB"]
    assert "tail" in body[0].tail


def test_attribute_values_html_refuses_go():
    """A value a reader ignores is dropped in the sanitizer: EPUBCheck refuses the book over it."""
    from masthead.content import sanitize

    source = etree.fromstring(
        '<div><ol start="x" type="q" reversed="no"><li value="3">a</li></ol><ol start="-2" type="i"><li value="v">b</li></ol>'
        '<p dir="sideways" lang="not a lang!" aria-hidden="yes" aria-level="2" aria-label="L">c</p><p dir="rtl" lang="ar-EG">d</p>'
        '<table><tr><td colspan="0" rowspan="x">e</td><td colspan=" 2 " rowspan="0">f</td><th scope="diagonal">g</th>'
        '<th scope="col">h</th></tr></table><details open="maybe"><summary>s</summary>i</details>'
        '<p xml:lang="e n">j</p><del datetime="yesterday">k</del><ins datetime="2024-01-02T10:00Z">l</ins>'
        '<del datetime="2024-13-01">m</del><ins datetime="2024-02-03T25:00">n</ins><del datetime="2024-02-03 10:30:05+01:00">o</del></div>')
    tree = sanitize.clean(source, lambda element, attr, url: url, {}, set())
    assert _inner(tree) == (
        '<ol reversed="reversed"><li value="3">a</li></ol><ol start="-2" type="i"><li>b</li></ol>'
        '<p aria-label="L">c</p><p dir="rtl" lang="ar-EG">d</p>'
        '<table><tr><td>e</td><td colspan="2" rowspan="0">f</td><th>g</th><th scope="col">h</th></tr></table>'
        '<details open="open"><summary>s</summary>i</details><p>j</p><del>k</del><ins datetime="2024-01-02T10:00Z">l</ins>'
        '<del>m</del><ins>n</ins><del datetime="2024-02-03 10:30:05+01:00">o</del>')  # month 13, hour 25: no dates


def test_roles_html_does_not_allow_there_go():
    from masthead.content import shape

    tree = _tree('<div role="note">a</div><p role="doc-chapter">b</p><div role="button">c</div><p role="heading">d</p>'
                 '<section role="doc-chapter">e</section><a href="#x" role="doc-biblioref">f</a><span role="doc-noteref">g</span>'
                 '<ul role="figure"><li role="note">h</li></ul><h2 role="note">i</h2><a href="#x" role="presentation">j</a>'
                 '<ul role="group"><li>k</li></ul><section role="region">l</section>')
    shape.finish(tree)
    assert [(e.tag.split("}")[1], e.get("role")) for e in tree] == [
        ("div", "note"), ("p", None), ("div", None), ("p", None), ("section", "doc-chapter"), ("a", "doc-biblioref"),
        ("span", None), ("ul", None), ("h2", None), ("a", None), ("ul", "group"), ("section", "region")]
    assert tree[7][0].get("role") is None  # the <li role="note">
