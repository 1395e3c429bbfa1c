"""markdown.py: what markdown-it drops without a word is said, at the article's line."""

from __future__ import annotations

from pathlib import Path

from masthead.content.readers import markdown
from masthead.diagnostics import Report

PATH = Path("/issue/articles/notes.md")


def _render(text: str) -> tuple[str, list[str]]:
    report = Report()
    html = markdown.render(text, "en", PATH, report)
    return html, [f"{d.position.line}:{d.position.col}: {d.message}" for d in report.diagnostics]


def test_footnote_problems_are_warned_at_their_lines():
    html, warnings = _render("Text[^a] and[^b], and [^zz].\n\n[^a]: First.\n[^a]: Second.\n[^c]: Unused.\n[^b]: Bee.\n"
                             "\n`[^code]` and [link](#x) are no notes.\n")
    assert warnings == [  # in the order of the lines
        "1:23: footnote [^zz] has no definition; it stays as text (define it on a line of its own: [^zz]: …)",
        "3:1: footnote [^a] is defined again on line 4, and that definition replaces this one",
        "5:1: footnote [^c] is never referred to in the text; it is left out",
    ]
    assert "Second." in html and "First." not in html and "Unused." not in html  # what markdown-it does, now said


def test_good_footnotes_give_no_warning():
    html, warnings = _render("One[^1], two[^n], one again[^1].\n\n[^1]: The first.\n[^n]: The second,\n    in two lines.\n")
    assert warnings == []
    assert html.count('class="footnote-item"') == 2


def test_nesting_past_the_limit_is_warned():
    deep = "> " * (markdown.MAX_NESTING + 5) + "WDEEP\n\nafter\n"
    html, warnings = _render("Intro.\n\n" + deep)
    assert warnings == [f"3:1: quotes or lists nested too deep (markdown-it stops at {markdown.MAX_NESTING} levels, "
                        "a list counting two): what is deeper is left out"]
    assert "WDEEP" not in html and "after" in html


def test_nesting_markdown_it_used_to_cut_now_stays():
    """markdown-it's default limit of 20 cut 21 quotes deep, with their text, and said nothing;
    just under the limit, nothing is lost and nothing is said."""
    for depth in (25, markdown.MAX_NESTING - 1):
        html, warnings = _render("> " * depth + "WKEPT\n")
        assert warnings == [] and "WKEPT" in html, depth
    html, warnings = _render("".join("  " * i + f"- item{i}\n" for i in range(markdown.MAX_NESTING // 2 - 1)))
    assert warnings == [] and f"item{markdown.MAX_NESTING // 2 - 2}" in html


def test_a_reference_the_writer_escaped_or_linked_is_no_note():
    _, warnings = _render("An escaped \\[^1], a link [[^x]](https://example.com/), and [^y].\n")
    assert [w.split(": ", 1)[1][:22] for w in warnings] == ["footnote [^y] has no d"]


def test_a_heading_named_like_a_note_keeps_the_notes_links(tmp_path):
    """A heading "Note 1" gets the id note-1: the first note's links went to the heading."""
    from helpers import Epub, masthead

    (tmp_path / "a.md").write_text("---\ntitle: T\n---\n\n## Note 1\n\nText[^x].\n\n[^x]: WNOTETEXT\n", "utf-8")
    (tmp_path / "issue.yaml").write_text("publication: P\ndate: 2025-03-01\nlanguage: en\narticles:\n  - a.md\n", "utf-8")
    result = masthead("build", str(tmp_path), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    doc = Epub(tmp_path / "out" / f"{tmp_path.name}.epub").xml("a.xhtml")
    ns = "{http://www.w3.org/1999/xhtml}"
    ref = next(a for a in doc.iter(f"{ns}a") if a.get("class") == "noteref")
    target = next(e for e in doc.iter() if e.get("id") == ref.get("href")[1:])
    assert "WNOTETEXT" in "".join(target.itertext()) and target.tag == f"{ns}aside"
    back = next(a for a in target.iter(f"{ns}a") if a.get("role") == "doc-backlink")
    assert next(e for e in doc.iter() if e.get("id") == back.get("href")[1:]) is ref
    assert any(h.get("id") == "note-1" for h in doc.iter(f"{ns}h2", f"{ns}h3"))


def test_a_comment_or_script_never_closed_is_warned():
    """An HTML block opened and never closed runs to the end: all after it was lost in silence."""
    _, warnings = _render("Before.\n\n<!-- an editor's note\n\nAfter.\n")
    assert warnings == ["3:1: an HTML comment opened here is never closed with -->: everything after it is inside it, and left out"]
    _, warnings = _render("Before.\n\n<script>\nvar x = 1;\n\nAfter.\n")
    assert warnings == ["3:1: <script> opened here is never closed: everything after it is taken for its code, and left out"]
    _, warnings = _render("A <!-- closed --> comment.\n\n```\n<!-- in code, never closed\n```\n\n<style>p {}</style>\n")
    assert warnings == []
    _, warnings = _render("para\n\n> <!-- note\n\nrest of the article\n")  # in a quote, it takes the rest too
    assert warnings == ["3:1: an HTML comment opened here is never closed with -->: everything after it is inside it, and left out"]


def test_never_closed():
    from masthead.content.sanitize import never_closed

    assert never_closed("a <!-- b --> c <SCRIPT src=x></script> d") is None
    assert never_closed("a <!-- b --> c <!-- d") == (15, "<!--")
    assert never_closed("<style>p{}</style><Script>x") == (18, "<script>")
    assert never_closed("<script>var s = '<!--';</script> after") is None


def test_box_mistakes_are_warned():
    text = ("::: sidebar Extra words\nText\n:::\n\n::: sidebar\nOuter\n::: pullquote\nQuote\n:::\nAfter\n:::\n\n"
            "::: unknownkind\nx\n:::\n\n:::: sidebar\nOuter\n::: pullquote\nQuote\n:::\nAfter\n::::\n\n::: verse\nunclosed\n")
    html, warnings = _render(text)
    assert [w.split(": ", 1) for w in warnings] == [
        ["1:1", "'Extra words' after '::: sidebar' is left out: put it on the next line"],
        ["11:1", "a ':::' that closes no box, left as text: a box inside another closes it unless the outer one has "
                 "more colons (':::: sidebar' around '::: pullquote')"],
        ["13:1", "'::: unknownkind' is no box masthead knows (pullquote, verse, aside, sidebar); it stays as text"],
        ["25:1", "'::: verse' is never closed with ':::': the rest of the article is in the box"],
    ]
    assert html.count('<div class="sidebar">') == 3  # the well-nested one (lines 17-23) is said nothing of


def test_an_unknown_box_closed_after_a_blank_line_is_one_warning():
    """Its ':::' is the unknown box's own end, not a second mistake; a ':::' after that still is."""
    _html, warnings = _render("::: sidenote\n\nText in it.\n\n:::\n\nAfter.\n\n:::\n")
    assert [w.split(": ", 1)[0] + " " + w.split(": ", 1)[1][:24] for w in warnings] == [
        "1:1 '::: sidenote' is no box", "9:1 a ':::' that closes no b"]


def test_table_cells_past_the_head_are_warned():
    _, warnings = _render("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n| x |\n| `a|b` | c\\|d |\n\n> | q | r |\n> |---|---|\n> | 1 | 2 |\n")
    assert warnings == ["3:1: this row has 3 cells and the table's head 2: the cells past column 2 are left out",
                        "5:1: this row has 3 cells and the table's head 2: the cells past column 2 are left out"]  # GFM: in code too


def test_windows_1252_numeric_references_are_their_characters():
    html, warnings = _render("Word &#150; dash &#146;quote &#147;dq&#148; &#128; euro &#x97; &#129; `&#150;` &#0150; &#x096;\n")
    assert "Word – dash ’quote “dq” € euro — \ufffd <code>&amp;#150;</code> – –" in html and warnings == []


def test_the_typographer_leaves_code_commands_and_urls_alone():
    html, _ = _render('Say "hi" -- <code>"raw" --x</code>, <kbd>--help</kbd>, https://example.com/a--b and '
                      '<https://example.com/"q"--x>; "done".\n')
    assert "Say “hi” –" in html and "“done”" in html  # the prose still is typographic
    assert "<code>&quot;raw&quot; --x</code>" in html and "<kbd>--help</kbd>" in html
    assert "https://example.com/a--b and" in html and ">https://example.com/&quot;q&quot;--x</a>" in html
    html, _ = _render('He said "visit www.example.com." Then "see http://x.com/a" ok, and *"a http://x.com* b".\n')
    assert "“visit www.example.com.”" in html and "“see http://x.com/a”" in html  # the quotes are the sentence's
    assert '<em>&quot;a http://x.com</em> b&quot;' in html  # not paired across the emphasis
    html, _ = _render("> ::: pullquote\n> text\n> :::\n")
    assert _render("> ::: pullquote\n> text\n> :::\n")[1] == [] and "pullquote" in html


def test_word_prefixed_tags_give_way_to_their_text():
    html, _ = _render("Pasted from Word<o:p></o:p> and <st1:place w:st=\"on\">London</st1:place>, <st1:place>Paris</st1:place>, "
                      "<v:shape style=\"a>b\">x</v:shape>. `<o:p>` in code; <T:Comparable> in prose.\n")
    assert "Pasted from Word and London, Paris, x." in html and "<code>&lt;o:p&gt;</code>" in html
    assert "&lt;T:Comparable&gt;" in html and "<a" not in html


def test_the_guarded_replacements_give_markdown_its_own_text():
    """markdown_input runs markdown-it's typographic replacements only where their characters
    stand; on any text the result must be the library's own rule's, character for character."""
    import random

    from markdown_it.rules_core.replacements import replace as library_rule

    ours = markdown.renderer("en")
    stock = markdown.renderer("en").__class__("commonmark", {"typographer": True, "html": True})
    stock.enable(["replacements", "smartquotes", "table", "strikethrough"])
    stock.core.ruler.at("replacements", library_rule)
    mine = ours.__class__("commonmark", {"typographer": True, "html": True})
    mine.enable(["replacements", "smartquotes", "table", "strikethrough"])
    mine.core.ruler.at("replacements", markdown._replacements)
    assert any(r.fn is markdown._replacements for r in ours.core.ruler.__rules__)  # the build uses ours
    rng = random.Random(1891)
    alphabet = [*list("ab ?!.,+-…()crtmCRTM\n"), "--", "---", "...", "(c)", "(tm)", "?!", "<https://x.org/a--b>", "`x--y`"]
    cases = ["wait... what?!!!! -- no --- yes,, 1+-2 (C) (tm)", "a--b -- c---d ----", "?.... !..... ,,,, ...", ""]
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    for text in cases:
        assert mine.render(text) == stock.render(text), repr(text)


def test_a_caption_is_phrasing_content_safe_in_an_attribute_too():
    """inline() is for a line of text: no footnote, no ids; its quotes are escaped, so a caption a
    theme puts in an attribute (title="{{ article.image.caption }}") cannot break out of it."""
    from lxml import etree

    out = markdown.inline('`a" onload="x` and <span id="n">it\'s</span> a note^[aside] <rt>r</rt>', "en")
    assert out == "<code>a&quot; onload=&quot;x</code> and <span>it’s</span> a note^[aside] <span>r</span>"
    plain = markdown.inline('a &quot;b&quot; onload=&quot;x', "en")  # quotes as entities: the typographer's not
    assert plain == "a &quot;b&quot; onload=&quot;x"
    element = etree.fromstring(f'<p title="{plain}"/>')
    assert list(element.attrib) == ["title"] and element.get("title") == 'a "b" onload="x'
