"""A catalogue build: every issue of a publication, its archive site and feeds, ``latest.*``.

A publication is a folder holding ``publication.yaml`` (the settings its issues share) and the
issue folders beside it, each with its ``issue.yaml``. :func:`build` builds every issue that
changed since its outputs were written (the cache holds, per issue, a key of everything its
outputs depend on, and what they were; a change of an article, of ``publication.yaml`` or of the
theme changes the key), then writes the catalogue that :mod:`masthead.catalogue` makes from the
issues (the archive's pages, OPDS and Atom feeds, each web edition's manifest) and copies of the
newest issue's EPUB and PDF as ``latest.epub`` and ``latest.pdf``.

The issue builds are independent: :func:`build_one` takes an issue's path and gives back its
outputs as bytes (or its positioned errors), so that it runs the same here, in a pool of local
processes (``jobs``), or as a task on a Dask cluster (:mod:`masthead.tools.distributed`); the
outputs are written here, each issue's all or nothing, as they come back. A failing issue is
reported with its errors and the others complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from masthead.diagnostics import Diagnostic, IssueError, MastheadError, Position, UsageError
from masthead.manifest import loader
from masthead.runtime.cache import Cache

if TYPE_CHECKING:
    from masthead.model.issue import Issue

# What a catalogue build makes of each issue when no --format is given: every edition the
# archive links to.
CATALOGUE_FORMATS = ("epub", "kepub", "pdf", "html")
LATEST = {"epub": "latest.epub", "pdf": "latest.pdf"}  # stable names for the newest issue's files
STAMP_KIND = "issue-build"  # the cache's entries: an issue's input key → its outputs' digests
LISTING_KIND = "issue-listing"  # … → its catalogue listing, pickled (the cache is trusted: docs/security.md)
# A test's way to kill the worker that runs an issue, once (tests/test_publication.py): when
# the file this names with ".armed" added is there and the file it names is not, the worker makes
# it, then ends itself as a killed worker does (SIGKILL). Never set otherwise.
_KILL_ONCE = "MASTHEAD_TEST_KILL_WORKER_ONCE"


def is_publication(folder: Path) -> bool:
    return (folder / loader.PUBLICATION_FILE).is_file()


def issues_of(folder: Path) -> list[Path]:
    """The issue.yaml of every issue folder in the publication, by folder name."""
    found = sorted(folder.glob("*/issue.yaml"))
    if not found:
        raise UsageError(f"{folder}: a publication.yaml, but no issue folder (*/issue.yaml) beside it")
    return found


@dataclass
class Built:
    """What one issue's build gives back, across processes and the Dask wire: its outputs as
    bytes (paths relative to the output folder), the issue as read (for its catalogue entry),
    or its errors (nothing built)."""

    manifest_path: Path
    slug: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, bytes]] = field(default_factory=dict)
    issue: Issue | None = None
    cover: tuple[str, bytes] | None = None  # the cover picture: its name in the web edition, its bytes
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    key: str = ""  # the input key the outputs were made from (for the cache's stamp)
    unchanged: bool = False  # not built: its outputs stand as the last build left them


def build_one(manifest_path: Path, formats: tuple[str, ...], jobs: int | None = 1,
              cache_folder: str | None = None, key: str = "") -> Built:
    """One issue built in memory: its outputs' bytes, or its positioned errors. Runs anywhere
    (here, a pool's process, a Dask worker): everything it needs is in its arguments."""
    from masthead import pipeline
    from masthead.export import formats as registry

    marker = os.environ.get(_KILL_ONCE)
    if marker and os.path.exists(marker + ".armed") and not os.path.exists(marker):
        Path(marker).write_text(str(manifest_path), encoding="utf-8")
        os.kill(os.getpid(), 9)
    started = time.perf_counter()
    cache = Cache(None if cache_folder is None else Path(cache_folder))
    ctx = pipeline.BuildContext(jobs=jobs, cache=cache)
    # no language switch: a catalogue build makes no edition (../<slug>.fr/) for it to link to
    run = pipeline.Pipeline(manifest_path, ctx, formats, language_switch=False)
    built = Built(manifest_path, key=key)
    try:
        outputs = run.export()
        issue = run.read()
    except IssueError as exc:
        built.errors = list(exc.diagnostics)
        return built
    except MastheadError as exc:
        built.errors = [Diagnostic(Position(manifest_path), str(exc))]
        return built
    built.slug = issue.meta.slug
    rendered = run.render()
    for resource in rendered.resources:
        if resource.name == rendered.cover_image:
            built.cover = (resource.name, resource.data)
    for name, data in outputs.items():
        target = registry.FORMATS[name].target(built.slug)
        if isinstance(data, dict):
            built.trees[target] = data
        else:
            built.files[target] = data
    built.issue, built.warnings = issue, list(ctx.report.warnings)
    built.seconds = time.perf_counter() - started
    return built


# ---------------------------------------------------------------------------- what changed


class Inputs:
    """The key of everything an issue's outputs depend on: its folder's files, publication.yaml,
    its theme's files, the formats, masthead's code. Files are hashed once a run."""

    def __init__(self, formats: tuple[str, ...]):
        self.formats = formats
        self._folders: dict[Path, str] = {}

    def folder(self, folder: Path) -> str:
        """The paths and bytes of every file under ``folder``; a link counts as what it says,
        never followed (nothing outside the issue is read)."""
        if folder not in self._folders:
            digest = hashlib.sha256()
            for base, subfolders, files in os.walk(folder):
                subfolders.sort()
                for name in sorted(files + [d for d in subfolders if os.path.islink(os.path.join(base, d))]):
                    path = os.path.join(base, name)
                    digest.update(os.path.relpath(path, folder).encode("utf-8", "surrogateescape") + b"\0")
                    if os.path.islink(path):
                        digest.update(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
                    else:
                        try:
                            with open(path, "rb") as stream:
                                digest.update(hashlib.file_digest(stream, "sha256").digest())
                        except OSError:
                            digest.update(b"unreadable")
                    digest.update(b"\0")
            self._folders[folder] = digest.hexdigest()
        return self._folders[folder]

    def key(self, manifest_path: Path) -> str:
        from masthead.runtime import cache

        root = manifest_path.parent
        parts: list[str] = [",".join(self.formats), self.folder(root)]
        shared = loader.publication_file(root.resolve())
        if shared is not None:
            parts.append(hashlib.sha256(shared.read_bytes() if not shared.is_symlink() else b"link").hexdigest())
        try:
            from masthead.render import theme

            meta = loader.load(manifest_path).meta
            parts += [self.folder(folder) for folder in theme.load(meta).folders if folder != root / "templates"]
        except IssueError:
            parts.append("errors")  # built, so that they are reported
        return cache.key("catalogue-issue", *parts)


def _same(path: Path, data: bytes) -> bool:
    """Does ``path`` hold ``data`` already (a regular file, not a link)?"""
    try:
        return not path.is_symlink() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(built: Built) -> bytes:
    files = {path: _digest(data) for path, data in built.files.items()}
    for folder, tree in built.trees.items():
        files.update({f"{folder}/{name}": _digest(data) for name, data in tree.items()})
    return json.dumps({"slug": built.slug, "files": files}, sort_keys=True).encode()


def _still_there(stamp: bytes, out_dir: Path) -> str | None:
    """The slug a stamp names when every output it lists is in ``out_dir`` as it was written."""
    try:
        recorded = json.loads(stamp)
        for relative, digest in recorded["files"].items():
            path = out_dir / relative
            if path.is_symlink() or not path.is_file():
                return None
            with open(path, "rb") as stream:
                if hashlib.file_digest(stream, "sha256").hexdigest() != digest:
                    return None
        return str(recorded["slug"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------- the build


@dataclass
class Report:
    """What a catalogue build did: per issue, built, unchanged or failed; the catalogue's files."""

    built: list[Built] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Built] = field(default_factory=list)
    catalogue: dict[str, int] = field(default_factory=dict)  # relative path → bytes
    seconds: float = 0.0
    catalogue_seconds: float = 0.0


# How issues are built: given the (manifest path, input key) pairs to build, yields each Built
# as it completes (in any order). Local: in this process or a pool; Dask: tools/distributed.py.
# The cache folder (None: off) is handed to each build.
Runner = Callable[[list[tuple[Path, str]], tuple[str, ...], str | None], Iterator[Built]]


def local_runner(jobs: int | None) -> Runner:
    """Issues built here one after the other (``jobs`` 1), or ``jobs`` (default: the cores) at a time in processes
    of a pool, each issue's own work then on one core (so no more than ``jobs`` processes
    build at once: the PDF's chunks are laid out one after the other within an issue)."""
    def run(todo: list[tuple[Path, str]], formats: tuple[str, ...], folder: str | None) -> Iterator[Built]:
        from masthead.runtime import workers

        if workers.count(jobs, len(todo)) < 2:
            for path, key in todo:
                yield build_one(path, formats, jobs, folder, key)
            return
        from concurrent.futures import as_completed

        with workers.pool(workers.count(jobs, len(todo)), ["masthead.pipeline"]) as pool:
            futures = [pool.submit(build_one, path, formats, 1, folder, key) for path, key in todo]
            for future in as_completed(futures):
                yield future.result()

    return run


# What the catalogue writes at the top of the output folder: no issue's output may be named so.
CATALOGUE_NAMES = ("index.html", "archive.css", "feed.atom", "opds", *LATEST.values())


def _refuse_clashes(manifests: list[Path], formats: tuple[str, ...]) -> None:
    """Every output in the output folder has one owner: an issue folder named ``latest`` (its
    latest.epub), ``opds`` or ``feed.atom`` would be overwritten by the catalogue's, and
    folders ``a`` and ``a.kepub`` would both write ``a.kepub.epub``. Refused before any build,
    naming the folders."""
    from masthead.export import formats as registry

    owners: dict[str, str] = dict.fromkeys(CATALOGUE_NAMES, "the catalogue")
    for manifest_path in manifests:
        folder = manifest_path.parent
        for name in formats:
            output = registry.FORMATS[name].target(folder.name).split("/")[0]
            owner = owners.setdefault(output.lower(), str(folder))  # one name on a case-insensitive disk too
            if owner != str(folder):
                raise UsageError(f"{folder}: its {name} output '{output}' is also {owner}'s"
                                 + ("" if owner == "the catalogue" else " output")
                                 + "; rename the folder (an issue folder names its outputs)")


def _compared(identifier: str) -> str:
    """An identifier as two are compared: a ``urn:uuid:`` one casefolded whole (RFC 4122 and
    RFC 8141: a UUID URN's letters are one in either case), any other as written."""
    folded = identifier.casefold()
    return folded if folded.startswith("urn:uuid:") else identifier


def _refuse_shared_identifiers(manifests: list[Path]) -> None:
    """Two issues of one publication with one identifier (written so, or made alike from the same
    publication, date and number) would be one entry to a feed reader (the Atom and OPDS ids)
    and one book to a reading system: an error at the second's ``identifier`` (or ``date``, when
    the identifier is made from it), naming the first's issue.yaml, before anything is built.
    An issue.yaml that cannot be read is passed over here: its own build says why."""
    first: dict[str, Path] = {}
    found: list[Diagnostic] = []
    for manifest_path in manifests:
        try:
            meta = loader.load(manifest_path).meta
        except IssueError:
            continue
        other = first.setdefault(_compared(meta.identifier), manifest_path)
        if other == manifest_path:
            continue
        where = loader.sources(manifest_path)
        written = where.get("identifier") is not None
        position = where.get("identifier") or where.get("date") or Position(manifest_path, 1, 1)
        how = f"identifier '{meta.identifier}'" if written else \
            "identifier (made from the publication, date and number, as no 'identifier' is given)"
        found.append(Diagnostic(position, f"this issue's {how} is also the issue's of {other}: each issue of a "
                                          "publication needs its own (feeds and reading systems tell issues apart by it)"))
    if found:
        raise IssueError(found)


def build(folder: Path, out_dir: Path, formats: tuple[str, ...] = CATALOGUE_FORMATS, runner: Runner | None = None,
          cache: Cache | None = None, progress: Callable[[str, Built | None], None] | None = None,
          force: bool = False) -> Report:
    """Build the publication in ``folder`` into ``out_dir``: the changed issues, the catalogue,
    ``latest.*``. Issues with errors are in the report's ``failed``; the rest are written."""
    from masthead.runtime import writes

    started = time.perf_counter()
    cache = cache if cache is not None else Cache.from_environment()
    runner = runner or local_runner(1)
    told = progress or (lambda what, built: None)
    shared = loader.load_publication(folder)  # its mistakes stop the build before any issue
    manifests = issues_of(folder)
    _refuse_clashes(manifests, formats)
    _refuse_shared_identifiers(manifests)
    for manifest_path in manifests:
        writes.refuse_folder_over_issue(manifest_path, out_dir)
    inputs = Inputs(formats)
    report = Report()
    todo: list[tuple[Path, str]] = []
    unchanged: dict[Path, tuple[str, Any]] = {}
    for manifest_path in manifests:
        key = inputs.key(manifest_path)
        stamp = cache.get(STAMP_KIND, key)
        slug = _still_there(stamp, out_dir) if stamp is not None else None
        listing = _cached_listing(cache, key) if slug is not None else None
        if slug is not None and listing is not None:
            unchanged[manifest_path] = (slug, listing)
        else:
            todo.append((manifest_path, key))
    listings: dict[Path, Any] = {}  # IssueListing, by issue.yaml
    for built in runner(todo, formats, None if cache.folder is None else str(cache.folder)):
        if built.errors:
            report.failed.append(built)
            told("failed", built)
            continue
        outputs = {out_dir / path: data for path, data in built.files.items()}
        trees = {out_dir / path: tree for path, tree in built.trees.items()}
        writes.write_all(outputs, trees, replace_unmarked=force)  # this issue's, all or nothing
        listing = listing_of(built, formats)
        cache.put(LISTING_KIND, built.key, pickle.dumps(listing))
        cache.put(STAMP_KIND, built.key, _stamp(built))  # last: a stamp promises the listing is there
        listings[built.manifest_path.resolve()] = listing
        report.built.append(built)
        told("built", built)
        built.files, built.trees, built.issue, built.cover = {}, {}, None, None  # written and listed: not kept
    for manifest_path, (slug, listing) in unchanged.items():
        listings[manifest_path.resolve()] = listing
        report.unchanged.append(slug)
        told("unchanged", Built(manifest_path, slug=slug, unchanged=True))
    catalogue_started = time.perf_counter()
    listed = [listings[m.resolve()] for m in manifests if m.resolve() in listings]  # the folders' order
    files = catalogue(shared, listed, formats, out_dir)
    # all or nothing, as every output; a file already there with the same bytes is left as it is
    writes.write_all({out_dir / path: data for path, data in files.items() if not _same(out_dir / path, data)})
    report.catalogue = {path: len(data) for path, data in files.items()}
    report.catalogue_seconds = time.perf_counter() - catalogue_started
    report.seconds = time.perf_counter() - started
    return report


def listing_of(built: Built, formats: tuple[str, ...]) -> Any:
    """The issue's catalogue entry (masthead.catalogue.records.listing_of), made from the issue
    as read, its outputs' paths relative to the output folder and its cover's bytes."""
    from masthead.catalogue import records
    from masthead.export import formats as registry

    assert built.issue is not None
    files = {name: registry.FORMATS[name].target(built.slug) + ("/index.html" if registry.FORMATS[name].folder else "")
             for name in formats if name in registry.FORMATS}
    cover = None
    if built.cover is not None:
        name, cover = built.cover
        if "html" in formats:  # the web edition carries it: the archive shows that file
            files["cover"] = f"{registry.FORMATS['html'].target(built.slug)}/{name}"
    return records.listing_of(built.issue, files, built.slug, cover_bytes=cover)


def _cached_listing(cache: Cache, key: str) -> Any:
    data = cache.get(LISTING_KIND, key)
    if data is None:
        return None
    try:
        return pickle.loads(data)  # the cache is trusted, as for the article readings (docs/security.md)
    except Exception:  # noqa: BLE001 - written by other code: the issue is built again
        return None


def catalogue(shared: dict[str, Any], listings: Sequence[Any], formats: tuple[str, ...], out_dir: Path) -> dict[str, bytes]:
    """The catalogue's files (masthead.catalogue.site), and the newest issue's (by date, then
    number, then slug) EPUB and PDF again under their stable names; relative path → bytes."""
    from masthead.catalogue.records import Publication
    from masthead.catalogue.site import catalogue_files
    from masthead.export import formats as registry

    publication = Publication(name=shared["publication"], issn=shared["issn"], publisher=shared["publisher"],
                              rights=shared["rights"], language=shared["language"], site_url=shared["site_url"],
                              description=shared["description"])
    out = dict(catalogue_files(publication, listings))
    if listings:
        newest = max(listings, key=lambda x: (x.date, -1 if x.number is None else x.number, x.slug))
        for name, latest in LATEST.items():
            if name in formats:
                out[latest] = (out_dir / registry.FORMATS[name].target(newest.slug)).read_bytes()
    return out
