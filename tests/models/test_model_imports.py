"""The model modules import each other without a cycle (imports made only for type checking included)."""

from __future__ import annotations

import ast
from pathlib import Path

import app.models

PACKAGE = "app.models"


def model_imports() -> dict[str, set[str]]:
    """{module: the app.models modules it imports}; the package itself is `app.models`."""
    graph: dict[str, set[str]] = {}
    for path in Path(app.models.__file__).parent.glob("*.py"):
        name = PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names if a.name.startswith(PACKAGE))
        graph[name] = imported - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_model_modules_import_each_other_without_a_cycle():
    graph = model_imports()
    assert {"app.models.base", "app.models.orders", "app.models.companies"} <= set(graph)
    assert find_cycle(graph) is None
