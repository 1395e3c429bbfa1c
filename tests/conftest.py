"""Shared fixtures: built outputs (built once per session), copies of the corpus.

Fixtures only: the plain functions and constants tests use (paths, ``masthead``, ``epubcheck``,
``Epub``, ``need`` …) live in helpers.py, and a test imports them from there, never from here
(tests/test_helpers_layout.py fails if one does).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import CORPUS, SAMPLE, build_folder, copy_sample


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> dict[str, Path]:
    """The sample issue built once: {"epub": path, "pdf": path}."""
    return build_folder(SAMPLE, tmp_path_factory.mktemp("sample-out"))


@pytest.fixture(scope="session")
def sample_cmyk_build(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the sample issue made for a press (``pdf: {color: cmyk, bleed: 3mm}``, the bundled
    output intent) and its PDF, built once: (issue folder, PDF)."""
    issue = copy_sample(tmp_path_factory.mktemp("cmyk") / SAMPLE.name)
    manifest = issue / "issue.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "\npdf:\n  page_size: A4\n" in text
    manifest.write_text(text.replace("\npdf:\n  page_size: A4\n", "\npdf:\n  page_size: A4\n  color: cmyk\n  bleed: 3mm\n"),
                        encoding="utf-8")
    return issue, build_folder(issue, tmp_path_factory.mktemp("cmyk-out"), "pdf")["pdf"]


@pytest.fixture(scope="session")
def strand_copy(tmp_path_factory) -> Path:
    """A copy of corpus/strand-1891, for a test to build or change (the corpus itself is never written)."""
    target = tmp_path_factory.mktemp("corpus") / "strand-1891"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def strand_build(strand_copy, tmp_path_factory) -> dict[str, Path]:
    return build_folder(strand_copy, tmp_path_factory.mktemp("strand-out"))


@pytest.fixture
def issue_dir(tmp_path) -> Path:
    """A small valid issue to change in a test: two Markdown articles in one section."""
    root = tmp_path / "issue"
    (root / "articles").mkdir(parents=True)
    (root / "issue.yaml").write_text(
        "publication: Test Weekly\n"
        "date: 2025-01-31\n"
        "language: en\n"
        "number: 5\n"
        "sections:\n"
        "  - title: News\n"
        "    articles:\n"
        "      - articles/one.md\n"
        "      - articles/two.md\n",
        encoding="utf-8",
    )
    (root / "articles" / "one.md").write_text(
        "---\ntitle: First story\nbyline: Ann Author\nstandfirst: The first one.\n---\n\n"
        "Some text with a note.[^1] See [the second](two.md#details).\n\n## Details\n\nMore text.\n\n[^1]: The note.\n",
        encoding="utf-8",
    )
    (root / "articles" / "two.md").write_text(
        "---\ntitle: Second story\n---\n\nIntro.\n\n## Details\n\nThe details.\n", encoding="utf-8"
    )
    return root
