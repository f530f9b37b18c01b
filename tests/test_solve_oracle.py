"""Every solver against the brute-force oracle on small random instances, and
the properties any exact engine must have."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.backends import available_backends
from allocator.errors import InfeasibleError
from allocator.solve import solve

from .oracle import brute_force
from .strategies import instances

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REL = 1e-6


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-6)


def achieved(plan):
    s = plan.summary
    if s["objective_kind"] == "lexicographic":
        return (s["objective"], s["cost_objective"])
    return s["objective"]


def agree(value, expected) -> bool:
    if isinstance(expected, tuple):
        return close(value[0], expected[0]) and close(value[1], expected[1])
    return close(value, expected)


@settings(max_examples=60, **SETTINGS)
@given(inst=instances())
def test_highs_equals_the_oracle(inst):
    expected, _ = brute_force(inst)
    if expected is None:
        with pytest.raises(InfeasibleError):
            solve(inst)
        return
    plan = solve(inst)
    assert plan.status == "optimal"
    assert plan.summary["verified"]
    assert agree(achieved(plan), expected), (achieved(plan), expected)


@pytest.mark.parametrize("solver", [s for s in available_backends() if s != "highs"])
@settings(max_examples=12, **SETTINGS)
@given(inst=instances(feasible=True))
def test_other_solvers_equal_the_oracle(solver, inst):
    expected, _ = brute_force(inst)
    plan = solve(inst, solver=solver, time_limit=60)
    assert plan.summary["solver"] == solver
    if plan.status == "optimal":
        assert agree(achieved(plan), expected), (solver, achieved(plan), expected)
    else:  # not proven: the truth lies between incumbent and bound
        lo, hi = sorted([plan.objective, plan.bound])
        truth = expected[1] if isinstance(expected, tuple) else expected
        assert lo - 1e-6 <= truth <= hi + 1e-6


@settings(max_examples=25, **SETTINGS)
@given(inst=instances(objective="max-coverage", budget=True), extra=st.floats(0.0, 2.0))
def test_bigger_budget_never_lowers_coverage(inst, extra):
    bigger = inst.budget * (1 + extra) + 1.0

    def run(budget):
        try:
            return solve(inst, budget=budget).objective
        except InfeasibleError:  # the claim must be true: the oracle finds no plan either
            assert brute_force(inst, budget=budget)[0] is None
            return None

    small, big = run(inst.budget), run(bigger)
    if small is not None:
        assert big is not None, "a plan at a smaller budget, none at a bigger one"
        assert big >= small - 1e-6 * max(1.0, abs(small))


@settings(max_examples=25, **SETTINGS)
@given(inst=instances(objective="min-cost", feasible=True))
def test_min_cost_meets_every_floor(inst):
    plan = solve(inst)
    floors = plan.groups.dropna(subset=["floor"])
    assert bool(floors["met"].all()), floors
    assert close(plan.total_cost, plan.objective)


@settings(max_examples=25, **SETTINGS)
@given(inst=instances(feasible=True))
def test_restricted_mode_is_never_better_than_exact(inst):
    exact = solve(inst)
    restricted = solve(inst, mode="restricted")
    assert restricted.summary["mode"] == "restricted"
    s = exact.summary
    if s["objective_kind"] == "min-cost":
        assert restricted.objective >= exact.objective - 1e-6
    elif s["objective_kind"] == "max-coverage":
        assert restricted.objective <= exact.objective + 1e-6


@settings(max_examples=10, **SETTINGS)
@given(inst=instances(feasible=True), seed=st.integers(0, 5))
def test_same_input_and_seed_same_plan(inst, seed):
    a = solve(inst, seed=seed)
    b = solve(inst, seed=seed)
    assert a.decision == b.decision


@settings(max_examples=20, **SETTINGS)
@given(inst=instances(objective="min-cost", feasible=True))
def test_multi_and_single_commodity_flows_agree_with_the_oracle(inst):
    from allocator.backends import get_backend
    from allocator.backends.base import SolveOptions
    from allocator.formulation import builder

    expected, _ = brute_force(inst)
    for limit in (0, 10**9):  # every branch aggregated / every branch multi-commodity
        form = builder.build(inst, objective_kind="min-cost", budget=None, mcf_limit=limit)
        r = get_backend("highs").solve(form.model, SolveOptions())
        assert r.status.value == "optimal"
        assert close(r.objective, expected), (limit, r.objective, expected)
