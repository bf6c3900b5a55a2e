"""The import graph of ``airflow.hitl`` and the provider: no circle, no import that climbs a floor.

Read from the source (``ast``), so the test sees imports inside functions too; imports under
``if TYPE_CHECKING:`` are left out (they never run). The floors are the ones
``contributing-docs/architecture.md`` describes ("Where things live").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "airflow" / "hitl"
PROVIDER = (
    Path(__file__).resolve().parents[3] / "providers" / "hitl" / "src" / "airflow" / "providers" / "hitl"
)

# Modules workers may import (the provider imports only these from airflow.hitl).
RULES = {
    "airflow.hitl",
    "airflow.hitl.request",
    "airflow.hitl.policy",
    "airflow.hitl.events",
    "airflow.hitl.prepared_links",
    "airflow.hitl.config",
    "airflow.hitl.json_limits",
}


def module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, name: str, is_package: bool) -> set[str]:
    """Every module ``name`` imports at run time (absolute names, relative ones resolved)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = {module_name(p, root, package): p for p in root.rglob("*.py")}
    return {
        name: {i for i in imports_of(path, name, path.name == "__init__.py") if i in modules and i != name}
        for name, path in modules.items()
    }


CORE_GRAPH = graph(CORE, "airflow.hitl")
PROVIDER_IMPORTS = {
    name: imports_of(path, name, path.name == "__init__.py")
    for name, path in (
        (module_name(p, PROVIDER, "airflow.providers.hitl"), p) for p in PROVIDER.rglob("*.py")
    )
}


def cycle_in(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := walk(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(edges):
        if start not in state and (found := walk(start)):
            return found
    return None


def floor_of(module: str) -> int:
    if module in RULES:
        return 1
    if (
        module.startswith(("airflow.hitl.models", "airflow.hitl.migrations"))
        or module == "airflow.hitl.db_manager"
    ):
        return 2
    if module.startswith("airflow.hitl.services"):
        return 3
    return 4


def test_the_graph_is_read():
    assert "airflow.hitl.services.respond" in CORE_GRAPH["airflow.hitl.services.prepared_links"]
    assert len(CORE_GRAPH) > 40


def test_airflow_hitl_has_no_import_circle():
    assert cycle_in(CORE_GRAPH) is None


def test_a_circle_would_be_found():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("module", sorted(CORE_GRAPH))
def test_no_import_climbs_a_floor(module):
    # Packages' __init__ files may re-export their own floor.
    upwards = {target for target in CORE_GRAPH[module] if floor_of(target) > floor_of(module)}
    assert upwards == set(), f"{module} (floor {floor_of(module)}) imports {sorted(upwards)}"


@pytest.mark.parametrize("module", sorted(PROVIDER_IMPORTS))
def test_the_provider_imports_only_the_rules_from_airflow_hitl(module):
    from_core = {i for i in PROVIDER_IMPORTS[module] if i == "airflow.hitl" or i.startswith("airflow.hitl.")}
    # "from airflow.hitl.request import X" records both the module and module.X.
    modules = {i for i in from_core if i in CORE_GRAPH}
    assert modules <= RULES, f"{module} imports {sorted(modules - RULES)}, which workers may not"
