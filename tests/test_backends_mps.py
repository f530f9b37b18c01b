"""The MPS writer (allocator/backends/mps.py), CBC's file path and SCIP's array path.

The writer is checked against an independent reader (HiGHS ``readModel``); the
backends on small models whose optima are computed here by enumeration.
"""
from __future__ import annotations

import itertools
import math

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.backends import SolveOptions, Status, available_backends, get_backend
from allocator.backends.cbc import read_solution_file, write_start_file
from allocator.backends.linear import LinearModel
from allocator.backends.mps import empty_row_conflict, mps_text, write_mps

try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

FILE_BACKENDS = [n for n in ("cbc", "scip") if n in available_backends()]
FEAS = 1e-6

finite = st.integers(-20, 20).map(float) | st.sampled_from([0.5, -2.25, 1e-3, 123456.789, 1 / 3])


@st.composite
def models(draw):
    """Small models with every kind of column bound and row (ranged, one-sided, equal,
    free, empty), integer and continuous columns, either sense and an offset."""
    n = draw(st.integers(1, 6))
    m = LinearModel(sense=draw(st.sampled_from(["min", "max"])), obj_offset=draw(finite))
    for j in range(n):
        kind = draw(st.sampled_from(["box", "lower", "upper", "free", "fixed", "binary", "negative"]))
        lo, hi = sorted([draw(finite), draw(finite)])
        lb, ub = {"box": (lo, hi), "lower": (lo, math.inf), "upper": (-math.inf, hi), "free": (-math.inf, math.inf),
                  "fixed": (lo, lo), "binary": (0.0, 1.0), "negative": (-abs(hi) - 5.0, -abs(hi) - 1.0)}[kind]
        m.add_var(f"x{j}", lb, ub, integer=draw(st.booleans()), obj=draw(finite | st.just(0.0)))
    for _ in range(draw(st.integers(0, 5))):
        size = draw(st.integers(0, n))
        cols = draw(st.permutations(range(n)))[:size]
        coefs = [draw(finite.filter(lambda v: v != 0)) for _ in cols]
        kind = draw(st.sampled_from(["range", "ge", "le", "eq", "free"]))
        lo, hi = sorted([draw(finite), draw(finite)])
        lo, hi = {"range": (lo, hi), "ge": (lo, math.inf), "le": (-math.inf, hi), "eq": (lo, lo),
                  "free": (-math.inf, math.inf)}[kind]
        if not cols:
            lo, hi = min(lo, 0.0), max(hi, 0.0)  # an empty row that any x satisfies
        m.add_row(cols, coefs, lo=lo, hi=hi)
    return m


def read_back(model: LinearModel, tmp_path, **kwargs):
    path = tmp_path / "m.mps"
    write_mps(model, path, **kwargs)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    return h.getLp()


def kept_rows(model: LinearModel) -> np.ndarray:
    a = model.matrix()
    lo, hi = np.asarray(model.row_lo), np.asarray(model.row_hi)
    return np.flatnonzero((np.diff(a.indptr) > 0) & (np.isfinite(lo) | np.isfinite(hi)))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=models())
def test_mps_reads_back_in_highs_as_the_same_model(model, tmp_path):
    lp = read_back(model, tmp_path)
    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    assert lp.num_col_ == model.num_vars
    assert np.array_equal(np.asarray(lp.col_cost_), c)
    assert np.array_equal(np.asarray(lp.col_lower_), lb) and np.array_equal(np.asarray(lp.col_upper_), ub)
    ints = np.array([v == highspy.HighsVarType.kInteger for v in lp.integrality_]) if lp.integrality_ else \
        np.zeros(model.num_vars, dtype=bool)
    assert np.array_equal(ints, integer)
    assert lp.offset_ == model.obj_offset
    assert lp.sense_ == (highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize)
    keep = kept_rows(model)
    assert lp.num_row_ == keep.size
    assert np.array_equal(np.asarray(lp.row_upper_), row_hi[keep])
    # a ranged row's lower side is read back as hi - (hi - lo): exact up to rounding
    lo, hi = row_lo[keep], row_hi[keep]
    ranged = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    assert np.array_equal(np.asarray(lp.row_lower_)[~ranged], lo[~ranged])
    slack = 4 * np.finfo(float).eps * np.maximum(np.abs(lo[ranged]), np.abs(hi[ranged]))
    assert np.all(np.abs(np.asarray(lp.row_lower_)[ranged] - lo[ranged]) <= slack)
    if keep.size:
        got = lp.a_matrix_
        shape = (lp.num_row_, lp.num_col_)
        mat = (sp.csc_matrix((got.value_, got.index_, got.start_), shape=shape) if got.format_ ==
               highspy.MatrixFormat.kColwise else sp.csr_matrix((got.value_, got.index_, got.start_), shape=shape))
        assert (abs(mat - a[keep]) > 0).nnz == 0


def test_minimise_only_negates_a_maximisation_and_drops_the_offset_on_request(tmp_path):
    m = LinearModel(sense="max", obj_offset=7.0)
    m.add_vars(["a", "b"], 0, 3, obj=[2.0, -1.5])
    m.add_row([0, 1], [1.0, 1.0], hi=4.0)
    lp = read_back(m, tmp_path, minimise_only=True, with_offset=False)
    assert lp.sense_ == highspy.ObjSense.kMinimize
    assert list(lp.col_cost_) == [-2.0, 1.5]
    assert lp.offset_ == 0.0
    text = mps_text(m, minimise_only=True)
    assert "OBJSENSE" not in text and "RHS OBJ 7" in text  # -(-7): the negated offset, negated by convention


def test_integer_column_without_upper_bound_stays_unbounded_not_binary(tmp_path):
    m = LinearModel(sense="max")
    m.add_var("n", 0, math.inf, integer=True, obj=1.0)
    m.add_row([0], [2.0], hi=9.0)
    lp = read_back(m, tmp_path)
    assert lp.col_upper_[0] == math.inf
    for name in FILE_BACKENDS:
        r = get_backend(name).solve(m, SolveOptions(time_limit=20))
        assert r.status is Status.OPTIMAL and r.objective == 4.0, name


def test_empty_row_conflict_is_found():
    m = LinearModel()
    m.add_vars(["a"], 0, 1)
    m.add_row([], [], lo=-1.0, hi=2.0)
    assert empty_row_conflict(m) is None
    m.add_row([], [], lo=1.0, hi=2.0)
    assert empty_row_conflict(m) == 1


def test_solution_file_is_read_by_column_name_skipping_rows_and_marks(tmp_path):
    path = tmp_path / "s.sol"
    path.write_text("Stopped on time - objective value 12.5\n"
                    "      0 R0                     3                       0\n"
                    "      0 C0                     1                       0\n"
                    "**    2 C2                   2.5                      -1\n"
                    "      7 C7                     4                       0\n")
    sol = read_solution_file(path, 3)
    assert sol.header == "Stopped on time - objective value 12.5"
    assert sol.x.tolist() == [1.0, 0.0, 2.5]  # C1 absent -> 0; C7 is beyond the model


def test_start_file_is_the_solution_file_layout(tmp_path):
    path = tmp_path / "start.mst"
    write_start_file(path, np.array([1.0, 0.0, 2.5]))
    assert read_solution_file(path, 3).x.tolist() == [1.0, 0.0, 2.5]


# ---------------------------------------------------------------- the backends on small models
def mixed_model():
    """Free, negative, fixed and ranged pieces together: max 3a + 2b - c + d + 10 over
    a in {0..4} integer, b in [-2, 1.5], c free, d fixed at 2, with
    1 <= a + b <= 4.5 (ranged), c >= a - 3, c >= -a (so c = max(a - 3, -a)),
    and a - b == 2.5 - t with t in [0, 0.5] (an equality with a slack column)."""
    m = LinearModel(sense="max", obj_offset=10.0)
    a = m.add_var("a", 0, 4, integer=True, obj=3.0)
    b = m.add_var("b", -2, 1.5, integer=False, obj=2.0)
    c = m.add_var("c", -math.inf, math.inf, integer=False, obj=-1.0)
    d = m.add_var("d", 2, 2, integer=True, obj=1.0)
    t = m.add_var("t", 0, 0.5, integer=False)
    m.add_row([a, b], [1, 1], lo=1, hi=4.5)
    m.add_row([c, a], [1, -1], lo=-3)
    m.add_row([c, a], [1, 1], lo=0)
    m.add_row([a, b, t], [1, -1, 1], lo=2.5, hi=2.5)
    return m, (a, b, c, d, t)


def mixed_optimum():
    """By enumeration of a, with b from the equality at the best t, c at its least value."""
    best = -math.inf
    for a in range(5):
        for t in np.linspace(0, 0.5, 501):
            b = a + t - 2.5
            if not (-2 <= b <= 1.5 and 1 <= a + b <= 4.5 + 1e-12):
                continue
            c = max(a - 3, -a)
            best = max(best, 3 * a + 2 * b - c + 2 + 10)
    return best


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_mixed_bounds_and_ranges_reach_the_enumerated_optimum(name):
    m, _ = mixed_model()
    r = get_backend(name).solve(m, SolveOptions(time_limit=20))
    assert r.status is Status.OPTIMAL, (r.status, r.message)
    assert m.max_violation(r.x) <= FEAS
    assert r.objective == pytest.approx(mixed_optimum(), abs=1e-6)
    assert r.bound == pytest.approx(r.objective, abs=1e-6)


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_column_in_no_row_gets_a_value_within_its_bounds(name):
    m = LinearModel(sense="min")
    m.add_var("idle", 2, 5, integer=True)          # no row, no cost
    m.add_var("paid", 1, 4, integer=True, obj=3.0)  # no row, a cost
    m.add_var("y", 0, 10, integer=True, obj=1.0)
    m.add_row([2], [1.0], lo=3.0)
    r = get_backend(name).solve(m, SolveOptions(time_limit=20))
    assert r.status is Status.OPTIMAL
    assert 2 <= r.x[0] <= 5 and r.x[1] == 1 and r.x[2] == 3 and r.objective == 6.0


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_empty_row_out_of_range_is_infeasible(name):
    m = LinearModel()
    m.add_vars(["a", "b"], 0, 1, obj=1.0)
    m.add_row([0, 1], [1, 1], lo=1)
    m.add_row([], [], lo=0.5)
    r = get_backend(name).solve(m, SolveOptions(time_limit=20))
    assert r.status is Status.INFEASIBLE and r.x is None


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_infeasible_integer_equality_is_proven_infeasible(name):
    m = LinearModel(sense="max")
    m.add_vars(["a", "b"], 0, 10, obj=[1.0, 1.0])
    m.add_row([0, 1], [2, 4], lo=7, hi=7)  # even = odd
    r = get_backend(name).solve(m, SolveOptions(time_limit=20))
    assert r.status is Status.INFEASIBLE and r.bound is None


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_unbounded_free_column_is_an_error_not_a_plan(name):
    m = LinearModel(sense="max")
    m.add_var("a", 0, 1, integer=True, obj=1.0)
    m.add_var("f", -math.inf, math.inf, integer=False, obj=1.0)
    m.add_row([0, 1], [1, -1], hi=1)
    r = get_backend(name).solve(m, SolveOptions(time_limit=20))
    assert r.status is Status.ERROR and "unbounded" in r.message


def hard_cover(n=2000, rows=500, seed=0, density=0.01):
    rng = np.random.default_rng(seed)
    cover = rng.random((rows, n)) < density
    for i in range(rows):
        cover[i, rng.choice(n, 2, replace=False)] = True
    m = LinearModel(sense="min")
    m.add_vars([f"s{j}" for j in range(n)], 0, 1, obj=rng.integers(1, 30, n).astype(float))
    r, cols = np.nonzero(cover)
    m.add_rows(r, cols, 1.0, lo=np.ones(rows), hi=np.full(rows, np.inf))
    return m


@pytest.fixture(scope="module")
def hard_proof():
    """The hard cover's optimum, proven by HiGHS without a limit (the reference for bounds)."""
    m = hard_cover()
    r = get_backend("highs").solve(m, SolveOptions(threads=1))
    assert r.status is Status.OPTIMAL
    return m, r.objective


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_time_limit_bound_never_cuts_off_the_optimum(name, hard_proof):
    m, optimum = hard_proof
    r = get_backend(name).solve(m, SolveOptions(time_limit=1.0, threads=1))
    assert r.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
    assert r.seconds < 3.0
    if r.bound is not None:
        assert r.bound <= optimum + 1e-6
    if r.x is not None:
        assert m.max_violation(r.x) <= FEAS and r.objective >= optimum - 1e-6
    if r.status is Status.OPTIMAL:
        assert r.objective == pytest.approx(optimum)


@pytest.mark.parametrize("name", FILE_BACKENDS)
def test_optimal_warm_start_is_accepted_and_a_wrong_one_ignored(name):
    m = LinearModel(sense="max")
    w = np.array([23.0, 31.0, 29.0, 44.0, 53.0, 38.0, 63.0, 85.0, 89.0, 82.0])
    v = np.array([92.0, 57.0, 49.0, 68.0, 60.0, 43.0, 67.0, 84.0, 87.0, 72.0])
    m.add_vars([f"k{j}" for j in range(10)], 0, 1, obj=v)
    m.add_row(np.arange(10), w, hi=165.0)
    pts = np.array(list(itertools.product([0.0, 1.0], repeat=10)))
    ok = pts @ w <= 165.0
    best = pts[ok][np.argmax(pts[ok] @ v)]
    r = get_backend(name).solve(m, SolveOptions(time_limit=20), warm_start=best)
    assert "passed to" in r.extra["warm_start"]
    if name == "cbc":  # CBC's log says whether the start file gave a solution (sign: CBC minimises)
        assert f"took it as a solution (cost {-float(best @ v):g})" in r.extra["warm_start"]
    assert r.status is Status.OPTIMAL and r.objective == float(best @ v)
    bad = get_backend(name).solve(m, SolveOptions(time_limit=20), warm_start=best[:3])
    assert "ignored" in bad.extra["warm_start"] and bad.objective == float(best @ v)


def test_cbc_reports_a_start_it_could_not_use():
    if "cbc" not in FILE_BACKENDS:
        pytest.skip("CBC is not installed")
    m = LinearModel(sense="min")
    m.add_vars(["a", "b"], 0, 1, obj=[1.0, 1.0])
    m.add_row([0, 1], [1, 1], lo=1)
    r = get_backend("cbc").solve(m, SolveOptions(time_limit=20), warm_start=np.array([0.0, 0.0]))  # violates the row
    assert "did not take it" in r.extra["warm_start"]
    assert r.status is Status.OPTIMAL and r.objective == 1.0
