"""Every test can fail: its body asserts something that is not always true.

A test counts as asserting when, outside any function it defines inside itself, it has an
``assert`` that is not a tautology, a ``pytest.raises``/``pytest.warns``/``pytest.fail``, a
``raise AssertionError``, or a call to one of ASSERTING_HELPERS (each of which must itself assert).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Helpers that assert for the test that calls them (checked below: each holds an assert).
ASSERTING_HELPERS = {
    "assert_failed_cleanly",  # test_bad_input.py: exit 1, no traceback, positioned diagnostics
    "assert_reported",  # test_bad_input.py: one diagnostic at a path, line and column
    "_assert_linear",  # test_linear_parsing.py: time grows linearly
    "_assert_positioned",  # test_properties.py: every diagnostic carries a position
    "outcome",  # test_properties.py: a build, or positioned errors and nothing written
    "build_folder",  # helpers.py: the build exits 0
}

# Tests that pass unless something raises, in files other changes are editing now; each is to be
# given an assert there (and its line here removed: test_pending_ones_are_still_pending fails then).
PENDING: dict[str, str] = {}  # "file::test": why it cannot fail yet (none now)

RAISES = {"raises", "warns", "fail", "deprecated_call"}


def tautology(test: ast.expr) -> bool:
    """An assert's test that holds whatever the code under test does."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, (ast.Tuple, ast.List, ast.Set)):  # assert (check, "message") is always true
        return bool(test.elts)
    if isinstance(test, ast.Dict):
        return bool(test.keys)
    if isinstance(test, ast.JoinedStr):  # an f-string with text of its own is never empty
        return any(isinstance(part, ast.Constant) and part.value for part in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is, ast.LtE, ast.GtE)):
        return ast.dump(test.left) == ast.dump(test.comparators[0])
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(tautology(v) for v in test.values)
    return False


def _own_nodes(node: ast.AST):
    """The nodes of a function's body, without those of functions or lambdas defined inside it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield child
        yield from _own_nodes(child)


def asserts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in _own_nodes(function):
        if isinstance(node, ast.Assert) and not tautology(node.test):
            return True
        if isinstance(node, ast.Raise) and node.exc is not None and "AssertionError" in ast.unparse(node.exc):
            return True
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name.startswith("pytest.") and name.split(".")[-1] in RAISES:
                return True
            if name.split(".")[-1] in ASSERTING_HELPERS:
                return True
    return False


def _tests_in(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield f"{path.name}::{node.name}", node


def empty_tests(files) -> list[str]:
    return [name for path in files for name, node in _tests_in(path) if not asserts(node)]


def test_every_test_asserts_something():
    empty = [name for name in empty_tests(sorted(TESTS.glob("test_*.py"))) if name not in PENDING]
    assert empty == [], "these tests cannot fail (no assert, or only a tautology): " + ", ".join(empty)


def test_pending_ones_are_still_pending():
    assert sorted(PENDING) == sorted(set(PENDING) & set(empty_tests(sorted(TESTS.glob("test_*.py")))))


def test_the_scan_finds_empty_and_tautological_tests(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import pytest\n"
        "def test_nothing():\n    x = 1\n"
        "def test_true():\n    assert True\n"
        "def test_tuple(x):\n    assert (x == 1, 'message')\n"
        "def test_self(x):\n    assert x == x\n"
        "def test_fstring(x):\n    assert f'x is {x}'\n"
        "def test_or_true(x):\n    assert x or 1\n"
        "def test_only_in_a_callback(x):\n    def check():\n        assert x\n"
        "def test_real(x):\n    assert x == 1\n"
        "def test_raises():\n    with pytest.raises(ValueError):\n        int('a')\n"
        "def test_helper(r, out):\n    assert_failed_cleanly(r, out)\n"
        "def test_assertion_error(x):\n    if x:\n        raise AssertionError(x)\n",
        encoding="utf-8")
    assert empty_tests([sample]) == [f"test_sample.py::{name}" for name in
                                     ("test_nothing", "test_true", "test_tuple", "test_self", "test_fstring",
                                      "test_or_true", "test_only_in_a_callback")]


def test_each_asserting_helper_asserts():
    defined = {}
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in ASSERTING_HELPERS:
                defined[node.name] = asserts(node)
    assert defined == dict.fromkeys(ASSERTING_HELPERS, True)
