"""Writes that keep their promise: all outputs of a build replaced together or none, whatever
interrupts the swap; builds into one folder at once; a folder masthead did not write is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from helpers import masthead
from masthead.diagnostics import MastheadError
from masthead.runtime import writes as build
from masthead.runtime.writes import WEB_MARK


def _outputs(tmp_path: Path) -> tuple[dict[Path, bytes], dict[Path, dict[str, bytes]]]:
    """An EPUB, a PDF and a web edition folder already there ("old"), and new ones to write."""
    epub, pdf, web = tmp_path / "issue.epub", tmp_path / "issue.pdf", tmp_path / "issue"
    build.write_all({epub: b"old epub", pdf: b"old pdf"}, {web: {"index.html": b"old index", "css/a.css": b"old"}})
    return {epub: b"new epub", pdf: b"new pdf"}, {web: {"index.html": b"new index", "img/b.png": b"new"}}


def _state(tmp_path: Path) -> dict[str, bytes]:
    return {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}


def _count_renames(tmp_path: Path, monkeypatch) -> int:
    files, folders = _outputs(tmp_path / "count")
    calls = []
    for name in ("replace", "rename"):
        real = getattr(os, name)
        monkeypatch.setattr(build.os, name, lambda a, b, real=real: (calls.append(b), real(a, b))[1])
    build.write_all(files, folders)
    monkeypatch.undo()
    return len(calls)


@pytest.mark.parametrize("after", [False, True], ids=["before-the-rename", "just-after-the-rename"])
def test_ctrl_c_at_any_rename_puts_every_earlier_output_back(tmp_path, monkeypatch, after):
    """Report #12: the rollback caught OSError only, so Ctrl-C between two renames left one new and
    one old output. Now Ctrl-C at each rename in turn (as it starts, or as it ends) leaves the old
    EPUB, PDF and web edition exactly as they were, no temporary beside them, and goes on up."""
    renames = _count_renames(tmp_path, monkeypatch)
    assert renames == 4  # the old folder aside, the EPUB, the PDF, the new folder in
    for at in range(1, renames + 1):
        folder = tmp_path / f"at-{at}"
        files, folders = _outputs(folder)
        before = _state(folder)
        calls: list = []

        def interrupt(a, b, real, calls=calls, at=at):  # bound: this turn's
            calls.append(b)
            if len(calls) == at and not after:
                raise KeyboardInterrupt
            real(a, b)
            if len(calls) == at:
                raise KeyboardInterrupt

        for name in ("replace", "rename"):
            real = getattr(os, name)
            monkeypatch.setattr(build.os, name, lambda a, b, real=real: interrupt(a, b, real))
        with pytest.raises(KeyboardInterrupt):
            build.write_all(files, folders)
        monkeypatch.undo()
        assert _state(folder) == before, at
        assert sorted(p.name for p in folder.iterdir()) == ["issue", "issue.epub", "issue.pdf"], at


def test_sigterm_during_the_renames_is_undone_too(tmp_path, monkeypatch):
    """SIGTERM's default ends the process between two renames; during the swap it is an interruption
    that is undone like Ctrl-C."""
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # else this test would not test it
    files, folders = _outputs(tmp_path)
    before = _state(tmp_path)
    real, calls = os.replace, []

    def terminated_after_the_epub(a, b):
        real(a, b)
        calls.append(b)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(build.os, "replace", terminated_after_the_epub)
    with pytest.raises(KeyboardInterrupt):
        build.write_all(files, folders)
    assert _state(tmp_path) == before
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # as it was


def test_a_web_edition_that_cannot_be_replaced_leaves_the_epub_as_it_was(tmp_path, monkeypatch):
    """Report #16: the EPUB was already replaced when OUT/<slug>/ could not be. Now the folder is
    moved aside before any file is renamed in; refused, nothing has changed."""
    files, folders = _outputs(tmp_path)
    before = _state(tmp_path)
    real, seen = os.rename, []

    def busy_folder(a, b):
        if Path(a) == tmp_path / "issue":
            seen.append(_state(tmp_path))  # what a reader saw when the folder was refused
            raise OSError(16, "Device or resource busy")
        real(a, b)

    monkeypatch.setattr(build.os, "rename", busy_folder)
    with pytest.raises(MastheadError, match=r"issue: cannot replace it: Device or resource busy"):
        build.write_all(files, folders)
    assert seen and seen[0]["issue.epub"] == b"old epub" and seen[0]["issue.pdf"] == b"old pdf"  # none replaced yet
    assert _state(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issue", "issue.epub", "issue.pdf"]


def test_writes_into_one_folder_at_once_take_turns_and_all_succeed(tmp_path):
    """Report #17, in one process: eight writers swapping an EPUB and a web edition into one folder
    twenty times each; every write succeeds and what is left is one writer's whole output."""
    epub, web = tmp_path / "issue.epub", tmp_path / "issue"
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        for _ in range(20):
            try:
                build.write_all({epub: b"epub %d" % n}, {web: {"index.html": b"index %d" % n, "a/b.css": b"css %d" % n}})
            except BaseException as exc:  # noqa: BLE001 - counted and shown below
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[:3]
    n = int(epub.read_bytes().split()[1])  # the last writer's: the folder is the same writer's
    assert _state(web) == {"index.html": b"index %d" % n, "a/b.css": b"css %d" % n, WEB_MARK: build.WEB_MARK_TEXT}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issue", "issue.epub"]


def test_concurrent_builds_into_one_folder_all_succeed_with_whole_outputs(issue_dir, tmp_path):
    """Report #17: of two concurrent `build -f html` into one folder, one failed 6 times in 15."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "masthead", "build", str(issue_dir), "-o", str(out), "-f", "epub,html", "-q", "-j", "1"]
    for _ in range(2):
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(4)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
        for p in processes:
            p.stdout.close()
            p.stderr.close()
        assert [code for code, _ in results] == [0, 0, 0, 0], results
    with zipfile.ZipFile(out / "issue.epub") as archive:
        assert archive.testzip() is None
    alone = tmp_path / "alone"
    assert masthead("build", str(issue_dir), "-o", str(alone), "-f", "epub,html").returncode == 0
    assert _state(out) == _state(alone)  # the same files, whole, and nothing left on the way


def test_a_folder_masthead_did_not_write_is_not_replaced_without_force(issue_dir, tmp_path):
    """Worth a decision: `-f html` deleted an unrelated OUT/<slug>/. Now it is refused in one line
    (nothing written, not even the EPUB) unless --force; masthead's own folders carry WEB_MARK."""
    out = tmp_path / "out"
    (out / "issue").mkdir(parents=True)
    (out / "issue" / "notes.txt").write_text("mine\n")
    result = masthead("build", str(issue_dir), "-o", str(out), "-f", "epub,html")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{out / 'issue'}: not a web edition masthead wrote (no {WEB_MARK} in it)" in result.stderr
    assert "--force" in result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["issue", "issue/notes.txt"]

    result = masthead("build", str(issue_dir), "-o", str(out), "-f", "epub,html", "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "issue" / "notes.txt").exists() and (out / "issue" / WEB_MARK).is_file()
    assert (out / "issue" / "index.html").is_file() and (out / "issue.epub").is_file()
    result = masthead("build", str(issue_dir), "-o", str(out), "-f", "html")  # its own folder: replaced
    assert result.returncode == 0, result.stderr


def test_an_empty_folder_or_none_is_replaced_without_force(tmp_path):
    (tmp_path / "empty").mkdir()
    build.write_all({}, {tmp_path / "empty": {"index.html": b"x"}, tmp_path / "none": {"index.html": b"y"}})
    assert (tmp_path / "empty" / "index.html").read_bytes() == b"x"
    assert (tmp_path / "none" / WEB_MARK).is_file()
    (tmp_path / "file").write_text("a file in the way\n")
    with pytest.raises(MastheadError, match="not a web edition masthead wrote"):
        build.write_all({}, {tmp_path / "file": {"index.html": b"z"}})
    assert (tmp_path / "file").read_text() == "a file in the way\n"


@pytest.mark.parametrize("umask,file_mode,folder_mode", [(0o077, 0o600, 0o700), (0o002, 0o664, 0o775)],
                         ids=["umask-077", "umask-002"])
def test_a_build_gives_its_outputs_the_modes_the_users_umask_leaves(issue_dir: Path, tmp_path: Path, umask, file_mode,
                                                                     folder_mode):
    """The README promises builds with the user's umask: under 077 the EPUB and the web edition
    were 644 and 755 all the same (readable by every user of the machine)."""
    out = tmp_path / "out"
    run = f"umask {umask:03o}; exec \"$0\" -m masthead build \"$1\" -o \"$2\" --format epub,html"
    result = subprocess.run(["sh", "-c", run, sys.executable, str(issue_dir), str(out)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    web = out / issue_dir.name
    modes = {path.relative_to(out).as_posix(): path.stat().st_mode & 0o777 for path in [out, *out.rglob("*")]}
    assert modes[f"{issue_dir.name}.epub"] == modes[f"{issue_dir.name}/index.html"] == file_mode, modes
    assert modes[web.name] == folder_mode, modes
    assert {m for p, m in modes.items() if (out / p).is_file()} == {file_mode}, modes
    assert {m for p, m in modes.items() if (out / p).is_dir() and p != "."} == {folder_mode}, modes


def test_the_umask_is_read_without_being_changed():
    before = os.umask(0o027)
    try:
        assert build.current_umask() == 0o027
        assert build.current_umask() == 0o027  # read twice: the first read left it as it was
    finally:
        os.umask(before)
