"""The pipeline: manifest → content → render → exporters → files. Read build() first.

Each stage is one module and one call; records flow one way (see model.py and rendered.py).
Nothing is written until every requested output exists in memory, and then each file is
written beside its target and renamed over it, so a failed or interrupted build never leaves
a half-written file under a final name, and a good earlier output stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from masthead import compat, content, manifest, pagemarks, render, split, theme
from masthead.errors import Diagnostic, MastheadError, Position, Report, UsageError

FORMATS = ("epub", "pdf", "kepub", "html")
DEFAULT_FORMATS = ("epub", "pdf")
EXTENSIONS = {"epub": ".epub", "pdf": ".pdf", "kepub": ".kepub.epub"}  # html: the folder DIR/<slug>/


@dataclass
class Output:
    format: str
    path: Path
    size: int


@dataclass
class Result:
    slug: str
    outputs: list[Output] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    images_in: int = 0  # bytes of the issue's image files
    images_out: int = 0  # bytes of the images the EPUB carries
    pages: int = 0  # of the print edition, when it was laid out
    articles: int = 0
    articles_cached: int = 0  # read from the cache, not parsed again (incremental.py)


def build(manifest_path: Path, out_dir: Path, formats: tuple[str, ...] = DEFAULT_FORMATS,
          progress: Callable[[str], None] = lambda stage: None, jobs: int | None = None) -> Result:
    """Build one issue; raise IssueError (nothing written) when it has errors.

    ``progress(stage)`` hears each stage as it begins (the CLI's progress bar and --verbose).
    ``jobs`` caps the worker processes a big issue is read and laid out in (default: the
    cores); the outputs do not depend on it.
    """
    started = time.perf_counter()
    if "html" in formats:
        _refuse_folder_over_issue(manifest_path, out_dir)
    report = Report()
    progress("manifest")
    spec = manifest.load(manifest_path)  # 1. issue.yaml → validated model
    chosen = theme.load(spec.meta)
    progress("articles")
    stats: dict[str, int] = {}
    cover_ready = render.ahead(spec.meta, chosen, jobs)  # the cover, a new theme: meanwhile, in other processes
    try:
        issue = content.read_issue(spec, report, jobs, stats)  # 2. articles → clean XHTML + assets
    finally:
        cover_ready()
    report.raise_if_errors()
    page_list = spec.meta.epub.page_list
    wants_pages = bool({"epub", "kepub"} & set(formats)) and (page_list == "true" or (page_list == "auto" and "pdf" in formats))
    progress("render")
    cover_drawn = render.cover_drawn_ahead(issue, chosen, jobs)  # meanwhile, in another process
    rendered = render.render(issue, chosen, report, "pdf" in formats or wants_pages, cover_drawn, jobs)  # 3. templates → documents
    report.raise_if_errors()
    files: dict[str, bytes] = {}
    printed = None
    if "pdf" in formats or wants_pages:  # 4. print layout, once, for the PDF and the page list
        from masthead.export import pdfchunks

        progress("print layout")  # a big issue in chunks, in worker processes (pdfchunks.py)
        printed = pdfchunks.run(rendered, jobs=jobs, want_pdf="pdf" in formats,
                                warn=lambda m: report.warning(Position(spec.meta.manifest_path), m))
        if wants_pages:
            rendered = pagemarks.mark(rendered, printed.starts)
    if "epub" in formats:  # 5. exporters: documents → bytes
        from masthead.export import epub

        progress("epub")
        files["epub"] = epub.export(_split(rendered, issue, report))  # no XHTML file over ~300 KB (split.py)
    if "kepub" in formats:  # Kobo's flavour: the same EPUB with sentence spans
        from masthead.export import kepub

        progress("kepub")
        files["kepub"] = kepub.export(rendered)  # split after Kobo's spans, which add ~60 %
    if printed is not None and printed.data is not None:
        progress("pdf")
        files["pdf"] = printed.data
    folder: dict[str, bytes] | None = None
    if "html" in formats:  # the web edition: a folder of HTML pages
        from masthead.export import html

        progress("html")
        folder = html.export(rendered)
    for fmt in ("epub", "kepub"):  # will it work on every device? (compat.py)
        if fmt in files:
            for finding in compat.check_epub(files[fmt], kepub=fmt == "kepub"):
                report.warning(Position(spec.meta.manifest_path), f"{fmt}: {finding}")
    report.raise_if_errors()
    progress("write")
    result = Result(spec.meta.slug, warnings=report.warnings, pages=printed.pages if printed else 0,
                    articles=stats.get("articles", 0), articles_cached=stats.get("articles_cached", 0))
    result.images_in = issue.image_bytes
    result.images_out = sum(len(r.data) for r in rendered.resources_for("epub") if r.media_type.startswith("image/"))
    targets = {fmt: out_dir / f"{spec.meta.slug}{EXTENSIONS[fmt]}" for fmt in files}
    write_all({targets[fmt]: data for fmt, data in files.items()})  # 6. all or nothing
    result.outputs = [Output(fmt, targets[fmt], len(data)) for fmt, data in files.items()]
    if folder is not None:
        write_folder(out_dir / spec.meta.slug, folder)
        result.outputs.append(Output("html", out_dir / spec.meta.slug, sum(map(len, folder.values()))))
    result.seconds = time.perf_counter() - started
    return result


def _split(rendered, issue, report: Report):
    """split.split, and a warning for each article still over the limit: a table, or a passage
    with no heading or paragraph to cut at."""
    origins: dict[str, str] = {}
    cut = split.split(rendered, origins=origins)
    largest: dict[str, int] = {}  # an article's document → its largest part
    for d in cut.documents:
        name = origins.get(d.name, d.name)
        largest[name] = max(largest.get(name, 0), len(d.content))
    for article in issue.articles:
        if largest.get(article.doc_name, 0) > split.LIMIT:
            report.warning(Position(article.source), f"a page of {largest[article.doc_name] // 1000} KB even after splitting (a table, "
                           f"or a passage with no heading or paragraph to cut at): some e-readers open a page over "
                           f"{split.LIMIT // 1000} KB slowly, or not at all")
    return cut


def outputs_of(manifest_path: Path, out_dir: Path) -> list[Path]:
    """Every path a build of the issue may write: its files and the web edition's folder."""
    slug = manifest_path.resolve().parent.name  # as manifest.load names it: `.` or a link is its folder
    return [out_dir / f"{slug}{extension}" for extension in EXTENSIONS.values()] + [out_dir / slug]


def _refuse_folder_over_issue(manifest_path: Path, out_dir: Path) -> None:
    """The web edition replaces its folder whole: never let that folder be the issue's own (or hold it)."""
    root = manifest_path.resolve().parent
    web = (out_dir / root.name).resolve()
    # The issue folder and its parents exist, so only an existing folder can be one of them;
    # samefile, not ==: on a case-insensitive disk "Issues/x" and "issues/X" are one folder.
    if web.exists() and any(os.path.samefile(web, f) for f in (root, *root.parents)):
        raise UsageError(f"{out_dir}: the web edition would go to {web} and replace the issue folder itself; "
                         "choose another output folder")


def find_issues(arguments: tuple[str, ...], cwd: Path) -> list[Path]:
    """The issue.yaml files named on the command line, or every issues/*/issue.yaml."""
    if not arguments:
        found = sorted((cwd / "issues").glob("*/issue.yaml"))
        if not found:
            raise UsageError("no issue given and no issues/*/issue.yaml here")
        return found
    paths = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            path = path / "issue.yaml"
        if not path.is_file():
            raise UsageError(f"{argument}: no such issue (give an issue folder or its issue.yaml)")
        paths.append(path)
    return paths


def write_all(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary name beside it, then rename them all into place.

    What the disk refuses (a file where a folder must be, a folder where a file goes, no
    permission, no space) is a MastheadError naming the path and the system's reason, with the
    temporary files removed; a folder in a file's place is found before anything is renamed, and
    when one rename fails, the outputs already renamed in are put back as they were.
    A file standing where an output folder must be made is a UsageError, as ``-o FILE`` is.
    """
    for target in files:  # before any work: renamed over a folder, nothing but the first file would go
        if target.is_dir() and not target.is_symlink():
            raise MastheadError(f"{target}: is a folder, not a file it can replace")
    temporary: dict[Path, Path] = {}
    kept: dict[Path, Path] = {}
    replaced: list[Path] = []
    try:
        for target, data in files.items():
            _make_folder(target.parent)
            try:
                handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
                temporary[target] = Path(name)
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.chmod(name, 0o644)
            except OSError as exc:
                raise MastheadError(f"{target}: cannot write it: {_reason(exc)}") from None
        for target, name in temporary.items():  # each earlier output kept by a hard link, to put back
            if target.is_file() and not target.is_symlink():
                kept[target] = name.with_name(name.name.removesuffix(".part") + ".old.part")  # .part: no change to watch
                try:
                    os.link(target, kept[target])
                except OSError:
                    del kept[target]  # no links on this disk: the old all-or-nothing but for a failed rename
        for target, name in temporary.items():
            try:
                os.replace(name, target)
                replaced.append(target)
            except OSError as exc:
                for done in replaced:  # one output could not be renamed in: the others go back too
                    with contextlib.suppress(OSError):  # the error to tell is the first
                        if done in kept:
                            os.replace(kept[done], done)
                        else:
                            done.unlink()  # it was not there before
                if isinstance(exc, IsADirectoryError):
                    raise MastheadError(f"{target}: is a folder, not a file it can replace") from None
                raise MastheadError(f"{target}: cannot replace it: {_reason(exc)}") from None
    finally:
        for name in [*temporary.values(), *kept.values()]:
            if name.exists():
                name.unlink()


def write_folder(target: Path, files: dict[str, bytes]) -> None:
    """Write a folder as a temporary sibling ``.<name>.tmp-XXXX``, then swap it in for the old one.

    The old folder is renamed away before the new one is renamed in, and deleted after; if
    anything fails first, the old folder is where it was and the temporary one is removed.
    What the disk refuses is a MastheadError naming the path (a UsageError for a file standing
    where the parent folder must be made), as in :func:`write_all`.
    """
    _make_folder(target.parent)
    try:
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))
    except OSError as exc:
        raise MastheadError(f"{target}: cannot write it: {_reason(exc)}") from None
    old = temporary.with_name(temporary.name.replace(".tmp-", ".old-"))
    try:
        try:
            for name, data in files.items():
                path = temporary / name
                if not name or Path(name).is_absolute() or ".." in Path(name).parts:
                    raise ValueError(f"{name!r}: not a path inside the folder")
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.chmod(path, 0o644)
            os.chmod(temporary, 0o755)
        except OSError as exc:
            raise MastheadError(f"{target}: cannot write it: {_reason(exc)}") from None
        try:
            if target.exists() or target.is_symlink():
                os.rename(target, old)
            try:
                os.rename(temporary, target)
            except BaseException:
                if old.exists() and not target.exists():
                    os.rename(old, target)  # put the earlier folder back
                raise
        except OSError as exc:
            raise MastheadError(f"{target}: cannot replace it: {_reason(exc)}") from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)  # gone already when it was renamed in
        if target.exists() and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        elif target.exists() and (old.exists() or old.is_symlink()):
            old.unlink()


def _make_folder(folder: Path) -> None:
    """``mkdir -p``, or a one-line error: a UsageError when a file stands in the way (as for
    ``-o FILE``), else a MastheadError with the system's reason."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for path in (folder, *folder.parents):  # the nearest that is there: a file in the way?
            if path.exists() or path.is_symlink():
                if not path.is_dir():
                    raise UsageError(f"{folder}: is a file, not a folder" if path == folder else
                                     f"{folder}: cannot make this folder: {path} is a file, not a folder") from None
                break
        raise MastheadError(f"{exc.filename or folder}: cannot make this folder: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
