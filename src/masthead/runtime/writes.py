"""Stage 6, write: every output of a build put in place at once, or none of them.

Nothing is written until every requested output exists in memory; then each file is written
beside its target and renamed over it, so a failed or interrupted build never leaves a
half-written file under a final name, and a good earlier output stays as it was.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from masthead.diagnostics import MastheadError, UsageError


def refuse_folder_over_issue(manifest_path: Path, out_dir: Path) -> None:
    """The web edition replaces its folder whole: never let that folder be the issue's own (or hold it)."""
    root = manifest_path.resolve().parent
    web = (out_dir / root.name).resolve()
    # The issue folder and its parents exist, so only an existing folder can be one of them;
    # samefile, not ==: on a case-insensitive disk "Issues/x" and "issues/X" are one folder.
    if web.exists() and any(os.path.samefile(web, f) for f in (root, *root.parents)):
        raise UsageError(f"{out_dir}: the web edition would go to {web} and replace the issue folder itself; "
                         "choose another output folder")


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where Linux tells it (/proc/self/status,
    Linux 4.7 on); elsewhere set and put back at once under a lock (os.umask is process-wide:
    another thread's file made meanwhile would get the wrong mode)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


WEB_MARK = ".masthead-edition"  # in every web edition folder masthead writes: the mark that it may replace it
WEB_MARK_TEXT = b"A web edition written by masthead: `masthead build -f html` replaces this folder whole.\n"


def write_all(files: dict[Path, bytes], folders: dict[Path, dict[str, bytes]] | None = None,
              replace_unmarked: bool = False) -> None:
    """Write every file and folder beside its target, then swap them all into place: all or nothing.

    Everything new is written first (files as ``.<name>.XXXX.part``, folders as
    ``.<name>.tmp-XXXX`` holding :data:`WEB_MARK`); then each earlier file is kept by a hard link
    (a copy where the disk has none) and each earlier folder is renamed aside, which is where a
    folder that cannot be replaced is found, before any output changed; then all are renamed in.
    When anything fails or is interrupted (an OSError, Ctrl-C, SIGTERM, any exception), every
    step already taken is undone, the temporaries are removed, and the exception goes on (an
    OSError as a MastheadError naming the path and the system's reason). The swap holds an
    exclusive lock on each output folder (flock on the folder itself, so nothing is left
    behind), so builds into one folder at once take turns there and each leaves whole outputs.
    A folder in a file's place is refused before any work; so is a folder in a web edition's
    place without :data:`WEB_MARK` (one masthead did not make), unless ``replace_unmarked``.
    A file standing where an output folder must be made is a UsageError, as ``-o FILE`` is.
    """
    folders = folders or {}
    parents = sorted({target.parent for target in [*files, *folders]})
    for parent in parents:
        _make_folder(parent)
    with _locked(parents), _sigterm_interrupts():
        refuse_unwritable(files, folders, replace_unmarked)
        _swap(files, folders, current_umask())


def _unmarked(target: Path) -> bool:
    """Is there something at ``target`` that a web edition would replace and masthead did not write?"""
    if not (target.exists() or target.is_symlink()):
        return False
    if target.is_dir() and (target / WEB_MARK).is_file():
        return False
    return not (target.is_dir() and not target.is_symlink() and not any(target.iterdir()))  # empty: nothing lost


def refuse_unwritable(files: dict[Path, bytes], folders: dict[Path, dict[str, bytes]], replace_unmarked: bool) -> None:
    for target in files:  # renamed over a folder, nothing but the first file would go
        if target.is_dir() and not target.is_symlink():
            raise MastheadError(f"{target}: is a folder, not a file it can replace")
    for target in folders:
        if not replace_unmarked and _unmarked(target):
            raise MastheadError(f"{target}: not a web edition masthead wrote (no {WEB_MARK} in it), so it is not "
                                "replaced; move it away, or build with --force to replace it")


def _swap(files: dict[Path, bytes], folders: dict[Path, dict[str, bytes]], umask: int) -> None:
    """write_all's work, under its lock: every temporary, then every old output kept, then the swap.
    Files get the modes the user's ``umask`` leaves of 0o666, folders of 0o777 (as a file made
    in place would: mkstemp and mkdtemp make theirs the owner's alone)."""
    new: list[Path] = []  # the temporaries: removed at the end, whatever happens
    old: list[Path] = []  # the earlier outputs kept aside: removed once all is in place
    undo: list[Callable[[], None]] = []  # each step's undoing, added before the step is taken
    try:
        temporary = {target: _temporary_file(target, data, new, umask) for target, data in files.items()}
        trees = {target: _temporary_folder(target, tree, new, umask) for target, tree in folders.items()}
        kept = {target: _kept(target, name, old) for target, name in temporary.items() if _exists(target)}
        for target, tree in trees.items():
            if _exists(target):
                aside = tree.with_name(tree.name.replace(".tmp-", ".old-"))
                old.append(aside)
                undo.append(functools.partial(_put_back, aside, target))
                _rename(target, aside, target)  # here a folder that cannot be replaced is found, nothing changed yet
        for target, name in temporary.items():
            undo.append(functools.partial(_put_back_file, target, name, kept.get(target)))
            try:
                os.replace(name, target)
            except OSError as exc:
                if isinstance(exc, IsADirectoryError):
                    raise MastheadError(f"{target}: is a folder, not a file it can replace") from None
                raise MastheadError(f"{target}: cannot replace it: {_reason(exc)}") from None
        for target, tree in trees.items():
            undo.append(functools.partial(_take_out, target, tree))
            _rename(tree, target, target)
    except BaseException:
        with _signals_held():  # a second Ctrl-C does not stop the undoing half-way
            undone = True
            for step in reversed(undo):
                try:
                    step()
                except OSError:  # the error to tell is the first
                    undone = False
            if not undone:
                old.clear()  # an earlier output that could not go back stays where it is: never deleted
        raise
    finally:
        for path in [*new, *old]:
            _delete(path)


def _temporary_file(target: Path, data: bytes, new: list[Path], umask: int) -> Path:
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        new.append(Path(name))
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(name, 0o666 & ~umask)
    except OSError as exc:
        raise MastheadError(f"{target}: cannot write it: {_reason(exc)}") from None
    return Path(name)


def _temporary_folder(target: Path, files: dict[str, bytes], new: list[Path], umask: int) -> Path:
    try:
        temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))
        new.append(temporary)
        for name, data in {**files, WEB_MARK: WEB_MARK_TEXT}.items():
            path = temporary / name
            if not name or Path(name).is_absolute() or ".." in Path(name).parts:
                raise ValueError(f"{name!r}: not a path inside the folder")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(path, 0o666 & ~umask)
        os.chmod(temporary, 0o777 & ~umask)
    except OSError as exc:
        raise MastheadError(f"{target}: cannot write it: {_reason(exc)}") from None
    return temporary


def _kept(target: Path, temporary: Path, old: list[Path]) -> Path:
    """The earlier file at ``target`` kept under a second name (``.part``: no change to watch), to put back."""
    kept = temporary.with_name(temporary.name.removesuffix(".part") + ".old.part")
    old.append(kept)
    try:
        try:
            os.link(target, kept, follow_symlinks=False)  # a symlink is kept as a symlink
        except OSError:  # no hard links on this disk: a copy
            shutil.copy2(target, kept, follow_symlinks=False)
    except OSError as exc:
        raise MastheadError(f"{target}: cannot replace it: {_reason(exc)}") from None
    return kept


def _rename(source: Path, target: Path, output: Path) -> None:
    try:
        os.rename(source, target)
    except OSError as exc:
        raise MastheadError(f"{output}: cannot replace it: {_reason(exc)}") from None


def _put_back(kept: Path, target: Path) -> None:
    """Undo: the earlier folder ``kept`` aside goes back to ``target``."""
    if _exists(kept):
        os.rename(kept, target)


def _put_back_file(target: Path, temporary: Path, kept: Path | None) -> None:
    """Undo: if the new file was renamed in (its temporary is gone), the earlier one ``kept`` goes
    back over it, or it goes when there was none."""
    if _exists(temporary):
        return
    if kept is not None:
        os.replace(kept, target)
    elif _exists(target):
        target.unlink()


def _take_out(target: Path, temporary: Path) -> None:
    """Undo: a new folder renamed in goes back to its temporary name (and from there, away)."""
    if not _exists(temporary) and _exists(target):
        os.rename(target, temporary)


def _delete(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif _exists(path):
            path.unlink()


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


@contextlib.contextmanager
def _locked(folders: list[Path]) -> Iterator[None]:
    """An exclusive flock on each folder itself (in order, so two builds cannot wait for each
    other), held for the block. Where a folder cannot be opened or locked (some network disks),
    the block runs without that lock."""
    import fcntl

    held: list[int] = []
    try:
        for folder in folders:
            try:
                handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            except OSError:
                continue
            held.append(handle)
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in held:
            os.close(handle)  # the lock goes with it


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM, whose default ends the process between two renames, is a KeyboardInterrupt for
    the block (in the main thread, where no one else chose what it does), so it is undone too."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block (in the main thread), delivered after it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


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
