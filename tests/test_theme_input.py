"""A theme inside the issue (``theme: ./mytheme``, or the issue's own ``templates/``) is input
like the articles: its theme.yaml is checked at its lines, and it may not reach outside the
issue folder, by a path or by a link. Each case runs the real command and expects one
positioned message, exit 1 and nothing written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_bad_input import assert_failed_cleanly, assert_reported

from helpers import masthead

THEME_YAML_CASES = [
    # (id, theme.yaml, line, col, message)
    ("extends-a-number", "name: x\nextends: 123\n", 2, 10, r"'extends' must name a built-in theme.*'123'"),
    ("extends-a-path-out", "name: x\nextends: ../../../../etc\n", 2, 10, r"'extends' must name a built-in theme"),
    ("not-a-mapping", "- a\n- b\n", 1, 1, r"theme\.yaml must be a mapping"),
    ("misspelt-key", "font:\n  - {family: A, file: fonts/a.ttf}\n", 1, 1, r"unknown key 'font'.*did you mean 'fonts'"),
    ("fonts-not-a-list", "fonts: hello\n", 1, 8, r"'fonts' must be a list"),
    ("font-not-a-mapping", "fonts:\n  - just-a-string\n", 2, 5, r"a font must be a mapping"),
    ("font-without-family", "fonts:\n  - {file: fonts/a.ttf}\n", 2, 5, r"missing required key 'family'"),
    ("font-weight-word", "fonts:\n  - {family: A, file: fonts/a.ttf, weight: bold}\n", 2, 44, r"'weight' must be a whole number"),
    ("font-weight-infinite", "fonts:\n  - {family: A, file: fonts/a.ttf, weight: .inf}\n", 2, 44, r"'weight' must be a whole number"),
    # Family and style are written into css/fonts.css: nothing may end the string or the rule.
    ("font-family-css", 'fonts:\n  - {family: "A\\"; } body { color: red", file: fonts/a.ttf}\n', 2, 14, r"font family"),
    ("font-style-css", 'fonts:\n  - {family: A, file: fonts/a.ttf, style: "normal; } x {"}\n', 2, 43, r"font style"),
    ("font-file-climbs-out", "fonts:\n  - {family: A, file: ../../outside/secret.ttf}\n", 2, 23, r"font file.*inside the theme folder"),
    ("font-file-absolute", "fonts:\n  - {family: A, file: /etc/passwd}\n", 2, 23, r"font file.*inside the theme folder"),
]


@pytest.fixture
def themed(issue_dir: Path) -> Path:
    """The small issue with ``theme: ./mytheme``."""
    manifest = issue_dir / "issue.yaml"
    manifest.write_text("theme: ./mytheme\n" + manifest.read_text("utf-8"), "utf-8")
    (issue_dir / "mytheme").mkdir()
    (issue_dir / "mytheme" / "theme.yaml").write_text("name: mine\n", "utf-8")
    return issue_dir


def _build(issue: Path, out: Path):
    return masthead("build", str(issue), "-o", str(out), "--format", "epub")


@pytest.mark.parametrize("case", THEME_YAML_CASES, ids=[c[0] for c in THEME_YAML_CASES])
def test_a_themes_yaml_is_checked_at_its_lines(case, themed: Path, tmp_path: Path):
    _, text, line, col, message = case
    theme_yaml = themed / "mytheme" / "theme.yaml"
    theme_yaml.write_text(text, "utf-8")
    out = tmp_path / "out"
    result = _build(themed, out)
    found = assert_failed_cleanly(result, out)
    assert_reported(found, result.stderr, theme_yaml, line, col, message)


def test_the_issues_own_theme_yaml_is_checked_too(issue_dir: Path, tmp_path: Path):
    (issue_dir / "templates").mkdir()
    theme_yaml = issue_dir / "templates" / "theme.yaml"
    theme_yaml.write_text("fonts:\n  - {family: A, file: ../../outside/secret.ttf}\n", "utf-8")
    out = tmp_path / "out"
    result = _build(issue_dir, out)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, theme_yaml, 2, 23, r"font file")


def test_a_theme_yaml_that_is_not_utf8(themed: Path, tmp_path: Path):
    theme_yaml = themed / "mytheme" / "theme.yaml"
    theme_yaml.write_bytes(b"\xff\xfe name: x\n")
    out = tmp_path / "out"
    result = _build(themed, out)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, theme_yaml, 1, 1, r"UTF-8")


def test_a_template_that_is_not_utf8_is_named_at_its_byte(issue_dir: Path, tmp_path: Path):
    (issue_dir / "templates").mkdir()
    template = issue_dir / "templates" / "cover.xhtml.j2"
    template.write_bytes(b'{% extends "base.xhtml.j2" %}\n{% block body %}caf\xe9{% endblock %}\n')
    out = tmp_path / "out"
    result = _build(issue_dir, out)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, template, 2, 20, r"UTF-8")


def test_a_stylesheet_that_is_not_utf8_is_named_at_its_byte(issue_dir: Path, tmp_path: Path):
    """It was read with its bad bytes replaced, so U+FFFD reached every output without a word."""
    (issue_dir / "templates" / "css").mkdir(parents=True)
    sheet = issue_dir / "templates" / "css" / "epub.css"
    sheet.write_bytes(b'p { color: inherit }\n.x { content: "\xff\xfe" }\n')
    out = tmp_path / "out"
    result = _build(issue_dir, out)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, sheet, 2, 16, r"not UTF-8 text \(byte 36\)")


# ---------------------------------------------------------------------------- links out


def _secret(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.css").write_text("/* SECRET-OUTSIDE */ body { color: red }\n", "utf-8")
    (outside / "cover.xhtml.j2").write_text('{% extends "base.xhtml.j2" %}{% block body %}SECRET-OUTSIDE{% endblock %}\n')
    return outside


LINK_CASES = [
    # (id, link inside the issue, relative to the issue; what it points at, in the outside folder)
    ("stylesheet", "templates/css/leak.css", "secret.css"),
    ("template", "templates/cover.xhtml.j2", "cover.xhtml.j2"),
    ("folder-of-stylesheets", "templates/css", "."),
    ("the-templates-folder", "templates", "."),
    ("in-a-theme-by-path", "mytheme/css/leak.css", "secret.css"),
]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
@pytest.mark.parametrize("case", LINK_CASES, ids=[c[0] for c in LINK_CASES])
def test_a_link_out_of_the_issue_is_refused(case, themed: Path, tmp_path: Path):
    _, link, target = case
    outside = _secret(tmp_path)
    path = themed / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(outside / target)
    out = tmp_path / "out"
    result = _build(themed, out)
    assert "SECRET-OUTSIDE" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert f"{link}: a link that leads outside the issue folder" in result.stderr.replace(str(themed) + "/", "").replace(
        os.path.relpath(themed) + "/", ""), result.stderr


def test_a_link_inside_the_issue_is_followed(themed: Path, tmp_path: Path):
    """Links are not refused as such: one to a file of the issue is read like the file."""
    (themed / "shared.css").write_text("h1 { color: rgb(1, 2, 3) }\n", "utf-8")
    (themed / "templates" / "css").mkdir(parents=True)
    (themed / "templates" / "css" / "extra.css").symlink_to(themed / "shared.css")
    out = tmp_path / "out"
    result = _build(themed, out)
    assert result.returncode == 0, result.stderr
    import zipfile

    with zipfile.ZipFile(out / f"{themed.name}.epub") as book:
        assert "rgb(1, 2, 3)" in book.read("EPUB/css/extra.css").decode()


def test_a_link_out_behind_a_link_to_a_folder_of_the_issue_is_refused(themed: Path, tmp_path: Path):
    """A link to a folder inside the issue is walked into: what lies behind it is checked too,
    or a template could include, and a stylesheet folder carry, a file from outside."""
    outside = _secret(tmp_path)
    (themed / "notes").mkdir()
    (themed / "notes" / "leak.css").symlink_to(outside / "secret.css")
    (themed / "templates").mkdir()
    (themed / "templates" / "css").symlink_to(themed / "notes")
    out = tmp_path / "out"
    result = _build(themed, out)
    assert result.returncode == 1, result.stderr
    assert "SECRET-OUTSIDE" not in result.stdout + result.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert "css/leak.css: a link that leads outside the issue folder" in result.stderr, result.stderr


def test_a_loop_of_links_is_an_error_not_a_crash(themed: Path, tmp_path: Path):
    (themed / "templates").mkdir()
    (themed / "templates" / "loop").symlink_to("loop")
    out = tmp_path / "out"
    result = _build(themed, out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert "templates/loop: a link that leads nowhere" in result.stderr, result.stderr


@pytest.mark.parametrize("file", ['fonts/a");}body{background:url("http://evil.example/t.png', "fonts/a b.ttf",
                                  "fonts/./a.ttf", "fonts//a.ttf"])
def test_a_font_path_is_a_plain_path(file, themed: Path, tmp_path: Path):
    """The path goes into css/fonts.css's url("…") and the OPF's hrefs as written: nothing that
    ends the string, no space, no empty or dot segment."""
    theme_yaml = themed / "mytheme" / "theme.yaml"
    theme_yaml.write_text("fonts:\n  - {{family: A, file: '{}'}}\n".format(file.replace("'", "''")), "utf-8")
    out = tmp_path / "out"
    result = _build(themed, out)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, theme_yaml, 2, 23, r"font file")
