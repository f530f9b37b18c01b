"""No private name crosses a module boundary inside the package.

A name with one leading underscore (``_check_options``, ``_Greedy``) or a
module whose name starts with one (``backends/_support.py``) belongs to its
module (or package): another module that imports it, or reads it as an
attribute of an imported module, depends on what its owner may change at will.
Shared helpers are made public (or moved) instead.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "allocator"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_of(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _package_of(path: Path) -> list[str]:
    mod = _module_of(path)
    return mod if path.name == "__init__.py" else mod[:-1]


def _absolute(path: Path, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        return (node.module or "").split(".")
    base = _package_of(path)
    base = base[:len(base) - (node.level - 1)]
    return base + (node.module.split(".") if node.module else [])


def _crosses(owner: list[str], importer_package: list[str], private_at: int) -> bool:
    """A private component at ``owner[private_at]`` is visible inside ``owner[:private_at]`` only."""
    return importer_package[:private_at] != owner[:private_at]


def _is_module(parts: list[str]) -> bool:
    where = PACKAGE.parent.joinpath(*parts)
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def violations(path: Path, source: str | None = None) -> list[str]:
    """Every private name ``path`` (its text: ``source``, default the file's) takes from another
    module, as 'file:line: what'."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    here = _module_of(path)
    package = _package_of(path)
    rel = path.relative_to(PACKAGE.parent)
    found = []
    imported_modules: dict[str, list[str]] = {}   # local name -> module it names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            src = _absolute(path, node)
            if src[:1] != ["allocator"]:
                continue
            for k, part in enumerate(src):
                if _private(part) and _crosses(src, package, k):
                    found.append(f"{rel}:{node.lineno}: imports from the private module {'.'.join(src)}")
                    break
            for alias in node.names:
                if _private(alias.name) and src != here:
                    found.append(f"{rel}:{node.lineno}: imports {alias.name} from {'.'.join(src)}")
                if _is_module(src + [alias.name]):
                    imported_modules[alias.asname or alias.name] = src + [alias.name]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] != "allocator":
                    continue
                for k, part in enumerate(parts):
                    if _private(part) and _crosses(parts, package, k):
                        found.append(f"{rel}:{node.lineno}: imports the private module {alias.name}")
                        break
                imported_modules[alias.asname or parts[0]] = parts if alias.asname else parts[:1]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules):
            found.append(f"{rel}:{node.lineno}: reads {node.value.id}.{node.attr} of "
                         f"{'.'.join(imported_modules[node.value.id])}")
    return found


def test_no_private_name_is_imported_across_modules():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50  # the scan found the package
    found = [v for f in files for v in violations(f)]
    assert not found, "private names used outside their module:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("from ..solve import _check_options\n", "imports _check_options from allocator.solve"),
    ("from ..heuristics.greedy import _Greedy as G\n", "imports _Greedy from allocator.heuristics.greedy"),
    ("from ..backends._support import make_result\n", "private module allocator.backends._support"),
    ("import allocator.backends._support\n", "private module allocator.backends._support"),
    ("from .. import solve\nsolve._objective('x')\n", "reads solve._objective of allocator.solve"),
    ("from allocator.heuristics import greedy as g\ng._TOL\n", "reads g._TOL of allocator.heuristics.greedy"),
])
def test_the_scan_finds_each_kind_of_crossing(source, expected):
    """Each way of reaching a private name, from a module of allocator/analysis/."""
    found = violations(PACKAGE / "analysis" / "probe.py", source)
    assert any(expected in v for v in found), found


@pytest.mark.parametrize("source", [
    "from ._support import make_result\n",                        # a package's private module, from inside it
    "def f():\n    return _g()\n\n\ndef _g():\n    return 1\n",  # a module's own private name
    "from .. import __version__\n",                               # dunder names are not private
    "from .base import Backend\nBackend._x = 1\n",                # a class's attribute is the class's business
])
def test_the_scan_allows_what_stays_inside(source):
    """From a module of allocator/backends/."""
    assert violations(PACKAGE / "backends" / "probe.py", source) == []
