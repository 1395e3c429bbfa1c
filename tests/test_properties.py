"""Property-based tests: generated manifests and articles, hostile fragments included.

Whatever the input, a build ends in one of two ways: a clean EPUB that EPUBCheck accepts, or
positioned errors (IssueError). Never a traceback, never a file outside the issue read.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import epubcheck
from masthead.build import build
from masthead.errors import IssueError

# Hostile fragments a build must survive with a valid EPUB. (An image path that leaves the
# issue folder is an error by contract; it is among the fragments of the first test only.)
HOSTILE = [
    "<script>alert(1)</script>", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onerror="alert(1)">',
    '<a href="javascript:alert(1)">j</a>', '<iframe src="http://127.0.0.1:9/"></iframe>', "<object data='x'></object>",
    "<embed src='x'>after", '<img src="file:///etc/hostname">', "<style>@import 'http://x/'</style>",
    "<form><input name=q></form>", '<meta http-equiv="refresh" content="0;url=http://x/">', "<base href='http://x/'>",
    "{{ 7*7 }}", "{% for x in y %}", "<svg><script>x</script></svg>", "<math><mi>x</mi></math>", "\x00\x01\x0b",
    "<wbr>word", "&nbsp;&amp;&lt;", "<![CDATA[x]]>", "<!-- -- -->", "<p>unclosed <b>bold", "</div></div>",
    "[link](../../etc/passwd)", "![img](http://127.0.0.1:9/a.png)", "[^1]\n\n[^1]: note", "::: pullquote\nq\n:::",
    "| a | b |\n|---|---|\n| 1 | 2 |", "Term\n: def", "# Heading", "`code`", "> quote", "1. one\n2. two",
    '<a href="#nowhere">dead</a>', '<p id="x">a</p><p id="x">dup</p>', "\u202eevil\u202c", "العربية", "日本語のテキスト",
]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
ERRORS = ['<img src="../../../etc/passwd">', '<img src="missing.png">', "![x](../outside.png)"]
fragment = st.one_of(st.sampled_from(HOSTILE), text)
body = st.lists(fragment, min_size=1, max_size=8).map("\n\n".join)
any_body = st.lists(st.one_of(fragment, st.sampled_from(ERRORS)), min_size=1, max_size=8).map("\n\n".join)
scalar = st.one_of(text, st.integers(-5, 10**6), st.booleans(), st.none(), st.sampled_from(["2025-13-45", "2025-02-28", "en", "ar", "x--y"]))
front_matter = st.dictionaries(
    st.sampled_from(["title", "kicker", "standfirst", "byline", "date", "lang", "dir", "tags", "reading_time", "headline", "image"]),
    scalar, max_size=5)


def write_issue(root: Path, manifest_extra: dict, markdown: str, html: str, fm: dict) -> None:
    import yaml

    (root / "articles").mkdir(parents=True)
    manifest = {"publication": "Prop", "date": "2025-01-01", "language": "en",
                "articles": ["articles/a.md", "articles/b.html"], **manifest_extra}
    (root / "issue.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    (root / "articles" / "a.md").write_text("---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n\n" + markdown, encoding="utf-8")
    (root / "articles" / "b.html").write_text(f"<html><head><title>B</title></head><body>{html}</body></html>", encoding="utf-8")


def outcome(manifest_extra, markdown, html, fm):
    folder = Path(tempfile.mkdtemp(prefix="masthead-prop-"))
    try:
        write_issue(folder / "issue", manifest_extra, markdown, html, fm)
        try:
            result = build(folder / "issue" / "issue.yaml", folder / "out", ("epub",))
        except IssueError as exc:
            assert exc.diagnostics
            for diagnostic in exc.diagnostics:
                assert diagnostic.position.path.is_relative_to(folder), diagnostic
                assert diagnostic.position.line is None or diagnostic.position.line >= 1
            assert not (folder / "out").exists() or not any((folder / "out").iterdir())
            return None
        (out,) = result.outputs
        data = out.path.read_bytes()
        assert b"<script" not in data and b"javascript:" not in data
        copy = Path(tempfile.mkdtemp(prefix="masthead-prop-epub-")) / "book.epub"
        shutil.copy(out.path, copy)
        return copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


manifest_extra = st.dictionaries(
    st.sampled_from(["number", "issn", "title", "editors", "theme", "cover", "sectoins", "pdf", "language", "date"]),
    scalar, max_size=3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest_extra, any_body, any_body, front_matter)
def test_any_input_builds_or_reports_positioned_errors(extra, markdown, html, fm):
    epub = outcome(extra, markdown, html, fm)
    if epub is not None:
        shutil.rmtree(epub.parent, ignore_errors=True)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body, body)
def test_hostile_articles_give_valid_epubs(markdown, html):
    epub = outcome({}, markdown, html, {"title": "Generated"})
    assert epub is not None  # with a valid manifest and front matter, hostile bodies never fail
    try:
        assert epubcheck(epub) == []
    finally:
        shutil.rmtree(epub.parent, ignore_errors=True)


def test_body_that_starts_with_bare_text_and_an_ampersand():
    # Found by the property test above: the print document lost the escaping of text that
    # stands before an article's first element.
    epub = outcome({}, "plain", "<script>x</script>\n\nfish & chips", {"title": "T"})
    assert epub is not None
    shutil.rmtree(epub.parent, ignore_errors=True)


def test_control_characters_in_a_title_from_a_heading():
    # Found by the fuzzer (make fuzz): a setext heading "`\x10" became a title XML cannot carry.
    epub = outcome({}, "`\x10 title\n-\n\ntext", "<p>x</p>", {})
    assert epub is not None
    shutil.rmtree(epub.parent, ignore_errors=True)


def test_tag_names_that_are_not_xml_names():
    # Found by the property test: the HTML parser turns "<M" into an element named "m<".
    epub = outcome({}, "x", "text¹<M", {"title": "T"})
    assert epub is not None
    shutil.rmtree(epub.parent, ignore_errors=True)
