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
