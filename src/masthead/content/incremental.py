"""Reading each article once: a cache of readings, and worker processes for big issues.

Reading an article (reading.read_one) depends on its bytes, its manifest entry, the issue's
keys the schema declares to affect reading (the language), its folder, the ids of every article (links name them), masthead's own code and the
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
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from masthead.diagnostics import Diagnostic
from masthead.manifest import schema
from masthead.runtime import cache, confine, workers

PARALLEL_BYTES = 1_500_000  # below this, starting processes costs more than it saves
# The modules whose code decides what reading an article gives.
_CODE = ("content/reading", "content/sanitize", "content/shape", "manifest/loader", "manifest/schema", "runtime/confine", "content/images",
         "runtime/i18n", "model/issue", "diagnostics", "content/readers/markdown", "content/htmlrules", "content/repair")


class Read(NamedTuple):
    draft: object | None  # reading._Draft, frozen (its tree as bytes); None when unreadable
    diagnostics: tuple[Diagnostic, ...]
    cached: bool


def read_all(entries: list, ids: dict[Path, str], meta, jobs: int | None, stats: dict | None = None) -> list[Read]:
    """Every entry's reading, in order: from the cache, from worker processes, or read here."""
    from masthead.content import reading

    context = repr((sorted((str(p), i) for p, i in ids.items()), _manifest_context(meta), str(meta.root)))
    keys, reads = [], []
    for entry in entries:
        try:
            raw = confine.read_input(entry.file, reading.MAX_ARTICLE_BYTES)
        except OSError:
            raw = None  # read_one reports it at the entry
        key = None if raw is None else cache.key(_code_key(), context, str(entry.file), repr(entry.overrides),
                                                 repr(entry.position), raw)
        keys.append(key)
        reads.append(_lookup(key))
    missing = [i for i, read in enumerate(reads) if read is None]
    size = sum(_size(entries[i].file) for i in missing)
    count = workers.count(jobs, len(missing))
    if count > 1 and size > PARALLEL_BYTES:
        with workers.pool(count, ["masthead.content.reading"]) as pool:
            fresh = list(pool.map(functools.partial(reading.read_one, ids=ids, meta=meta),
                                  [entries[i] for i in missing], chunksize=1))
    else:
        fresh = [reading.read_one(entries[i], ids, meta) for i in missing]
    for i, (draft, diagnostics) in zip(missing, fresh):
        reads[i] = Read(draft, diagnostics, cached=False)
        if keys[i] is not None and draft is not None and not any(d.severity == "error" for d in diagnostics):
            _store(keys[i], reads[i])
    if stats is not None:
        stats["articles"] = len(entries)
        stats["articles_cached"] = len(entries) - len(missing)
    return reads


def _manifest_context(meta) -> tuple[tuple[str, object], ...]:
    """The values of the issue's keys that change how an article is read: those the schema
    declares ``Affects.READ`` (the language). What else reading depends on is keyed beside it:
    the issue folder, every article's id (from sections or articles) and the entry's own keys."""
    return tuple((name, getattr(meta, name)) for name in schema.SCHEMA.affecting("issue", schema.Affects.READ))


def _lookup(key: str | None) -> Read | None:
    stored = cache.get("articles", key) if key is not None else None
    if stored is None:
        return None
    try:
        draft, diagnostics = pickle.loads(stored)
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        return None  # written by another version's classes: read again
    if not _still_valid(draft.deps):
        return None
    return Read(draft, diagnostics, cached=True)


def _store(key: str, read: Read) -> None:
    cache.put("articles", key, pickle.dumps((read.draft, read.diagnostics), protocol=pickle.HIGHEST_PROTOCOL))


def _still_valid(deps: Iterable[tuple]) -> bool:
    """Do the files the reading touched still give what they gave?"""
    for dep in deps:
        if dep[0] == "file":
            _, path, digest = dep
            try:
                if os.path.realpath(path) != path or hashlib.sha256(confine.read_input(Path(path), confine.IMAGE_LIMIT)).hexdigest() != digest:
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
    for package in ("lxml", "markdown_it", "mdit_py_plugins", "yaml", "PIL", "babel"):
        digest.update(cache.package_stamp(package).encode())
    return digest.hexdigest()
