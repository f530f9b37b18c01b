"""The four hand-checkable tiny instances, solved by every available backend.

Every expected value below is worked out by hand in instances/README.md
("Expected optima" and "Variants"), never taken from a solver's output: the
objective, the technology of every village, the opened sites with their
backhaul and the built trenches.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from allocator.backends import available_backends
from allocator.io import load_instance
from allocator.solve import KEEP, solve

from .builders import replace_in_file

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
SOLVERS = available_backends()
F, G, S, N = "fiber", "4g", "satellite", "none"


def close(a, b) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def technologies(plan) -> dict:
    return {v: t for v, t in plan.villages["technology"].items()}


def trenches(plan) -> set:
    return {"-".join(sorted((str(u), str(v)))) for u, v in zip(plan.edges["u"], plan.edges["v"])}


def check(plan, solver, *, objective, cost, tech, sites, edges, cost_objective=None):
    assert plan.summary["solver"] == solver
    assert plan.status == "optimal", plan.summary
    assert plan.summary["verified"]
    assert close(plan.objective, objective), (plan.objective, objective)
    assert close(plan.total_cost, cost), (plan.total_cost, cost)
    if cost_objective is not None:  # lexicographic: the second stage's cost
        assert close(plan.summary["cost_objective"], cost_objective)
    assert technologies(plan) == tech
    assert dict(plan.decision.opened_sites) == sites
    assert trenches(plan) == {"-".join(sorted(e.split("-"))) for e in edges}


# --------------------------------------------------------------------------- README "Expected optima"
# instance -> (objective, cost, technology per village, sites opened, trenches built); see the
# README section of each instance for the arithmetic.
EXPECTED = {
    # tiny-trench: V1, V2 share trench B-J (52 < two satellites 60), V3 is cheaper by satellite (30 < 101)
    "tiny-trench": (82.0, 82.0, {"V1": F, "V2": F, "V3": S}, {}, {"B-J", "J-N1", "J-N2"}),
    # tiny-4g: S1 with fiber backhaul (50 + 20 = 70 <= 72) covers 100 + 200 + 300; microwave (75) does not fit
    "tiny-4g": (600.0, 70.0, {"V1": G, "V2": G, "V3": G, "V4": N}, {"S1": "fiber"}, {"B-NS"}),
    # tiny-floor: the floor forces one of A1/A2 in; the best pair within 60 is A2 + B1 = 120
    "tiny-floor": (120.0, 60.0, {"A1": N, "A2": S, "B1": S, "B2": N}, {}, set()),
    # tiny-mincost: TCO over 2 years: F1 fiber 26, G1-G3 by S with microwave 62, S1 satellite 30 = 118
    "tiny-mincost": (118.0, 118.0, {"F1": F, "G1": G, "G2": G, "G3": G, "S1": S}, {"S": "microwave"}, {"B-N1"}),
}


@pytest.fixture(scope="module")
def tiny():
    return {name: load_instance(INSTANCES / name) for name in EXPECTED}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_readme_optimum(tiny, name, solver):
    objective, cost, tech, sites, edges = EXPECTED[name]
    plan = solve(tiny[name], solver=solver)
    assert plan.summary["objective_kind"] == tiny[name].objective.value
    check(plan, solver, objective=objective, cost=cost, tech=tech, sites=sites, edges=edges)


# --------------------------------------------------------------------------- README "Variants"
# (instance, objective, budget) -> expected; budget KEEP = the instance's own.
VARIANTS = {
    # every village is required (floor 1.0), so coverage is 300 whatever the plan; the cheapest
    # such plan is the min-cost optimum (82)
    ("tiny-trench", "lexicographic", KEEP):
        dict(objective=300.0, cost=82.0, cost_objective=82.0, tech={"V1": F, "V2": F, "V3": S}, sites={},
             edges={"B-J", "J-N1", "J-N2"}),
    # the tree graph makes the shortest-path tree the whole graph: restricted = exact
    ("tiny-trench", "min-cost", KEEP, "restricted"):
        dict(objective=82.0, cost=82.0, tech={"V1": F, "V2": F, "V3": S}, sites={}, edges={"B-J", "J-N1", "J-N2"}),
    # budget 75: fiber (70) and microwave (75) backhaul both reach 600; the cost stage keeps 70
    ("tiny-4g", "lexicographic", 75.0):
        dict(objective=600.0, cost=70.0, cost_objective=70.0, tech={"V1": G, "V2": G, "V3": G, "V4": N},
             sites={"S1": "fiber"}, edges={"B-NS"}),
    # budget 110: all four (650) by S1 + a satellite for V4: fiber 100 or microwave 105; 4 satellites 120
    ("tiny-4g", "lexicographic", 110.0):
        dict(objective=650.0, cost=100.0, cost_objective=100.0, tech={"V1": G, "V2": G, "V3": G, "V4": S},
             sites={"S1": "fiber"}, edges={"B-NS"}),
    # nothing is required (no floor, no school, no clinic): the cheapest plan builds nothing
    ("tiny-4g", "min-cost", KEEP):
        dict(objective=0.0, cost=0.0, tech={"V1": N, "V2": N, "V3": N, "V4": N}, sites={}, edges=set()),
    # budget 30 buys one satellite and the floor claims it: A2 (20) beats A1 (10)
    ("tiny-floor", "max-coverage", 30.0):
        dict(objective=20.0, cost=30.0, tech={"A1": N, "A2": S, "B1": N, "B2": N}, sites={}, edges=set()),
    # the README optimum A2 + B1 (120) is the only plan reaching 120, so its cost 60 is the cost stage's
    ("tiny-floor", "lexicographic", KEEP):
        dict(objective=120.0, cost=60.0, cost_objective=60.0, tech={"A1": N, "A2": S, "B1": S, "B2": N},
             sites={}, edges=set()),
    # every village is required; coverage 500 is fixed, the cost stage is the min-cost optimum 118
    ("tiny-mincost", "lexicographic", KEEP):
        dict(objective=500.0, cost=118.0, cost_objective=118.0,
             tech={"F1": F, "G1": G, "G2": G, "G3": G, "S1": S}, sites={"S": "microwave"}, edges={"B-N1"}),
}


def _variant_id(key) -> str:
    budget = "own" if key[2] is KEEP else f"{key[2]:g}"
    return "-".join([key[0], key[1], budget, *key[3:]])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("key", list(VARIANTS), ids=_variant_id)
def test_readme_variant(tiny, key, solver):
    name, objective, budget, *mode = key
    plan = solve(tiny[name], objective=objective, budget=budget, solver=solver, mode=(mode or ["exact"])[0])
    assert plan.summary["objective_kind"] == objective
    check(plan, solver, **VARIANTS[key])


@pytest.mark.parametrize("solver", SOLVERS)
def test_tiny_floor_min_cost_covers_one_of_the_floor_villages(tiny, solver):
    # ceil(0.5 x 2) = 1 of A1, A2 at 30; the two tie, so either may be chosen
    plan = solve(tiny["tiny-floor"], objective="min-cost", solver=solver)
    assert plan.status == "optimal" and close(plan.objective, 30.0) and close(plan.total_cost, 30.0)
    tech = technologies(plan)
    assert sorted([tech["A1"], tech["A2"]]) == [N, S]
    assert tech["B1"] == tech["B2"] == N


@pytest.fixture(scope="module")
def tiny_mincost_capex(tmp_path_factory):
    # README tiny-mincost: "Measured in capex instead, satellites would win everywhere"
    target = tmp_path_factory.mktemp("capex") / "tiny-mincost-capex"
    shutil.copytree(INSTANCES / "tiny-mincost", target)
    replace_in_file(target / "instance.toml", 'budget_measure = "tco"', 'budget_measure = "capex"')
    return load_instance(target)


@pytest.mark.parametrize("solver", SOLVERS)
def test_tiny_mincost_in_capex_takes_satellites_everywhere(tiny_mincost_capex, solver):
    # F1: satellite 10 < fiber 20 + 1; G1-G3: 3 x 10 < site 40 + microwave 10; S1: 10 -> 5 x 10 = 50
    plan = solve(tiny_mincost_capex, solver=solver)
    assert plan.summary["budget_measure"] == "capex"
    check(plan, solver, objective=50.0, cost=50.0, tech={v: S for v in ("F1", "G1", "G2", "G3", "S1")},
          sites={}, edges=set())
