"""A content-addressed cache for work whose result depends only on its inputs.

Articles as read, prepared images, the drawn cover, compiled templates, font cuts and deflated
EPUB entries are stored under a key made of everything they depend on: the input bytes, the
options, and the versions of masthead and of the library that computed them. A hit returns
the same bytes a fresh computation would, so a cached build is byte-identical to a cold one.
``MASTHEAD_CACHE_DIR`` sets the folder (default ``$XDG_CACHE_HOME/masthead``);
``MASTHEAD_CACHE_DIR=off`` turns the folder off (a rebuilding process still keeps its memory,
below).

A :class:`Cache` is one run's view of it, carried by the run's ``BuildContext`` to every stage
that uses it: its folder (or none), whether the run may add to it (``masthead check`` adds
nothing: :meth:`Cache.read_only`), and, for a process that builds again and again
(``build --watch``, preview, the daemon: :meth:`Cache.remembering`), a memory of what it read
or computed: entries it got from the folder, and the results of :meth:`Cache.memo`, which cost
too little to be worth a file but add up over a rebuild. A one-shot build keeps nothing in
memory: its memory use stays what the issue needs.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, overload

from masthead import __version__
from masthead.runtime import locations

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


class Cache:
    """The cache as one run sees it: ``folder`` (None: off), whether the run may add to it, and
    the memory a rebuilding process keeps (None: a one-shot run keeps nothing)."""

    def __init__(self, folder: Path | None, *, writable: bool = True, memory: _Memory | None = None):
        self.folder, self.writable, self.memory = folder, writable, memory
        self._full = False

    @classmethod
    def from_environment(cls) -> Cache:
        """The folder ``MASTHEAD_CACHE_DIR`` names (runtime/locations.py), read and written."""
        name = locations.cache_folder()
        return cls(None if name is None else Path(name))

    def read_only(self) -> Cache:
        """The same cache, used but not added to (``masthead check`` writes no file anywhere)."""
        return Cache(self.folder, writable=False, memory=self.memory)

    def remembering(self, limit: int = 256 * 1024 * 1024) -> Cache:
        """The same cache, keeping entries and :meth:`memo` results in memory too, up to ``limit`` bytes."""
        return Cache(self.folder, writable=self.writable, memory=_Memory(limit))

    @property
    def full(self) -> bool:
        """A write failed for want of room: this cache writes no more (see :meth:`failed`)."""
        return self._full

    def failed(self, exc: OSError) -> None:
        """A write to the cache failed: on a full disk (or over quota), this cache writes to it
        no more, and the run builds as with no cache, never trying (and failing) again entry by entry."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            self._full = True

    def _entry(self, kind: str, cache_key: str) -> Path | None:
        return None if self.folder is None else self.folder / kind / cache_key[:2] / cache_key

    def memo(self, kind: str, parts: tuple[bytes | str, ...], compute: Callable[[], Any],
             size: Callable[[Any], int] = len) -> Any:
        """``compute()``, or what it gave for the same ``parts`` earlier in this process when the
        cache remembers. The parts are hashed only then: a one-shot build pays nothing.

        Only for pure functions of what the parts name: the value is shared, so it must not be
        changed by the caller either.
        """
        if self.memory is None:
            return compute()
        cache_key = key(*parts)
        value = self.memory.get(kind, cache_key)
        if value is None:
            value = compute()
            if value is not None:
                self.memory.put(kind, cache_key, value, size(value))
        return value

    def get(self, kind: str, cache_key: str) -> bytes | None:
        if self.memory is not None:
            value = self.memory.get(kind, cache_key)
            if value is not None:
                return value
        path = self._entry(kind, cache_key)
        if path is None:
            return None
        try:
            value = path.read_bytes()
        except OSError:
            return None
        if self.memory is not None:
            self.memory.put(kind, cache_key, value, len(value))
        return value

    def has(self, kind: str, cache_key: str) -> bool:
        if self.memory is not None and self.memory.get(kind, cache_key) is not None:
            return True
        path = self._entry(kind, cache_key)
        return path is not None and path.is_file()

    def put(self, kind: str, cache_key: str, value: bytes) -> None:
        if self.memory is not None:  # memory is no file: kept with the folder off, and by preview, which checks read-only
            self.memory.put(kind, cache_key, value, len(value))
        path = self._entry(kind, cache_key)
        if path is None or not self.writable or self._full:
            return
        name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(value)
            os.replace(name, path)  # readers see the whole entry or none
        except OSError as exc:  # a read-only home or a full disk only costs speed
            self.failed(exc)
            if name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name)  # no half-written entry left to fill the disk

    @overload
    def cached(self, kind: str, cache_key: str, compute: Callable[[], bytes]) -> bytes: ...

    @overload
    def cached(self, kind: str, cache_key: str, compute: Callable[[], bytes | None]) -> bytes | None: ...

    def cached(self, kind: str, cache_key: str, compute: Callable[[], bytes | None]) -> bytes | None:
        """``compute()``'s result, from the cache when it has it. None results are not stored."""
        value = self.get(kind, cache_key)
        if value is not None:
            return value
        value = compute()
        if value is not None:
            self.put(kind, cache_key, value)
        return value
