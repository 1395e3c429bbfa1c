"""What a file system can hold besides plain files, and how masthead meets it (issue 20).

Only regular files are ever read, each checked on the descriptor it is read from (confine.read_input):
a FIFO, a socket or a device is refused before it is opened, so nothing blocks; a file larger than
its kind may be is refused by its size before a byte is read (the sparse files here cost no disk);
a loop of links, or a name that is not UTF-8, is a positioned error. Every path in a message is
shown on one line: a line break, a terminal's escape sequence or a byte that is no UTF-8 in a
folder's name is written escaped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input import assert_failed_cleanly, assert_reported, run_build

from helpers import ROOT, masthead
from masthead.diagnostics import Diagnostic, Position, one_line
from masthead.runtime import confine

GIB = 1024 ** 3
BASE_YAML = "publication: Test Mag\ndate: 2025-11-28\nlanguage: en\narticles: [articles/a.md]\n"


def _issue(root: Path, article: str = "---\ntitle: Hello\n---\nSome text here.\n") -> Path:
    (root / "articles").mkdir(parents=True)
    (root / "issue.yaml").write_text(BASE_YAML, "utf-8")
    (root / "articles" / "a.md").write_text(article, "utf-8")
    return root


def _check(issue: Path) -> subprocess.CompletedProcess:
    """``masthead check``, bounded: a hang is a failure, not a stuck test run."""
    return subprocess.run([sys.executable, "-m", "masthead", "check", str(issue)],
                          capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def _deadline(seconds: int):
    """A read that blocks (a FIFO with no writer) fails the test instead of hanging it."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: blocked on a read?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _capped_build(issue: Path, out: Path) -> subprocess.CompletedProcess:
    """``masthead build`` in 2 GB of address space, as the report's 4 GB cap but smaller than
    the files here: reading one whole fails (MemoryError) instead of swapping for minutes."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (2 * GIB, 2 * GIB))

    return subprocess.run([sys.executable, "-m", "masthead", "build", str(issue), "-o", str(out)],
                          capture_output=True, text=True, timeout=60, preexec_fn=cap)


def _sparse(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb"):
        pass
    os.truncate(path, size)  # a hole: no disk used, whatever the size


# ---------------------------------------------------------------------------- not regular files


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))  # the file stays when the socket is closed
    sock.close()


NOT_REGULAR = [("fifo", _fifo, "a FIFO"), ("socket", _socket, "a socket")]
THEME_PLACES = ["templates/cover.xhtml.j2", "templates/css/extra.css", "templates/fonts/a.ttf", "templates/notes.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("kind", NOT_REGULAR, ids=[k[0] for k in NOT_REGULAR])
@pytest.mark.parametrize("place", THEME_PLACES)
def test_a_fifo_or_socket_in_templates_is_an_error_not_a_hang(kind, place, tmp_path: Path):
    _, make, said = kind
    issue = _issue(tmp_path / "issue")
    path = issue / place
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    out = tmp_path / "out"
    result = run_build(issue, out, timeout=60)  # the report's FIFO hung here for ever
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert f"{place}: not a regular file but {said}" in result.stderr, result.stderr
    checked = _check(issue)
    assert checked.returncode == 1 and f"{place}: not a regular file" in checked.stderr, checked.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_read_input_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe")
    with _deadline(10), pytest.raises(confine.Unreadable, match="FIFO"):  # a blocking open would wait for ever
        confine.read_input(tmp_path / "pipe", 100)


def test_read_input_reads_no_more_than_its_limit_whatever_the_size_says():
    """/proc files say they are empty and are not: the limit holds on the bytes read."""
    status = Path("/proc/self/maps")
    if not status.is_file() or status.stat().st_size != 0:
        pytest.skip("no /proc here")
    with pytest.raises(confine.Unreadable) as caught:
        confine.read_input(status, 10)
    assert caught.value.errno == errno.EFBIG and str(caught.value) == "larger than 0 MB"
    assert confine.read_input(status, 10_000_000)  # under the limit: read whole


def test_read_input_does_not_follow_a_link_put_where_a_resolved_file_was(tmp_path: Path):
    (tmp_path / "real.md").write_text("text", "utf-8")
    (tmp_path / "link.md").symlink_to("real.md")
    assert confine.read_input(tmp_path / "link.md", 100) == b"text"
    with pytest.raises(confine.Unreadable):
        confine.read_input(tmp_path / "link.md", 100, follow=False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_swapped_in_after_the_check_is_refused_not_waited_on(tmp_path: Path, monkeypatch):
    """The check and the read are on one descriptor: a file replaced by a FIFO between the
    stat and the open is opened without blocking and refused, never read."""
    path = tmp_path / "a.md"
    path.write_text("text", "utf-8")
    real_open = os.open

    def swapping_open(name, flags, *args):
        os.unlink(path)
        os.mkfifo(path)
        return real_open(name, flags, *args)

    monkeypatch.setattr(confine.os, "open", swapping_open)
    with _deadline(10), pytest.raises(confine.Unreadable, match=r"FIFO|changed while it was being read"):  # the inode may be reused
        confine.read_input(path, 100)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_template_swapped_for_a_fifo_after_the_check_is_an_error_not_a_hang(tmp_path: Path):
    """Jinja reads a template again when it loads it: through the same helper, so a FIFO put
    there after theme.load walked the folder is refused at the file."""
    import jinja2

    from masthead.diagnostics import IssueError
    from masthead.render import theme

    (tmp_path / "page.xhtml.j2").write_text("<p>{{ 1 }}</p>", "utf-8")
    loader = theme.Theme("mine", (tmp_path,)).loader()
    env = jinja2.Environment(loader=loader)
    assert env.get_template("page.xhtml.j2").render() == "<p>1</p>"
    (tmp_path / "page.xhtml.j2").unlink()
    os.mkfifo(tmp_path / "page.xhtml.j2")
    with _deadline(10), pytest.raises(IssueError, match=r"page\.xhtml\.j2: cannot read the template: not a regular file"):
        jinja2.Environment(loader=loader).get_template("page.xhtml.j2")


def test_a_hard_link_is_read_as_the_file_it_is(tmp_path: Path):
    """Not defended, by decision (docs/security.md): nothing tells a hard link from a file."""
    issue = _issue(tmp_path / "issue")
    shared = tmp_path / "elsewhere.md"
    shared.write_text("---\ntitle: Linked\n---\nText.\n", "utf-8")
    (issue / "articles" / "a.md").unlink()
    os.link(shared, issue / "articles" / "a.md")
    result = _check(issue)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------- sizes before reads


SPARSE_CASES = [
    # (id, file, size, what issue.yaml adds, the article, where the error stands, message)
    ("article", "articles/a.md", 5 * GIB // 2, "", None, ("articles/a.md", 1, 1), r"larger than 16 MB"),
    ("issue-yaml", "issue.yaml", 6 * GIB, None, None, ("issue.yaml", 1, 1), r"larger than 4 MB"),
    ("image", "articles/big.png", 6 * GIB, "", "---\ntitle: Hello\n---\n![A picture](big.png)\n",
     ("articles/a.md", 4, 14), r"'big\.png': larger than 128 MB"),
    ("cover", "cover.png", 6 * GIB, "cover: cover.png\n", None, ("issue.yaml", 5, 8), r"larger than 128 MB"),
]


@pytest.mark.parametrize("case", SPARSE_CASES, ids=[c[0] for c in SPARSE_CASES])
def test_a_huge_sparse_file_is_refused_by_its_size_before_it_is_read(case, tmp_path: Path):
    _, name, size, extra, article, (where, line, col), message = case
    issue = _issue(tmp_path / "issue", *([article] if article else []))
    if extra:
        (issue / "issue.yaml").write_text(BASE_YAML + extra, "utf-8")
    _sparse(issue / name, size)
    out = tmp_path / "out"
    result = _capped_build(issue, out)  # reading it whole: MemoryError
    found = assert_failed_cleanly(result, out)
    assert "MemoryError" not in result.stderr
    assert_reported(found, result.stderr, issue / where, line, col, message)


@pytest.mark.parametrize("place, size", [("templates/cover.xhtml.j2", 5 * GIB), ("templates/css/extra.css", 5 * GIB),
                                         ("templates/fonts/a.ttf", 5 * GIB)])
def test_a_huge_sparse_file_in_the_theme_is_refused_by_its_size(place, size, tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    _sparse(issue / place, size)
    out = tmp_path / "out"
    result = _capped_build(issue, out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert re.search(re.escape(place) + r": larger than \d+ MB", result.stderr), result.stderr


# ---------------------------------------------------------------------------- links and names


def test_a_loop_of_links_as_an_article_is_a_positioned_error(tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    (issue / "articles" / "a.md").unlink()
    (issue / "articles" / "a.md").symlink_to("b.md")
    (issue / "articles" / "b.md").symlink_to("a.md")
    out = tmp_path / "out"
    result = run_build(issue, out, timeout=60)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, issue / "issue.yaml", 4, 12, r"a loop of links")


def test_a_loop_of_links_as_an_image_is_a_positioned_error(tmp_path: Path):
    issue = _issue(tmp_path / "issue", "---\ntitle: Hello\n---\n![A picture](pic.png)\n")
    (issue / "articles" / "pic.png").symlink_to("pic.png")
    out = tmp_path / "out"
    result = run_build(issue, out, timeout=60)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, issue / "articles" / "a.md", 4, 14, r"a loop of links")


def test_a_loop_of_links_as_a_template_is_an_error(tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    (issue / "templates").mkdir()
    (issue / "templates" / "cover.xhtml.j2").symlink_to("cover.xhtml.j2")
    result = run_build(issue, tmp_path / "out", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "templates/cover.xhtml.j2: a link that leads nowhere" in result.stderr, result.stderr


def test_a_loop_of_links_as_issue_yaml_is_an_error(tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    (issue / "issue.yaml").unlink()
    (issue / "issue.yaml").symlink_to("issue.yaml")
    result = masthead("build", str(issue / "issue.yaml"), "-o", str(tmp_path / "out"))
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


def test_issue_yaml_linked_to_a_file_beside_it_is_read(tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    (issue / "issue.yaml").rename(issue / "issue-2025.yaml")
    (issue / "issue.yaml").symlink_to("issue-2025.yaml")
    result = _check(issue)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("elsewhere", ["inside", "outside"])
def test_issue_yaml_linked_to_a_file_in_another_folder_is_refused(elsewhere, tmp_path: Path):
    """The issue is the folder that holds issue.yaml: a link may not make another folder (and
    everything in it, outside the issue or not) the issue."""
    issue = _issue(tmp_path / "issue")
    other = _issue((issue / "sub") if elsewhere == "inside" else (tmp_path / "other"))
    (issue / "issue.yaml").unlink()
    (issue / "issue.yaml").symlink_to(other / "issue.yaml")
    out = tmp_path / "out"
    result = run_build(issue, out, timeout=60)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, issue / "issue.yaml", 1, 1,
                    r"a link to a file in another folder")


NOT_UTF8 = os.fsdecode(b"caf\xe9")  # Latin-1 'café': a byte that is no UTF-8


def test_an_issue_folder_whose_name_is_not_utf8_is_a_positioned_error(tmp_path: Path):
    issue = _issue(tmp_path / NOT_UTF8)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "masthead", "build", os.fsencode(issue), "-o", str(out)],
                            capture_output=True, timeout=60)
    stderr = result.stderr.decode("utf-8")  # every byte of it UTF-8: the name is shown escaped
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert "caf\\xe9/issue.yaml:1:1: the issue's folder has a name that is not UTF-8" in stderr, stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_an_article_whose_name_is_not_utf8_is_a_positioned_error(tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    (issue / "articles" / "a.md").rename(issue / "articles" / NOT_UTF8)
    (issue / "articles" / "a.md").symlink_to(NOT_UTF8)
    out = tmp_path / "out"
    result = run_build(issue, out, timeout=60)
    assert_reported(assert_failed_cleanly(result, out), result.stderr, issue / "issue.yaml", 4, 12, r"not UTF-8; rename it")


def test_a_template_whose_name_is_not_utf8_is_an_error(tmp_path: Path):
    issue = _issue(tmp_path / "issue")
    (issue / "templates").mkdir()
    (issue / "templates" / (NOT_UTF8 + ".xhtml.j2")).write_text("x", "utf-8")
    result = run_build(issue, tmp_path / "out", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "templates/caf\\xe9.xhtml.j2: a name that is not UTF-8" in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["templates/css/\x1b.css", "templates/bell\x07.xhtml.j2"])
def test_a_theme_file_whose_name_holds_a_control_character_is_an_error(name, tmp_path: Path):
    """Its name would go into the EPUB's manifest, which XML cannot carry (an internal error)."""
    issue = _issue(tmp_path / "issue")
    (issue / name).parent.mkdir(parents=True, exist_ok=True)
    (issue / name).write_text("", "utf-8")
    result = run_build(issue, tmp_path / "out", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert one_line(name) + ": a name that holds a control character" in result.stderr, result.stderr


# ---------------------------------------------------------------------------- messages on one line


def test_a_path_with_a_line_break_or_an_escape_sequence_is_shown_on_one_line(tmp_path: Path):
    issue = _issue(tmp_path / "bad\nname \x1b[31mred\x07", "---\ntitle: Hello\n---\n![A picture](missing.png)\n")
    result = run_build(issue, tmp_path / "out", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "missing.png" in line]
    assert "bad\\nname \\x1b[31mred\\x07/articles/a.md:4:14: image 'missing.png'" in line, result.stderr


def test_a_diagnostic_is_one_line_of_text_whatever_its_path_and_message_hold():
    diagnostic = Diagnostic(Position(Path(os.fsdecode(b"/a\nb\xff\x1b")), 1, 2), "x\ry\u2028z\x85")
    assert str(diagnostic) == "/a\\nb\\xff\\x1b:1:2: x\\ry\\u2028z\\x85"
    assert one_line("plain café, 日本, tab\there") == "plain café, 日本, tab\\there"


# ---------------------------------------------------------------------------- new and theme export


@pytest.mark.parametrize("args", [("--publication", "Bell\x07Mag"), ("--publication", "Two\nlines"),
                                  ("--publication", "Next\x85line"), ("--publication", os.fsdecode(b"Caf\xe9 Mag"))],
                         ids=["bell", "newline", "nel", "not-utf8"])
def test_new_refuses_a_publication_that_cannot_be_written_into_yaml(args, tmp_path: Path):
    target = tmp_path / "new"
    result = subprocess.run([sys.executable, "-m", "masthead", "new", str(target), *map(os.fsencode, args)],
                            capture_output=True, timeout=60)
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1 and "--publication:" in stderr, stderr
    assert not target.exists()


@pytest.mark.parametrize("command", [("new",), ("theme", "export")])
def test_new_and_theme_export_refuse_a_folder_whose_name_is_not_utf8(command, tmp_path: Path):
    target = tmp_path / NOT_UTF8
    result = subprocess.run([sys.executable, "-m", "masthead", *command, os.fsencode(target)],
                            capture_output=True, timeout=60)
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr and "caf\\xe9' holds bytes that are not UTF-8" in stderr, stderr
    assert not target.exists()  # nothing half-written: no theme.yaml left empty


names = st.text(alphabet=st.sampled_from("aZ é日 %#:'\"\\-_.!*&\t\n\x07\x1b\x7f\x85\u2028\ufeff"), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(names)
def test_new_writes_an_issue_that_parses_or_refuses_the_name(publication):
    """Whatever the name: refused as a usage error, or an issue.yaml that reads back as YAML
    with the name in it, and that masthead's own manifest check accepts."""
    from masthead.diagnostics import UsageError
    from masthead.manifest import loader
    from masthead.tools import scaffold

    folder = Path(tempfile.mkdtemp(prefix="masthead-new-"))
    try:
        try:
            scaffold.create(folder / "issue", publication=publication)
        except UsageError as exc:
            assert "\n" not in str(exc)
            assert not (folder / "issue").exists()
            return
        data = yaml.safe_load((folder / "issue" / "issue.yaml").read_text("utf-8"))
        assert data["publication"] == " ".join(publication.split())
        loader.load(folder / "issue" / "issue.yaml")  # raises IssueError on any problem
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_new_with_a_name_full_of_yaml_punctuation_builds(tmp_path: Path):
    target = tmp_path / "new"
    result = masthead("new", str(target), "--publication", "Mag: \"the\" #1 & 'best' % [x] {y} *z")
    assert result.returncode == 0, result.stderr
    checked = _check(target)
    assert checked.returncode == 0, checked.stderr


# ---------------------------------------------------------------------------- fuzzing


odd_names = st.lists(st.sampled_from(["a", "b", " ", "%", "#", "%41", "?", "é", "\n", "\t", "\x1b", "\x07",
                                      "\udcff", "\udc80", "\u2028"]), min_size=1, max_size=8).map("".join)
kinds = st.sampled_from(["fifo", "loop", "dangling", "empty", "folder", "text", "socket"])
roles = st.sampled_from(["article", "image", "template", "stylesheet"])


def _make(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        _socket(path)
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "dangling":
        path.symlink_to("nowhere-at-all")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_text("---\ntitle: Odd\n---\nText.\n", "utf-8")


def _odd_issue(root: Path, name: str, kind: str, role: str) -> None:
    from urllib.parse import quote

    _issue(root)
    if role == "article":
        _make(root / "articles" / name, kind)
        try:
            listed = yaml.safe_dump(["articles/a.md", f"articles/{name}"], allow_unicode=True)
        except UnicodeEncodeError:  # a name YAML cannot hold: named through a link
            (root / "articles" / "odd.md").symlink_to(name)
            listed = "[articles/a.md, articles/odd.md]\n"
        (root / "issue.yaml").write_text(BASE_YAML.replace("[articles/a.md]\n", listed), "utf-8")
    elif role == "image":
        _make(root / "articles" / name, kind)
        (root / "articles" / "a.md").write_text(f"---\ntitle: Hello\n---\n![A picture](<{quote(os.fsencode(name))}>)\n", "utf-8")
    elif role == "template":
        _make(root / "templates" / (name + ".xhtml.j2"), kind)
    else:
        _make(root / "templates" / "css" / (name + ".css"), kind)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(odd_names, kinds, roles)
def test_odd_files_and_names_give_positioned_errors_or_a_build(name, kind, role):
    """A random name (line breaks, escapes, bytes that are no UTF-8, %, #) for a FIFO, a socket,
    a loop of links, an empty file … as an article, an image, a template or a stylesheet: check
    never fails inside, never hangs, and every message is one line of UTF-8 text."""
    from masthead.tools import check

    folder = Path(tempfile.mkdtemp(prefix="masthead-odd-"))
    try:
        _odd_issue(folder / "issue", name, kind, role)
        with _deadline(30):
            result = check.check(folder / "issue" / "issue.yaml", debug=True)  # an internal error raises
        for diagnostic in result.diagnostics:
            text = str(diagnostic)
            assert "\n" not in text and "\x1b" not in text, text
            text.encode("utf-8")  # no lone surrogate left to fail the terminal
            assert diagnostic.position.path.is_relative_to(folder) or diagnostic.position.path.is_relative_to(ROOT), diagnostic
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("kind, role", [("fifo", "article"), ("fifo", "image"), ("empty", "template"), ("loop", "stylesheet")])
def test_odd_files_through_the_command_give_exit_0_or_1_and_no_traceback(kind, role, tmp_path: Path):
    issue = tmp_path / "issue"
    _odd_issue(issue, "odd \x1b[2J\nname", kind, role)
    result = run_build(issue, tmp_path / "out", timeout=60)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert "\x1b" not in result.stderr + result.stdout
