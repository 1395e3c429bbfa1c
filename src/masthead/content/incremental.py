"""Reading each article once: a cache of readings, and worker processes for big issues.

Reading an article (reading.read_one) depends on its bytes, its manifest entry, the issue's
keys the schema declares to affect reading (the language), its folder, the ids of every article
(links name them), masthead's own code and the
libraries that parse — which make up the cache key — and on the files it touched: the images
it probed and the paths it resolved. Those are recorded in the draft and checked again on a
hit (same bytes, same resolution, no new symlink), so an edited image or a moved file misses
like an edited article. The warnings a reading gave are stored with it and given again: a
cached build says what a cold one says, and its outputs are byte-identical (the tests check).
A reading that gave an error is never stored.

An issue of more than PARALLEL_BYTES of article text is read in ``jobs`` processes, in the
manifest's order; what comes back is the same frozen draft the cache holds.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple, Protocol

from masthead.diagnostics import Diagnostic
from masthead.model import schema
from masthead.runtime import cache, confine, workers
from masthead.runtime.cache import Cache


class Draft(Protocol):
    """What this module needs of an article as read (reading.py's draft, whatever else it holds)."""

    deps: list  # what reading depended on besides the article's bytes: files, resolved references

PARALLEL_BYTES = 1_500_000  # below this, starting processes costs more than it saves
# The modules whose code decides what reading an article gives.
_CODE = ("content/reading", "content/sanitize", "content/shape", "manifest/loader", "model/schema", "runtime/confine",
         "content/images", "runtime/i18n", "model/issue", "diagnostics", "content/readers/base", "content/readers/registry",
         "content/readers/markdown", "content/readers/html", "content/readers/docx", "content/htmlrules", "content/repair",
         "runtime/safexml", "runtime/urls")


class Read(NamedTuple):
    draft: Draft | None  # reading.py's draft, frozen (its tree as bytes); None when unreadable
    diagnostics: tuple[Diagnostic, ...]
    cached: bool


def read_all(entries: list, ids: dict[Path, str], meta, read_one: Callable, limit: Callable[[Path], int], jobs: int | None,
             stats: dict | None = None, store: Cache | None = None) -> list[Read]:
    """Every entry's reading, in order: from ``store`` (the run's cache), from worker processes,
    or read here. ``read_one(entry, ids, meta)`` reads one (a module-level function: worker
    processes are handed it); ``limit(path)`` is the most bytes that article may have."""
    store = store or Cache(None)
    context = repr((sorted((str(p), i) for p, i in ids.items()), _manifest_context(meta), str(meta.root)))
    keys: list[str | None] = []
    found: list[Read | None] = []  # from the cache
    readers = _readers_key()
    for entry in entries:
        try:
            raw = confine.read_input(entry.file, limit(entry.file))
        except OSError:
            raw = None  # read_one reports it at the entry
        key = None if raw is None else cache.key(_code_key(), readers, context, str(entry.file),
                                                 repr(entry.overrides), repr(entry.position),
                                                 repr(entry.language), raw)
        keys.append(key)
        found.append(_lookup(key, store))
    missing = [i for i, read in enumerate(found) if read is None]
    size = sum(_size(entries[i].file) for i in missing)
    count = workers.count(jobs, len(missing))
    if count > 1 and size > PARALLEL_BYTES:
        with workers.pool(count, [read_one.__module__]) as pool:
            fresh = list(pool.map(functools.partial(read_one, ids=ids, meta=meta),
                                  [entries[i] for i in missing], chunksize=1))
    else:
        fresh = [read_one(entries[i], ids, meta) for i in missing]
    read_now: dict[int, Read] = {}
    for i, (draft, diagnostics) in zip(missing, fresh, strict=True):
        read_now[i] = Read(draft, diagnostics, cached=False)
        key = keys[i]
        if key is not None and draft is not None and not any(d.severity == "error" for d in diagnostics):
            _store(key, read_now[i], store)
    reads = [read_now[i] if read is None else read for i, read in enumerate(found)]
    if stats is not None:
        stats["articles"] = len(entries)
        stats["articles_cached"] = len(entries) - len(missing)
    return reads


def _manifest_context(meta) -> tuple[tuple[str, object], ...]:
    """The values of the issue's keys that change how an article is read: those the schema
    declares ``Affects.READ`` (the language). What else reading depends on is keyed beside it:
    the issue folder, every article's id (from sections or articles) and the entry's own keys."""
    return tuple((name, getattr(meta, name)) for name in schema.SCHEMA.affecting("issue", schema.Affects.READ))


def _lookup(key: str | None, store: Cache) -> Read | None:
    stored = store.get("articles", key) if key is not None else None
    if stored is None:
        return None
    try:
        draft, diagnostics = pickle.loads(stored)
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        return None  # written by another version's classes: read again
    if not _still_valid(draft.deps):
        return None
    return Read(draft, diagnostics, cached=True)


def _store(key: str, read: Read, store: Cache) -> None:
    store.put("articles", key, pickle.dumps((read.draft, read.diagnostics), protocol=pickle.HIGHEST_PROTOCOL))


def _still_valid(deps: Iterable[tuple]) -> bool:
    """Do the files the reading touched still give what they gave?"""
    for dep in deps:
        if dep[0] == "file":
            _, path, digest = dep
            try:
                data = None if os.path.realpath(path) != path else confine.read_input(Path(path), confine.IMAGE_LIMIT)
                if data is None or hashlib.sha256(data).hexdigest() != digest:
                    return False
            except OSError:
                return False
        elif dep[0] == "resolve":
            _, root, base, ref, outcome = dep
            try:
                now = str(confine.resolve(Path(root), Path(base), ref))
            except confine.Refused as exc:
                now = f"refused: {exc}"
            if now != outcome:
                return False
        else:
            return False
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@functools.lru_cache(maxsize=1)
def _code_key() -> str:
    """masthead's reading code and the installed parsers: a change in either reads again.

    A library is identified by its package file's size and time (a reinstall changes them),
    found without importing it: importlib.metadata or markdown_it would cost more than a
    cached build takes.
    """
    here = Path(__file__).resolve().parents[1]  # masthead/
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((here / f"{name}.py").read_bytes())
    for package in ("lxml", "markdown_it", "mdit_py_plugins", "yaml", "PIL", "babel", "mammoth"):
        digest.update(cache.package_stamp(package).encode())
    return digest.hexdigest()


def _readers_key() -> bytes:
    """The readers in use, in the order they are asked, and the code of each one registered from
    outside masthead (a plug-in's module): a reader added, or its code changed, reads again."""
    from masthead.content.readers import registry

    here = Path(__file__).resolve().parents[1]  # masthead/
    digest = hashlib.sha256()
    for reader in registry.READERS:
        kind = type(reader)
        digest.update(f"{kind.__module__}.{kind.__qualname__}\n".encode())
        source = getattr(sys.modules.get(kind.__module__), "__file__", None)
        if source and not Path(source).resolve().is_relative_to(here):  # masthead's own are in _CODE
            digest.update(Path(source).read_bytes())
    return digest.digest()
