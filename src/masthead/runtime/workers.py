"""Worker processes: one way to start them for every stage that shares out work.

A copy of this process (``fork``) starts at once with everything imported; but a copy of a
process that runs other threads (the progress bar's) can inherit a lock one of them held and
hang. So: ``fork`` when this is the only thread, else ``forkserver``, whose workers start
from a clean interpreter that imports ``preload`` once. Either way the work and its results
are the same, so the outputs do not depend on how workers start or how many there are.

:func:`ahead` starts one copy for work a later stage will need (the cover, while the articles
are read) and leaves its result in the cache; where no copy can start, the later stage simply
does the work itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence


def count(jobs: int | None, tasks: int) -> int:
    """How many workers to start: ``jobs`` (default: the cores), never more than the tasks."""
    return max(1, min(jobs or os.cpu_count() or 1, tasks))


def _fork_is_safe() -> bool:
    """Is there ``fork``, and no other thread whose held lock a copy could inherit?"""
    return hasattr(os, "fork") and threading.active_count() == 1


def _can_fork() -> bool:
    """May the work here start its workers by ``fork``?"""
    from multiprocessing import get_all_start_methods

    return _fork_is_safe() and "fork" in get_all_start_methods()


def pool(workers: int, preload: list[str]):
    """A ProcessPoolExecutor (imported here: a cached build need not pay for the import)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_all_start_methods, get_context

    if _can_fork():
        return ProcessPoolExecutor(workers, mp_context=get_context("fork"))
    methods = get_all_start_methods()
    context = get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(preload)
    return ProcessPoolExecutor(workers, mp_context=context)


_FORKED: tuple[Callable, Sequence] | None = None  # in a copy of fork_map's: what it was handed


def fork_map(function: Callable, items: Sequence, jobs: int | None = None, parts: int = 4) -> list:
    """``[function(item) for item in items]``, shared among ``jobs`` copies of this process.

    The copies inherit the function and the items (whatever they hold: a whole issue), so
    only the results are pickled, back, in order. Where a copy is not safe or not there, the
    work is done here, with the same result. An exception in a copy is raised here.
    """
    workers = count(jobs, len(items))
    if workers < 2 or not _can_fork():
        return [function(item) for item in items]
    import gc
    import itertools
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    step = -(-len(items) // (workers * parts))  # a few parts each: one slow part does not hold up the rest
    # The copies' garbage collector would walk every object they inherit, and so write to
    # (and copy) every page of this process: frozen objects are left out of its walks.
    gc.freeze()
    try:
        # The copies are handed the function and the items as their initializer's arguments:
        # with fork, arguments are inherited, never pickled, and this process keeps no global.
        with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_handed,
                                 initargs=(function, items)) as pool:
            return [r for part in pool.map(_forked_part, range(0, len(items), step), itertools.repeat(step)) for r in part]
    except (OSError, BrokenProcessPool):  # no room for more processes (or one was killed): here, then
        return [function(item) for item in items]
    finally:
        gc.unfreeze()


def _handed(function: Callable, items: Sequence) -> None:
    """In a copy fork_map started: keep what it was handed for the parts it will be sent."""
    global _FORKED
    _FORKED = (function, items)


def _forked_part(start: int, step: int) -> list:
    assert _FORKED is not None, "a part is only ever sent to a copy fork_map started"
    function, items = _FORKED
    return [function(item) for item in items[start:start + step]]


def ahead(task: Callable[[], object], jobs: int | None = None) -> Callable[[], None]:
    """Start ``task`` in a copy of this process, for what it leaves in the cache, while this
    one goes on; returns the function that waits for it.

    Nothing starts where a copy is not safe (other threads run), not there (no ``fork``) or not
    wanted (``jobs`` 1): the work is then done where it is needed, with the same result. The
    copy reports nothing; whatever goes wrong in it is met again, and reported, in this process.
    """
    if count(jobs, 2) < 2 or not _fork_is_safe():
        return lambda: None
    import signal

    # Ctrl-C waits until the copy is inside its try: caught between fork() and there, it would
    # send the copy on through the rest of the build.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pid = os.fork()
    except OSError:  # no room for another process: the work is done where it is needed
        pid = None
    if pid == 0:  # the copy: do the work, then leave without this process's exit handlers
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            task()
        finally:
            os._exit(0)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if pid is None:
        return lambda: None
    return lambda: os.waitpid(pid, 0) and None
