"""A ZIP archive from finished entries, each deflated once for all the builds that carry it.

``zipfile`` deflates every entry it writes and cannot take an entry deflated already, so a
rebuild after one article changed would deflate the whole issue again (most of the time an
EPUB takes to write). Here the deflated bytes of an entry are looked up in the cache by the
entry's own content, and only new content is deflated. The archive is laid out exactly as
``zipfile.ZipFile.writestr`` lays it out (tests/test_archive.py compares the two byte for
byte): local headers without data descriptors, a central directory, names in UTF-8 flagged
as such when they are not ASCII. A large archive's entries are deflated in threads, one per
core: zlib lets go of the GIL while it deflates. An archive that needs ZIP64 (more than 65,535 entries or
about 2 GB: no e-book, but not an error) is left to zipfile itself, deflated as it goes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
import zipfile
import zlib
from typing import NamedTuple

from masthead.runtime import cache, workers
from masthead.runtime.cache import Cache

LEVEL = 6  # zlib's default: 9 is 40 % slower for 0.2 % less
CACHED_FROM = 16 * 1024  # smaller entries deflate faster than a cache file is read
THREADS_FROM = 512 * 1024  # bytes to deflate: below, starting threads costs more than it saves
_VERSION = 20  # "2.0", the version needed for deflate; zipfile writes it for both methods
_UNIX = 3  # "made by" Unix, whatever the build machine, so that the mode below is read
_MODE = 0o100644 << 16  # a regular file, -rw-r--r--


class Entry(NamedTuple):
    name: str
    data: bytes
    deflate: bool  # False: stored (mimetype, images and other already-compressed files)


def write(entries: list[Entry], when: dt.datetime, store: Cache | None = None) -> bytes:
    """The archive of ``entries`` in their order, every one stamped ``when``."""
    stamp = max(when, dt.datetime(1980, 1, 1))  # a ZIP cannot say earlier than 1980
    # zipfile turns to ZIP64 past 65,535 entries, or where an entry (×1.05) or an offset passes
    # 2 GiB; deflate never grows data by more than a few bytes per 16 KB, so this bound is safe.
    if len(entries) > 0xFFFF or sum(len(e.data) + len(e.name) + 100 for e in entries) * 1.05 > zipfile.ZIP64_LIMIT:
        return _by_zipfile(entries, stamp)
    dos_time = stamp.hour << 11 | stamp.minute << 5 | stamp.second // 2
    dos_date = (stamp.year - 1980) << 9 | stamp.month << 5 | stamp.day
    chunks: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for entry, body in zip(entries, _bodies(entries, store), strict=True):
        try:
            name, flags = entry.name.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = entry.name.encode("utf-8"), 0x800
        method = zlib.DEFLATED if entry.deflate else 0
        fields = (_VERSION, 0, flags, method, dos_time, dos_date, zlib.crc32(entry.data),
                  len(body), len(entry.data), len(name))
        chunks += [struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", *fields, 0), name, body]
        # then: extra field, comment, disk, internal attributes (all none), mode, offset
        directory += [struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", _VERSION, _UNIX, *fields,
                                  0, 0, 0, 0, _MODE, offset), name]
        offset += 30 + len(name) + len(body)
    central = b"".join(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), offset, 0)
    return b"".join(chunks) + central + end


def _by_zipfile(entries: list[Entry], stamp: dt.datetime) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=stamp.timetuple()[:6])
            info.create_system, info.external_attr = _UNIX, _MODE
            info.compress_type = zipfile.ZIP_DEFLATED if entry.deflate else zipfile.ZIP_STORED
            target.writestr(info, entry.data, compresslevel=LEVEL)
    return out.getvalue()


def _bodies(entries: list[Entry], store: Cache | None) -> list[bytes]:
    """What each entry holds in the archive: deflated (over the cores, for a large archive) or
    stored. zlib lets go of the GIL, so threads share a large archive's deflating."""
    todo = [entry.data for entry in entries if entry.deflate]
    threads = workers.count(None, len(todo)) if sum(map(len, todo)) >= THREADS_FROM else 1
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor  # imported only where it pays

        with ThreadPoolExecutor(threads) as pool:
            done = iter(list(pool.map(lambda data: deflated(data, store), todo)))
    else:
        done = (deflated(data, store) for data in todo)
    return [next(done) if entry.deflate else entry.data for entry in entries]


def deflated(data: bytes, store: Cache | None = None) -> bytes:
    """Raw deflate of ``data`` (what a ZIP entry holds), from ``store`` (the run's cache) for a large entry."""
    if len(data) < CACHED_FROM or store is None:
        return _deflate(data)
    key = cache.key("deflate", str(LEVEL), zlib.ZLIB_RUNTIME_VERSION, hashlib.sha256(data).digest())
    return store.cached("deflate", key, lambda: _deflate(data)) or _deflate(data)


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data, LEVEL, wbits=-15)
