"""``masthead build --watch`` and the memory a rebuilding process keeps (Cache.remembering).

A rebuild in a watching process must write what a cold build of the edited issue writes, byte
for byte; bad input must be reported at its position and leave the last good output as it
was; output written inside the issue folder must not wake the watcher; Ctrl-C stops it.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from helpers import copy_sample, masthead
from masthead import pipeline
from masthead.pipeline import BuildContext
from masthead.runtime.cache import Cache
from masthead.tools import watch

pytestmark = pytest.mark.serial  # timed: run alone, after the parallel tests (make test)


class Watching:
    """``masthead build ISSUE --watch`` in a subprocess, its output lines read as they come."""

    def __init__(self, issue: Path, out: Path, cache_dir: Path, formats: str = "epub"):
        env = {**os.environ, "MASTHEAD_CACHE_DIR": str(cache_dir)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "masthead", "build", str(issue), "-o", str(out), "-f", formats, "--watch"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.readers = [threading.Thread(target=self._read, args=(stream,), daemon=True)
                        for stream in (self.process.stdout, self.process.stderr)]
        for reader in self.readers:
            reader.start()
        self.expect(r"^watching ")

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = 60) -> list[str]:
        """The lines up to and including the first that matches ``pattern``."""
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            seen.append(line)
            if re.search(pattern, line):
                return seen
        pytest.fail(f"no line like {pattern!r}; saw: {seen}")

    def quiet_for(self, seconds: float) -> list[str]:
        time.sleep(seconds)
        out = []
        while not self.lines.empty():
            out.append(self.lines.get_nowait())
        return out

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for reader in self.readers:
            reader.join(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()
        return self.process.returncode


@contextlib.contextmanager
def watching_in_a_thread(manifests: list[Path], ignore=()):
    """watch.started, as preview and build --watch run it: yields the queue of changes."""
    changed: queue.Queue = queue.Queue()
    with watch.started(manifests, changed.put, ignore=ignore) as watching:
        assert watching
        yield changed
    assert not any(t.name == "masthead-watch" and t.is_alive() for t in threading.enumerate())

def _cold_epub(issue: Path, out: Path) -> bytes:
    """The EPUB a one-shot build with no cache at all makes of the issue as it is now."""
    result = masthead("build", str(issue), "-o", str(out), "-f", "epub",
                      env={**os.environ, "MASTHEAD_CACHE_DIR": "off"})
    assert result.returncode == 0, result.stderr
    return (out / f"{issue.name}.epub").read_bytes()


def test_a_rebuild_after_an_edit_equals_a_cold_build_and_bad_input_keeps_the_last_good_file(tmp_path):
    issue, out = tmp_path / "lantern", tmp_path / "out"
    copy_sample(issue)
    epub = out / "lantern.epub"
    watching = Watching(issue, out, tmp_path / "cache")
    try:
        first = epub.read_bytes()
        story = issue / "articles" / "night-shift.md"
        text = story.read_text("utf-8")
        story.write_text(text.replace("\n\n", "\n\nA sentence the editor added at the last minute.\n\n", 1), "utf-8")
        lines = watching.expect(r"^rebuilt lantern in \d+\.\d+ s \(\d+ of \d+ articles unchanged\)")
        assert re.search(r"\((\d+) of \1 articles", lines[-1]) is None, "the edited article was read again"
        rebuilt = epub.read_bytes()
        assert rebuilt != first and b"at the last minute" not in first
        assert rebuilt == _cold_epub(issue, tmp_path / "cold-1")

        # A broken date: the error at its position, the last good EPUB untouched.
        story.write_text(text.replace("---\n", "---\ndate: 2025-13-45\n", 1), "utf-8")
        lines = watching.expect(r"night-shift\.md:\d+:\d+: .*2025-13-45")
        assert not any(line.startswith("rebuilt") for line in lines)
        assert not any("Traceback" in line for line in lines)
        assert epub.read_bytes() == rebuilt

        # Fixed again: a new EPUB, as a cold build makes it.
        story.write_text(text, "utf-8")
        watching.expect(r"^rebuilt lantern ")
        assert epub.read_bytes() == first == _cold_epub(issue, tmp_path / "cold-2")
    finally:
        code = watching.stop()
    assert code == 0


def test_an_edit_to_the_manifest_and_to_the_theme_is_seen(tmp_path):
    issue, out = tmp_path / "lantern", tmp_path / "out"
    copy_sample(issue)
    watching = Watching(issue, out, tmp_path / "cache")
    try:
        manifest = issue / "issue.yaml"
        manifest.write_text(manifest.read_text("utf-8").replace("publication: The Lantern", "publication: The Lamp"), "utf-8")
        watching.expect(r"^rebuilt lantern ")
        assert (out / "lantern.epub").read_bytes() == _cold_epub(issue, tmp_path / "cold-1")

        # An issue-local theme appears: its folder is watched from then on.
        exported = masthead("theme", "export", str(issue / "mytheme"))
        assert exported.returncode == 0, exported.stderr
        watching.quiet_for(1.0)  # the export's own events
        manifest.write_text(manifest.read_text("utf-8") + "theme: ./mytheme\n", "utf-8")
        watching.expect(r"^rebuilt lantern ")
        time.sleep(1.0)  # the watcher turns to the theme's folder
        css = issue / "mytheme" / "css" / "common.css"
        css.write_text(css.read_text("utf-8") + "\n.kicker { letter-spacing: 0.2em; }\n", "utf-8")
        watching.expect(r"^rebuilt lantern ")
        rebuilt = (out / "lantern.epub").read_bytes()
        assert rebuilt == _cold_epub(issue, tmp_path / "cold-2")
    finally:
        assert watching.stop() == 0
    assert b"letter-spacing: 0.2em" in zipfile.ZipFile(io.BytesIO(rebuilt)).read("EPUB/css/common.css")


def test_output_into_the_issue_folder_does_not_wake_the_watcher(tmp_path):
    issue = tmp_path / "lantern"
    copy_sample(issue)
    watching = Watching(issue, issue, tmp_path / "cache")  # -o the issue folder itself
    try:
        assert (issue / "lantern.epub").is_file()
        assert not [line for line in watching.quiet_for(2.5) if line.startswith("rebuilt")]
        (issue / "articles" / "last-word.md").write_text(
            (issue / "articles" / "last-word.md").read_text("utf-8") + "\nOne more line.\n", "utf-8")
        watching.expect(r"^rebuilt lantern ")
        assert not [line for line in watching.quiet_for(2.5) if line.startswith("rebuilt")], "it rebuilt itself"
    finally:
        assert watching.stop() == 0


def test_ctrl_c_stops_it_quietly(tmp_path):
    issue = tmp_path / "lantern"
    copy_sample(issue)
    watching = Watching(issue, tmp_path / "out", tmp_path / "cache")
    watching.process.send_signal(signal.SIGINT)
    lines = watching.expect(r"^stopped$", timeout=20)
    watching.process.send_signal(signal.SIGINT)  # pressed twice: still no traceback
    assert watching.process.wait(timeout=20) == 0
    assert watching.stop() == 0
    assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize("polling", [False, True], ids=["watchfiles", "polling"])
def test_watch_names_the_issue_whose_files_changed_and_ignores_the_output(tmp_path, issue_dir, monkeypatch, polling):
    if polling:
        monkeypatch.setitem(sys.modules, "watchfiles", None)  # import fails: the fallback polls
    other = tmp_path / "other"
    shutil.copytree(issue_dir, other)
    out = issue_dir / "dist"
    out.mkdir()
    with watching_in_a_thread([issue_dir / "issue.yaml", other / "issue.yaml"], ignore=[out]) as changed:
        (out / "issue.epub").write_bytes(b"output")  # inside the issue folder, but the output
        (out / ".issue.epub.x1.part").write_bytes(b"on its way")
        (issue_dir / ".site.tmp-x1").mkdir()  # a web edition on its way into place (write_all)
        (issue_dir / ".site.tmp-x1" / "index.html").write_bytes(b"<html/>")
        with pytest.raises(queue.Empty):
            changed.get(timeout=1.5)
        (other / "articles" / "two.md").write_text("---\ntitle: Changed\n---\nNew.\n", "utf-8")
        assert changed.get(timeout=10) == [other / "issue.yaml"]


def test_rebuilds_that_keep_memory_write_what_cold_builds_write(tmp_path, issue_dir, monkeypatch):
    """In one process with a remembering cache, edit after edit: each EPUB and KEPUB equals a cold build's."""
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    one, two = issue_dir / "articles" / "one.md", issue_dir / "articles" / "two.md"
    edits = [
        lambda: None,
        lambda: one.write_text(one.read_text("utf-8").replace("More text.", "More text, and more."), "utf-8"),
        lambda: two.write_text(two.read_text("utf-8").replace("title: Second story", "title: Zweite Geschichte ßü"), "utf-8"),
        lambda: one.write_text(one.read_text("utf-8") + "\n<!-- a -- comment -->\n", "utf-8"),
        lambda: two.write_text("---\ntitle: Second story\n---\n\nIntro.\n\n## Details\n\nThe details.\n", "utf-8"),
    ]
    cached = []
    store = Cache.from_environment().remembering()
    for n, edit in enumerate(edits):
        edit()
        warm = pipeline.build(issue_dir / "issue.yaml", tmp_path / f"warm-{n}", ("epub", "kepub"), BuildContext(cache=store))
        cold_store = Cache(None).remembering()  # no folder, a fresh and empty memory: nothing from the warm builds
        cold = pipeline.build(issue_dir / "issue.yaml", tmp_path / f"cold-{n}", ("epub", "kepub"), BuildContext(cache=cold_store))
        for name in ("issue.epub", "issue.kepub.epub"):
            assert (tmp_path / f"warm-{n}" / name).read_bytes() == (tmp_path / f"cold-{n}" / name).read_bytes(), (n, name)
        assert [str(w) for w in warm.warnings] == [str(w) for w in cold.warnings], n
        cached.append(warm.articles_cached)
    assert cached == [0, 1, 1, 1, 2]  # the other article from memory; the last edit restores a reading


def test_memory_keeps_the_most_recently_used_entries_within_its_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    computed = []

    def compute(n, size=24):
        computed.append(n)
        return bytes(size)

    store = Cache.from_environment().remembering(limit=100)
    for n in (1, 2, 3, 4):  # 96 bytes
        store.memo("test", (str(n),), lambda n=n: compute(n))
    store.memo("test", ("1",), lambda: compute(1))  # a hit: 1 is now the most recent
    store.memo("test", ("5",), lambda: compute(5))  # 120 bytes: the least recent (2) goes
    store.memo("test", ("1",), lambda: compute(1))
    store.memo("test", ("2",), lambda: compute(2))  # computed again; 3 goes
    store.memo("test", ("4",), lambda: compute(4))
    for _ in range(2):  # over a quarter of the limit: never kept
        store.memo("test", ("big",), lambda: compute("big", 30))
    assert computed == [1, 2, 3, 4, 5, 2, "big", "big"]
    Cache.from_environment().remembering().memo("test", ("1",), lambda: compute("fresh"))  # a new memory starts empty
    assert computed[-1] == "fresh"
    Cache.from_environment().memo("test", ("1",), lambda: compute("unremembered"))  # a one-shot run keeps nothing
    Cache.from_environment().memo("test", ("1",), lambda: compute("unremembered"))
    assert computed[-2:] == ["unremembered", "unremembered"]


def test_an_edited_translation_and_template_are_read_again_by_a_rebuilding_process(tmp_path, issue_dir, monkeypatch):
    from masthead.tools import scaffold

    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    scaffold.export_theme(issue_dir / "mytheme")
    manifest = issue_dir / "issue.yaml"
    manifest.write_text(manifest.read_text("utf-8") + "theme: ./mytheme\n", "utf-8")
    po = issue_dir / "mytheme" / "locale" / "en" / "LC_MESSAGES" / "masthead.po"
    store = Cache.from_environment().remembering()
    pipeline.build(manifest, tmp_path / "first", ("epub",), BuildContext(cache=store))
    po.write_text(po.read_text("utf-8").replace('msgid "Contents"\nmsgstr "Contents"',
                                                'msgid "Contents"\nmsgstr "In this issue"'), "utf-8")
    pipeline.build(manifest, tmp_path / "again", ("epub",), BuildContext(cache=store))
    template = issue_dir / "mytheme" / "contents.xhtml.j2"  # and a template: compiled again
    template.write_text(template.read_text("utf-8").replace('{{ _("Contents") }}{% endblock %}',
                                                            '{{ _("Contents") }}, no. {{ meta.number }}{% endblock %}'), "utf-8")
    pipeline.build(manifest, tmp_path / "third", ("epub",), BuildContext(cache=store))
    contents = zipfile.ZipFile(tmp_path / "again" / "issue.epub").read("EPUB/contents.xhtml").decode()
    assert "<title>In this issue</title>" in contents
    third = zipfile.ZipFile(tmp_path / "third" / "issue.epub").read("EPUB/contents.xhtml").decode()
    assert "<title>In this issue, no. 5</title>" in third
    assert "In this issue" not in zipfile.ZipFile(tmp_path / "first" / "issue.epub").read("EPUB/contents.xhtml").decode()



def test_outputs_are_named_as_the_build_names_them_through_links_and_dot(tmp_path, issue_dir, monkeypatch):
    (tmp_path / "current").symlink_to(issue_dir)
    monkeypatch.chdir(issue_dir)
    for named in (tmp_path / "current" / "issue.yaml", Path("issue.yaml")):
        assert pipeline.outputs_of(named, Path("out"))[0] == Path("out") / "issue.epub"


def test_watching_goes_on_when_the_issue_folder_is_moved_away_and_back(tmp_path, issue_dir):
    with watching_in_a_thread([issue_dir / "issue.yaml"]) as changed:
        issue_dir.rename(tmp_path / "elsewhere")
        time.sleep(1.5)
        (tmp_path / "elsewhere").rename(issue_dir)
        time.sleep(2.5)  # found again and watched
        while not changed.empty():
            changed.get_nowait()
        (issue_dir / "articles" / "two.md").write_text("---\ntitle: Back\n---\nAgain.\n", "utf-8")
        assert changed.get(timeout=10) == [issue_dir / "issue.yaml"]


def test_memory_serves_a_rebuild_with_the_cache_folder_off(tmp_path, issue_dir, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    one = issue_dir / "articles" / "one.md"
    store = Cache.from_environment().remembering()
    pipeline.build(issue_dir / "issue.yaml", tmp_path / "first", ("epub",), BuildContext(cache=store))
    one.write_text(one.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    again = pipeline.build(issue_dir / "issue.yaml", tmp_path / "again", ("epub",), BuildContext(cache=store))
    assert again.articles_cached == 1


def test_a_template_added_in_front_of_the_theme_is_used_by_the_next_rebuild(tmp_path, issue_dir, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    (issue_dir / "templates").mkdir()
    (issue_dir / "templates" / "notes.txt").write_text("the issue's own templates go here\n", "utf-8")
    default = Path(pipeline.__file__).resolve().parents[2] / "templates" / "default" / "contents.xhtml.j2"
    store = Cache.from_environment().remembering()
    pipeline.build(issue_dir / "issue.yaml", tmp_path / "first", ("epub",), BuildContext(cache=store))
    (issue_dir / "templates" / "contents.xhtml.j2").write_text(
        default.read_text("utf-8").replace('{{ _("Contents") }}{% endblock %}', 'Overridden{% endblock %}'), "utf-8")
    pipeline.build(issue_dir / "issue.yaml", tmp_path / "again", ("epub",), BuildContext(cache=store))
    contents = zipfile.ZipFile(tmp_path / "again" / "issue.epub").read("EPUB/contents.xhtml").decode()
    assert "<title>Overridden</title>" in contents


def test_a_usage_error_ends_the_watch_at_once(tmp_path):
    issue = tmp_path / "lantern"
    copy_sample(issue)
    result = subprocess.run([sys.executable, "-m", "masthead", "build", str(issue), "-o", str(tmp_path), "-f", "html",
                             "--watch"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "replace the issue folder" in result.stderr, result.stderr
    assert "watching" not in result.stderr and "Traceback" not in result.stderr
