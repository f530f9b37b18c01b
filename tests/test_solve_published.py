"""Published optima through the importers: SteinLib B (b01-b18) and OR-Library
scp41-scp410 imported with allocator.importers, solved with ``solve()``.

The known optima are read at test time from <repo>/../shared/external/MANIFEST.csv
(never written here); the tests skip with a reason when that folder is absent.
The prize-collecting case is a hand-made STP file whose optimum is worked out
in its comment.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from allocator.backends import available_backends
from allocator.importers import import_scp, import_stp
from allocator.io import load_instance
from allocator.solve import solve
try:  # tests/ as a plain directory or as a package
    from external import EXTERNAL, MANIFEST, require_external
except ImportError:
    from tests.external import EXTERNAL, MANIFEST, require_external

REPO = Path(__file__).resolve().parents[1]

STEINLIB_B = [f"b{i:02d}" for i in range(1, 19)]
SCP4 = [f"scp4{i}" for i in range(1, 11)]
#: a few of each family for the other solvers (HiGHS does them all)
SAMPLE = ["b01", "b04", "scp41"]
OTHER_SOLVERS = [s for s in available_backends() if s != "highs"]
OTHER_LIMIT = 30.0


def _manifest() -> dict[str, dict]:
    require_external()
    with MANIFEST.open(encoding="utf-8", newline="") as f:
        return {row["name"]: row for row in csv.DictReader(f)}


def _import(name: str, tmp_path: Path):
    """(instance, known optimum) of a MANIFEST entry, imported into tmp_path."""
    row = _manifest().get(name)
    if row is None:
        pytest.skip(f"{name} is not listed in {MANIFEST}")
    source = EXTERNAL / row["file"]
    if not source.is_file():
        pytest.skip(f"{source} is absent")
    importer = import_stp if row["problem"] == "steiner_tree" else import_scp
    directory = importer(source, tmp_path / name)
    return load_instance(directory), float(row["known_optimum"])


def _equal(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.parametrize("name", STEINLIB_B + SCP4)
def test_highs_reaches_the_published_optimum(name, tmp_path):
    instance, optimum = _import(name, tmp_path)
    plan = solve(instance, solver="highs")
    assert plan.status == "optimal", plan.summary
    assert plan.summary["verified"]
    assert _equal(plan.objective, optimum), (name, plan.objective, optimum)
    # the objective is what the plan pays: trenches (Steiner) or sites (set cover), nothing else
    assert _equal(plan.total_cost, optimum)
    assert bool(plan.villages["covered"].all())  # every terminal / row is served


@pytest.mark.parametrize("solver", OTHER_SOLVERS)
@pytest.mark.parametrize("name", SAMPLE)
def test_other_solvers_agree_with_the_published_optimum(name, solver, tmp_path):
    instance, optimum = _import(name, tmp_path)
    plan = solve(instance, solver=solver, time_limit=OTHER_LIMIT)
    assert plan.summary["solver"] == solver
    assert plan.status in ("optimal", "feasible"), plan.summary
    if plan.status == "optimal":
        assert _equal(plan.objective, optimum), (name, solver, plan.objective, optimum)
    else:  # not proven within the limit: the optimum lies between the bound and the incumbent
        assert plan.bound - 1e-6 <= optimum <= plan.objective + 1e-6, (plan.bound, optimum, plan.objective)


# --------------------------------------------------------------------------- prize-collecting, by hand
# Root 1 has fiber. Terminals 3, 4, 5 may stay out of the tree and pay their prize instead
# (the importer makes the prize the village's satellite price).
#
#        3 --(2)-- 2 --(3)-- 1 (root) --(10)-- 5
#                  |                           |
#                 (4)---------- 4 -----(1)------
#
# Connecting 5 is cheapest along 1-2-4-5 (3 + 4 + 1 = 8 < 10), which connects 4 on the way.
# Adding 3 then costs the edge 2-3 (2). So with prizes (3: p3, 4: 2, 5: 20):
#   connect {3, 4, 5}: 8 + 2 = 10          connect {4, 5}: 8 + p3
#   connect {3} or {4} alone: 5 + 22 or 7 + (p3 + 20)   connect none: p3 + 22
# p3 = 1: leaving 3 out (9) beats connecting it (10); p3 = 4: connecting everything (10) wins.
PC_STP = """33D32945 STP File, STP Format Version 1.0
SECTION Comment
Name "hand-made prize-collecting"
END

SECTION Graph
Nodes 5
Edges 5
E 1 2 3
E 2 3 2
E 2 4 4
E 1 5 10
E 4 5 1
END

SECTION Terminals
Terminals 3
RootP 1
TP 3 {p3}
TP 4 2
TP 5 20
END

EOF
"""
PC_CASES = {
    1: (9.0, {"v3": "satellite", "v4": "fiber", "v5": "fiber"}, {"1-2", "2-4", "4-5"}),
    4: (10.0, {"v3": "fiber", "v4": "fiber", "v5": "fiber"}, {"1-2", "2-3", "2-4", "4-5"}),
}


@pytest.mark.parametrize("solver", available_backends())
@pytest.mark.parametrize("p3", sorted(PC_CASES))
def test_prize_collecting_stp(p3, solver, tmp_path):
    source = tmp_path / "pc.stp"
    source.write_text(PC_STP.format(p3=p3), encoding="utf-8")
    instance = load_instance(import_stp(source, tmp_path / "pc"))
    optimum, tech, edges = PC_CASES[p3]
    plan = solve(instance, solver=solver)
    assert plan.status == "optimal"
    assert _equal(plan.objective, optimum), (plan.objective, optimum)
    assert plan.villages["technology"].to_dict() == tech
    assert {"-".join(sorted((str(u), str(v)))) for u, v in zip(plan.edges["u"], plan.edges["v"])} == edges
