"""Bad input: every case exits 1 with a positioned message, no traceback and no file written.

Each case changes a copy of the small valid issue (fixture ``issue_dir``) and runs the real
command in a subprocess, as a user would. The contract (../shared/spec/manifest.md) says:
exit status 1 when an issue has errors, each error printed as ``path:line:col: message``
without a traceback, and an issue with errors writes no file.

The valid issue.yaml the cases start from, with its line numbers:

    1  publication: Test Weekly
    2  date: 2025-01-31
    3  language: en
    4  number: 5
    5  sections:
    6    - title: News
    7      articles:
    8        - articles/one.md
    9        - articles/two.md
"""

from __future__ import annotations

import random
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import masthead

DIAGNOSTIC = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


# ---------------------------------------------------------------------------- helpers


@dataclass
class Diag:
    path: Path
    line: int
    col: int
    message: str
    text: str


def diagnostics(stderr: str) -> list[Diag]:
    """Every ``path:line:col: message`` line of stderr, with the path resolved."""
    out = []
    for text in stderr.splitlines():
        match = DIAGNOSTIC.match(text)
        if match:
            out.append(Diag(Path(match["path"]).resolve(), int(match["line"]), int(match["col"]),
                            match["message"], text))
    return out


def run_build(issue: Path, out: Path, timeout: float | None = None) -> subprocess.CompletedProcess:
    """``masthead build ISSUE -o OUT``, with a bound on how long it may run when given."""
    if timeout is None:
        return masthead("build", str(issue), "-o", str(out))
    # The same command line as conftest.masthead(), for the cases that must not hang.
    return subprocess.run([sys.executable, "-m", "masthead", "build", str(issue), "-o", str(out)],
                          capture_output=True, text=True, timeout=timeout)


def assert_failed_cleanly(result: subprocess.CompletedProcess, out: Path) -> list[Diag]:
    shown = f"exit {result.returncode}\n--- stderr\n{result.stderr}\n--- stdout\n{result.stdout}"
    assert result.returncode == 1, shown
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert "internal error" not in result.stderr, shown
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == [], shown
    found = diagnostics(result.stderr)
    assert found, f"no 'path:line:col: message' line in stderr:\n{result.stderr}"
    # One problem, one message: the same problem reported twice at one place is noise.
    places = [(d.path, d.line, d.col) for d in found]
    assert len(places) == len(set(places)), f"two messages for one place:\n{result.stderr}"
    return found


def assert_reported(found: list[Diag], stderr: str, path: Path, line: int | tuple[int, ...],
                    col: int | None, message: str) -> Diag:
    """One diagnostic names ``path`` at ``line`` (one of them, for a tuple), ``col`` and matches ``message``."""
    lines = line if isinstance(line, tuple) else (line,)
    path = path.resolve()
    for d in found:
        if d.path == path and d.line in lines and (col is None or d.col == col) and re.search(message, d.message, re.I):
            return d
    where = f"{path}:{'|'.join(map(str, lines))}:{col if col is not None else '*'}"
    raise AssertionError(f"expected '{where}: /{message}/' in stderr, got:\n{stderr}")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height 1-bit pixels, with (almost) no pixel data.

    Refusing it must not need decoding: opening it is enough to know its size.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def small_png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\0\0")) + png_chunk(b"IEND", b""))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def two_md_with_image(issue: Path, ref: str) -> None:
    # Line 7, column 8 is where the reference starts: "![pic](" is seven characters.
    (issue / "articles" / "two.md").write_text(
        f"---\ntitle: Second story\n---\n\nIntro.\n\n![pic]({ref})\n", encoding="utf-8")


# ---------------------------------------------------------------------------- the cases


@dataclass
class Case:
    """A change to the valid issue and where its error must be reported.

    ``file`` is "issue.yaml" or a path inside the issue ("a|b" for either); ``line`` may be a
    tuple of acceptable lines; ``col`` None when the column is not checked.
    """

    id: str
    change: Callable[[Path], None]
    file: str
    line: int | tuple[int, ...]
    col: int | None
    message: str
    timeout: float | None = None
    unexpected: str | None = None  # a message that must not appear (a misleading follow-on error)


def _yaml_syntax(issue: Path) -> None:
    edit(issue / "issue.yaml", "language: en\n", "language: en: us\n")  # the second ':' at 3:13


def _misspelt_key(issue: Path) -> None:
    edit(issue / "issue.yaml", "sections:", "sectoins:")


def _bad_date(issue: Path) -> None:
    edit(issue / "issue.yaml", "date: 2025-01-31", "date: 2025-13-45")


def _no_publication(issue: Path) -> None:
    edit(issue / "issue.yaml", "publication: Test Weekly\n", "")


def _bad_language(issue: Path) -> None:
    edit(issue / "issue.yaml", "language: en\n", "language: english_UK!\n")


def _bad_issn(issue: Path) -> None:
    # 0317-8471 is a real ISSN; 0317-8472 has the wrong check digit.
    edit(issue / "issue.yaml", "number: 5\n", "number: 5\nissn: 0317-8472\n")


def _sections_and_articles(issue: Path) -> None:
    with (issue / "issue.yaml").open("a", encoding="utf-8") as f:
        f.write("articles:\n  - articles/one.md\n")  # line 10


def _missing_article(issue: Path) -> None:
    edit(issue / "issue.yaml", "- articles/two.md", "- articles/three.md")


def _parent_article(issue: Path) -> None:
    (issue.parent / "outside.md").write_text("---\ntitle: Outside\n---\n\nSecret text.\n", encoding="utf-8")
    edit(issue / "issue.yaml", "- articles/two.md", "- ../outside.md")


def _absolute_article(issue: Path) -> None:
    edit(issue / "issue.yaml", "- articles/two.md", "- /etc/passwd")


def _symlink_out(issue: Path) -> None:
    (issue / "articles" / "evil.md").symlink_to("/etc/hostname")
    edit(issue / "issue.yaml", "- articles/two.md", "- articles/evil.md")


def _not_utf8(issue: Path) -> None:
    (issue / "articles" / "two.md").write_bytes(b"---\ntitle: Second story\n---\n\nCaf\xe9 au lait.\n")


def _front_matter_syntax(issue: Path) -> None:
    (issue / "articles" / "two.md").write_text(
        "---\ntitle: Second story\nkicker: a: b\n---\n\nText.\n", encoding="utf-8")  # 3:10


def _front_matter_date(issue: Path) -> None:
    (issue / "articles" / "two.md").write_text(
        "---\ntitle: Second story\ndate: 2025-02-30\n---\n\nText.\n", encoding="utf-8")


def _no_title(issue: Path) -> None:
    (issue / "articles" / "two.md").write_text("Just a paragraph, and no heading anywhere.\n", encoding="utf-8")


def _image_outside(issue: Path) -> None:
    (issue.parent / "outside.png").write_bytes(small_png())  # exists, readable, and still refused
    two_md_with_image(issue, "../../outside.png")


def _corrupt_image(issue: Path) -> None:
    (issue / "images").mkdir()
    (issue / "images" / "bad.png").write_bytes(random.Random(1891).randbytes(4096))
    two_md_with_image(issue, "../images/bad.png")


def _huge_image(width: int, height: int) -> Callable[[Path], None]:
    def change(issue: Path) -> None:
        (issue / "images").mkdir()
        (issue / "images" / "huge.png").write_bytes(png_header_only(width, height))
        two_md_with_image(issue, "../images/huge.png")
    return change


def _cover_txt(issue: Path) -> None:
    (issue / "notes.txt").write_text("not a picture\n", encoding="utf-8")
    edit(issue / "issue.yaml", "number: 5\n", "number: 5\ncover: notes.txt\n")


def _billion_laughs(issue: Path) -> None:
    # 9 levels of 9 aliases each: 9**9 (387 million) values once expanded. Lines 10-18.
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    lines.append("description: *l8")
    with (issue / "issue.yaml").open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _negative_number(issue: Path) -> None:
    edit(issue / "issue.yaml", "number: 5", "number: -3")


def _pdf_columns(issue: Path) -> None:
    with (issue / "issue.yaml").open("a", encoding="utf-8") as f:
        f.write("pdf: {columns: 7}\n")  # line 10, the 7 at column 16


def _pdf_page_size(issue: Path) -> None:
    with (issue / "issue.yaml").open("a", encoding="utf-8") as f:
        f.write("pdf: {page_size: Huge}\n")  # line 10, Huge at column 18


def _entry_unknown_key(issue: Path) -> None:
    edit(issue / "issue.yaml", "      - articles/two.md\n",
         "      - file: articles/two.md\n        headline: Another title\n")  # headline at 10:9


def _manifest_not_utf8(issue: Path) -> None:
    text = (issue / "issue.yaml").read_bytes()
    (issue / "issue.yaml").write_bytes(text.replace(b"language: en", b"language: \xe9n"))  # line 3


def _duplicate_key(issue: Path) -> None:
    edit(issue / "issue.yaml", "number: 5\n", "number: 5\ndate: 2025-02-01\n")  # the second date at 5:1


def _python_tag(issue: Path) -> None:
    # PyYAML's unsafe loaders would run this; the safe constructor must refuse it.
    pwned = issue.parent / "PWNED"
    edit(issue / "issue.yaml", "publication: Test Weekly",
         f'publication: !!python/object/apply:os.system ["touch {pwned}"]')


def _deep_nesting(issue: Path) -> None:
    with (issue / "issue.yaml").open("a", encoding="utf-8") as f:
        f.write("description: " + "[" * 5000 + "]" * 5000 + "\n")  # line 10


def _front_matter_deep_nesting(issue: Path) -> None:
    (issue / "articles" / "two.md").write_text(
        "---\ntitle: Second story\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\n\nText.\n", encoding="utf-8")


CASES = [
    Case("yaml-syntax", _yaml_syntax, "issue.yaml", 3, 13, r"invalid YAML"),
    Case("misspelt-key", _misspelt_key, "issue.yaml", 5, 1, r"unknown key 'sectoins'.*did you mean 'sections'"),
    # The date is there, only wrong: saying it is missing as well misleads.
    Case("date-13-45", _bad_date, "issue.yaml", 2, 7, r"2025-13-45", unexpected=r"missing required key 'date'"),
    Case("missing-publication", _no_publication, "issue.yaml", 1, 1, r"missing required key 'publication'"),
    Case("bad-language-tag", _bad_language, "issue.yaml", 3, 11, r"english_UK!.*BCP 47"),
    Case("issn-check-digit", _bad_issn, "issue.yaml", 5, 7, r"0317-8472.*ISSN"),
    # Either key is a fair place to point at; the top of the file is not.
    Case("sections-and-articles", _sections_and_articles, "issue.yaml", (5, 10), 1, r"sections.*articles"),
    Case("article-missing", _missing_article, "issue.yaml", 9, 9, r"articles/three\.md.*does not exist"),
    Case("article-parent-dir", _parent_article, "issue.yaml", 9, 9, r"\.\./outside\.md.*outside the issue folder"),
    Case("article-absolute", _absolute_article, "issue.yaml", 9, 9, r"/etc/passwd.*absolute"),
    Case("article-symlink-out", _symlink_out, "issue.yaml", 9, 9, r"evil\.md.*outside the issue folder"),
    Case("article-not-utf8", _not_utf8, "articles/two.md", 5, None, r"UTF-8"),
    # The title is on line 2 of the front matter: "has no title" would send the user the wrong way.
    Case("front-matter-syntax", _front_matter_syntax, "articles/two.md", 3, 10, r"invalid YAML", unexpected=r"no title"),
    Case("front-matter-date", _front_matter_date, "articles/two.md", 3, 7, r"2025-02-30"),
    # Where the title is missing: the article itself, or the manifest entry that could give one.
    Case("article-no-title", _no_title, "articles/two.md|issue.yaml", (1, 9), None, r"no title"),
    Case("image-outside", _image_outside, "articles/two.md", 7, 8, r"outside\.png.*outside the issue folder"),
    Case("image-corrupt", _corrupt_image, "articles/two.md", 7, 8, r"bad\.png.*not an image"),
    Case("image-40000x40000", _huge_image(40000, 40000), "articles/two.md", 7, 8, r"huge\.png.*megapixels", timeout=60),
    Case("image-9000x9000", _huge_image(9000, 9000), "articles/two.md", 7, 8, r"huge\.png.*megapixels", timeout=60),
    Case("cover-txt", _cover_txt, "issue.yaml", 5, 8, r"cover.*JPEG or PNG"),
    Case("billion-laughs", _billion_laughs, "issue.yaml", tuple(range(1, 20)), None, r"alias", timeout=60),
    Case("number-negative", _negative_number, "issue.yaml", 4, 9, r"'number'.*-3"),
    Case("pdf-columns-7", _pdf_columns, "issue.yaml", 10, 16, r"columns.*7"),
    Case("pdf-page-size-huge", _pdf_page_size, "issue.yaml", 10, 18, r"page_size.*Huge"),
    Case("entry-unknown-key", _entry_unknown_key, "issue.yaml", 10, 9, r"unknown key 'headline'"),
    # Beyond the brief's list: more ways a manifest can be broken.
    Case("manifest-not-utf8", _manifest_not_utf8, "issue.yaml", 3, None, r"UTF-8"),
    Case("duplicate-key", _duplicate_key, "issue.yaml", 5, 1, r"duplicate key 'date'"),
    Case("python-tag", _python_tag, "issue.yaml", 1, 14, r"."),
    Case("deep-nesting", _deep_nesting, "issue.yaml", tuple(range(1, 11)), None, r"nest|deep", timeout=60),
    Case("front-matter-deep-nesting", _front_matter_deep_nesting, "articles/two.md", (1, 2, 3), None,
         r"nest|deep", timeout=60),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_at_its_position(case: Case, issue_dir: Path, tmp_path: Path):
    case.change(issue_dir)
    out = tmp_path / "out"
    result = run_build(issue_dir, out, case.timeout)
    found = assert_failed_cleanly(result, out)
    if case.unexpected:
        assert not re.search(case.unexpected, result.stderr), f"misleading follow-on error:\n{result.stderr}"
    assert not (issue_dir.parent / "PWNED").exists(), "a YAML tag ran a command"
    files = [issue_dir / name for name in case.file.split("|")]
    errors = []
    for path in files:
        try:
            assert_reported(found, result.stderr, path, case.line, case.col, case.message)
            return
        except AssertionError as exc:
            errors.append(str(exc))
    raise AssertionError("\n".join(errors))


# ---------------------------------------------------------------------------- several at once


def test_several_errors_are_all_reported_in_one_run(issue_dir: Path, tmp_path: Path):
    (issue_dir / "issue.yaml").write_text(
        "publication: Test Weekly\n"
        "date: 2025-13-45\n"         # 2:7
        "language: english_UK!\n"    # 3:11
        "number: -3\n"               # 4:9
        "issn: 0317-8472\n"          # 5:7
        "pdf: {columns: 7}\n"        # 6:16
        "sections:\n"
        "  - title: News\n"
        "    articles:\n"
        "      - articles/one.md\n"
        "      - articles/two.md\n"
        "      - articles/three.md\n",  # 12:9, does not exist
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run_build(issue_dir, out)
    found = assert_failed_cleanly(result, out)
    manifest = issue_dir / "issue.yaml"
    assert_reported(found, result.stderr, manifest, 2, 7, r"2025-13-45")
    assert_reported(found, result.stderr, manifest, 3, 11, r"BCP 47")
    assert_reported(found, result.stderr, manifest, 4, 9, r"'number'")
    assert_reported(found, result.stderr, manifest, 5, 7, r"ISSN")
    assert_reported(found, result.stderr, manifest, 6, 16, r"columns")
    assert_reported(found, result.stderr, manifest, 12, 9, r"three\.md.*does not exist")


def test_errors_in_several_articles_are_all_reported_in_one_run(issue_dir: Path, tmp_path: Path):
    (issue_dir / "articles" / "one.md").write_text(
        "---\ntitle: First story\ndate: 2025-02-30\n---\n\nText.\n", encoding="utf-8")  # 3:7
    (issue_dir / "articles" / "two.md").write_text(
        "---\ntitle: Second story\nkicker: a: b\n---\n\nText.\n", encoding="utf-8")  # 3:10
    out = tmp_path / "out"
    result = run_build(issue_dir, out)
    found = assert_failed_cleanly(result, out)
    assert_reported(found, result.stderr, issue_dir / "articles" / "one.md", 3, 7, r"2025-02-30")
    assert_reported(found, result.stderr, issue_dir / "articles" / "two.md", 3, 10, r"invalid YAML")


# ---------------------------------------------------------------------------- earlier output


def test_failed_build_leaves_earlier_outputs_byte_for_byte(issue_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    good = masthead("build", str(issue_dir), "-o", str(out))
    assert good.returncode == 0, good.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["issue.epub", "issue.pdf"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    edit(issue_dir / "issue.yaml", "date: 2025-01-31", "date: 2025-13-45")
    result = run_build(issue_dir, out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert_reported(diagnostics(result.stderr), result.stderr, issue_dir / "issue.yaml", 2, 7, r"2025-13-45")
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(after) == sorted(before), "a file was added to or removed from the output folder"
    for name in before:
        assert after[name] == before[name], f"{name} changed"
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_failure_late_in_the_build_leaves_earlier_outputs(issue_dir: Path, tmp_path: Path):
    """An image error is found only while reading articles: the outputs must still stay."""
    out = tmp_path / "out"
    good = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    assert good.returncode == 0, good.stderr
    before = (out / "issue.epub").read_bytes()
    _corrupt_image(issue_dir)
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert (out / "issue.epub").read_bytes() == before
    assert [p.name for p in out.iterdir()] == ["issue.epub"]


# ---------------------------------------------------------------------------- usage errors


def test_unknown_format_is_a_usage_error(issue_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "mobi")
    assert result.returncode == 2, result.stderr
    assert "mobi" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() or list(out.iterdir()) == []


def test_missing_issue_folder_is_a_usage_error(tmp_path: Path):
    out = tmp_path / "out"
    missing = tmp_path / "no-such-issue"
    result = masthead("build", str(missing), "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert "no-such-issue" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() or list(out.iterdir()) == []


# ---------------------------------------------------------------------------- a theme's mistakes

# An issue's templates/ folder is input like its articles: a mistake in it is the user's, and
# is reported at the template's line, not as masthead's "internal error".
DEFAULT_THEME = Path(__file__).resolve().parents[1] / "templates" / "default"
TEMPLATE_CASES = [
    # (id, template, text put before its last line, line of the message, col, message)
    ("undefined", "contents.xhtml.j2", "<p>{{ no_such_value }}</p>", r"'no_such_value' is undefined", 7),
    ("syntax", "contents.xhtml.j2", "{% if %}", r"template syntax: Expected an expression", 1),
    ("sandbox", "contents.xhtml.j2", "{{ ''.__class__.__mro__ }}", r"__class__.*unsafe", 1),
    ("missing-include", "contents.xhtml.j2", "{% include '_no_such.xhtml.j2' %}", r"no template '_no_such\.xhtml\.j2'", 13),
    ("in-an-included-part", "_article.xhtml.j2", "{{ article.title + 1 }}", r"TypeError", 1),
    ("not-well-formed", "contents.xhtml.j2", "<p>never closed",
     r"renders contents\.xhtml, which is not well-formed XHTML.*line \d+ of contents\.xhtml", 1),
]


def _break_template(issue: Path, template: str, text: str) -> int:
    """The theme's template copied into the issue's templates/, with ``text`` put in; its line."""
    lines = (DEFAULT_THEME / template).read_text("utf-8").split("\n")
    at = max(n for n, line in enumerate(lines) if line.strip()) - (1 if template != "_article.xhtml.j2" else 0)
    lines.insert(at, text)
    (issue / "templates").mkdir(exist_ok=True)
    (issue / "templates" / template).write_text("\n".join(lines), "utf-8")
    return at + 1


@pytest.mark.parametrize("case", TEMPLATE_CASES, ids=[c[0] for c in TEMPLATE_CASES])
def test_a_templates_mistake_is_reported_at_its_line(case, issue_dir: Path, tmp_path: Path):
    _, template, text, message, col = case
    line = _break_template(issue_dir, template, text)
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    found = assert_failed_cleanly(result, out)
    assert_reported(found, result.stderr, issue_dir / "templates" / template, line, col, message)


def test_a_broken_line_holding_a_value_names_the_template_and_the_output_line(issue_dir: Path, tmp_path: Path):
    """Output lines with values in them are in no template as written: the message names the
    template that renders the document and quotes the broken line of the output."""
    _break_template(issue_dir, "contents.xhtml.j2", "<p>{{ meta.publication }}")
    out = tmp_path / "out"
    result = masthead("build", str(issue_dir), "-o", str(out), "--format", "epub")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert not out.exists() or list(out.iterdir()) == []
    shown = Path("templates/contents.xhtml.j2")
    lines = [line for line in result.stderr.splitlines() if "not well-formed" in line]
    assert len(lines) == 1, result.stderr
    path, _, message = lines[0].partition(": ")
    assert Path(path).resolve() == (issue_dir / shown).resolve(), result.stderr
    assert re.search(r"line \d+ of contents\.xhtml: '<p>Test Weekly'", message), message


def test_the_drawing_of_a_cover_is_awaited_when_a_template_fails(issue_dir: Path):
    """render() takes the function that waits for a cover drawn meanwhile: a failing template
    must still call it, or the drawing process is left unreaped (a zombie under --watch)."""
    from masthead.content import reading
    from masthead.diagnostics import IssueError, Report
    from masthead.manifest import loader
    from masthead.render import templates, theme

    _break_template(issue_dir, "contents.xhtml.j2", "{{ no_such_value }}")
    spec = loader.load(issue_dir / "issue.yaml")
    chosen = theme.load(spec.meta)
    issue = reading.read_issue(spec, Report())
    waited = []
    with pytest.raises(IssueError, match="no_such_value"):
        templates.render(issue, chosen, Report(), False, lambda: waited.append(True))
    assert waited == [True]
