"""bench/run.py's own arithmetic (the benchmarks themselves run in `make bench`, not here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_run"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_timed_rows_are_scaled_by_pandocs_speed_here(tmp_path):
    run = _bench()
    b = run.Bench("masthead", tmp_path, tmp_path, 60)
    assert run.machine_speed(b) == []  # no pandoc measured: nothing to scale by
    b.pandoc_strand = 3.0  # twice issue #6's 1.5 s
    b.rows = [run.Row("masthead EPUB strand-1891, cold", run.Run(wall=0.8, rc=0), target="< 0.5 s"),
              run.Row("  … one article edited", run.Run(wall=0.4, rc=0), target="< 25% of cold"),  # a ratio: not scaled
              run.Row("masthead EPUB generated 1×", run.Run(wall=6.0, rc=0), target="< 5 s, < 500 MB"),
              run.Row("masthead EPUB failed", run.Run(wall=1.0, rc=1), target="< 5 s"),
              run.Row("masthead --help start-up", run.Run(wall=0.1, rc=0), target="< 0.3 s")]  # start-up is not pandoc's kind of work
    lines = run.machine_speed(b)
    assert "runs 2.0× slower today" in lines[0]
    assert lines[1:] == ["  masthead EPUB strand-1891, cold: 0.40 s (< 0.5 s)",
                         "  masthead EPUB generated 1×: 3.00 s (< 5 s, < 500 MB)"]
    b.pandoc_strand = 1.2  # a faster machine than the issue's
    assert "runs 1.2× faster today" in run.machine_speed(b)[0]
