"""The tests' shared code lives in helpers.py; conftest.py holds fixtures only, and no test imports it."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import helpers

TESTS = Path(__file__).resolve().parent


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in it (inside functions too), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_no_test_file_imports_from_conftest():
    offenders = [f"{path.relative_to(TESTS)}:{line}"
                 for path in sorted(TESTS.rglob("*.py")) if "node_modules" not in path.parts
                 for line, module in imports_of(path) if module.split(".")[0] == "conftest"]
    assert offenders == [], "import these from helpers, not conftest: " + ", ".join(offenders)


def test_the_scan_sees_an_import_from_conftest(tmp_path):
    sample = tmp_path / "test_x.py"
    sample.write_text("def test_a():\n    from conftest import ROOT\n    import conftest\n", encoding="utf-8")
    assert imports_of(sample) == [(2, "conftest"), (3, "conftest")]


def test_conftest_defines_fixtures_only():
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    plain = [node.name for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("pytest_")
             and not any("fixture" in ast.unparse(d) for d in getattr(node, "decorator_list", []))]
    assert plain == [], f"move these to helpers.py: {plain}"


def test_helpers_is_the_module_in_the_tests_folder():
    assert Path(helpers.__file__).resolve() == TESTS / "helpers.py"


# corpus/strand-1891 as copied from the project's shared corpus: docs/redesign-baseline.sha256
# names the outputs built from it, so a change to it changes them (record both together).
CORPUS_DIGEST = "994ba60a9aa1ee85be84ab47bcb67b88b77a62ac5caf6bf8f90347bf99f6d4a9"


def test_the_corpus_is_in_the_repository_unchanged():
    files = sorted(p for p in helpers.CORPUS.rglob("*") if p.is_file())
    assert helpers.CORPUS.is_relative_to(helpers.ROOT) and (helpers.CORPUS / "issue.yaml") in files
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(helpers.CORPUS).as_posix().encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    assert (len(files), digest.hexdigest()) == (15, CORPUS_DIGEST)
