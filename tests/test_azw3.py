"""--format azw3: calibre's ebook-convert makes it from the EPUB when it is on the PATH; a
clear message and exit 2, with nothing written, when it is not."""

from __future__ import annotations

import os
import subprocess

from helpers import SAMPLE, masthead, need


def test_without_calibre_azw3_is_refused_before_any_work(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    result = masthead("build", str(SAMPLE), "-o", str(tmp_path / "out"), "--format", "epub,azw3", env=env)
    assert result.returncode == 2
    assert "--format azw3 needs calibre's ebook-convert on the PATH" in result.stderr
    assert "Send-to-Kindle takes EPUB" in result.stderr
    assert not (tmp_path / "out").exists()  # not even the EPUB


def test_azw3_through_ebook_convert(tmp_path):
    need("ebook-convert")
    result = masthead("build", str(SAMPLE), "-o", str(tmp_path), "--format", "azw3")
    assert result.returncode == 0, result.stderr
    book = tmp_path / f"{SAMPLE.name}.azw3"
    assert [p.name for p in tmp_path.iterdir()] == [book.name]  # the EPUB it came from is not kept
    data = book.read_bytes()
    assert data[60:68] == b"BOOKMOBI" and b"EXTH" in data  # a Mobipocket database, with metadata
    meta = subprocess.run(["ebook-meta", str(book)], capture_output=True, text=True, timeout=120).stdout
    assert "The Night Shift Issue" in meta and "en" in meta


def test_an_ebook_convert_that_writes_no_kindle_file_is_an_error_and_nothing_is_written(tmp_path):
    """A tool of that name that exits 0 and leaves an empty file (a stub, a broken install) made a
    0-byte .azw3 and exit 0; now the file is checked to be a Kindle database."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ebook-convert").write_text('#!/bin/sh\n: > "$2"\n', encoding="utf-8")
    (fake / "ebook-convert").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "MASTHEAD_CACHE_DIR": "off"}
    result = masthead("build", str(SAMPLE), "-o", str(tmp_path / "out"), "--format", "epub,azw3", env=env)
    assert result.returncode == 1, result.stderr
    assert "ebook-convert exited 0 but wrote no AZW3 (0 bytes" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []  # not even the EPUB
