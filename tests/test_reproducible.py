"""The same input gives byte-identical outputs, whatever the clock and the time zone."""

from __future__ import annotations

import os

from helpers import SAMPLE, masthead


def build_with(env_changes: dict, out) -> dict[str, bytes]:
    env = {**os.environ, **env_changes}
    result = masthead("build", str(SAMPLE), "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    return {ext: (out / f"{SAMPLE.name}.{ext}").read_bytes() for ext in ("epub", "pdf")}


def test_rebuilds_are_byte_identical_across_time_zones(sample_build, tmp_path):
    again = build_with({"TZ": "Pacific/Kiritimati"}, tmp_path / "a")
    assert again["epub"] == sample_build["epub"].read_bytes()
    assert again["pdf"] == sample_build["pdf"].read_bytes()


def test_source_date_epoch_sets_the_timestamps(tmp_path):
    first = build_with({"SOURCE_DATE_EPOCH": "1767225600"}, tmp_path / "a")  # 2026-01-01
    second = build_with({"SOURCE_DATE_EPOCH": "1767225600", "TZ": "America/Lima"}, tmp_path / "b")
    assert first == second
    assert b"2026-01-01T00:00:00Z" in _opf(tmp_path / "a" / f"{SAMPLE.name}.epub")


def _opf(path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read("EPUB/content.opf")


def test_the_epub_never_asks_the_machines_mime_types(tmp_path):
    """ebooklib guesses a media type it is not given from the system's mime.types, which differs
    from machine to machine (and costs ~10 ms to read): every item is given its type."""
    import subprocess
    import sys

    code = ("import sys, mimetypes\nfrom pathlib import Path\nfrom masthead import pipeline as build\n"
            f"build.build(Path({str(SAMPLE / 'issue.yaml')!r}), Path({str(tmp_path)!r}), ('epub', 'kepub'))\n"
            "print('READ MIME TYPES' if mimetypes.inited else 'NOT READ')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "NOT READ"
