"""The layering holds: service packages import each other without cycles, and nothing below the views imports them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; `from a import b` counts as `a.b` and `a`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _unit(module: str) -> str | None:
    """The service unit a module belongs to: `app.services.orders.cart` → `orders`, `app.services.money` → `money`."""
    parts = module.split(".")
    if parts[:2] != ["app", "services"] or len(parts) < 3:
        return None
    return parts[2]


def service_graph(root: Path = APP / "services") -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        unit = path.relative_to(root).parts[0].removesuffix(".py")
        if unit == "__init__":
            continue
        targets = {_unit(m) for m in _imports(path)} - {None, unit}
        graph.setdefault(unit, set()).update(t for t in targets if t is not None)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_service_packages_import_each_other_without_cycles():
    assert find_cycle(service_graph()) is None, " → ".join(find_cycle(service_graph()) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"orders": {"companies"}, "companies": {"customers"}, "customers": {"orders"}}) == [
        "companies",
        "customers",
        "orders",
        "companies",
    ]
    assert find_cycle({"orders": {"money"}, "money": set()}) is None


@pytest.mark.parametrize("layer", ["models", "services", "reports", "jobs", "seed"])
def test_lower_layers_never_import_the_views(layer):
    offenders = [
        str(path.relative_to(APP))
        for path in (APP / layer).rglob("*.py")
        if any(m == "app.views" or m.startswith("app.views.") for m in _imports(path))
    ]
    assert offenders == []


def test_models_never_import_services():
    offenders = [
        str(path.relative_to(APP))
        for path in (APP / "models").rglob("*.py")
        if any(m.startswith("app.services") for m in _imports(path))
    ]
    assert offenders == []
