"""What a run of the pipeline carries besides the issue, passed down to the stages that use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from masthead.diagnostics import Report
from masthead.runtime.cache import Cache


def _silent(stage: str) -> None:
    pass


@dataclass
class BuildContext:
    """Where a run's findings go (``report``), who hears each stage begin (``progress``), how
    many worker processes it may start (``jobs``, default the cores: the outputs do not depend
    on it), the cache it reads and adds to (``cache``: read-only for check, remembering for a
    process that builds again), and the counts it reports back (``stats``)."""

    report: Report = field(default_factory=Report)
    progress: Callable[[str], None] = _silent
    jobs: int | None = None
    cache: Cache = field(default_factory=Cache.from_environment)
    stats: dict[str, int] = field(default_factory=dict)  # "articles", "articles_cached"
