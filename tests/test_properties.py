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

from helpers import epubcheck
from masthead.diagnostics import IssueError
from masthead.pipeline import build

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
scalar = st.one_of(text, st.integers(-5, 10**6), st.booleans(), st.none(),
                   st.sampled_from(["2025-13-45", "2025-02-28", "en", "ar", "x--y"]))
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


# ---------------------------------------------------------------------------- every key, any scalar

# YAML scalars at the edges: huge and tiny numbers, digits that are not ASCII, dates at the
# ends of the calendar, long text, control characters. Every manifest key (issue.yaml's, its
# epub: and pdf: options', an article entry's) given any of them must give a manifest or
# positioned errors; a build of what was accepted, an EPUB or positioned errors.
EDGE_TEXT = ["²", "٥", "١٠", "𝟗", "½", "Ⅻ", "9" * 5000, "2108-01-01", "0001-01-01", "9999-12-31", "1e400", "-0",
             "0x1F", "+12", " 7 ", "http:", "https://exa%20mple.com/", "a\nb", "\x07bell", "\u202e", "%41.md", "a#b?.md"]
edge_scalar = st.one_of(
    st.integers(-(10 ** 40), 10 ** 40), st.integers(-5, 10 ** 7), st.floats(), st.dates(), st.datetimes(),
    st.booleans(), st.none(), st.sampled_from(EDGE_TEXT),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.builds(lambda c, n: c * n, st.sampled_from("xé٣\x01 "), st.integers(0, 30_000)),
)


def _keyed(names: tuple[str, ...], prefix: str) -> list[str]:
    return [f"{prefix}{name}" for name in names]


def _every_key() -> list[str]:
    from masthead.manifest import loader

    return (list(loader.ISSUE_KEYS) + _keyed(loader.EPUB_KEYS, "epub.") + _keyed(loader.PDF_KEYS, "pdf.")
            + _keyed(loader.ARTICLE_KEYS, "entry.") + _keyed(loader.IMAGE_KEYS, "image."))


def edge_manifest(values: dict) -> dict:
    """The small valid manifest with ``values`` ("pdf.margins", "entry.title" …) put in."""
    data: dict = {"publication": "Edge", "date": "2025-01-01", "language": "en"}
    entry: dict = {"file": "articles/a.md"}
    for key, value in values.items():
        group, _, name = key.rpartition(".")
        if group == "entry":
            entry[name] = value
        elif group == "image":
            _mapping(entry, "image", {"src": "pic.png"})[name] = value
        elif group:
            _mapping(data, group, {})[name] = value
        else:
            data[name] = value
    data.setdefault("articles", [entry])
    return data


def _mapping(data: dict, key: str, default: dict) -> dict:
    """``data[key]``, a mapping (a scalar drawn for the key gives way to its sub-keys)."""
    if not isinstance(data.get(key), dict):
        data[key] = default
    return data[key]


def _assert_positioned(exc, folder: Path) -> None:
    assert exc.diagnostics
    for diagnostic in exc.diagnostics:
        assert diagnostic.position.path.is_relative_to(folder), diagnostic
        assert diagnostic.position.line is not None and diagnostic.position.col is not None, diagnostic
        assert "\n" not in diagnostic.message and len(diagnostic.message) < 1000, diagnostic


def _edge_issue(folder: Path, values: dict) -> Path:
    import yaml
    from test_bad_input import small_png

    root = folder / "issue"
    (root / "articles").mkdir(parents=True)
    (root / "issue.yaml").write_text(yaml.safe_dump(edge_manifest(values), allow_unicode=True), encoding="utf-8")
    (root / "articles" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    (root / "articles" / "pic.png").write_bytes(small_png())
    return root / "issue.yaml"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_every_key()), edge_scalar, min_size=1, max_size=4))
def test_any_scalar_for_any_key_gives_a_manifest_or_positioned_errors(values):
    from masthead.manifest import loader

    folder = Path(tempfile.mkdtemp(prefix="masthead-edge-"))
    try:
        try:
            loader.load(_edge_issue(folder, values))
        except IssueError as exc:
            _assert_positioned(exc, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["publication", "title", "date", "number", "cover_lines", "entry.title",
                                        "entry.kicker", "entry.date", "image.caption", "epub.certifier_report",
                                        "pdf.margins"]), edge_scalar, min_size=1, max_size=3))
def test_any_scalar_the_outputs_carry_builds_or_gives_positioned_errors(values):
    folder = Path(tempfile.mkdtemp(prefix="masthead-edge-"))
    try:
        try:
            build(_edge_issue(folder, values), folder / "out", ("epub",))
        except IssueError as exc:
            _assert_positioned(exc, folder)
            assert not (folder / "out").exists() or not any((folder / "out").iterdir())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
