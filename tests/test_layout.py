"""The package layout stays a one-way pipeline: no import circles between allocator's modules,
and solve modes come from one registry."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import allocator
from allocator.errors import OptionsError
from allocator.solve.modes import MODES, mode_function

PACKAGE = Path(allocator.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(*, top_level_only: bool) -> nx.DiGraph:
    """Module -> module it imports. ``from . import a, b`` depends on the submodules a and b,
    not on the package's own ``__init__``."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = tree.body if top_level_only else ast.walk(tree)
        is_package = path.name == "__init__.py"
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules]
                for dep in subs if len(subs) == len(node.names) else [target, *subs]:
                    if dep in modules and dep != name:
                        graph.add_edge(name, dep)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != name:
                        graph.add_edge(name, alias.name)
    return graph


def test_no_import_circles_between_modules():
    cycles = sorted(sorted(c) for c in nx.simple_cycles(_import_graph(top_level_only=True)))
    assert cycles == [], f"import circles: {cycles}"


def test_the_solve_layer_never_imports_the_analysis_tools_at_module_level():
    # analysis (what-if, frontier, rollout ...) calls solve; the reverse would be a circle in waiting.
    # explain is the exception: solve explains an infeasible model with it.
    graph = _import_graph(top_level_only=True)
    wrong = [(a, b) for a, b in graph.edges if a.startswith("allocator.solve")
             and b.startswith("allocator.analysis") and b != "allocator.analysis.explain"]
    assert wrong == []


def test_every_mode_is_registered_and_an_unknown_one_is_an_options_error():
    assert set(MODES) == {"exact", "restricted", "decomposed", "decomposed-exact"}
    with pytest.raises(OptionsError, match="unknown mode 'exactt'") as info:
        mode_function("exactt")
    assert "exact, restricted, decomposed, decomposed-exact" in info.value.fix


def test_solve_refuses_an_unknown_mode_before_building_anything(tmp_path):
    with pytest.raises(OptionsError, match="unknown mode 'fast'"):
        allocator.solve(object(), mode="fast")
