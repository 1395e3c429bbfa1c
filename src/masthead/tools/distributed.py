"""A catalogue build's issues as tasks on a Dask cluster (``masthead build --scheduler``).

Each issue is one task: :func:`masthead.tools.publication.build_one`, run on a worker, which
reads the issue from the storage it shares with this machine and sends its outputs back as
bytes; they are written here, by :mod:`masthead.tools.publication`, as on a local build, so the
outputs are the same bytes. A worker that dies (killed, out of memory) takes its task with it:
the scheduler runs it again on another worker, and ``retries`` more times should the task itself
fail; an issue with errors is no failure of the task: it comes back with its positioned errors
and the other issues complete.

``dask.distributed`` is optional (``pip install 'masthead[dask]'``), imported only here, when
a build asks for a scheduler.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from masthead.diagnostics import Diagnostic, Position, UsageError
from masthead.tools.publication import Built, Runner, build_one

RETRIES = 2  # a task that fails (its worker died) is run this many more times


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed scheduler: pip install 'masthead[dask]' "
                         "(or pip install distributed)") from None
    return distributed


def local_cluster(workers: int | None = None):
    """A LocalCluster on this machine: ``workers`` processes (default 2), one thread each (an
    issue's build is one task on one core), no dashboard."""
    return _distributed().LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=40)


def runner(scheduler: str, workers: int | None = None) -> Runner:
    """Issues built as tasks of the cluster at ``scheduler`` (``tcp://HOST:8786``), or of a
    LocalCluster of ``workers`` processes (default 2), one thread each, for ``local``."""
    distributed = _distributed()
    if scheduler != "local" and "://" not in scheduler:
        raise UsageError(f"--scheduler {scheduler}: give a scheduler's address (tcp://HOST:8786) or 'local'")

    def run(todo: list[tuple[Path, str]], formats: tuple[str, ...], folder: str | None) -> Iterator[Built]:
        if not todo:
            return
        cluster = local_cluster(workers) if scheduler == "local" else None
        try:
            with distributed.Client(cluster if cluster is not None else scheduler) as client:
                # pure=False: an issue built again after a change is a new task, whatever its path
                futures = {client.submit(build_one, path.absolute(), formats, 1, folder, key, retries=RETRIES,
                                         pure=False, key=f"issue-{path.parent.name}-{key[:12]}"): path
                           for path, key in todo}
                for future in distributed.as_completed(futures):
                    try:
                        built = future.result()
                    except Exception as exc:  # noqa: BLE001 - its workers died, again and again: that issue fails, the rest go on
                        path = futures[future]
                        built = Built(path, errors=[Diagnostic(Position(path), f"not built on the cluster: {exc}")])
                    future.release()
                    yield built
        finally:
            if cluster is not None:
                cluster.close()

    return run
