"""The EPUB → AZW3 (KF8), for sideloading onto a Kindle over USB, through calibre's
``ebook-convert``, which masthead does not ship: ``--format azw3`` needs it on the PATH.

Send-to-Kindle takes the EPUB itself (Amazon converts it), so the EPUB stays the Kindle format
masthead checks (export/devices.py); AZW3 is for readers who copy files to the device. calibre writes
its own timestamps and random ids into the file, so unlike the EPUB it is not byte-identical
from one build to the next.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from masthead.diagnostics import MastheadError, UsageError

TOOL = "ebook-convert"
TIMEOUT = 600  # seconds; the Strand corpus takes ~10


def available() -> bool:
    return shutil.which(TOOL) is not None


def require() -> None:
    """Refuse before any work when calibre is missing (exit 2: the command cannot be run here)."""
    if not available():
        raise UsageError(f"--format azw3 needs calibre's {TOOL} on the PATH (https://calibre-ebook.com, or "
                         "`apt-get install calibre`); without it, send the EPUB to your Kindle (Send-to-Kindle "
                         "takes EPUB) or build --format epub")


def export(epub: bytes, slug: str) -> bytes:
    """The AZW3 calibre makes of ``epub``."""
    require()
    with tempfile.TemporaryDirectory(prefix="masthead-azw3-") as folder:
        source, target = Path(folder) / f"{slug}.epub", Path(folder) / f"{slug}.azw3"
        source.write_bytes(epub)
        try:
            done = subprocess.run([shutil.which(TOOL) or TOOL, str(source), str(target)], capture_output=True,
                                  text=True, timeout=TIMEOUT, cwd=folder)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MastheadError(f"{TOOL} could not convert the EPUB to AZW3: {exc}") from None
        if done.returncode != 0 or not target.is_file():
            last = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise MastheadError(f"{TOOL} could not convert the EPUB to AZW3 (exit {done.returncode}): "
                                + " / ".join(last))
        data = target.read_bytes()
        if data[60:68] != b"BOOKMOBI":  # a Kindle file's Palm database type and creator
            raise MastheadError(f"{TOOL} exited 0 but wrote no AZW3 ({len(data)} bytes, not a Kindle file); "
                                "check the calibre it found on the PATH")
        return data
