"""CP-SAT through OR-Tools' ``cp_model``.

CP-SAT solves integer programs with integer coefficients. Each row and the
objective are turned into integers:

* **exactly** when the data are integral or rationals with small denominators
  (every coefficient ``v`` with ``float(Fraction(v).limit_denominator(10**4)) == v``,
  e.g. 0.1, 0.25, 1/3): the row is multiplied by the least common multiple of
  the denominators. Row bounds are then rounded inward on the integer activity
  (``ceil(s*lo - 1e-9*max(1, |s*lo|))``), the same tolerance as a MIP solver's
  feasibility tolerance;
* **approximately** otherwise: the row is multiplied by a power of two so that
  its largest coefficient is about 2**30 (relative precision ~5e-10), the
  coefficients are rounded, and the bounds are *loosened* by the largest possible
  rounding error of the activity over the column bounds. The CP-SAT model is then
  a relaxation of the original, so its dual bound is still valid; an incumbent is
  checked against the original rows and refused if it breaks one.
  ``extra["approximated"]`` says so, with the precision used.

The objective is scaled the same way. The reported objective is recomputed from
``x`` on the ORIGINAL model; the bound is converted back from CP-SAT's integer
bound and, when the objective was approximated, lowered (raised for max) by the
largest rounding error of the objective over the column bounds.

Only integer columns with finite bounds are supported. A continuous column is
accepted only when treating it as integer is exact: integral finite bounds, and
in every row it appears in, a (scaled) coefficient of +-1, no other continuous
column, an exactly scaled row. Given the integer columns, such a column then has
an interval of feasible values with integral end points, and a linear objective
is optimal at an end point. Anything else is refused with Status.ERROR.
"""
from __future__ import annotations

import functools

import math
from fractions import Fraction

import numpy as np

from .linear import LinearModel
from ._support import (GuardedBackend, error_result, make_result, warm_start_vector)
from .base import SolveResult

try:  # pragma: no cover - import guard
    from ortools.sat.python import cp_model
except ImportError:  # pragma: no cover
    cp_model = None

#: denominators recognised as "small" when recovering rationals from floats
MAX_DENOMINATOR = 10**4
#: largest exact row multiplier (lcm of the denominators)
MAX_EXACT_SCALE = 10**9
#: approximate scaling: the largest coefficient becomes about 2**PRECISION_BITS
PRECISION_BITS = 30
#: |activity| must stay below this for CP-SAT (int64 with room for its own sums)
MAX_ACTIVITY = 2.0**61
#: relative tolerance when rounding a scaled bound to an integer
BOUND_TOL = 1e-9
#: workers when no thread count is given (see the solve method)
DEFAULT_WORKERS = 8
#: an incumbent of an approximated model may break an original row by at most this (relative)
FEAS_TOL = 1e-6


class ModelNotSupported(Exception):
    """The model cannot be given to CP-SAT without changing it."""


class _Scaled:
    """Integer version of a vector of coefficients: q ~= s * v, with the rounding error bound."""

    def __init__(self, values: np.ndarray, col_abs: np.ndarray, what: str) -> None:
        self.exact = True
        mult = _exact_multiplier(values)
        if mult is not None and float(np.abs(values).dot(col_abs)) * mult <= MAX_ACTIVITY:
            self.scale = float(mult)
            self.q = np.round(values * mult).astype(np.int64)
            self.error = 0.0
            return
        self.exact = False
        vmax = float(np.max(np.abs(values))) if values.size else 0.0
        if vmax == 0.0:
            self.scale, self.q, self.error = 1.0, np.zeros(values.shape, dtype=np.int64), 0.0
            return
        scale = 2.0 ** (PRECISION_BITS - math.ceil(math.log2(vmax)))
        reach = float(np.abs(values).dot(col_abs)) * scale
        if reach > MAX_ACTIVITY:  # give up precision rather than overflow
            scale *= 2.0 ** math.floor(math.log2(MAX_ACTIVITY / reach))
        if vmax * scale < 1.0:
            raise ModelNotSupported(f"{what}: coefficients span too many orders of magnitude for CP-SAT")
        self.scale = scale
        self.q = np.round(values * scale).astype(np.int64)
        # largest |q.x - s*v.x| over the column bounds
        self.error = float(np.abs(self.q - values * scale).dot(col_abs))
        self.precision = 0.5 / (vmax * scale)  # relative to the largest coefficient


def _exact_multiplier(values: np.ndarray) -> int | None:
    """Least common multiple of the denominators when all values are small-denominator rationals."""
    frac = values[values != np.round(values)]
    mult = 1
    for v in np.unique(frac).tolist():
        f = Fraction(v).limit_denominator(MAX_DENOMINATOR)
        if float(f) != v:
            return None
        mult = math.lcm(mult, f.denominator)
        if mult > MAX_EXACT_SCALE:
            return None
    return mult


def _round_lo(x: float) -> int:
    return math.ceil(x - BOUND_TOL * max(1.0, abs(x)))


def _round_hi(x: float) -> int:
    return math.floor(x + BOUND_TOL * max(1.0, abs(x)))


class CpSatBackend(GuardedBackend):
    label = "CP-SAT"
    name = "cpsat"
    supports_warm_start = True
    requires_integer_columns = True

    @classmethod
    def available(cls) -> bool:
        return cp_model is not None

    @classmethod
    @functools.cache
    def version(cls) -> str:
        if cp_model is None:
            return "unavailable"
        import ortools

        return f"CP-SAT (OR-Tools {ortools.__version__})"

    # ------------------------------------------------------------------ solve
    def _failure(self, model, exc, common) -> SolveResult:
        if isinstance(exc, ModelNotSupported):
            return error_result(model, message=f"CP-SAT cannot take this model: {exc}",
                                raw_status="not supported", **common)
        return super()._failure(model, exc, common)

    def _solve(self, model, options, warm_start, deadline, common) -> SolveResult:
        built = _build(model)
        if built is None:
            return make_result(model, proven_infeasible=True, raw_status="empty domain",
                               message="a column or row has no integer value within its bounds", **common)
        cp, obj, extra = built
        sign = -1.0 if model.sense == "max" else 1.0

        ws = warm_start_vector(model, warm_start)
        if warm_start is not None:
            if ws is None:
                extra["warm_start"] = "ignored: wrong length or non-finite values"
            else:
                r = np.round(ws)
                # only integral values inside the column's domain make a valid hint
                inside = (r >= np.ceil(np.asarray(model.lb) - 1e-9)) & (r <= np.floor(np.asarray(model.ub) + 1e-9))
                ok = np.flatnonzero((np.abs(ws - r) <= 1e-6) & inside)
                hint = cp.proto.solution_hint
                hint.vars.extend(ok.tolist())
                hint.values.extend(r[ok].astype(np.int64).tolist())
                extra["warm_start"] = f"passed to CP-SAT as a hint ({ok.size} of {ws.size} values)"

        solver = cp_model.CpSolver()
        prm = solver.parameters
        remaining = deadline.remaining()
        if remaining is not None:
            prm.max_time_in_seconds = float(remaining)
        prm.relative_gap_limit = float(options.gap)
        prm.absolute_gap_limit = 0.0  # CP-SAT's default 1e-4 is in scaled units: could stop early
        if options.threads is None:
            # CP-SAT's portfolio includes its LP-based workers from 8 workers on; with
            # fewer (its default is one per core) MIP-shaped models stall on a weak bound.
            prm.num_workers = DEFAULT_WORKERS
        else:
            prm.num_workers = int(options.threads)
            if options.threads == 1:
                prm.linearization_level = 2  # the single worker then searches with the full LP
        prm.random_seed = int(options.seed) % 2147483647
        prm.log_search_progress = bool(options.verbose)
        code = solver.solve(cp)
        raw = solver.status_name(code)
        response = solver.response_proto

        if code == cp_model.MODEL_INVALID:
            return error_result(model, message=f"CP-SAT: invalid model: {cp.validate()}", raw_status=raw,
                                extra=extra, **common)
        if code == cp_model.INFEASIBLE:
            # the CP-SAT model is the original or a relaxation of it: a valid proof
            return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
        x = None
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            x = np.asarray(list(response.solution), dtype=float)
            if extra.get("approximated"):
                viol = _relative_violation(model, x)
                extra["relative_violation"] = viol
                if viol > FEAS_TOL:
                    return error_result(
                        model, raw_status=raw, extra=extra,
                        message=(f"CP-SAT's solution of the approximated model breaks an original row by "
                                 f"{viol:.2e} (relative); use another backend"), **common)
        bound = None
        if x is not None:  # without a solution the response's bound field is not reliable (left at 0)
            inner = float(response.inner_objective_lower_bound)
            if abs(inner) < 2.0**62:  # int64 extremes mean "no bound yet"
                bound_min = (inner - obj.error) / obj.scale + sign * model.obj_offset
                bound = sign * bound_min
        return make_result(model, x=x, bound=bound, raw_status=raw, extra=extra, **common)


def _relative_violation(model: LinearModel, x: np.ndarray) -> float:
    a = model.matrix()
    ax = a @ x
    scale = 1.0 + abs(a) @ np.abs(x)
    lo, hi = np.asarray(model.row_lo), np.asarray(model.row_hi)
    viol = np.concatenate([np.maximum(lo - ax, 0) / scale, np.maximum(ax - hi, 0) / scale, [0.0]])
    return float(np.nan_to_num(viol, nan=0.0).max())


def _build(model: LinearModel):
    """The CP-SAT model (proto filled from the arrays), the scaled objective and notes.

    Returns None when some domain is empty (the model is infeasible)."""
    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    n = model.num_vars
    extra: dict = {"approximated": False}
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        bad = [model.names[j] for j in np.flatnonzero(~(np.isfinite(lb) & np.isfinite(ub)))[:5]]
        raise ModelNotSupported(f"CP-SAT needs finite bounds on every column; unbounded: {', '.join(bad)}")
    lo_int = np.ceil(lb - 1e-9)
    hi_int = np.floor(ub + 1e-9)
    cont = ~integer
    if cont.any():
        if not (np.all(lb[cont] == lo_int[cont]) and np.all(ub[cont] == hi_int[cont])):
            j = np.flatnonzero(cont & ((lb != lo_int) | (ub != hi_int)))[0]
            raise ModelNotSupported(f"continuous column '{model.names[j]}' has fractional bounds; "
                                    "only integer columns are supported")
    if np.any(lo_int > hi_int):
        return None
    col_abs = np.maximum(np.abs(lo_int), np.abs(hi_int))
    if float(col_abs.max(initial=0.0)) > 2.0**40:
        raise ModelNotSupported("column bounds beyond 2**40 are too wide for CP-SAT")

    cp = cp_model.CpModel()
    proto = cp.proto
    for j in range(n):
        proto.variables.add().domain.extend([int(lo_int[j]), int(hi_int[j])])

    # A continuous column is allowed only where integrality is exact (see the module docstring).
    if cont.any():
        a_csc = a.tocsc()
        cont_per_row = np.asarray((a[:, np.flatnonzero(cont)] != 0).sum(axis=1)).ravel()
        for j in np.flatnonzero(cont).tolist():
            rows = a_csc.indices[a_csc.indptr[j]:a_csc.indptr[j + 1]]
            if np.any(cont_per_row[rows] > 1):
                raise ModelNotSupported(f"continuous column '{model.names[j]}' shares a row with another "
                                        "continuous column; only integer columns are supported")
    approx_rows = 0
    worst_precision = 0.0
    indptr, indices, data = a.indptr, a.indices, a.data
    for i in range(model.num_rows):
        s, e = indptr[i], indptr[i + 1]
        cols = indices[s:e]
        if s == e:
            if row_lo[i] > 0 or row_hi[i] < 0:
                return None
            continue
        sc = _Scaled(data[s:e], col_abs[cols], f"row {model.row_names[i] or i}")
        row_cont = cont[cols]
        if row_cont.any():
            j = int(cols[row_cont][0])
            if not sc.exact or np.any(np.abs(sc.q[row_cont]) != 1):
                raise ModelNotSupported(f"continuous column '{model.names[j]}' appears with a coefficient that is "
                                        "not +-1 (after exact scaling) in a row; only integer columns are supported")
            for bound in (row_lo[i], row_hi[i]):
                if math.isfinite(bound) and abs(sc.scale * bound - round(sc.scale * bound)) > 1e-9:
                    raise ModelNotSupported(f"continuous column '{model.names[j]}' is in a row with a fractional "
                                            "bound; only integer columns are supported")
        if not sc.exact:
            approx_rows += 1
            worst_precision = max(worst_precision, sc.precision)
        # the row's reachable activity, in exact integer arithmetic (|activity| <= 2**61)
        q_lo, q_hi = sc.q * lo_int[cols].astype(np.int64), sc.q * hi_int[cols].astype(np.int64)
        act_lo = int(np.minimum(q_lo, q_hi).sum())
        act_hi = int(np.maximum(q_lo, q_hi).sum())
        lo = _round_lo(sc.scale * row_lo[i] - sc.error) if math.isfinite(row_lo[i]) else -math.inf
        hi = _round_hi(sc.scale * row_hi[i] + sc.error) if math.isfinite(row_hi[i]) else math.inf
        lo, hi = max(lo, act_lo), min(hi, act_hi)
        if lo > hi:
            return None
        lin = proto.constraints.add().linear
        lin.vars.extend(cols.tolist())
        lin.coeffs.extend(sc.q.tolist())
        lin.domain.extend([int(lo), int(hi)])
    if approx_rows:
        extra["approximated"] = True
        extra["approximated_rows"] = approx_rows
        extra["row_precision"] = worst_precision
    if cont.any():
        extra["continuous_as_integer"] = int(cont.sum())

    sign = -1.0 if model.sense == "max" else 1.0
    nz = np.flatnonzero(c)
    obj = _Scaled(sign * c[nz], col_abs[nz], "objective")
    if not obj.exact:
        extra["approximated"] = True
        extra["objective_precision"] = obj.precision
    o = proto.objective
    o.vars.extend(nz.tolist())
    o.coeffs.extend(obj.q.tolist())
    # CP-SAT reports (q.x + offset) * scaling_factor; its gap test then works on
    # (about) the model's own objective scale.
    o.offset = float(sign * model.obj_offset * obj.scale)
    o.scaling_factor = 1.0 / obj.scale
    return cp, obj, extra
