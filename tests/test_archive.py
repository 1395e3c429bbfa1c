"""export/archive.py: the ZIP writer lays entries out exactly as zipfile does, deflating each
content once for all the builds that carry it."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import zipfile

import pytest

from masthead.export import archive
from masthead.runtime.cache import Cache

WHEN = dt.datetime(2025, 11, 28, 7, 30, 15)


def by_zipfile(entries: list[archive.Entry], when: dt.datetime) -> bytes:
    """What the EPUB exporter wrote with zipfile before archive.py (and what it must still write)."""
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED if entry.deflate else zipfile.ZIP_STORED
            target.writestr(info, entry.data, compresslevel=6)
    return out.getvalue()


def sample_entries() -> list[archive.Entry]:
    prose = "".join(f"<p>Paragraph {i}: the night bus leaves at {i % 24:02d}:{i % 60:02d}.</p>\n" for i in range(3000))
    return [
        archive.Entry("mimetype", b"application/epub+zip", deflate=False),
        archive.Entry("META-INF/container.xml", b"<container/>", deflate=True),
        archive.Entry("EPUB/empty.css", b"", deflate=True),
        archive.Entry("EPUB/story.xhtml", prose.encode(), deflate=True),  # over CACHED_FROM: through the cache
        archive.Entry("EPUB/images/café-ü.png", os.urandom(40_000), deflate=False),  # a UTF-8 name
        archive.Entry("EPUB/مدينة.xhtml", "<p>مدينة لا تنام</p>".encode(), deflate=True),
    ]


@pytest.mark.parametrize("when", [WHEN, dt.datetime(1970, 1, 1), dt.datetime(2107, 12, 31, 23, 59, 59)])
def test_the_archive_is_what_zipfile_writes_byte_for_byte(when, tmp_path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    entries = sample_entries()
    expected = by_zipfile(entries, when)
    assert archive.write(entries, when, Cache.from_environment()) == expected
    assert archive.write(entries, when, Cache.from_environment()) == expected  # again, the large entry from the cache
    with zipfile.ZipFile(io.BytesIO(expected)) as check:
        assert check.testzip() is None
        assert [i.filename for i in check.infolist()] == [e.name for e in entries]
        assert [check.read(e.name) for e in entries] == [e.data for e in entries]


def test_a_large_entry_is_deflated_once_and_then_taken_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real = archive._deflate
    monkeypatch.setattr(archive, "_deflate", lambda data: calls.append(len(data)) or real(data))
    big = archive.Entry("EPUB/a.xhtml", b"<p>words words words</p>" * 2000, deflate=True)
    small = archive.Entry("EPUB/b.css", b"p { margin: 0 }", deflate=True)
    first = archive.write([big, small], WHEN, Cache.from_environment())
    assert calls == [len(big.data), len(small.data)]
    calls.clear()
    assert archive.write([big, small], WHEN, Cache.from_environment()) == first
    assert calls == [len(small.data)]  # the small one is deflated each time: cheaper than a file
    assert list((tmp_path / "cache" / "deflate").rglob("*")), "the large entry went to the cache"


def test_new_content_under_the_same_name_is_deflated_anew(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    archive.write([archive.Entry("EPUB/a.xhtml", b"<p>one</p>" * 5000, deflate=True)], WHEN, Cache.from_environment())
    other = archive.Entry("EPUB/a.xhtml", b"<p>two</p>" * 5000, deflate=True)
    assert archive.write([other], WHEN, Cache.from_environment()) == by_zipfile([other], WHEN)


def test_without_a_cache_it_still_writes_the_same_archive(monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    entries = sample_entries()
    assert archive.write(entries, WHEN, Cache.from_environment()) == by_zipfile(entries, WHEN)


def test_in_memory_the_cache_folder_is_not_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    entries = sample_entries()
    store = Cache.from_environment().remembering()
    first = archive.write(entries, WHEN, store)
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            path.write_bytes(b"damaged")  # memory is what counts now
    assert archive.write(entries, WHEN, store) == first


def test_an_archive_that_needs_zip64_is_zipfiles_own(monkeypatch):
    """Past 65,535 entries zipfile writes ZIP64 records; so must we (it was an internal error)."""
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", "off")
    entries = [archive.Entry(f"EPUB/e{i}.css", b"p{}", deflate=i % 2 == 0) for i in range(0x10000)]
    data = archive.write(entries, WHEN, Cache.from_environment())
    assert data == by_zipfile(entries, WHEN)
    assert b"PK\x06\x06" in data[-200:]  # the ZIP64 end of central directory
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == 0x10000


def test_a_large_archive_deflated_in_threads_is_still_zipfiles_byte_for_byte(tmp_path, monkeypatch):
    """Over THREADS_FROM the entries are deflated in threads: in their order, each once."""
    monkeypatch.setenv("MASTHEAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(archive.workers, "count", lambda jobs, tasks: min(4, tasks))  # threads even on one core
    stories = [archive.Entry(f"EPUB/s{i:02d}.xhtml", (f"<p>Story {i}. " + "the tide turns " * (400 * i)).encode(), True)
               for i in range(40)]
    entries = [*sample_entries(), *stories]
    assert sum(len(e.data) for e in entries if e.deflate) > archive.THREADS_FROM
    threads = set()
    deflate = archive._deflate

    def spy(data: bytes) -> bytes:
        import threading

        threads.add(threading.get_ident())
        time.sleep(0.005)  # no thread is through the queue before the next has started
        return deflate(data)

    monkeypatch.setattr(archive, "_deflate", spy)
    assert archive.write(entries, WHEN, Cache.from_environment()) == by_zipfile(entries, WHEN)
    assert len(threads) > 1
