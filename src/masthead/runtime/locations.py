"""Where masthead keeps its cache, and what code it runs: read from the environment and the
package folder with the standard library's ``os`` alone. ``masthead build`` asks both before
anything else is imported, to find a running daemon (daemon.py) and to know it runs the same
code; cache.py keys its entries by the same listing."""

from __future__ import annotations

import os


def cache_folder() -> str | None:
    """``MASTHEAD_CACHE_DIR``, else ``$XDG_CACHE_HOME/masthead`` (``~/.cache/masthead``); None for ``off``."""
    setting = os.environ.get("MASTHEAD_CACHE_DIR", "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return setting
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "masthead")


_listing: list[str] = []


def code_listing() -> str:
    """Each of masthead's modules with its size and time, one a line, sorted: a checkout keeps
    one version number across many changes, and the code that computed a result must be the
    code that serves it. ~50 stats, once a process."""
    if not _listing:
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # masthead/, above runtime/
        lines = []
        for folder, subfolders, files in os.walk(package):
            subfolders[:] = [name for name in subfolders if name != "__pycache__"]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    stat = os.stat(path)
                    lines.append(f"{os.path.relpath(path, package)}:{stat.st_size}:{stat.st_mtime_ns}\n")
        _listing.append("".join(sorted(lines)))
    return _listing[0]
