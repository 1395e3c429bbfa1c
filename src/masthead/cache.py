"""A content-addressed cache for work whose result depends only on its inputs.

Articles as read, prepared images, the drawn cover and compiled templates are stored under a
key made of everything they depend on: the input bytes, the options, and the versions of
masthead and of the library that computed them. A hit returns the same bytes a fresh
computation would, so a cached build is byte-identical to a cold one. ``MASTHEAD_CACHE_DIR``
sets the folder (default ``$XDG_CACHE_HOME/masthead``); ``MASTHEAD_CACHE_DIR=off`` turns the
cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from masthead import __version__


def folder() -> Path | None:
    setting = os.environ.get("MASTHEAD_CACHE_DIR", "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "masthead"


def key(*parts: bytes | str) -> str:
    digest = hashlib.sha256(__version__.encode())
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


def get(kind: str, cache_key: str) -> bytes | None:
    path = _entry(kind, cache_key)
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def has(kind: str, cache_key: str) -> bool:
    path = _entry(kind, cache_key)
    return path is not None and path.is_file()


def put(kind: str, cache_key: str, value: bytes) -> None:
    path = _entry(kind, cache_key)
    if path is None or not writable():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(value)
        os.replace(name, path)  # readers see the whole entry or none
    except OSError:
        pass  # a read-only home or a full disk only costs speed


def cached(kind: str, cache_key: str, compute: Callable[[], bytes | None]) -> bytes | None:
    """``compute()``'s result, from the cache when it has it. None results are not stored."""
    value = get(kind, cache_key)
    if value is not None:
        return value
    value = compute()
    if value is not None:
        put(kind, cache_key, value)
    return value
