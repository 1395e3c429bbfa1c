"""Shared fixtures: built outputs (built once per session), copies of the corpus.

Fixtures only: the plain functions and constants tests use (paths, ``masthead``, ``epubcheck``,
``Epub``, ``need`` …) live in helpers.py, and a test imports them from there, never from here
(tests/test_helpers_layout.py fails if one does).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from helpers import CORPUS, SAMPLE, build_folder, copy_sample, once, shared_base


@pytest.fixture(scope="session", autouse=True)
def build_cache(tmp_path_factory) -> Path:
    """The builds the tests run keep their cache in the session's folder, shared by the workers,
    never in the user's own (~/.cache/masthead): a test run neither reads what an earlier run
    or the user left there nor leaves anything behind. A test may set its own."""
    folder = shared_base(tmp_path_factory) / "masthead-cache"
    folder.mkdir(exist_ok=True)
    previous = os.environ.get("MASTHEAD_CACHE_DIR")
    os.environ["MASTHEAD_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("MASTHEAD_CACHE_DIR", None)
    else:
        os.environ["MASTHEAD_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> dict[str, Path]:
    """The sample issue built once: {"epub": path, "pdf": path}."""
    return once(tmp_path_factory, "sample-out", lambda folder: build_folder(SAMPLE, folder))


@pytest.fixture(scope="session")
def sample_cmyk_build(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the sample issue made for a press (``pdf: {color: cmyk, bleed: 3mm}``, the bundled
    output intent) and its PDF, built once: (issue folder, PDF)."""
    def make(folder: Path) -> tuple[Path, Path]:
        issue = copy_sample(folder / "issue" / SAMPLE.name)
        manifest = issue / "issue.yaml"
        text = manifest.read_text(encoding="utf-8")
        assert "\npdf:\n  page_size: A4\n" in text
        manifest.write_text(text.replace("\npdf:\n  page_size: A4\n", "\npdf:\n  page_size: A4\n  color: cmyk\n  bleed: 3mm\n"),
                            encoding="utf-8")
        return issue, build_folder(issue, folder / "out", "pdf")["pdf"]

    return once(tmp_path_factory, "cmyk", make)


@pytest.fixture(scope="session")
def strand_copy(tmp_path_factory) -> Path:
    """A copy of corpus/strand-1891, for a test to build or change (the corpus itself is never written)."""
    target = tmp_path_factory.mktemp("corpus") / "strand-1891"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def strand_build(tmp_path_factory) -> dict[str, Path]:
    """corpus/strand-1891 built once (from a copy of its own): {"epub": path, "pdf": path}."""
    def make(folder: Path) -> dict[str, Path]:
        issue = folder / CORPUS.name
        shutil.copytree(CORPUS, issue)
        return build_folder(issue, folder / "out")

    return once(tmp_path_factory, "strand-out", make)


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


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, absent under -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadscope`` (as `make test` runs the tests): a module that has a fixture of
    its own scoped to the module or the session (a build, a browser run, the reading lab, Ace)
    goes to one worker whole, so the fixture is made once and no other worker sits waiting for
    it (its tests spread over three workers left two blocked on the lab's lock for two minutes);
    every other test goes wherever a worker is free. (xdist's own loadscope would
    tie every module to one worker, and its loadgroup reads marks through an attribute pytest 9
    no longer has.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    grouped = frozenset(f"tests/{path.name}" for path in Path(__file__).parent.glob("test_*.py")
                        if re.search(r'scope="(module|session)"', path.read_text(encoding="utf-8")))

    class ModulesThatShareAFixture(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in grouped else nodeid

    return ModulesThatShareAFixture(config, log)
