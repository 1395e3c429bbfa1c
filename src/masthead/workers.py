"""Worker processes: one way to start them for every stage that shares out work.

A copy of this process (``fork``) starts at once with everything imported; but a copy of a
process that runs other threads (the progress bar's) can inherit a lock one of them held and
hang. So: ``fork`` when this is the only thread, else ``forkserver``, whose workers start
from a clean interpreter that imports ``preload`` once. Either way the work and its results
are the same, so the outputs do not depend on how workers start or how many there are.
"""

from __future__ import annotations

import os
import threading


def count(jobs: int | None, tasks: int) -> int:
    """How many workers to start: ``jobs`` (default: the cores), never more than the tasks."""
    return max(1, min(jobs or os.cpu_count() or 1, tasks))


def pool(workers: int, preload: list[str]):
    """A ProcessPoolExecutor (imported here: ~20 ms a cached build need not pay)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_all_start_methods, get_context

    methods = get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return ProcessPoolExecutor(workers, mp_context=get_context("fork"))
    context = get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(preload)
    return ProcessPoolExecutor(workers, mp_context=context)
