"""Conformance suite: every available backend solves the same models the same way.

Known optima are computed here by brute force (itertools / numpy over all 0-1
or small-integer points), never copied from a solver.
"""
from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.backends import (BACKENDS, PROOF_GAP, SolveOptions, Status, available_backends, get_backend,
                                relative_gap)
from allocator.backends.cbc import parse_cbc_log
from allocator.errors import OptionsError
from allocator.backends.linear import LinearModel
try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

ALL = available_backends()
WARM = [n for n in ALL if BACKENDS[n].supports_warm_start]
NOT_CPSAT = [n for n in ALL if n != "cpsat"]

FEAS = 1e-6


# ---------------------------------------------------------------- model builders
def knapsack(n=12, seed=1, offset=0.0):
    rng = np.random.default_rng(seed)
    w = rng.integers(5, 40, n).astype(float)
    v = (w + rng.integers(-4, 12, n)).astype(float)
    cap = float(np.floor(w.sum() * 0.4))
    m = LinearModel(sense="max", obj_offset=offset)
    m.add_vars([f"k{j}" for j in range(n)], 0, 1, obj=v)
    m.add_row(np.arange(n), w, hi=cap, name="capacity")
    return m, w, v, cap


def set_cover(n=12, rows=9, seed=2, density=0.3, costs=None):
    rng = np.random.default_rng(seed)
    cover = rng.random((rows, n)) < density
    for i in range(rows):
        cover[i, rng.choice(n, 2, replace=False)] = True
    c = rng.integers(1, 30, n).astype(float) if costs is None else np.broadcast_to(costs, (n,)).astype(float)
    m = LinearModel(sense="min")
    m.add_vars([f"s{j}" for j in range(n)], 0, 1, obj=c)
    r, cols = np.nonzero(cover)
    m.add_rows(r, cols, 1.0, lo=np.ones(rows), hi=np.full(rows, np.inf))
    return m, cover, c


def hard_set_cover():
    """2,000 columns x 500 rows with random costs: no backend closes the gap in 1 s here."""
    m, _, _ = set_cover(n=2000, rows=500, seed=0, density=0.01)
    return m


def planted_market_split(m=6, seed=0):
    """Market-split rows (a x = d, a_ij in 0..99) around a planted 0-1 point: feasible, but
    finding any solution is hard, which makes a warm start visible."""
    rng = np.random.default_rng(seed)
    n = 10 * (m - 1)
    a = rng.integers(0, 100, (m, n)).astype(float)
    xs = (rng.random(n) < 0.5).astype(float)
    d = a @ xs
    model = LinearModel(sense="min")
    model.add_vars([f"x{j}" for j in range(n)], 0, 1, obj=rng.integers(1, 20, n))
    r, c = np.nonzero(a)
    model.add_rows(r, c, a[r, c], lo=d, hi=d)
    return model, xs


def allocation(villages=300, seed=0):
    """One option per village (fiber / 4G / satellite) under a budget: the engine's shape."""
    rng = np.random.default_rng(seed)
    pop = rng.integers(50, 3000, villages)
    cost = np.stack([rng.integers(200, 900, villages), rng.integers(100, 400, villages),
                     rng.integers(30, 80, villages)], 1) * 1000.0
    m = LinearModel(sense="max")
    cols = m.add_vars([f"v{i}_{k}" for i in range(villages) for k in range(3)], 0, 1,
                      obj=(pop[:, None] * np.array([10.0, 8.0, 4.0])[None, :]).ravel())
    m.add_rows(np.repeat(np.arange(villages), 3), cols, 1.0, lo=-np.inf, hi=np.ones(villages))
    m.add_row(cols, cost.ravel(), hi=float(cost[:, 1].sum() * 0.45), name="budget")
    return m


def brute_force_binary(model: LinearModel):
    """(optimum, argmax set) over all 0-1 points, or (None, None) when none is feasible."""
    n = model.num_vars
    pts = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    return _best(model, pts)


def _best(model, pts):
    a = model.matrix().toarray()
    act = pts @ a.T
    ok = np.all((act >= np.asarray(model.row_lo) - 1e-9) & (act <= np.asarray(model.row_hi) + 1e-9), axis=1)
    ok &= np.all((pts >= np.asarray(model.lb)) & (pts <= np.asarray(model.ub)), axis=1)
    if not ok.any():
        return None, None
    vals = pts[ok] @ np.asarray(model.obj) + model.obj_offset
    best = vals.max() if model.sense == "max" else vals.min()
    return float(best), pts[ok][np.isclose(vals, best)]


def assert_consistent(model, r, name):
    """What every result must satisfy, whatever its status."""
    assert r.solver == name
    assert r.seconds >= 0
    if r.x is None:
        assert r.objective is None
        return
    assert r.x.shape == (model.num_vars,)
    assert model.max_violation(r.x) <= FEAS, (name, model.max_violation(r.x))
    assert r.objective == pytest.approx(model.objective_value(r.x), rel=1e-12, abs=1e-9)
    assert r.gap == relative_gap(r.objective, r.bound, model.sense)
    if r.status is Status.OPTIMAL:
        assert r.gap is not None and r.gap <= PROOF_GAP
    if r.status is Status.FEASIBLE:
        assert r.gap is None or r.gap > PROOF_GAP


# ---------------------------------------------------------------- registry
def test_registry_lists_highs_first_and_rejects_unknown_names():
    assert set(BACKENDS) == {"highs", "cbc", "scip", "cpsat"}
    assert ALL[0] == "highs"
    assert get_backend("HiGHS").name == "highs"
    with pytest.raises(OptionsError) as err:
        get_backend("gurobi")
    text = str(err.value)
    assert "unknown solver 'gurobi'" in text
    for name in ALL:
        assert name in text


@pytest.mark.parametrize("name", ALL)
def test_bad_option_is_an_error_result_not_an_exception(name):
    m, *_ = knapsack(6)
    r = get_backend(name).solve(m, SolveOptions(gap=1.5))
    assert r.status is Status.ERROR
    assert "gap must be in [0, 1)" in r.message


# ---------------------------------------------------------------- known optima
@pytest.mark.parametrize("name", ALL)
def test_knapsack_max_sense_with_offset_matches_brute_force(name):
    m, *_ = knapsack(12, seed=1, offset=7.5)
    best, argbest = brute_force_binary(m)
    r = get_backend(name).solve(m, SolveOptions(time_limit=30))
    assert_consistent(m, r, name)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best, rel=1e-9)
    assert r.bound == pytest.approx(best, rel=1e-6)
    assert any(np.array_equal(r.x, p) for p in argbest)


@pytest.mark.parametrize("name", ALL)
def test_set_cover_matches_brute_force(name):
    m, cover, c = set_cover(14, rows=10, seed=5)
    best, _ = brute_force_binary(m)
    r = get_backend(name).solve(m, SolveOptions(time_limit=30))
    assert_consistent(m, r, name)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best, rel=1e-9)
    assert np.all(cover[:, r.x > 0.5].any(axis=1))  # every row covered


@pytest.mark.parametrize("name", NOT_CPSAT)
def test_lp_relaxation_of_knapsack_is_dantzigs_bound(name):
    m, w, v, cap = knapsack(12, seed=3)
    m.integer = [False] * m.num_vars
    # Dantzig: fill by value/weight ratio, the last item fractionally
    order = np.argsort(-v / w, kind="stable")
    room, expected = cap, 0.0
    for j in order:
        take = min(1.0, room / w[j])
        expected += take * v[j]
        room -= take * w[j]
        if room <= 0:
            break
    r = get_backend(name).solve(m, SolveOptions())
    assert_consistent(m, r, name)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(expected, rel=1e-9)
    assert r.bound == pytest.approx(expected, rel=1e-9)
    assert np.sum(np.abs(r.x - np.round(r.x)) > 1e-9) == 1  # exactly one fractional item


def test_cpsat_refuses_a_genuinely_continuous_column():
    if "cpsat" not in ALL:
        pytest.skip("CP-SAT is not installed")
    m, *_ = knapsack(6)
    m.integer = [False] * m.num_vars
    r = get_backend("cpsat").solve(m, SolveOptions())
    assert r.status is Status.ERROR
    assert "only integer columns are supported" in r.message


# ---------------------------------------------------------------- infeasible / unbounded
def _integer_infeasible():
    m = LinearModel()
    m.add_vars(["a", "b", "c"], 0, 1, obj=[1, 2, 3])
    m.add_row([0, 1, 2], [2, 2, 2], lo=3, hi=3)  # LP-feasible, no 0-1 point
    return m


def _lp_infeasible():
    m, *_ = knapsack(5)
    m.add_row([0, 1], [1, 1], lo=3)  # two binaries summing to 3
    return m


@pytest.mark.parametrize("name", ALL)
def test_infeasible_models_are_proven_infeasible(name):
    for m in (_integer_infeasible(), _lp_infeasible()):
        r = get_backend(name).solve(m, SolveOptions(time_limit=30))
        assert r.status is Status.INFEASIBLE, (name, r.raw_status, r.message)
        assert r.x is None and r.objective is None


def _county_part_cbc_calls_infeasible_or_unbounded():
    import json
    from pathlib import Path

    d = json.loads((Path(__file__).parent / "data" / "cbc_infeasible_or_unbounded.json").read_text())
    m = LinearModel(sense=d["sense"])
    m.add_vars([f"x{j}" for j in range(len(d["obj"]))], d["lb"], d["ub"], obj=d["obj"])
    m.integer = list(d["integer"])
    inf = float("inf")
    m.add_rows(d["rows"], d["cols"], d["vals"], [-inf if v is None else v for v in d["row_lo"]],
               [inf if v is None else v for v in d["row_hi"]])
    return m


@pytest.mark.parametrize("name", ALL)
def test_infeasible_county_part_is_proven_infeasible(name):
    """Regression: CBC's preprocessing says "infeasible or unbounded" on this county part
    (national seed 1); its zero-objective re-check said the same and was reported as an
    error. A zero objective cannot be unbounded: that answer proves infeasibility."""
    r = get_backend(name).solve(_county_part_cbc_calls_infeasible_or_unbounded(), SolveOptions(time_limit=30))
    assert r.status is Status.INFEASIBLE, (name, r.raw_status, r.message)


@pytest.mark.parametrize("name", ALL)
def test_unbounded_model_is_an_error_with_a_reason(name):
    m = LinearModel()
    m.add_vars(["a", "b"], 0, math.inf, obj=[-1, -1])
    m.add_row([0, 1], [1, -1], hi=2)
    r = get_backend(name).solve(m, SolveOptions(time_limit=30))
    assert r.status is Status.ERROR
    if name == "cpsat":
        assert "CP-SAT needs finite bounds on every column" in r.message
    else:
        assert "unbounded" in r.message


@pytest.mark.parametrize("name", NOT_CPSAT)
def test_unbounded_lp_is_an_error(name):
    m = LinearModel(sense="max")
    m.add_vars(["a", "b"], 0, math.inf, obj=[1, 1], integer=False)
    m.add_row([0, 1], [1, -1], hi=2)
    r = get_backend(name).solve(m, SolveOptions(time_limit=30))
    assert r.status is Status.ERROR
    assert "unbounded" in r.message


# ---------------------------------------------------------------- time limit on a hard model
@pytest.fixture(scope="module")
def hard_runs():
    model = hard_set_cover()
    runs = {}
    for name in ALL:
        t0 = time.perf_counter()
        r = get_backend(name).solve(model, SolveOptions(time_limit=1.0, threads=1))
        runs[name] = (r, time.perf_counter() - t0)
    return model, runs


@pytest.mark.parametrize("name", ALL)
def test_time_limit_is_kept_and_never_claims_a_false_optimum(name, hard_runs):
    model, runs = hard_runs
    r, wall = runs[name]
    assert wall < 3.0, f"{name} took {wall:.2f} s for a 1 s limit"
    assert r.seconds <= wall
    assert_consistent(model, r, name)
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION) or (
        r.status is Status.OPTIMAL and r.gap <= PROOF_GAP), (r.status, r.gap)


def test_every_bound_is_below_every_incumbent_on_the_hard_model(hard_runs):
    _, runs = hard_runs
    incumbents = {n: r.objective for n, (r, _) in runs.items() if r.objective is not None}
    bounds = {n: r.bound for n, (r, _) in runs.items() if r.bound is not None}
    assert incumbents and bounds
    for bn, b in bounds.items():
        for on, o in incumbents.items():
            assert b <= o + 1e-6, f"{bn}'s bound {b} is above {on}'s incumbent {o}"


# ---------------------------------------------------------------- gap, warm start, determinism
@pytest.mark.parametrize("name", ALL)
def test_gap_option_stops_early_with_the_stated_gap(name):
    m = allocation(300)
    r = get_backend(name).solve(m, SolveOptions(time_limit=30, gap=0.01))
    assert_consistent(m, r, name)
    assert r.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert r.gap is not None and r.gap <= 0.01
    assert r.seconds < 15


@pytest.mark.parametrize("name", WARM)
def test_warm_start_is_used(name):
    m, xs = planted_market_split()
    r = get_backend(name).solve(m, SolveOptions(time_limit=1.0, threads=1), warm_start=xs)
    assert_consistent(m, r, name)
    assert r.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert r.objective <= m.objective_value(xs) + 1e-9
    assert "passed to" in r.extra["warm_start"]


@pytest.mark.parametrize("name", ALL)
def test_same_seed_gives_the_same_solution(name):
    m, *_ = set_cover(40, rows=25, seed=11, density=0.15, costs=1.0)  # unit costs: many optima
    opts = SolveOptions(time_limit=30, threads=1, seed=123)
    r1 = get_backend(name).solve(m, opts)
    r2 = get_backend(name).solve(m, opts)
    assert r1.status is Status.OPTIMAL and r2.status is Status.OPTIMAL
    assert np.array_equal(r1.x, r2.x)


# ---------------------------------------------------------------- CP-SAT scaling
def _rational_model():
    m = LinearModel(sense="max")
    m.add_vars(["a", "b", "c"], 0, 6, obj=[0.1, 1 / 3, 0.25])
    m.add_row([0, 1, 2], [0.25, 0.7, 0.5], hi=2.05)
    m.add_row([0, 2], [1.5, -0.2], lo=-1.0, hi=4.4)
    return m


def test_cpsat_scales_small_denominators_exactly():
    if "cpsat" not in ALL:
        pytest.skip("CP-SAT is not installed")
    m = _rational_model()
    best, _ = _best(m, np.array(list(itertools.product(range(7), repeat=3)), dtype=float))
    r = get_backend("cpsat").solve(m, SolveOptions())
    assert r.extra["approximated"] is False
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best, rel=1e-12)


def test_cpsat_approximates_irrational_data_and_keeps_a_valid_bound():
    if "cpsat" not in ALL:
        pytest.skip("CP-SAT is not installed")
    m = LinearModel(sense="max")
    m.add_vars(["a", "b", "c"], 0, 8, obj=[math.pi, math.e, math.sqrt(5)])
    m.add_row([0, 1, 2], [math.sqrt(2), math.sqrt(3), 1.1 * math.sqrt(7)], hi=10.123456789)
    best, _ = _best(m, np.array(list(itertools.product(range(9), repeat=3)), dtype=float))
    r = get_backend("cpsat").solve(m, SolveOptions())
    assert r.extra["approximated"] is True
    assert r.extra["row_precision"] < 1e-8
    assert_consistent(m, r, "cpsat")
    assert r.objective == pytest.approx(best, rel=1e-9)
    assert r.bound >= best  # converted back conservatively: still an upper bound of the max


def test_cpsat_treats_a_unit_slack_column_as_integer_only_when_exact():
    if "cpsat" not in ALL:
        pytest.skip("CP-SAT is not installed")
    m = LinearModel()
    m.add_vars(["a", "b"], 0, 10, obj=[-3, -2])
    m.add_var("slack", 0, 5, integer=False, obj=0.5)
    m.add_row([0, 1, 2], [2, 3, -1], hi=7)
    ref = get_backend("highs").solve(m, SolveOptions())
    r = get_backend("cpsat").solve(m, SolveOptions())
    assert r.extra["continuous_as_integer"] == 1
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(ref.objective, rel=1e-12)
    m.row_hi[0] = 7.5  # a fractional bound: the slack may need a fractional value
    r = get_backend("cpsat").solve(m, SolveOptions())
    assert r.status is Status.ERROR and "fractional bound" in r.message


# ---------------------------------------------------------------- CBC log reading
CBC_TIME_NO_SOLUTION = """Cbc0010I After 2000 nodes, 1057 on tree, 1e+50 best solution, best possible 88.2 (0.98 seconds)
Cbc0020I Exiting on maximum time

Result - Stopped on time limit

No feasible solution found
Lower bound:                    88.226
Enumerated nodes:               2101
"""

CBC_GAP_STOP = """Cbc0011I Exiting as integer gap of 160.85045 less than 1e-10 or 1%

Result - Optimal solution found (within gap tolerance)

Objective value:                -776435.00000000
Lower bound:                    -776595.850
Gap:                            0.00
"""


def test_cbc_log_time_limit_without_solution_is_not_a_solution():
    info = parse_cbc_log(CBC_TIME_NO_SOLUTION)
    assert info["no_solution"] and info["objective"] is None
    assert info["lower_bound"] == pytest.approx(88.226)
    assert not info["proven_optimal"] and not info["infeasible"]


def test_cbc_log_gap_stop_is_not_a_proof():
    info = parse_cbc_log(CBC_GAP_STOP)
    assert info["result"] == "Optimal solution found (within gap tolerance)"
    assert not info["proven_optimal"]
    assert info["objective"] == -776435.0 and info["lower_bound"] == -776595.85


# ---------------------------------------------------------------- all backends agree
@st.composite
def small_integer_models(draw):
    n = draw(st.integers(2, 5))
    rows = draw(st.integers(1, 4))
    ub = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    m = LinearModel(sense=draw(st.sampled_from(["min", "max"])),
                    obj_offset=float(draw(st.integers(-5, 5))))
    m.add_vars([f"x{j}" for j in range(n)], 0, ub, obj=draw(st.lists(st.integers(-9, 9), min_size=n, max_size=n)))
    for i in range(rows):
        coefs = np.array(draw(st.lists(st.integers(-6, 6), min_size=n, max_size=n)), dtype=float)
        reach = float(np.abs(coefs) @ np.array(ub))
        lo = draw(st.one_of(st.just(-math.inf), st.integers(-int(reach) - 2, int(reach))))
        hi = draw(st.one_of(st.just(math.inf), st.integers(-int(reach), int(reach) + 2)))
        m.add_row(np.arange(n), coefs, lo=float(lo), hi=float(hi))
    return m


@settings(max_examples=examples(25), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_integer_models())
def test_all_backends_agree_with_brute_force_on_small_integer_models(model):
    grid = itertools.product(*[range(int(u) + 1) for u in model.ub])
    best, _ = _best(model, np.array(list(grid), dtype=float))
    for name in ALL:
        r = get_backend(name).solve(model, SolveOptions(time_limit=20, threads=1))
        if best is None:
            assert r.status is Status.INFEASIBLE, (name, r.status, r.message)
            continue
        assert r.status is Status.OPTIMAL, (name, r.status, r.message)
        assert model.max_violation(r.x) <= FEAS
        assert r.objective == pytest.approx(best, rel=1e-6, abs=1e-9), name
