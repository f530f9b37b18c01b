"""A bound from an LP's duals that holds whatever the LP solver's tolerances
(Neumaier & Shcherbina, "Safe bounds in linear and mixed-integer linear
programming", Math. Programming 99, 2004).

An LP solved "to optimality" is optimal only up to the solver's feasibility
and optimality tolerances (HiGHS: 1e-7), so its primal objective is not a
proof. For *any* row multipliers ``y``, weak duality gives, for every ``x``
with ``lo <= A x <= hi`` and ``l <= x <= u`` (minimising ``c x``)::

    c x = y (A x) + (c - A^T y) x
        >= sum_i min(y_i lo_i, y_i hi_i) + sum_j min(d_j l_j, d_j u_j),   d = c - A^T y

Nothing is assumed about ``y``: a multiplier with the wrong sign for a
one-sided row is set to 0 first (still a valid ``y``), and the reduced costs
``d`` are computed with a floating-point error bound ``r_j`` that is charged
at the column's largest magnitude. The terms are summed exactly
(:func:`math.fsum`) and the result lowered by the rounding of the products.
The bound is -inf (no proof) only when a column with an infinite bound keeps
a reduced cost that the error bound cannot rule out; a maximisation is the
minimisation of ``-c``. FORMULATION.md ("Safe LP bounds") states the
tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

EPS = np.finfo(float).eps
#: magnitudes from which a bound counts as infinite (HiGHS's kHighsInf and the like)
INFINITY = 1e30


@dataclass(frozen=True)
class DualCertificate:
    """A safe bound and, per column, how much it proves the objective worsens when the
    column moves one unit away from the end its reduced cost pushes it to.

    ``bound``: lower for 'min', upper for 'max'. ``penalty[j] >= 0`` (0: nothing proven);
    ``at_upper[j]``: the end is the column's upper bound (else its lower bound). For any
    ``x`` of the LP's feasible set with ``|x_j - end_j| >= 1``, the objective is at least
    ``bound + penalty[j]`` ('min') or at most ``bound - penalty[j]`` ('max'): the
    reduced-cost argument of branch-and-bound codes (e.g. Achterberg 2007, sec. 7.7),
    with the same error charges as the bound."""

    bound: float
    sense: str
    penalty: np.ndarray
    at_upper: np.ndarray

    def fixings(self, incumbent: float, integer, *, step: float | None = None) -> np.ndarray:
        """Integer columns that no plan better than ``incumbent`` (by a whole ``step`` when the
        objective moves in steps) can move off their end: the indices; fix each at its end."""
        worst = self.bound - incumbent if self.sense == "max" else incumbent - self.bound
        margin = (1.0 - 1e-3) * step if step else 0.0
        if not math.isfinite(worst):
            return np.zeros(0, dtype=np.int64)
        # a plan with column j moved is worth at most bound - penalty_j (max): not better than
        # incumbent (+ a step) when penalty_j > bound - incumbent - margin
        need = worst - margin + 1e-9 * max(1.0, abs(incumbent))
        return np.flatnonzero(np.asarray(integer, dtype=bool) & (self.penalty > max(need, 0.0)))


def dual_bound(c, a, row_lo, row_hi, lb, ub, y, *, sense: str = "min", offset: float = 0.0) -> float:
    """A proven bound on ``c x + offset`` over the LP's feasible set (lower for 'min',
    upper for 'max'), from any row multipliers ``y``; both signs of ``y`` are tried
    (solvers differ in their dual sign convention for a maximisation) and the better
    valid bound is returned. -inf/+inf when ``y`` proves nothing."""
    return dual_certificate(c, a, row_lo, row_hi, lb, ub, y, sense=sense, offset=offset).bound


def dual_certificate(c, a, row_lo, row_hi, lb, ub, y, *, sense: str = "min", offset: float = 0.0) -> DualCertificate:
    """:func:`dual_bound` with the columns' penalties (:class:`DualCertificate`)."""
    c = np.asarray(c, dtype=float)
    sign = 1.0 if sense == "min" else -1.0
    a = sp.csr_matrix(a)
    y = np.asarray(y, dtype=float)
    best, d, err = -math.inf, None, None
    for s in (1.0, -1.0):
        total, d_s, err_s = _lower(sign * c, a, row_lo, row_hi, lb, ub, s * y)
        if total > best or d is None:
            best, d, err = max(best, total), d_s, err_s
    if not math.isfinite(best):
        return DualCertificate(-math.inf * sign, sense, np.zeros(len(c)), np.zeros(len(c), dtype=bool))
    # min-form: d_j > err_j pushes x_j to its lower end, d_j < -err_j to its upper end
    penalty = np.maximum(np.abs(d) - err, 0.0) * (1.0 - 8 * EPS)
    bound = sign * best + offset if sense == "min" else -best + offset
    return DualCertificate(bound, sense, penalty, d < 0)


def _lower(c, a, row_lo, row_hi, lb, ub, y):
    """(lower bound, reduced costs, their error bounds) of the min-form LP."""
    lo, hi, l, u = (_inf(v) for v in (row_lo, row_hi, lb, ub))
    y = np.where(np.isfinite(y), y, 0.0)
    y = np.where(np.isinf(lo) & (y > 0), 0.0, y)     # y_i > 0 needs a finite lower side
    y = np.where(np.isinf(hi) & (y < 0), 0.0, y)     # y_i < 0 needs a finite upper side
    row_terms = np.where(y > 0, y * np.where(np.isfinite(lo), lo, 0.0),
                         np.where(y < 0, y * np.where(np.isfinite(hi), hi, 0.0), 0.0))
    at = a.T.tocsr()
    d = c - at @ y
    nnz = np.diff(at.indptr)
    err = (nnz + 2) * EPS * (np.abs(c) + abs(at) @ np.abs(y))   # |computed d - true d| <= err
    big = np.maximum(np.where(np.isfinite(l), np.abs(l), np.inf), np.where(np.isfinite(u), np.abs(u), np.inf))
    # min over [l, u] of d x, infinite where the column's bound in that direction is
    with np.errstate(invalid="ignore"):
        at_l = np.where(d > 0, np.where(np.isfinite(l), d * l, -np.inf), np.inf)
        at_u = np.where(d < 0, np.where(np.isfinite(u), d * u, -np.inf), np.inf)
    col_terms = np.minimum(at_l, at_u)
    col_terms = np.where(d == 0, 0.0, col_terms)
    col_terms = np.where(np.isinf(col_terms) & (col_terms > 0), 0.0, col_terms)
    # the error of d charged at the column's largest magnitude (a free column with |d| <= err: no proof)
    charge = np.where(err > 0, err * np.where(np.isfinite(big), big, np.inf), 0.0)
    if np.isneginf(col_terms).any() or np.isinf(charge).any():
        return -math.inf, d, err
    terms = np.concatenate([row_terms, col_terms])
    total = math.fsum(terms.tolist())
    slack = EPS * float(np.abs(terms).sum()) + float(charge.sum()) * (1 + 4 * EPS)
    return total - slack, d, err


def _inf(values) -> np.ndarray:
    """Solvers' 'infinity' (HiGHS: 1e30 and up) as inf."""
    v = np.asarray(values, dtype=float)
    return np.where(np.abs(v) >= INFINITY, np.copysign(np.inf, v), v)


def model_dual_bound(model, y, *, drop_rows=None) -> float:
    """:func:`dual_bound` for a :class:`~allocator.backends.linear.LinearModel`
    relaxed (integrality dropped), optionally without ``drop_rows`` (a relaxation too)."""
    c, a, lo, hi, lb, ub, _integer = model.arrays()
    if drop_rows is not None and len(drop_rows):
        keep = np.ones(len(lo), dtype=bool)
        keep[np.asarray(drop_rows, dtype=np.int64)] = False
        a, lo, hi = a[keep], lo[keep], hi[keep]
    return dual_bound(c, a, lo, hi, lb, ub, y, sense=model.sense, offset=model.obj_offset)


def highs_dual_bound(h) -> float | None:
    """The safe bound of the LP loaded in a solved highspy instance (its own arrays and
    row duals); None when HiGHS has no dual values."""
    cert = highs_dual_certificate(h)
    return None if cert is None else cert.bound


def highs_dual_certificate(h) -> DualCertificate | None:
    """:func:`highs_dual_bound` with the columns' penalties; None without dual values."""
    sol = h.getSolution()
    if not getattr(sol, "dual_valid", True):
        return None
    lp = h.getLp()
    m = lp.a_matrix_
    n_rows, n_cols = len(lp.row_lower_), len(lp.col_cost_)
    start, index, value = (np.asarray(m.start_, dtype=np.int64), np.asarray(m.index_, dtype=np.int64),
                           np.asarray(m.value_, dtype=float))
    import highspy
    if m.format_ == highspy.MatrixFormat.kRowwise:
        a = sp.csr_matrix((value, index, start), shape=(n_rows, n_cols))
    else:
        a = sp.csc_matrix((value, index, start), shape=(n_rows, n_cols))
    maximise = lp.sense_ == highspy.ObjSense.kMaximize
    y = np.asarray(sol.row_dual, dtype=float)
    if len(y) != n_rows:
        return None
    return dual_certificate(lp.col_cost_, a, lp.row_lower_, lp.row_upper_, lp.col_lower_, lp.col_upper_, y,
                            sense="max" if maximise else "min", offset=float(lp.offset_))
