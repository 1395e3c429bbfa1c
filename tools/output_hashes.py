#!/usr/bin/env python3
"""The sha256 of every output masthead builds for the samples and strand-1891, to prove that a
refactoring changed nothing (issue 22: "after the redesign every one is identical").

    .venv/bin/python tools/output_hashes.py > hashes.sha256          # record
    .venv/bin/python tools/output_hashes.py --check docs/redesign-baseline.sha256

Builds, in a temporary folder, `issues/lantern-2025-11-28`, `issues/al-fanar-2025-11-28` and
`corpus/strand-1891` (each from a copy, with the publication.yaml beside it when there is one,
which the issue inherits: a build writes nothing into its issue folder, but the corpus must stay
as it is) as EPUB, KEPUB, PDF and the web edition, with `python -m masthead`
on this checkout's `src/` (first on PYTHONPATH, whatever the venv's editable install points at),
no daemon and no cache, and prints `sha256  issue/relative-path` for every file written, sorted.
AZW3 is left out (calibre writes its own ids and times). Outputs depend on the fonts and
libraries installed, so compare hashes made on the same machine. Exit status with --check: 0 identical, 1 a difference (listed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSUES = (ROOT / "issues" / "lantern-2025-11-28", ROOT / "issues" / "al-fanar-2025-11-28",
          ROOT / "corpus" / "strand-1891")
FORMATS = "epub,kepub,pdf,html"


def hashes() -> list[str]:
    # this checkout's code, not whatever the venv's editable install points at (a git worktree
    # may share its venv with the main checkout), and no daemon started from other code
    pythonpath = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "MASTHEAD_CACHE_DIR": "off", "MASTHEAD_NO_DAEMON": "1"}
    lines = []
    with tempfile.TemporaryDirectory(prefix="masthead-hashes-") as tmp:
        for issue in ISSUES:
            if not issue.is_dir():
                sys.exit(f"output_hashes: {issue} is not here")
            source = Path(tmp) / "in" / issue.parent.name / issue.name
            shutil.copytree(issue, source)
            shared = issue.parent / "publication.yaml"  # the publication's settings, which the issue inherits
            if shared.is_file():
                shutil.copyfile(shared, source.parent / shared.name)
            out = Path(tmp) / "out" / issue.name
            # no cache: a refactoring must not be judged by what an older build put there
            subprocess.run([sys.executable, "-m", "masthead", "build", str(source), "-o", str(out), "--format", FORMATS],
                           check=True, stdout=subprocess.DEVNULL, env=env)
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                lines.append(f"{digest}  {issue.name}/{path.relative_to(out).as_posix()}")
    return lines


def main(argv: list[str]) -> int:
    lines = hashes()
    if argv[:1] == ["--check"]:
        want = Path(argv[1]).read_text(encoding="utf-8").splitlines()
        differ = sorted(set(want) ^ set(lines))
        for line in differ:
            print(("now   " if line in lines else "was   ") + line)
        print(f"output_hashes: {len(lines)} files, {'identical' if not differ else f'{len(differ)} lines differ'}")
        return 1 if differ else 0
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
