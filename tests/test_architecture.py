"""The package's shape: no import cycles, the stages' entry points where docs/architecture.md says."""

from __future__ import annotations

import grimp

from helpers import ROOT


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), in import order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_one_that_imports_it():
    """Imports inside functions count too: a cycle hidden in a function is still one."""
    graph = grimp.build_graph("masthead")
    assert len(graph.modules) > 50
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(name)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.c", imported="a.d")
    assert _cycles(graph) == [["a.b", "a.c"]]


def test_each_stage_is_a_package_and_the_architecture_names_them():
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    for package in ("manifest", "content", "render", "layout", "export", "runtime", "tools", "cli", "model"):
        assert (ROOT / "src" / "masthead" / package / "__init__.py").is_file(), package
        assert f"{package}/" in text, package
