"""The root phase of exact solves: directed cuts, the objective lattice, the LP-support start.

The cuts are checked against the multi-commodity flow (whose LP bound they must
reach) and against optimal plans found without them (which they must never cut
off); the whole phase against the brute-force oracle and published optima.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.backends import get_backend
from allocator.backends import lattice_bound
from allocator.backends.base import SolveOptions
from allocator.backends.highs import LpRelaxation
from allocator.formulation import builder, dicuts
from allocator.backends.linear import LinearModel
from allocator.solve import solve

from .oracle import brute_force
from .strategies import instances
try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _lp_value(model) -> float:
    relaxed = LpRelaxation(model).solve()
    assert relaxed is not None
    return relaxed[1]


def _cut_loop(inst, objective):
    form = builder.build(inst, objective_kind=objective, budget=inst.budget)
    drop = np.concatenate(form.columns.flow_rows) if form.columns.flow_rows else None
    rows_before = form.model.num_rows
    stats = dicuts.separate(form, LpRelaxation(form.model, drop_rows=drop), seconds=60)
    return form, stats, rows_before


@settings(max_examples=examples(25), **SETTINGS)
@given(inst=instances(feasible=True))
def test_cut_loop_reaches_the_multi_commodity_lp_bound(inst):
    objective = inst.objective.value if inst.objective.value != "lexicographic" else "max-coverage"
    form, stats, _ = _cut_loop(inst, objective)
    if stats["lp_bound_after"] is None:  # no fiber terminal: nothing to separate
        assert not form.columns.terminal
        return
    mcf = builder.build(inst, objective_kind=objective, budget=inst.budget, mcf_limit=10**9)
    expected = _lp_value(mcf.model)
    assert math.isclose(stats["lp_bound_after"], expected, rel_tol=1e-6, abs_tol=1e-6), (stats, expected)


@settings(max_examples=examples(25), **SETTINGS)
@given(inst=instances(feasible=True))
def test_cuts_never_cut_off_an_optimal_plan(inst):
    objective = inst.objective.value if inst.objective.value != "lexicographic" else "max-coverage"
    plain = builder.build(inst, objective_kind=objective, budget=inst.budget)
    r = get_backend("highs").solve(plain.model, SolveOptions())
    if r.x is None:
        return
    form, stats, before = _cut_loop(inst, objective)
    a = form.model.matrix()[before:]
    lo = np.asarray(form.model.row_lo[before:])
    assert np.all(a @ r.x >= lo - 1e-7), "a directed cut excludes an optimal plan"
    assert stats["cuts_kept"] == form.model.num_rows - before


@settings(max_examples=examples(25), **SETTINGS)
@given(inst=instances(feasible=True), seed=st.integers(0, 3))
def test_root_phase_keeps_the_oracle_optimum(inst, seed):
    objective = inst.objective.value
    if objective == "lexicographic":
        objective = "max-coverage"
    expected, _ = brute_force(inst, objective=objective)
    with_cuts = solve(inst, objective=objective, seed=seed)
    without = solve(inst, objective=objective, seed=seed, cuts=False)
    assert with_cuts.summary["status"] == "optimal"
    assert math.isclose(with_cuts.objective, expected, rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(without.objective, expected, rel_tol=1e-6, abs_tol=1e-6)
    assert with_cuts.summary["options"]["cuts"] is True and without.summary["root_phase"] is None


def test_root_phase_is_recorded_and_timed():
    from pathlib import Path

    from allocator.io import load_instance

    plan = solve(load_instance(Path(__file__).resolve().parents[1] / "instances" / "county-demo"))
    root = plan.summary["root_phase"]
    assert root["rounds"] >= 1 and root["cuts_kept"] > 0
    assert root["lp_bound_after"] < root["lp_bound_before"]       # maximising: the cuts lower the LP bound
    assert root["lp_bound_after"] >= plan.objective - 1e-6         # ... never below the optimum
    assert plan.summary["solve_seconds"] >= root["total_seconds"]
    assert plan.summary["status"] == "optimal"



# ------------------------------------------------------------------ reduced-cost fixing
@settings(max_examples=examples(25), **SETTINGS)
@given(inst=instances(feasible=True))
def test_reduced_cost_fixing_keeps_every_better_plan(inst):
    """Columns fixed against an incumbent just below the optimum: the optimal plan is better
    than that incumbent, so it must have every fixed column at its end."""
    objective = inst.objective.value if inst.objective.value != "lexicographic" else "max-coverage"
    plain = builder.build(inst, objective_kind=objective, budget=inst.budget)
    r = get_backend("highs").solve(plain.model, SolveOptions())
    assert r.x is not None  # feasible=True instances have a plan
    form, stats, _ = _cut_loop(inst, objective)
    cert = stats.get("lp_certificate")
    if cert is None:  # no fiber terminal: no cut loop
        assert not form.columns.terminal
        return
    below = r.objective - 1e-6 * max(1.0, abs(r.objective)) * (1 if form.model.sense == "max" else -1)
    fix = cert.fixings(below, form.model.integer)
    lb, ub = np.asarray(form.model.lb), np.asarray(form.model.ub)
    end = np.where(cert.at_upper[fix], ub[fix], lb[fix])
    assert np.allclose(r.x[fix], end, atol=1e-6), "reduced-cost fixing excludes an optimal plan"



@settings(max_examples=examples(25), **SETTINGS)
@given(inst=instances(feasible=True), weak=st.booleans())
def test_the_tightened_model_keeps_the_optimum_and_a_valid_bound(inst, weak):
    """The root phase's start (or a greedy plan, ``weak``, which fixes less) as the incumbent: the MIP
    on the tightened model, its bound floored at the start, finds the brute-force optimum and
    its bound is on the right side of it."""
    from hypothesis import assume

    from allocator.formulation.warmstart import encode
    from allocator.heuristics.greedy import greedy
    from allocator.solve import rootphase

    objective = inst.objective.value if inst.objective.value != "lexicographic" else "max-coverage"
    expected, _ = brute_force(inst, objective=objective)
    form = builder.build(inst, objective_kind=objective, budget=inst.budget)
    assume(form.columns.terminal)  # the root phase serves models with fiber
    backend = get_backend("highs")
    root = rootphase.run(form, backend, remaining=lambda: None, seed=0, want_start=True)
    if weak:
        x = encode(form, inst, greedy(inst, objective=objective, budget=inst.budget))
        if x is not None and form.model.max_violation(x) <= 1e-6:
            root.start = None
            root.offer_start(form.model, x)
    assume(root.start_x is not None)  # a start is what the fixing is measured against
    tight = root.tightened(form.model)
    r = root.floor_bound(form.model, backend.solve(tight, SolveOptions(), warm_start=root.start_x))
    assert math.isclose(r.objective, expected, rel_tol=1e-6, abs_tol=1e-6), (r.objective, expected)
    ok = r.bound >= expected - 1e-6 * max(1.0, abs(expected)) if form.model.sense == "max" else \
        r.bound <= expected + 1e-6 * max(1.0, abs(expected))
    assert ok, (r.bound, expected)

def test_reduced_cost_fixing_by_hand():
    """max x1 + 2 x2, x1 + x2 <= 1, binary: the LP takes x2; x1's reduced cost is -1, so a plan
    with x1 = 1 is worth at most 2 - 1 = 1."""
    from allocator.solve.safe_bound import dual_certificate

    cert = dual_certificate([1.0, 2.0], np.array([[1.0, 1.0]]), [-np.inf], [1.0], [0.0, 0.0], [1.0, 1.0],
                            [2.0], sense="max")
    assert math.isclose(cert.bound, 2.0)
    assert math.isclose(cert.penalty[0], 1.0, rel_tol=1e-12) and not cert.at_upper[0]
    assert cert.penalty[1] == 0.0                       # x2 is basic-like: its reduced cost is 0
    assert list(cert.fixings(1.5, [True, True])) == [0]   # nothing better than 1.5 has x1 = 1
    assert list(cert.fixings(0.5, [True, True])) == []    # x1 = 1 (worth 1) beats 0.5: keep it free
    assert list(cert.fixings(1.5, [False, True])) == []   # continuous columns are never fixed
    assert list(cert.fixings(0.5, [True, True], step=1.0)) == [0]  # only a whole step better counts


def test_the_start_is_fixed_against_and_the_optimum_proven():
    """The county demo: the root phase fixes columns against its start, the MIP on the tightened
    model proves the same optimum as a solve without cuts."""
    from pathlib import Path

    from allocator.io import load_instance

    inst = load_instance(Path(__file__).resolve().parents[1] / "instances" / "county-demo")
    plan = solve(inst)
    plain = solve(inst, cuts=False)
    assert plan.summary["status"] == "optimal" and plain.summary["status"] == "optimal"
    assert math.isclose(plan.objective, plain.objective, rel_tol=1e-9)
    assert plan.summary["root_phase"].get("fixed_by_reduced_cost", 0) > 0

# ------------------------------------------------------------------ the objective lattice
def _model(costs, integer=True):
    m = LinearModel()
    for i, c in enumerate(costs):
        m.add_var(f"x{i}", obj=c, integer=integer)
    return m


@pytest.mark.parametrize("costs, step", [([3, 6, 9], 3.0), ([1.5, 0.3], 0.3), ([2, 3], 1.0), ([0.25, 1], 0.25)])
def test_objective_step(costs, step):
    assert math.isclose(_model(costs).objective_step(), step)


def test_no_step_with_costly_continuous_columns_or_irrational_costs():
    m = _model([1, 2])
    m.add_var("c", obj=0.5, integer=False)
    assert m.objective_step() is None
    assert _model([math.pi, 1.0]).objective_step() is None
    assert _model([]).objective_step() is None


@settings(max_examples=200, deadline=None)
@given(costs=st.lists(st.integers(1, 50), min_size=1, max_size=6), scale=st.sampled_from([1.0, 0.3, 0.25, 10.0]),
       x=st.lists(st.integers(0, 3), min_size=6, max_size=6), slack=st.floats(0, 0.999), sense=st.sampled_from(["min", "max"]))
def test_a_rounded_bound_never_passes_a_solution(costs, scale, x, slack, sense):
    """A true bound (below every solution when minimising) rounded to the lattice
    stays a bound: it never passes the value of an integer point, and it is never
    weaker than before by more than the slack."""
    model = _model([c * scale for c in costs])
    model.sense = sense
    step = model.objective_step()
    value = model.objective_value(x[:len(costs)])
    bound = value - slack * step if sense == "min" else value + slack * step
    rounded = lattice_bound(bound, step, 0.0, sense)
    give = 1e-3 * step + 1e-9  # the slack kept for a solver's tolerance may weaken it by that much
    if sense == "min":
        assert rounded <= value + 1e-9 and rounded >= bound - give
    else:
        assert rounded >= value - 1e-9 and rounded <= bound + give


def test_a_proof_of_infeasibility_is_not_turned_into_a_time_out():
    """Regression: the MIP proved infeasibility (the LP relaxation is feasible); adding the
    LP's bound to that result once made it look like "no plan before the time limit"."""
    from allocator.backends.base import SolveResult, Status
    from allocator.solve.rootphase import RootPhase

    model = _model([1, 2])
    model.sense = "max"
    infeasible = SolveResult(Status.INFEASIBLE, None, None, None, None, "highs", "x", 0.1)
    assert RootPhase(bound=871.0).combine(model, infeasible) is infeasible
    timed_out = SolveResult(Status.NO_SOLUTION, None, None, 900.0, None, "highs", "x", 0.1)
    assert RootPhase(bound=871.0).combine(model, timed_out).bound == 871.0  # the tighter bound wins


def test_a_solver_without_a_plan_of_its_own_returns_its_start():
    """Regression (CBC, province preset, 60 s): the solver's deadline passed before it read
    the warm start; the plan it was started from is returned, with the solver's bound."""
    from allocator.backends.base import SolveResult, Status
    from allocator.solve.monolithic import _fall_back_to_start

    model = _model([3, 2])
    model.sense = "max"
    model.add_row([0, 1], [1, 1], hi=1)                      # at most one
    timed_out = SolveResult(Status.NO_SOLUTION, None, None, 3.0, None, "cbc", "x", 60.0)
    r = _fall_back_to_start(model, timed_out, [0.0, 1.0])
    assert r.status is Status.FEASIBLE and r.objective == 2.0 and r.bound == 3.0
    assert r.gap == pytest.approx(0.5)
    assert _fall_back_to_start(model, timed_out, [1.0, 1.0]) is timed_out     # breaks a row: not a plan
    infeasible = SolveResult(Status.INFEASIBLE, None, None, None, None, "cbc", "x", 1.0)
    assert _fall_back_to_start(model, infeasible, [0.0, 1.0]) is infeasible
