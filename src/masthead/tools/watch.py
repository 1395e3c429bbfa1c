"""Watching an issue's files: ``masthead build --watch`` and ``masthead preview`` rebuild on a change.

The watched folders are the issue folder and its theme's folders, found again after each
change (an edit to issue.yaml may name another theme). Changes come from watchfiles (the
operating system's notifications), or from comparing modification times every half second
when watchfiles is missing or the system has no watches left. The build's own outputs and
temporary files are not changes: a build that writes into the issue folder must not wake
itself up.

``build --watch`` keeps one process and its memory for every rebuild (a remembering Cache), so a
rebuild after one article changed reads that article again and runs the templates, takes
everything else from memory, and writes the same bytes a cold build writes.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

SETTLE_MS = 20  # after a change, wait this long for more of the same save before building


def folders_of(manifest_path: Path) -> tuple[Path, ...]:
    """The issue folder and its theme's folders (only the issue folder while issue.yaml is broken;
    none while the issue folder is gone)."""
    from masthead.manifest import loader
    from masthead.render import theme

    try:
        folders = [manifest_path.resolve().parent]
    except OSError:  # resolving `.` in a folder that was deleted
        return ()
    with contextlib.suppress(Exception):  # the build says what is wrong; the issue folder is still watched
        folders += [f.resolve() for f in theme.load(loader.load(manifest_path).meta).folders]
    return tuple(f for i, f in enumerate(folders) if f.is_dir() and f not in folders[:i])


def watch(manifests: list[Path], on_change: Callable[[list[Path]], None], stop: threading.Event,
          ready: threading.Event | None = None, ignore: Iterable[Path] = ()) -> None:
    """Call ``on_change(issues)`` with the issues whose files changed, until ``stop`` is set.

    ``ready`` is set once the folders are watched: a caller that builds after that misses no
    edit made in between. Paths in or under ``ignore`` (the build's outputs) are not changes.
    """
    ignored = tuple(p.resolve() for p in ignore)
    polling = False
    while not stop.is_set():
        try:
            folders = {m: folders_of(m) for m in manifests}
            every = tuple(dict.fromkeys(f for fs in folders.values() for f in fs))
            if not every:  # the issue folder is gone (moved, deleted): look for it again
                if ready is not None:
                    ready.set()
                stop.wait(1.0)
                continue
            for changed in _changes(every, stop, polling, ignored):
                if ready is not None:
                    ready.set()
                touched = [m for m in manifests if any(_inside(p, folders[m]) for p in changed)]
                if touched:
                    on_change(touched)
                if touched and any(folders_of(m) != folders[m] for m in touched):
                    break  # the theme changed: watch its folders instead
                if not all(f.is_dir() for f in every):
                    break  # a folder was moved away: a watch on it sees nothing more
        except Exception as exc:  # noqa: BLE001 - e.g. no inotify watches left: poll instead
            print(f"masthead: cannot watch files ({type(exc).__name__}: {exc}); "
                  f"{'trying again' if polling else 'polling instead'}", file=sys.stderr, flush=True)
            polling = True
            stop.wait(1.0)  # not a busy loop while, say, the folder is being moved back


@contextlib.contextmanager
def started(manifests: list[Path], on_change: Callable[[list[Path]], None], ignore: Iterable[Path] = ()) -> Iterator[bool]:
    """:func:`watch` in a thread for the block: watching (or ten seconds gone, then False) when
    the block starts, so a build made first misses no edit; stopped and joined when it ends."""
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(manifests, on_change, stop, ready), kwargs={"ignore": ignore},
                               name="masthead-watch", daemon=True)
    watcher.start()
    try:
        yield ready.wait(timeout=10)
    finally:
        stop.set()
        watcher.join(timeout=2)


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path == f or f in path.parents for f in folders)


def _wanted(path: Path, ignored: tuple[Path, ...]) -> bool:
    for part in path.parts:  # build.write_all's files and folders on their way
        if part.startswith(".") and (part.endswith(".part") or ".tmp-" in part or ".old-" in part):
            return False
    return not any(path == i or i in path.parents for i in ignored)


def _changes(folders: tuple[Path, ...], stop: threading.Event, polling: bool,
             ignored: tuple[Path, ...]) -> Iterator[set[Path]]:
    """Yield an empty set as soon as the folders are watched (and when idle), then the changed paths."""
    try:
        import watchfiles
    except ImportError:
        polling = True
    if polling:
        yield from _poll(folders, stop, ignored)
        return
    # step: how long a change waits for the rest of its save. An editor's save (write, or write
    # and rename) lands within a few milliseconds; watchfiles' default step was a large share of
    # what an editor waited for the EPUB after a save. A slower write (an image copied in) that is
    # caught halfway is built again when it ends: the last build is of the whole file.
    for batch in watchfiles.watch(*folders, stop_event=stop, raise_interrupt=False, rust_timeout=300, step=SETTLE_MS,
                                  yield_on_timeout=True, watch_filter=watchfiles.DefaultFilter()):
        yield {p for p in (Path(path) for _, path in batch) if _wanted(p, ignored)}


def _poll(folders: tuple[Path, ...], stop: threading.Event, ignored: tuple[Path, ...],
          every: float = 0.5) -> Iterator[set[Path]]:
    """Compare the files' modification times and sizes every half second (without watchfiles)."""
    def snapshot() -> dict[Path, tuple[int, int]]:
        seen = {}
        for folder in folders:
            for path in folder.rglob("*"):
                if not _wanted(path, ignored):
                    continue
                try:
                    info = path.stat()
                except OSError:
                    continue
                seen[path] = (info.st_mtime_ns, info.st_size)
        return seen

    before = snapshot()
    yield set()
    while not stop.wait(every):
        now = snapshot()
        yield {p for p in before.keys() | now.keys() if before.get(p) != now.get(p)}
        before = now
