"""Incremental builds: what the cache gives back is what a cold build would make.

Each test has its own cache folder (MASTHEAD_CACHE_DIR). A rebuild after an edit must equal,
byte for byte, a cold build of the edited issue with an empty cache; it must say how many
articles came from the cache; and a change in anything an article depends on besides its own
text (an image it shows, a file its link names, a symlink) must be seen.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from helpers import CORPUS, masthead
from masthead import pipeline
from masthead.content import incremental
from masthead.runtime.cache import Cache


def _env(cache: Path) -> dict:
    return {**os.environ, "MASTHEAD_CACHE_DIR": str(cache)}


def _build(issue: Path, out: Path, cache: Path, *extra: str):
    return masthead("build", str(issue), "-o", str(out), "--format", "epub", "-v", *extra, env=_env(cache))


def _png(color: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def small_issue(tmp_path: Path) -> Path:
    issue = tmp_path / "weekly"
    (issue / "articles").mkdir(parents=True)
    (issue / "images").mkdir()
    (issue / "images" / "chart.png").write_bytes(_png("navy"))
    (issue / "issue.yaml").write_text(
        "publication: The Weekly\ndate: 2025-01-03\nlanguage: en\narticles:\n"
        "  - articles/one.md\n  - articles/two.md\n  - articles/three.md\n", "utf-8")
    (issue / "articles" / "one.md").write_text(
        "---\ntitle: One\n---\nA chart with no alt text:\n\n<img src=\"../images/chart.png\">\n\n"
        "See [the second](two.md#part-two).\n", "utf-8")
    (issue / "articles" / "two.md").write_text("---\ntitle: Two\n---\nIntro.\n\n## Part two\n\nBody of two.\n", "utf-8")
    (issue / "articles" / "three.md").write_text("---\ntitle: Three\n---\nThe third article.\n", "utf-8")
    return issue


def test_rebuild_after_editing_one_article_equals_a_cold_build(tmp_path: Path):
    issue = tmp_path / "strand-1891"
    shutil.copytree(CORPUS, issue)
    cache, out = tmp_path / "cache", tmp_path / "out"
    first = _build(issue, out, cache)
    assert first.returncode == 0, first.stderr
    assert "taken from the cache" not in first.stderr
    before = (out / "strand-1891.epub").read_bytes()

    edited = issue / "articles" / "a-case-of-identity.xhtml"
    text = edited.read_text("utf-8")
    marker = "</article>"
    assert marker in text
    edited.write_text(text.replace(marker, "<p>A paragraph the editor added.</p>" + marker, 1), "utf-8")
    warm = _build(issue, out, cache)
    assert warm.returncode == 0, warm.stderr
    assert "articles: 11 of 12 unchanged, taken from the cache" in warm.stderr
    after = (out / "strand-1891.epub").read_bytes()
    assert after != before

    cold = _build(issue, tmp_path / "cold", tmp_path / "empty-cache")
    assert cold.returncode == 0, cold.stderr
    assert (tmp_path / "cold" / "strand-1891.epub").read_bytes() == after
    assert b"A paragraph the editor added." in _epub_text(after)


def _epub_text(data: bytes) -> bytes:
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    return b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xhtml"))


def test_cached_build_gives_the_same_warnings(small_issue: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    cold = _build(small_issue, tmp_path / "a", cache)
    warm = _build(small_issue, tmp_path / "b", cache)
    assert cold.returncode == warm.returncode == 0, cold.stderr + warm.stderr
    assert "3 of 3 unchanged" in warm.stderr
    warnings = lambda r: [line for line in r.stderr.splitlines() if ": warning:" in line]  # noqa: E731
    assert warnings(cold) and warnings(cold) == warnings(warm)
    assert "alt text" in " ".join(warnings(warm))
    assert (tmp_path / "a" / "weekly.epub").read_bytes() == (tmp_path / "b" / "weekly.epub").read_bytes()


def test_a_changed_image_is_read_again(small_issue: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    assert _build(small_issue, tmp_path / "a", cache).returncode == 0
    # Same name, other picture, and now a JPEG: the asset's name and media type change.
    buffer = io.BytesIO()
    Image.new("RGB", (50, 20), "red").save(buffer, "JPEG")
    (small_issue / "images" / "chart.png").write_bytes(buffer.getvalue())
    warm = _build(small_issue, tmp_path / "b", cache)
    assert warm.returncode == 0, warm.stderr
    assert "2 of 3 unchanged" in warm.stderr
    _build(small_issue, tmp_path / "c", tmp_path / "empty")
    assert (tmp_path / "b" / "weekly.epub").read_bytes() == (tmp_path / "c" / "weekly.epub").read_bytes()


def test_a_removed_image_or_a_symlink_out_is_an_error_again(small_issue: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    assert _build(small_issue, tmp_path / "a", cache).returncode == 0
    image = small_issue / "images" / "chart.png"
    image.unlink()
    gone = _build(small_issue, tmp_path / "b", cache)
    assert gone.returncode == 1 and "one.md" in gone.stderr and "does not exist" in gone.stderr
    outside = tmp_path / "secret.png"
    outside.write_bytes(_png("navy"))  # the very bytes the cache saw, but outside the issue
    image.symlink_to(outside)
    escaped = _build(small_issue, tmp_path / "c", cache)
    assert escaped.returncode == 1 and "outside the issue folder" in escaped.stderr
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_a_link_target_that_appears_is_seen(small_issue: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    (small_issue / "articles" / "three.md").write_text(
        "---\ntitle: Three\n---\nSee [the notes](../notes/extra.md).\n", "utf-8")
    first = _build(small_issue, tmp_path / "a", cache)
    assert first.returncode == 0 and "link removed" in first.stderr
    (small_issue / "notes").mkdir()
    (small_issue / "notes" / "extra.md").write_text("# Extra\n", "utf-8")
    second = _build(small_issue, tmp_path / "b", cache)
    # Still not an article of the issue, but the reason changed: read again, not replayed.
    assert "3 of 3 unchanged" not in second.stderr
    assert "it is not an article of this issue" in second.stderr


def test_parallel_reading_equals_serial_reading(small_issue: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    monkeypatch.setattr(incremental, "PARALLEL_BYTES", 0)  # read even this small issue in processes
    from masthead.runtime import workers

    pools = []
    real = workers.pool

    def spy(count, preload):
        pools.append(count)
        return real(count, preload)

    monkeypatch.setattr(workers, "pool", spy)
    serial = pipeline.build(small_issue / "issue.yaml", tmp_path / "serial", ("epub",), pipeline.BuildContext(jobs=1))
    parallel = pipeline.build(small_issue / "issue.yaml", tmp_path / "parallel", ("epub",), pipeline.BuildContext(jobs=2))
    assert [str(w) for w in serial.warnings] == [str(w) for w in parallel.warnings]
    assert serial.warnings
    assert 2 in pools  # the articles were read by two worker processes
    assert (tmp_path / "serial" / "weekly.epub").read_bytes() == (tmp_path / "parallel" / "weekly.epub").read_bytes()


def test_parallel_rendering_equals_serial_rendering(small_issue: Path, tmp_path: Path):
    """A big issue's article documents are set in copies of the process (templates.py): the same
    bytes, the same characters for the font cuts, as when this process sets them all. In a
    fresh interpreter: the copies are made only where no other thread runs, and a test worker
    may hold threads an earlier test left (it failed so in a suite run, and passed alone)."""
    script = (
        "import json, os, sys\n"
        "from pathlib import Path\n"
        "from masthead import pipeline\n"
        "from masthead.content import incremental\n"
        "from masthead.render import templates\n"
        "issue, out = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "incremental.PARALLEL_BYTES = 0  # this small issue counts as big\n"
        "pids = out / 'pids'\n"
        "real = templates._article_alone\n"
        "def spy(context, pair):\n"
        "    with open(pids, 'a') as stream:  # from a copy too: a file, not a list\n"
        "        stream.write(f'{os.getpid()}\\n')\n"
        "    return real(context, pair)\n"
        "templates._article_alone = spy\n"
        "ran = {}\n"
        "for jobs in (1, 2):\n"
        "    pipeline.build(issue / 'issue.yaml', out / f'jobs{jobs}', ('epub', 'pdf'), pipeline.BuildContext(jobs=jobs))\n"
        "    ran[jobs] = pids.read_text().split()\n"
        "    pids.unlink()\n"
        "print(json.dumps({'self': str(os.getpid()), 'ran': ran}))\n")
    env = {**os.environ, "MASTHEAD_CACHE_DIR": "off"}
    result = subprocess.run([sys.executable, "-c", script, str(small_issue), str(tmp_path)], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    import json

    found = json.loads(result.stdout.strip().splitlines()[-1])
    one, two = found["ran"]["1"], found["ran"]["2"]
    assert len(one) == len(two) == 3  # each article once
    assert set(one) == {found["self"]}  # --jobs 1: all in the process
    assert found["self"] not in two  # --jobs 2: set in copies of it
    for name in ("weekly.epub", "weekly.pdf"):
        assert (tmp_path / "jobs1" / name).read_bytes() == (tmp_path / "jobs2" / name).read_bytes(), name


def test_work_ahead_runs_in_another_process_and_is_awaited(tmp_path: Path):
    """In a fresh interpreter: ahead() forks only where no other thread runs, and a test
    worker may hold threads an earlier test left (a local server's)."""
    marker = tmp_path / "pid"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from masthead.runtime import workers\n"
        "marker = Path(sys.argv[1])\n"
        "def task():\n"
        "    time.sleep(0.2)  # still running when ahead() returns: wait() must wait for it\n"
        "    marker.write_text(str(os.getpid()))\n"
        "wait = workers.ahead(task, jobs=2)\n"
        "wait()\n"
        "print(os.getpid(), marker.read_text())\n")
    result = subprocess.run([sys.executable, "-c", script, str(marker)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    parent, child = result.stdout.split()
    assert child != parent


def test_work_ahead_starts_nothing_with_one_job_or_other_threads(tmp_path: Path):
    import threading

    from masthead.runtime import workers

    marker = tmp_path / "ran"
    workers.ahead(lambda: marker.write_text("1"), jobs=1)()
    assert not marker.exists()  # --jobs 1: one process; the work is done where it is needed
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        workers.ahead(lambda: marker.write_text("1"), jobs=2)()
    finally:
        stop.set()
        other.join()
    assert not marker.exists()  # a copy of a process with threads could inherit a held lock


def test_failure_ahead_is_met_again_where_the_work_is_needed(tmp_path: Path):
    import pytest

    from masthead.runtime import workers

    tries = tmp_path / "tries"

    def task():
        with tries.open("a") as log:
            log.write("x")
        raise OSError("the cover went away")

    workers.ahead(task, jobs=2)()  # the copy fails quietly: its waiter returns, and this process goes on
    assert (tries.read_text() if tries.exists() else "") == ("x" if workers._fork_is_safe() else "")
    with pytest.raises(OSError, match="went away"):
        task()  # the work done where it is needed: the failure is met, and reported, here
    assert tries.read_text().endswith("x")


def test_cover_prepared_ahead_gives_the_same_bytes_as_no_cache(tmp_path: Path):
    """Strand's 1.2 MB cover is encoded again under 500 KB while the stories are read; the EPUB
    equals one built with the cache off, where nothing is prepared ahead."""
    issue = tmp_path / "strand-1891"
    shutil.copytree(CORPUS, issue)
    assert (issue / "images" / "cover.jpg").stat().st_size > 500_000
    cache = tmp_path / "cache"
    ahead = _build(issue, tmp_path / "ahead", cache)
    assert ahead.returncode == 0, ahead.stderr
    assert any((cache / "images").rglob("*")), "the cover was not cached"
    plain = masthead("build", str(issue), "-o", str(tmp_path / "plain"), "--format", "epub",
                     env={**os.environ, "MASTHEAD_CACHE_DIR": "off"})
    assert plain.returncode == 0, plain.stderr
    first = (tmp_path / "ahead" / "strand-1891.epub").read_bytes()
    assert first == (tmp_path / "plain" / "strand-1891.epub").read_bytes()
    import zipfile

    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert len(z.read("EPUB/images/cover.jpg")) <= 500_000


def test_cover_and_theme_are_prepared_ahead_only_when_the_cache_lacks_them(tmp_path: Path, monkeypatch):
    from masthead.manifest import loader
    from masthead.render import templates, theme
    from masthead.runtime import i18n, workers

    issue = tmp_path / "strand-1891"
    shutil.copytree(CORPUS, issue)
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    i18n._CATALOGUES.clear()  # as in a new process: an earlier test compiled it in this one
    meta = loader.load(issue / "issue.yaml").meta
    chosen = theme.load(meta)
    started = []
    monkeypatch.setattr(workers, "ahead", lambda task, jobs=None: started.append(task) or (lambda: None))
    templates.ahead(meta, chosen, 2, Cache.from_environment())
    assert len(started) == 2  # an empty cache: the cover and the theme, each worth a process of its own
    for task in started:
        task()  # the work itself, here: it fills the cache
    assert any((tmp_path / "cache" / "templates").rglob("*.cache")), "the templates were not compiled"
    assert any((tmp_path / "cache" / "catalogues").rglob("*")), "the catalogue was not compiled"
    assert any((tmp_path / "cache" / "images").rglob("*")), "the cover was not prepared"
    templates.ahead(meta, chosen, 2, Cache.from_environment())
    assert len(started) == 2  # now a copy of the process would only read the cache
    shutil.rmtree(tmp_path / "cache" / "images")
    templates.ahead(meta, chosen, 2, Cache.from_environment())
    assert len(started) == 3  # the cover again, the templates not:
    compiled = []
    monkeypatch.setattr(templates, "_compile_theme", lambda *args: compiled.append(args))
    started[2]()
    assert compiled == [] and any((tmp_path / "cache" / "images").rglob("*"))
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    templates.ahead(meta, chosen, 2, Cache.from_environment())
    assert len(started) == 3  # no cache: nowhere to leave the work


def test_a_cover_drawn_ahead_gives_the_same_bytes_as_no_cache(tmp_path: Path):
    """The sample issue names no cover: it is drawn in another process while the documents
    render. The EPUB and the PDF equal those built with the cache off, drawn in line."""
    from helpers import SAMPLE, copy_sample

    issue = tmp_path / SAMPLE.name
    copy_sample(issue)
    cache = tmp_path / "cache"
    ahead = masthead("build", str(issue), "-o", str(tmp_path / "ahead"), env=_env(cache))
    assert ahead.returncode == 0, ahead.stderr
    assert len(list((cache / "covers").rglob("*"))) >= 1, "the drawn cover was not cached"
    plain = masthead("build", str(issue), "-o", str(tmp_path / "plain"), env={**os.environ, "MASTHEAD_CACHE_DIR": "off"})
    assert plain.returncode == 0, plain.stderr
    for name in (f"{SAMPLE.name}.epub", f"{SAMPLE.name}.pdf"):
        assert (tmp_path / "ahead" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name


def test_a_cover_is_drawn_ahead_only_when_the_issue_names_none_and_the_cache_lacks_it(tmp_path: Path, monkeypatch):
    from helpers import SAMPLE
    from masthead.content import reading
    from masthead.diagnostics import Report
    from masthead.manifest import loader
    from masthead.render import templates, theme
    from masthead.runtime import workers

    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    started = []
    monkeypatch.setattr(workers, "ahead", lambda task, jobs=None: started.append(task) or (lambda: None))
    spec = loader.load(SAMPLE / "issue.yaml")
    issue, chosen = reading.read_issue(spec, Report()), theme.load(spec.meta)
    templates.cover_drawn_ahead(issue, chosen, 2, Cache.from_environment())
    assert len(started) == 1  # no cover named, none cached: worth a second process
    started[0]()  # the work itself, here: it fills the cache
    templates.cover_drawn_ahead(issue, chosen, 2, Cache.from_environment())
    assert len(started) == 1  # a copy would only read the cache
    strand = loader.load(CORPUS / "issue.yaml")
    templates.cover_drawn_ahead(reading.read_issue(strand, Report()), theme.load(strand.meta), 2, Cache.from_environment())
    assert len(started) == 1  # the manifest's own cover: nothing to draw
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    templates.cover_drawn_ahead(issue, chosen, 2, Cache.from_environment())
    assert len(started) == 1  # no cache: nowhere to leave the work


@pytest.mark.serial
def test_ctrl_c_stops_the_copy_quietly_and_the_build_once(tmp_path: Path):
    """Ctrl-C reaches the whole process group: the copy must leave quietly, and only the
    build itself may go on to say it was interrupted."""
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "finished"
    script = (
        "import time\n"
        "from masthead.runtime import workers\n"
        "def task():\n"
        "    time.sleep(5)\n"
        f"    open({str(marker)!r}, 'w').write('1')\n"
        "wait = workers.ahead(task, jobs=2)\n"
        "print('started', flush=True)\n"
        "try:\n"
        "    time.sleep(10)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "finally:\n"
        "    wait()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    assert process.stdout.readline() == "started\n"
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does
    stdout, stderr = process.communicate(timeout=30)
    assert stdout == "interrupted\n"  # once: the copy did not run on through the caller's code
    assert "Traceback" not in stderr
    assert not marker.exists()


def test_a_template_error_in_a_copy_is_reported_as_in_this_process(small_issue: Path, tmp_path: Path, monkeypatch):
    """An IssueError raised while a copy sets an article comes back as itself, positioned."""
    from masthead.diagnostics import IssueError

    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    monkeypatch.setattr(incremental, "PARALLEL_BYTES", 0)
    default = Path(__file__).resolve().parents[1] / "templates" / "default" / "_article.xhtml.j2"
    (small_issue / "templates").mkdir()
    (small_issue / "templates" / "_article.xhtml.j2").write_text("{{ no_such_value }}\n" + default.read_text("utf-8"))
    with pytest.raises(IssueError) as caught:
        pipeline.build(small_issue / "issue.yaml", tmp_path / "out", ("epub",), pipeline.BuildContext(jobs=2))
    assert next(str(d) for d in caught.value.diagnostics).endswith("_article.xhtml.j2:1:4: template: 'no_such_value' is undefined")


def test_any_part_of_the_cache_may_be_deleted_between_builds(small_issue: Path, tmp_path: Path):
    """The cache never evicts (a decision): it is the user's to empty, by `rm -rf` of the folder or
    of any part of it, at any time between builds; what is left still gives the same bytes."""
    cache = tmp_path / "cache"
    assert _build(small_issue, tmp_path / "cold", cache).returncode == 0
    cold = (tmp_path / "cold" / "weekly.epub").read_bytes()
    entries = sorted(p for p in cache.rglob("*") if p.is_file())
    assert len(entries) > 4
    for entry in entries[::2]:  # every other entry, as an eviction (or a careless rm) would
        entry.unlink()
    for folder in ("after-half", "after-all"):
        result = _build(small_issue, tmp_path / folder, cache)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / folder / "weekly.epub").read_bytes() == cold
        shutil.rmtree(cache)
