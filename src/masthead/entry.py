"""The ``masthead`` console script: a build goes to a running daemon when there is one
(tools/daemon.py), else the command runs here (cli/). Nothing heavier than the standard library is
imported before that choice: a build the daemon serves must not pay for click's import."""

from __future__ import annotations

import sys


def run() -> None:
    from masthead.tools import daemon

    code = daemon.forward(sys.argv[1:])
    if code is not None:
        sys.stdout.flush()
        sys.exit(code)
    from masthead.cli import run as here

    here()
