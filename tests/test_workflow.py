"""The editor's commands: new, check, info, theme export, and shell completion.

Each test runs the real command in a subprocess, as a user would. ``check`` must give the
same positioned messages as ``build`` for the same bad input (the cases of test_bad_input.py)
and write no file anywhere; ``new`` must give an issue that builds at once; an exported theme
placed in an issue folder must be the one the EPUB is dressed in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from test_bad_input import CASES, edit

from helpers import masthead
from masthead.manifest import loader

DIAGNOSTIC = re.compile(r"^.+?:\d+:\d+: .+$")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by relative name, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment, with masthead's cache in a folder of the test's own (to see writes)."""
    env = {k: v for k, v in os.environ.items() if k != "MASTHEAD_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def error_lines(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if DIAGNOSTIC.match(line) and ": warning: " not in line)


# ---------------------------------------------------------------------------- new


def test_new_scaffolds_an_issue_that_checks_and_builds(tmp_path):
    target = tmp_path / "issues" / "first"
    result = masthead("new", str(target), "--publication", "The Lantern: Night #1", "--language", "en-GB")
    assert result.returncode == 0, result.stderr
    assert sorted(tree(target)) == ["articles/how-it-is-made.md", "articles/welcome.md", "images/chart.png",
                                    "images/lead.png", "issue.yaml"]
    text = (target / "issue.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["publication"] == "The Lantern: Night #1" and data["language"] == "en-GB"
    assert set(data) <= set(loader.ISSUE_KEYS)
    for key in loader.ISSUE_KEYS + loader.EPUB_KEYS + loader.PDF_KEYS:
        assert re.search(rf"^\s*#.*\b{key}\b", text, re.M), f"no comment explains '{key}'"
    welcome = (target / "articles" / "welcome.md").read_text(encoding="utf-8")
    front = welcome.split("---\n")[1]
    for key in loader.ARTICLE_KEYS:  # every key, the aliases deck and authors in comments
        assert re.search(rf"\b{key}\b", front), f"front matter does not show '{key}'"
    assert set(yaml.safe_load(front)["image"]) == {"src", "alt", "caption", "credit"}
    for feature in ("[^1]", "::: pullquote", "](../images/chart.png \""):
        assert feature in welcome
    assert (target / "images" / "lead.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    checked = masthead("check", str(target))
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr  # not even a warning
    built = masthead("build", str(target), "-o", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["first.epub", "first.pdf"]


def test_new_issue_in_a_right_to_left_language_checks(tmp_path):
    target = tmp_path / "ar"
    assert masthead("new", str(target), "--language", "ar").returncode == 0
    assert "dir: rtl" in (target / "articles" / "welcome.md").read_text(encoding="utf-8")
    result = masthead("info", str(target), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["metadata"]["direction"] == "rtl"


def test_new_refuses_a_folder_that_is_not_empty_and_a_bad_language(tmp_path):
    (tmp_path / "empty").mkdir()
    assert masthead("new", str(tmp_path / "empty")).returncode == 0  # an empty folder is fine
    before = tree(tmp_path)
    again = masthead("new", str(tmp_path / "empty"))
    assert again.returncode == 2 and "not empty" in again.stderr
    assert tree(tmp_path) == before
    bad = masthead("new", str(tmp_path / "other"), "--language", "english!")
    assert bad.returncode == 2 and "BCP 47" in bad.stderr and not (tmp_path / "other").exists()


# ---------------------------------------------------------------------------- check


def test_check_a_good_issue_says_ok_and_writes_nothing_anywhere(issue_dir, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    before = tree(tmp_path)
    result = masthead("check", str(issue_dir), cwd=work, env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.strip().endswith(": ok")
    assert tree(tmp_path) == before  # no dist/, no font cache, nothing in the issue


BAD = ["misspelt-key", "front-matter-date", "image-outside", "image-corrupt", "front-matter-syntax"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in BAD], ids=lambda c: c.id)
def test_check_gives_the_same_messages_as_build_and_writes_nothing(case, issue_dir, tmp_path):
    case.change(issue_dir)
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(tmp_path)
    before = tree(tmp_path)
    checked = masthead("check", str(issue_dir), cwd=work, env=env)
    assert tree(tmp_path) == before, "check wrote a file"
    built = masthead("build", str(issue_dir), "-o", str(tmp_path / "out"), cwd=work, env=env)
    assert checked.returncode == built.returncode == 1, checked.stderr + built.stderr
    assert error_lines(checked.stderr), checked.stderr
    assert error_lines(checked.stderr) == error_lines(built.stderr)
    assert "Traceback" not in checked.stderr + checked.stdout


def test_unknown_theme_is_reported_by_check_as_by_build(issue_dir, tmp_path):
    edit(issue_dir / "issue.yaml", "number: 5\n", "number: 5\ntheme: fancy\n")
    checked = masthead("check", str(issue_dir), cwd=tmp_path)
    built = masthead("build", str(issue_dir), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert checked.returncode == 1
    assert error_lines(checked.stderr) == error_lines(built.stderr)
    assert re.search(r"issue\.yaml:5:8: unknown theme 'fancy'", checked.stderr)


def test_check_lists_messages_by_file_and_line_with_warnings(issue_dir, tmp_path):
    with (issue_dir / "articles" / "two.md").open("a", encoding="utf-8") as f:
        f.write("\nSee [an old story](old.md).\n")  # line 11: a link to no article, a warning
    (issue_dir / "articles" / "one.md").write_text(
        "---\ntitle: First story\ndate: 2025-02-30\nkicker: a\nkickr: b\n---\n\nText.\n", encoding="utf-8")
    result = masthead("check", str(issue_dir), cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if DIAGNOSTIC.match(line)]
    assert [re.match(r"(.+?):(\d+):", line).groups() for line in lines] == [
        ("issue/articles/one.md", "3"), ("issue/articles/one.md", "5"), ("issue/articles/two.md", "11")]
    assert ": warning: " in lines[2] and "old.md" in lines[2]
    assert result.stdout.strip() == "issue/issue.yaml: 2 errors, 1 warning"


def test_check_strict_fails_on_warnings_and_json_reports_them(issue_dir, tmp_path):
    with (issue_dir / "articles" / "two.md").open("a", encoding="utf-8") as f:
        f.write("\nSee [an old story](old.md).\n")  # line 11, the link at column 5
    assert masthead("check", str(issue_dir)).returncode == 0  # a warning alone does not fail
    assert masthead("check", "--strict", str(issue_dir)).returncode == 1
    result = masthead("check", "--json", str(issue_dir), cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    [issue] = json.loads(result.stdout)["issues"]
    assert (issue["issue"], issue["errors"]) == ("issue/issue.yaml", [])
    [warning] = issue["warnings"]
    assert set(warning) == {"path", "line", "col", "message"}
    assert (warning["path"], warning["line"]) == ("issue/articles/two.md", 11) and isinstance(warning["col"], int)
    assert "old.md" in warning["message"]


def test_check_without_arguments_checks_every_issue(issue_dir, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(issue_dir, work / "issues" / "good")
    shutil.copytree(issue_dir, work / "issues" / "bad")
    edit(work / "issues" / "bad" / "issue.yaml", "date: 2025-01-31", "date: 2025-13-45")
    result = masthead("check", "--json", cwd=work)
    assert result.returncode == 1
    issues = json.loads(result.stdout)["issues"]
    assert [i["issue"] for i in issues] == ["issues/bad/issue.yaml", "issues/good/issue.yaml"]
    assert [(e["path"], e["line"], e["col"]) for e in issues[0]["errors"]] == [("issues/bad/issue.yaml", 2, 7)]
    assert issues[1]["errors"] == [] and not (work / "dist").exists()
    empty = masthead("check", cwd=tmp_path / "work" / "issues")
    assert empty.returncode == 2 and "no issue given" in empty.stderr


# ---------------------------------------------------------------------------- info


def test_info_json_is_the_resolved_issue(issue_dir):
    result = masthead("info", str(issue_dir / "issue.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    meta = data["metadata"]
    assert (meta["publication"], meta["date"], meta["number"], meta["language"], meta["direction"], meta["theme"]) \
        == ("Test Weekly", "2025-01-31", 5, "en", "ltr", "default")
    assert meta["identifier"].startswith("urn:uuid:") and "Test Weekly" in meta["title"]  # the default title
    [section] = data["sections"]
    assert section["title"] == "News"
    one, two = section["articles"]
    assert (one["file"], one["title"], one["byline"], one["language"]) == ("articles/one.md", "First story", ["Ann Author"], "en")
    assert (two["file"], two["title"], two["byline"]) == ("articles/two.md", "Second story", [])
    assert 5 < one["words"] < 30 and one["reading_time"] == 1
    assert data["totals"] == {"articles": 2, "words": one["words"] + two["words"], "reading_time": 2}


def test_info_table_is_aligned(issue_dir):
    result = masthead("info", str(issue_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "publication  Test Weekly" and "number       5" in lines
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["file", "title"])
    rows = lines[header:header + 3]
    assert "First story" in rows[1] and "Ann Author" in rows[1] and "Second story" in rows[2]
    for column in ("title", "byline", "lang"):
        start = rows[0].index(column)
        assert rows[1][start - 2:start] == "  " and rows[1][start] != " "
    for column in ("words", "min"):  # numbers are aligned on the right of their heading
        end = rows[0].index(column) + len(column)
        assert all(row[end - 1].isdigit() and row[end:end + 1] in (" ", "") for row in rows[1:])


def test_info_refuses_an_issue_with_errors(issue_dir, tmp_path):
    edit(issue_dir / "issue.yaml", "date: 2025-01-31", "date: 2025-13-45")
    result = masthead("info", str(issue_dir), cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert re.search(r"^issue/issue\.yaml:2:7: .*2025-13-45", result.stderr, re.M)
    assert masthead("info", str(tmp_path / "nowhere")).returncode == 2


# ---------------------------------------------------------------------------- theme export


def test_theme_export_copies_the_default_theme(tmp_path):
    from masthead.render import theme

    target = tmp_path / "mytheme"
    result = masthead("theme", "export", str(target))
    assert result.returncode == 0, result.stderr
    source = theme.builtin_root() / "default"
    assert set(tree(target)) == set(tree(source))
    assert tree(target)["css/common.css"] == (source / "css" / "common.css").read_bytes()
    assert yaml.safe_load((target / "theme.yaml").read_text(encoding="utf-8"))["name"] == "mytheme"
    again = masthead("theme", "export", str(target))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_exported_theme_inside_an_issue_dresses_the_epub(issue_dir, tmp_path):
    assert masthead("theme", "export", str(issue_dir / "mytheme")).returncode == 0
    css = issue_dir / "mytheme" / "css" / "common.css"
    edit(css, ".headline { font-size: 1.9em;", ".headline { font-size: 2.7em;")
    # A bare name is a built-in theme's: a folder of the issue is named with ./
    edit(issue_dir / "issue.yaml", "number: 5\n", "number: 5\ntheme: mytheme\n")
    bare = masthead("check", str(issue_dir))
    assert bare.returncode == 1 and "unknown theme 'mytheme'" in bare.stderr
    edit(issue_dir / "issue.yaml", "theme: mytheme\n", "theme: ./mytheme\n")
    result = masthead("build", str(issue_dir), "-o", str(tmp_path / "out"), "--format", "epub")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "issue.epub") as epub:
        styles = "".join(epub.read(n).decode("utf-8") for n in epub.namelist() if n.endswith(".css"))
    assert ".headline { font-size: 2.7em;" in styles and "font-size: 1.9em" not in styles


# ---------------------------------------------------------------------------- help and completion


def test_help_documents_completion_and_every_command_has_help():
    result = masthead("--help")
    assert result.returncode == 0
    assert 'eval "$(_MASTHEAD_COMPLETE=bash_source masthead)"' in result.stdout
    for command in (["new"], ["check"], ["info"], ["theme"], ["theme", "export"]):
        assert masthead(*command, "--help").returncode == 0, command


def test_bash_completion_script_and_completions():
    # Completion is keyed to the program's name, so this runs the installed `masthead` script.
    script = Path(sys.executable).parent / "masthead"
    if not script.is_file():
        pytest.skip("the masthead script is not installed beside this Python")

    def run(**env) -> str:
        return subprocess.run([str(script)], env=dict(os.environ, **env), capture_output=True, text=True,
                              timeout=60).stdout

    assert "_masthead_completion" in run(_MASTHEAD_COMPLETE="bash_source")
    assert run(_MASTHEAD_COMPLETE="bash_complete", COMP_WORDS="masthead ch", COMP_CWORD="1").split() == ["plain,check"]
    assert "plain,--strict" in run(_MASTHEAD_COMPLETE="bash_complete", COMP_WORDS="masthead check --", COMP_CWORD="2")


def test_info_reports_image_weights_before_and_after(tmp_path):
    import json

    from helpers import SAMPLE

    result = masthead("info", str(SAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    images = json.loads(result.stdout)["images"]
    sources = sum(p.stat().st_size for p in (SAMPLE / "images").iterdir())
    assert images["files"] == 2 and images["bytes_in_issue"] == sources
    assert 0 < images["bytes_in_epub"] < sources
    assert "2 images:" in masthead("info", str(SAMPLE)).stdout


def test_build_verbose_lists_each_stage_and_the_summary_gives_pages(issue_dir, tmp_path):
    result = masthead("build", str(issue_dir), "-o", str(tmp_path / "out"), "--verbose")
    assert result.returncode == 0, result.stderr
    stages = re.findall(r"^  (\w[\w ]*?)\s+\d+\.\d\d s$", result.stderr, re.M)
    assert stages == ["manifest", "articles", "render", "print layout", "epub", "pdf", "write"]
    assert re.search(r"issue\.pdf  \d+ KB, \d+ pages$", result.stdout, re.M)
    assert "\x1b[" not in result.stdout + result.stderr  # no terminal codes when not on a terminal


def test_build_shows_a_progress_bar_on_a_terminal(issue_dir, tmp_path):
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: masthead on a terminal
        os.execv(sys.executable, [sys.executable, "-m", "masthead", "build", str(issue_dir),
                                  "-o", str(tmp_path / "out"), "--format", "epub"])
    output = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        output += data
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"issue: articles" in output or b"issue: render" in output  # the bar's stage label
    assert b"issue.epub" in output
