"""A content-addressed cache for work whose result depends only on its inputs.

Articles as read, prepared images, the drawn cover, compiled templates, font cuts and deflated
EPUB entries are stored under a key made of everything they depend on: the input bytes, the
options, and the versions of masthead and of the library that computed them. A hit returns
the same bytes a fresh computation would, so a cached build is byte-identical to a cold one.
``MASTHEAD_CACHE_DIR`` sets the folder (default ``$XDG_CACHE_HOME/masthead``);
``MASTHEAD_CACHE_DIR=off`` turns the folder off (a rebuilding process still keeps its memory,
below).

A process that builds again and again (``masthead build --watch``) also keeps what it read or
computed in memory (:func:`remember`): entries it got from the folder, and the results of
:func:`memo`, which cost too little to be worth a file but add up over a rebuild (checking a
document again, deflating an archive entry). A one-shot build keeps nothing in memory: its
memory use stays what the issue needs.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from masthead import __version__
from masthead.runtime import locations


def folder() -> Path | None:
    name = locations.cache_folder()
    return None if name is None else Path(name)


_code: list[bytes] = []


def code_version() -> bytes:
    """masthead's version and its code (locations.code_listing): a result cached by older code
    must not be served to newer (it was: an image passed whole by the code before a fix)."""
    if not _code:
        _code.append(hashlib.sha256(f"{__version__}\n{locations.code_listing()}".encode()).digest())
    return _code[0]


def key(*parts: bytes | str) -> str:
    digest = hashlib.sha256(code_version())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


_writable = [True]


@contextlib.contextmanager
def read_only() -> Iterator[None]:
    """Use what the cache holds but add nothing: ``masthead check`` writes no file anywhere."""
    _writable.append(False)
    try:
        yield
    finally:
        _writable.pop()


def writable() -> bool:
    return _writable[-1]


def package_stamp(name: str) -> str:
    """A string that changes when package ``name`` is reinstalled or upgraded, found without
    importing it (importing markdown_it or Pillow costs more than a cached build takes)."""
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
        stat = os.stat(spec.origin) if spec and spec.origin else None
    except (OSError, ImportError, ValueError):
        stat = None
    return f"{name}={stat.st_size}:{stat.st_mtime_ns}" if stat else f"{name}=?"


def _entry(kind: str, cache_key: str) -> Path | None:
    base = folder()
    return None if base is None else base / kind / cache_key[:2] / cache_key


class _Memory:
    """The most recently used entries, up to ``limit`` bytes (an object counts as its size hint).

    Locked: preview renders in its watching thread while a request may draw the flatplan.
    """

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, kind: str, cache_key: str) -> Any:
        with self.lock:
            found = self.entries.get((kind, cache_key))
            if found is None:
                return None
            self.entries.move_to_end((kind, cache_key))
            return found[0]

    def put(self, kind: str, cache_key: str, value: Any, size: int) -> None:
        if size > self.limit // 4:
            return  # one huge entry would push out everything a rebuild needs
        with self.lock:
            old = self.entries.pop((kind, cache_key), None)
            self.size += size - (old[1] if old else 0)
            self.entries[(kind, cache_key)] = (value, size)
            while self.size > self.limit:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped


_memory: list[_Memory] = []


@contextlib.contextmanager
def remember(limit: int = 256 * 1024 * 1024) -> Iterator[None]:
    """Keep entries and :func:`memo` results in memory too, while the block runs."""
    _memory.append(_Memory(limit))
    try:
        yield
    finally:
        _memory.pop()


def memo(kind: str, parts: tuple[bytes | str, ...], compute: Callable[[], Any],
         size: Callable[[Any], int] = len) -> Any:
    """``compute()``, or what it gave for the same ``parts`` earlier in this process under
    :func:`remember`. The parts are hashed only then: a one-shot build pays nothing.

    Only for pure functions of what the parts name: the value is shared, so it must not be
    changed by the caller either.
    """
    if not _memory:
        return compute()
    cache_key = key(*parts)
    value = _memory[-1].get(kind, cache_key)
    if value is None:
        value = compute()
        if value is not None:
            _memory[-1].put(kind, cache_key, value, size(value))
    return value


def get(kind: str, cache_key: str) -> bytes | None:
    if _memory:
        value = _memory[-1].get(kind, cache_key)
        if value is not None:
            return value
    path = _entry(kind, cache_key)
    if path is None:
        return None
    try:
        value = path.read_bytes()
    except OSError:
        return None
    if _memory:
        _memory[-1].put(kind, cache_key, value, len(value))
    return value


def has(kind: str, cache_key: str) -> bool:
    if _memory and _memory[-1].get(kind, cache_key) is not None:
        return True
    path = _entry(kind, cache_key)
    return path is not None and path.is_file()


def put(kind: str, cache_key: str, value: bytes) -> None:
    if _memory:  # memory is no file: kept with the folder off, and by preview, which checks read-only
        _memory[-1].put(kind, cache_key, value, len(value))
    path = _entry(kind, cache_key)
    if path is None or not writable() or _full:
        return
    name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(value)
        os.replace(name, path)  # readers see the whole entry or none
    except OSError as exc:  # a read-only home or a full disk only costs speed
        failed(exc)
        if name is not None:
            with contextlib.suppress(OSError):
                os.unlink(name)  # no half-written entry left to fill the disk


_full: list[bool] = []


def failed(exc: OSError) -> None:
    """A write to the cache failed: on a full disk (or over quota), this process writes to it
    no more, and builds as with no cache, never trying (and failing) again entry by entry."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        _full.append(True)


def full() -> bool:
    return bool(_full)


def cached(kind: str, cache_key: str, compute: Callable[[], bytes | None]) -> bytes | None:
    """``compute()``'s result, from the cache when it has it. None results are not stored."""
    value = get(kind, cache_key)
    if value is not None:
        return value
    value = compute()
    if value is not None:
        put(kind, cache_key, value)
    return value
