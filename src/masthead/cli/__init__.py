"""The ``masthead`` command: parse options, call the pipeline, print results. Nothing else.

Heavy modules (WeasyPrint, ebooklib, lxml …) are imported inside the commands, so that
``masthead --help`` starts at once. Errors are printed as ``path:line:col: message`` and
leave with the exit status their exception class carries: 1 for an issue's errors,
2 for a usage error.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from masthead import __version__
from masthead.diagnostics import internal_error
from masthead.diagnostics import (
    one_line as _line,  # a path may hold a line break or a terminal's escape
)


def run() -> NoReturn:
    """The ``masthead`` console script: :func:`main`, then leave without tearing Python down.

    Python's own exit frees every module and object one by one: a fifth of a rebuild's time
    (bench/README.md), for memory the OS takes back at once anyway. So once the command is
    done, what that exit would still do to any effect is done here, in its order: atexit
    handlers (logging's flush, temporary folders' finalizers, multiprocessing's clean-up), then
    stdout and stderr flushed; then the process leaves with ``os._exit``. When another thread
    still runs (a normal exit waits for it), or a stream cannot be flushed (a closed pipe,
    reported as Python reports it), it leaves the normal way.
    """
    import atexit
    import os
    import threading

    code: str | int | None  # SystemExit's: an int once normalized below
    try:
        main()  # click's standalone mode: always ends in SystemExit
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit("message") does
        code = 1
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def _formats(ctx, param, value: str | None) -> tuple[str, ...]:
    from masthead.export.formats import FORMATS, default_names

    if value is None:
        return default_names()
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(FORMATS)}")
    return chosen


class _FormatOption(click.Option):
    """--format, whose help and default are the registry's (export/formats.py), read when shown."""

    def get_help_record(self, ctx):
        from masthead.export.formats import FORMATS, default_names

        self.help = f"Comma-separated outputs to build: {', '.join(f.help for f in FORMATS.values())}."
        self.default = ",".join(default_names())
        return super().get_help_record(ctx)


COMPLETION = """Shell completion (commands, options, paths): for bash, add to ~/.bashrc

\b
    eval "$(_MASTHEAD_COMPLETE=bash_source masthead)"

\b
For zsh, the same line with zsh_source in ~/.zshrc. For fish, this line in
~/.config/fish/completions/masthead.fish:
    _MASTHEAD_COMPLETE=fish_source masthead | source"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=COMPLETION)
@click.version_option(__version__, prog_name="masthead")
def main() -> None:
    """Compile magazine issues (issue.yaml + Markdown/HTML articles) into EPUB 3 and PDF.

    \b
    Start an issue:        masthead new issues/2025-12-05
    Check it as you write: masthead check issues/2025-12-05
    See what it holds:     masthead info issues/2025-12-05
    Build it:              masthead build issues/2025-12-05
    """


@main.command()
@click.argument("issues", nargs=-1, metavar="[ISSUE]...")
@click.option("-o", "--output", "output", default="dist", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the outputs: <slug>.epub, <slug>.pdf, the web edition's <slug>/ ….")
@click.option("-f", "--format", "formats", cls=_FormatOption, default=None, show_default=True, callback=_formats,
              help="Comma-separated outputs to build (see masthead build --help).")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Print each stage and its time.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes for a big issue (default: the number of cores). Outputs do not depend on it.")
@click.option("-w", "--watch", is_flag=True,
              help="After building, build again whenever a file of the issue or its theme changes (Ctrl-C stops).")
@click.option("--force", is_flag=True,
              help="Let the web edition replace a DIR/<slug>/ folder that masthead did not write.")
@click.option("-e", "--edition", metavar="LANG", default=None,
              help="Build the issue's edition in LANG (a BCP 47 tag): the articles' translations into it, the "
                   "others as written, the issue's words in LANG; outputs named <slug>.LANG.epub, <slug>.LANG/ ….")
@click.option("--scheduler", metavar="ADDRESS",
              help="A publication's issues as tasks on a Dask cluster: tcp://HOST:8786, or 'local' for a "
                   "LocalCluster of --jobs (default 2) processes. Needs masthead[dask].")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
def build(issues: tuple[str, ...], output: str, formats: tuple[str, ...], quiet: bool, verbose: bool,
          jobs: int | None, watch: bool, force: bool, edition: str | None, scheduler: str | None, debug: bool) -> None:
    """Build each ISSUE (a folder or its issue.yaml); with none, every issues/*/issue.yaml.

    Given a publication (a folder with publication.yaml beside its issue folders; with no ISSUE,
    issues/ when it has one): every issue that changed, the archive site, the OPDS and Atom
    feeds, and latest.epub / latest.pdf. --jobs issues at a time, or on a Dask cluster.
    """
    from masthead import pipeline
    from masthead.diagnostics import IssueError, MastheadError, UsageError
    from masthead.export.formats import FORMATS
    from masthead.runtime.cache import Cache

    publication = _publication_given(issues)
    if publication is not None and edition is not None:
        click.echo(_line(f"masthead: {publication} is a publication; --edition builds one issue's edition "
                         "(name an issue folder)"), err=True)
        sys.exit(2)
    if publication is not None and watch:
        click.echo(_line(f"masthead: {publication} is a publication; --watch builds issues (name an issue folder)"), err=True)
        sys.exit(2)
    if publication is not None:
        given = click.get_current_context().get_parameter_source("formats") is not click.core.ParameterSource.DEFAULT
        _build_publication(publication, Path(output), formats if given else None, quiet, jobs, scheduler, force, debug)
    if scheduler is not None:
        click.echo("masthead: --scheduler builds a publication (a folder with publication.yaml)", err=True)
        sys.exit(2)

    # The cache every build of this command reads and adds to: the daemon's, which remembers
    # what it read between the builds it serves (click's context object), or the environment's;
    # under --watch it remembers too, so a rebuild takes what did not change from memory.
    served = (click.get_current_context().obj or {}).get("cache")
    store = served or Cache.from_environment()
    if watch and store.memory is None:
        store = store.remembering()

    try:
        manifests = pipeline.find_issues(issues, Path.cwd())
    except MastheadError as exc:
        click.echo(_line(f"masthead: {exc}"), err=True)
        sys.exit(exc.exit_code)

    def one(manifest_path: Path, again: bool = False) -> bool:
        """Build one issue and print what came of it; True when it failed."""
        try:
            with _progress(manifest_path, quiet, verbose, bar=not watch) as progress:
                ctx = pipeline.BuildContext(progress=progress, jobs=jobs, cache=store)
                result = pipeline.build(manifest_path, Path(output), formats, ctx, force=force, edition=edition)
        except KeyboardInterrupt:
            # Outputs are renamed into place only when complete: the earlier files stand.
            click.echo(_line(f"{manifest_path}: interrupted; no output of this issue was changed"), err=True)
            if watch:
                raise  # _watching stops
            sys.exit(130)
        except IssueError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            return True
        except UsageError as exc:  # what no edit of the issue can mend: stop, watching or not
            click.echo(_line(f"masthead: {exc}"), err=True)
            sys.exit(exc.exit_code)
        except MastheadError as exc:
            click.echo(_line(f"masthead: {exc}"), err=True)
            if watch:
                return True  # e.g. issue.yaml deleted: the next change may bring it back
            sys.exit(exc.exit_code)
        except Exception as exc:  # a bug of ours: say so plainly, in one line
            if debug:
                raise
            click.echo(_line(internal_error(manifest_path, exc, debug=True)), err=True)
            return True
        if not quiet:
            for warning in result.warnings:
                click.echo(str(warning), err=True)
            for out in result.outputs:
                kind = FORMATS[out.format]
                pages = f", {result.pages} pages" if kind.pages and result.pages else ""
                click.echo(_line(f"{out.path}{'/' if kind.folder else ''}  {out.size / 1024:,.0f} KB{pages}"))
            if result.images_in and not again:
                click.echo(f"images: {result.images_in / 1024:,.0f} KB in the issue, "
                           f"{result.images_out / 1024:,.0f} KB in the EPUB (cover included)")
            if verbose and result.articles_cached and not again:
                click.echo(f"articles: {result.articles_cached} of {result.articles} unchanged, taken from the cache", err=True)
        if again:  # even with --quiet: the line that says the files are new
            click.echo(_line(f"rebuilt {result.slug} in {result.seconds:.3f} s "
                             f"({result.articles_cached} of {result.articles} articles unchanged)"))
        elif not quiet:
            click.echo(_line(f"built {result.slug} in {result.seconds:.1f} s"))
        return False

    if watch:
        _watching(manifests, Path(output), one, edition)
    failed = [one(manifest_path) for manifest_path in manifests]
    sys.exit(1 if any(failed) else 0)


def _publication_given(issues: tuple[str, ...]) -> Path | None:
    """The publication folder the command line names (or issues/, named by nothing), if it is one."""
    from masthead.tools import publication

    if len(issues) > 1:
        return None
    folder = Path(issues[0]) if issues else Path("issues")
    return folder if folder.is_dir() and publication.is_publication(folder) else None


def _build_publication(folder: Path, output: Path, formats: tuple[str, ...] | None, quiet: bool, jobs: int | None,
                       scheduler: str | None, force: bool, debug: bool) -> NoReturn:
    """A catalogue build (tools/publication.py): each issue's lines as it completes, then the catalogue's."""
    from masthead.diagnostics import IssueError, MastheadError
    from masthead.runtime.cache import Cache
    from masthead.tools import publication

    def told(what: str, built: publication.Built | None) -> None:
        if built is None:
            return
        if what == "failed":
            for diagnostic in built.errors:
                click.echo(_line(str(diagnostic)), err=True)
        elif not quiet:
            for warning in built.warnings:
                click.echo(_line(str(warning)), err=True)
            name = built.slug or built.manifest_path.parent.name
            click.echo(_line(f"unchanged {name}" if what == "unchanged" else f"built {name} in {built.seconds:.1f} s"))

    try:
        if scheduler is not None:
            from masthead.tools import distributed

            runner = distributed.runner(scheduler, jobs)
        else:
            runner = publication.local_runner(jobs)
        report = publication.build(folder, output, formats or publication.CATALOGUE_FORMATS, runner,
                                   Cache.from_environment(), told, force)
    except IssueError as exc:  # publication.yaml's errors
        for diagnostic in exc.diagnostics:
            click.echo(_line(str(diagnostic)), err=True)
        sys.exit(exc.exit_code)
    except MastheadError as exc:  # a usage error, an output that cannot be written
        click.echo(_line(f"masthead: {exc}"), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug:
            raise
        click.echo(_line(internal_error(folder / "publication.yaml", exc, debug=True)), err=True)
        sys.exit(1)
    if not quiet:
        size = sum(report.catalogue.values())
        click.echo(_line(f"catalogue: {len(report.catalogue)} files, {size / 1024:,.0f} KB in {output}, "
                         f"made and written in {report.catalogue_seconds:.2f} s "
                         f"({_count(len(report.built), 'issue')} built, {len(report.unchanged)} unchanged, "
                         f"{len(report.failed)} failed) in {report.seconds:.1f} s"))
    sys.exit(1 if report.failed else 0)


def _watching(manifests: list[Path], output: Path, one, edition: str | None = None) -> NoReturn:
    """Build every issue, then each again when its files change, until Ctrl-C (exit 0)."""
    import queue
    import signal

    from masthead import pipeline
    from masthead.diagnostics import UsageError
    from masthead.tools import watch

    changed: queue.Queue[list[Path]] = queue.Queue()
    try:
        outputs = [path for m in manifests for path in pipeline.outputs_of(m, output, edition)]  # not changes: ours
    except UsageError as exc:
        _fail(exc)
    try:
        with watch.started(manifests, changed.put, ignore=outputs):
            for manifest_path in manifests:
                one(manifest_path)
            names = ", ".join(m.resolve().parent.name for m in manifests)
            click.echo(_line(f"watching {names} for changes (Ctrl-C stops)"), err=True)
            while True:
                try:
                    touched = changed.get(timeout=0.5)
                except queue.Empty:
                    continue
                while not changed.empty():  # an editor's save is often several events
                    touched += changed.get_nowait()
                for manifest_path in dict.fromkeys(touched):
                    one(manifest_path, again=True)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the goodbye
    click.echo("stopped", err=True)
    sys.exit(0)


@contextlib.contextmanager
def _progress(manifest_path: Path, quiet: bool, verbose: bool, bar: bool = True):
    """A progress callback for build(): a bar on a terminal (rich), lines with --verbose,
    nothing otherwise (plain output for logs and pipes, and under --watch)."""
    if verbose:
        started, current = time.perf_counter(), ""  # when the current stage began, and its name

        def say(stage: str) -> None:
            nonlocal started, current
            now = time.perf_counter()
            if current:
                click.echo(f"  {current:<13} {now - started:6.2f} s", err=True)
            started, current = now, stage

        click.echo(_line(f"{manifest_path}:"), err=True)
        yield say
        say("")
        return
    if quiet or not bar or not sys.stderr.isatty():
        yield lambda stage: None
        return
    import threading

    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from masthead.pipeline import progress_stages

    stages = progress_stages()
    # No refresh thread at first: while another thread runs, the build may not fork the copies
    # that prepare the cover and set a big issue's pages meanwhile (workers.py). The bar is
    # drawn at each stage instead; the clock ticks on its own only from the print layout,
    # the one stage that can take minutes, and whose workers start another way.
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  transient=True, console=None, auto_refresh=False) as progress:
        task = progress.add_task(str(manifest_path.parent.name), total=len(stages))
        done = threading.Event()

        def tick() -> None:
            while not done.wait(0.1):
                progress.refresh()

        ticker = threading.Thread(target=tick, daemon=True)

        def advance(stage: str) -> None:
            progress.update(task, completed=stages.index(stage), description=f"{manifest_path.parent.name}: {stage}",
                       refresh=True)
            if stage == "print layout" and not ticker.is_alive():
                ticker.start()

        try:
            yield advance
        finally:
            done.set()
            if ticker.is_alive():
                ticker.join()


def _checked(issue: str):
    """One issue read and rendered as check does; its messages printed; exit 1 on errors."""
    from masthead import pipeline
    from masthead.diagnostics import MastheadError
    from masthead.tools import check as checker

    try:
        (manifest_path,) = pipeline.find_issues((issue,), Path.cwd())
    except MastheadError as exc:
        _fail(exc)
    result = checker.check(manifest_path)
    for diagnostic in result.diagnostics:
        click.echo(str(diagnostic), err=True)
    if result.internal:
        click.echo(_line(internal_error(manifest_path, result.internal)), err=True)
    if result.failed:
        sys.exit(1)
    return result


def _fail(exc: Exception) -> NoReturn:
    """Leave with a usage error (2) or a file that cannot be written (1), in one line."""
    message = f"{exc.filename}: {exc.strerror}" if isinstance(exc, OSError) else str(exc)
    click.echo(_line(f"masthead: {message}"), err=True)
    sys.exit(getattr(exc, "exit_code", 1))


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("-l", "--language", default="en", show_default=True, metavar="TAG",
              help="The issue's language, a BCP 47 tag (en-GB, ar, fr …).")
@click.option("-p", "--publication", default="My Magazine", show_default=True, metavar="NAME",
              help="The magazine's name.")
def new(path: Path, language: str, publication: str) -> None:
    """Start an issue: a commented issue.yaml, two sample articles and images at PATH.

    PATH must be a new or empty folder. The issue builds as it is; its files explain
    every key they use.
    """
    from masthead.diagnostics import MastheadError
    from masthead.tools import scaffold

    try:
        written = scaffold.create(path, language=language, publication=publication)
    except (MastheadError, OSError) as exc:
        _fail(exc)
    for file in written:
        click.echo(_line(f"created {file}"))
    click.echo(_line(f"next: edit {path / 'issue.yaml'}, then: masthead build {path}"))


def _date(ctx, param, value: str | None):
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date written YYYY-MM-DD") from None


def _language(ctx, param, value: str | None) -> str | None:
    from masthead.runtime.i18n import is_valid_tag

    if value is not None and not is_valid_tag(value):
        raise click.BadParameter(f"'{value}' is not a BCP 47 language tag (like en, en-GB, ar)")
    return value


_MB = 1024 * 1024


@main.command("import")
@click.argument("kind", type=click.Choice(["feed", "ghost", "wordpress", "docx"]))
@click.argument("source", metavar="SOURCE")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--since", callback=_date, metavar="DATE", help="Only entries published on DATE (YYYY-MM-DD) or later.")
@click.option("--limit", type=click.IntRange(1), metavar="N", help="At most N entries (the first N the source lists).")
@click.option("--tag", metavar="T", help="Only entries with the category or tag T (any case).")
@click.option("--sections-by-category", "by_category", is_flag=True,
              help="One section per first category (entries without one last, under 'More'); else one list.")
@click.option("--no-images", "no_images", is_flag=True, help="Fetch no image: images are left out, with a warning.")
@click.option("--publication", metavar="NAME", help="The magazine's name (default: the source's title).")
@click.option("--language", metavar="TAG", callback=_language,
              help="The issue's language (default: the source's, else en).")
@click.option("--site", metavar="URL",
              help="The site's address, for an export's relative links and images (Ghost's __GHOST_URL__).")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=20, show_default=True, metavar="SECONDS",
              help="Longest wait to connect, and for each read.")
@click.option("--max-file-size", type=click.IntRange(1), default=20, show_default=True, metavar="MB",
              help="Largest file fetched (the feed, each image).")
@click.option("--max-total-size", type=click.IntRange(1), default=200, show_default=True, metavar="MB",
              help="Most fetched in all by one run (and largest export file read).")
@click.option("--max-redirects", type=click.IntRange(0, 20), default=5, show_default=True, metavar="N",
              help="Redirects followed for one URL (each to http or https only).")
def import_(kind: str, source: str, folder: Path, since, limit: int | None, tag: str | None, by_category: bool,
            no_images: bool, publication: str | None, language: str | None, site: str | None, timeout: float,
            max_file_size: int, max_total_size: int, max_redirects: int) -> None:
    """Make an issue folder from a feed, a Ghost or WordPress export, or Word files.

    \b
      masthead import feed https://example.org/feed.xml issues/weekly
      masthead import feed feed.xml issues/weekly          (a feed saved as a file)
      masthead import ghost ghost-export.json issues/spring
      masthead import wordpress wordpress-export.xml issues/spring
      masthead import docx submissions/ issues/spring     (the .docx files, copied)

    FOLDER must be new, empty, or a folder this command made: running it again adds new
    entries and writes again those whose files are as it wrote them; an article you edited is
    kept, and so is issue.yaml once you edit it (the new entries are then printed, to add by
    hand). Only a feed URL and the images articles show are fetched: http(s) only, within the
    limits below. Then edit the folder and build it as any issue (masthead build FOLDER).
    """
    from masthead.diagnostics import MastheadError
    from masthead.tools import importing

    limits = importing.Limits(timeout=timeout, max_file=max_file_size * _MB, max_total=max_total_size * _MB,
                              max_redirects=max_redirects)
    options = importing.Options(since=since, limit=limit, tag=tag, by_category=by_category, images=not no_images,
                                publication=publication, language=language, site=site, limits=limits)
    try:
        outcome = importing.run(kind, source, folder, options)
    except (MastheadError, OSError) as exc:
        _fail(exc)
    for warning in outcome.warnings:
        click.echo(_line(f"warning: {warning}"), err=True)
    for word, paths in (("created", outcome.created), ("updated", outcome.updated)):
        for path in paths:
            click.echo(_line(f"{word} {path}"))
    for path in outcome.kept:
        click.echo(_line(f"kept {path}: edited since the last import"))
    for path in outcome.deleted:
        click.echo(_line(f"not written again: {path} (deleted since the last import)"))
    if outcome.issue_yaml == "kept":
        more = "; add the new entries to it by hand:" if outcome.by_hand else ""
        click.echo(_line(f"kept {folder / 'issue.yaml'}: edited since the last import{more}"))
        for line in outcome.by_hand:
            click.echo(_line(line))
    fetched = f", {outcome.fetched:,} bytes fetched" if outcome.fetched else ""
    click.echo(_line(f"{outcome.entries} {'entry' if outcome.entries == 1 else 'entries'} imported into {folder}{fetched}; "
                     f"next: edit it, then: masthead build {folder}"))


@main.command()
@click.argument("issues", nargs=-1, metavar="[ISSUE]...", type=click.Path())
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON on stdout.")
@click.option("-e", "--edition", metavar="LANG", default=None,
              help="Check the issue's edition in LANG, as build --edition LANG would build it.")
def check(issues: tuple[str, ...], strict: bool, as_json: bool, edition: str | None) -> None:
    """Check each ISSUE as build would, and write nothing; with none, every issues/*/issue.yaml.

    Errors and warnings are printed as path:line:col: message, by file and line. Exit status:
    0 when no issue has errors (nor warnings, with --strict), 1 otherwise, 2 for a usage error.
    """
    import json

    from masthead import pipeline
    from masthead.diagnostics import MastheadError, Position
    from masthead.tools import check as checker

    try:
        manifests = pipeline.find_issues(issues, Path.cwd())
        results = [checker.check(path, edition=edition) for path in manifests]
    except MastheadError as exc:  # a malformed --edition, or the issue's own language
        _fail(exc)
    if as_json:
        click.echo(json.dumps({"issues": [r.to_json() for r in results]}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            for diagnostic in result.diagnostics:
                click.echo(str(diagnostic), err=True)
            if result.internal:
                click.echo(_line(internal_error(result.manifest_path, result.internal)), err=True)
            summary = "ok" if not result.failed and not result.warnings else \
                f"{_count(len(result.errors) + bool(result.internal), 'error')}, {_count(len(result.warnings), 'warning')}"
            click.echo(f"{Position(result.manifest_path)}: {summary}")
    sys.exit(1 if any(r.failed or (strict and r.warnings) for r in results) else 0)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@main.command()
@click.argument("issue", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the issue as a JSON object.")
def info(issue: str, as_json: bool) -> None:
    """Show ISSUE as masthead reads it: its metadata, sections and articles.

    Per article: its file, headline, byline, language, words and minutes of reading.
    """
    import json

    from masthead.tools import info as describer

    data = describer.describe(_checked(issue))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else describer.table(data))


@main.command()
@click.argument("issue", type=click.Path())
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port on 127.0.0.1; 0 picks a free one.")
def preview(issue: str, port: int) -> None:
    """Serve ISSUE's web edition on 127.0.0.1, re-rendered and reloaded as its files change.

    Errors show in the browser as path:line:col: message. Ctrl-C stops.
    """
    from masthead import pipeline
    from masthead.diagnostics import MastheadError
    from masthead.tools import preview as previewer

    try:
        (manifest_path,) = pipeline.find_issues((issue,), Path.cwd())
        previewer.serve(manifest_path, port)
    except (MastheadError, OSError) as exc:
        _fail(exc)


@main.command()
@click.argument("issue", type=click.Path())
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The PNG to write; default dist/<slug>-flatplan.png.")
def flatplan(issue: str, output: Path | None) -> None:
    """Draw ISSUE's print pages as thumbnails in spreads, with section and article names (PNG)."""
    from masthead.diagnostics import IssueError, MastheadError
    from masthead.runtime import writes
    from masthead.tools import flatplan as planner

    result = _checked(issue)
    meta = result.issue.meta
    try:
        png, pages = planner.of_issue(result.run)
    except IssueError as exc:  # the print layout's own findings
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(1)
    target = output or Path("dist") / f"{meta.slug}-flatplan.png"
    try:
        writes.write_all({target: png})
    except MastheadError as exc:  # a file where its folder must be, no permission …
        _fail(exc)
    click.echo(_line(f"{target}  {pages} pages"))


@main.command()
@click.argument("issue", type=click.Path())
@click.option("--pdf", "pdf_file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check this PDF (built before) against ISSUE's manifest instead of laying the issue out.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON on stdout.")
def preflight(issue: str, pdf_file: Path | None, as_json: bool) -> None:
    """Check ISSUE's print PDF as a print shop would: page boxes and bleed, fonts embedded and
    subset, each image's resolution where it prints, RGB in a CMYK job, spot colours,
    transparency in a PDF/X-1a job, hairlines. One line per finding, `page N: severity: message`;
    exit status 1 when one is an error."""
    from masthead import pipeline
    from masthead.diagnostics import IssueError, MastheadError
    from masthead.tools import preflight as checker

    try:
        if pdf_file is None:
            result = _checked(issue)
            data, job = checker.of_issue(result.run)
            name = f"{result.issue.meta.slug}.pdf"
        else:
            (manifest_path,) = pipeline.find_issues((issue,), Path.cwd())
            job = checker.Job.of(pipeline.Pipeline(manifest_path, formats=()).load().meta)
            from masthead.runtime import confine

            try:  # a regular file only (a FIFO would hang), of a size a PDF may have
                data, name = confine.read_input(pdf_file, checker.MAX_PDF_BYTES), str(pdf_file)
            except confine.Unreadable as exc:
                raise checker.NotAPdf(f"{pdf_file}: {exc}") from None
        findings = checker.check_pdf(data, job)
    except IssueError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(1)
    except MastheadError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(exc)
    if as_json:
        click.echo(checker.json_report(findings, job, name), nl=False)
    else:
        click.echo("\n".join(_line(f.line()) for f in findings) if findings else _line(f"{name}: no findings"))
    sys.exit(1 if any(f.severity == checker.ERROR for f in findings) else 0)


@main.command()
def daemon() -> None:
    """Stay resident and run every `masthead build` that uses this cache folder (Ctrl-C stops).

    A build it serves skips Python's start-up and imports, and takes from memory what did not
    change since the last: after an edit, the EPUB of an issue is new in a fraction of a
    one-shot build's time. Same output, messages and exit status as a build run on its own.
    """
    from masthead.diagnostics import MastheadError
    from masthead.runtime.cache import Cache
    from masthead.tools import daemon as resident

    store = Cache.from_environment().remembering()  # kept across the builds it serves

    def command(argv: list[str], prog: str) -> None:
        main.main(args=argv, prog_name=prog, standalone_mode=True, obj={"cache": store})

    try:
        resident.serve(command, lambda line: click.echo(line, err=True))
    except (MastheadError, OSError) as exc:
        _fail(exc)
    sys.exit(0)


@main.group("theme")
def theme_group() -> None:
    """Work with themes: the templates, stylesheets, fonts and words an issue is dressed in."""


@theme_group.command("export")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
def theme_export(directory: Path) -> None:
    """Copy the built-in default theme to DIR (a new or empty folder), to start a theme from.

    Put DIR inside an issue folder and name it in issue.yaml with a leading ./ (a name
    without one is a built-in theme's):

    \b
        theme: ./mytheme
    """
    from masthead.diagnostics import MastheadError
    from masthead.tools import scaffold

    try:
        written = scaffold.export_theme(directory)
    except (MastheadError, OSError) as exc:
        _fail(exc)
    click.echo(_line(f"exported the default theme to {directory} ({_count(len(written), 'file')})"))
    click.echo(_line(f"use it from the issue folder that holds it, in issue.yaml:  theme: ./{directory.resolve().name}"))


@main.command()
def schema() -> None:
    """Print a JSON Schema of issue.yaml, for editors that check YAML as it is typed.

    \b
        masthead schema > issue.schema.json

    and, as the first line of issue.yaml (the YAML language server's convention, used by VS
    Code's YAML extension, Neovim, Helix, Zed …):

    \b
        # yaml-language-server: $schema=./issue.schema.json
    """
    import json

    from masthead.manifest import reference

    click.echo(json.dumps(reference.json_schema(), ensure_ascii=False, indent=2))
