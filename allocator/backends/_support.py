"""Helpers shared by the backends: the deadline, cleaning a solution, building the result.

Every backend turns the solver's raw numbers (an incumbent ``x`` and a dual bound)
into a :class:`~allocator.backends.base.SolveResult` the same way, through
:func:`make_result`, so the status vocabulary cannot drift between solvers.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .linear import LinearModel
from ..errors import CrossedBoundError
from .base import Backend, SolveOptions, SolveResult, Status, relative_gap, status_from_numbers

#: an integer column whose value is this close to an integer is snapped to it
INTEGRALITY_TOL = 1e-5
#: smallest time limit handed to a solver once the deadline is (nearly) used up
MIN_SOLVER_SECONDS = 0.05


class Deadline:
    """Wall-clock deadline started when the backend is called (model building counts)."""

    def __init__(self, seconds: float | None) -> None:
        self.start = time.perf_counter()
        self.seconds = None if seconds is None else float(seconds)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float | None:
        """Seconds left for the solver (never below MIN_SOLVER_SECONDS); None = no limit."""
        if self.seconds is None:
            return None
        return max(self.seconds - self.elapsed(), MIN_SOLVER_SECONDS)


def check_options(options: SolveOptions) -> str | None:
    """A message when an option is out of range (the backend returns Status.ERROR with it)."""
    if options.time_limit is not None and not (options.time_limit > 0 and math.isfinite(options.time_limit)):
        return f"time_limit must be a positive number of seconds, got {options.time_limit!r}"
    if not (0.0 <= options.gap < 1.0):
        return f"gap must be in [0, 1), got {options.gap!r}"
    if options.threads is not None and options.threads < 1:
        return f"threads must be >= 1, got {options.threads!r}"
    if options.seed < 0:
        return f"seed must be >= 0, got {options.seed!r}"
    return None


def trivially_infeasible(model: LinearModel) -> str | None:
    """A message when a row or column has its lower bound above its upper bound."""
    lo, hi = np.asarray(model.row_lo, dtype=float), np.asarray(model.row_hi, dtype=float)
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        i = int(bad[0])
        return f"row {model.row_names[i] or i} has lower bound {lo[i]:g} above upper bound {hi[i]:g}"
    lb, ub = np.asarray(model.lb, dtype=float), np.asarray(model.ub, dtype=float)
    bad = np.flatnonzero(lb > ub)
    if bad.size:
        j = int(bad[0])
        return f"column {model.names[j]} has lower bound {lb[j]:g} above upper bound {ub[j]:g}"
    return None


def clean_solution(model: LinearModel, x) -> np.ndarray:
    """Snap integer columns to the nearest integer when within INTEGRALITY_TOL."""
    x = np.asarray(x, dtype=float).copy()
    integer = np.asarray(model.integer, dtype=bool)
    if integer.any():
        xi = x[integer]
        r = np.round(xi)
        close = np.abs(xi - r) <= INTEGRALITY_TOL
        xi[close] = r[close]
        x[integer] = xi
    x[x == 0.0] = 0.0  # no negative zeros in reports
    return x


def integrality_violation(model: LinearModel, x: np.ndarray) -> float:
    integer = np.asarray(model.integer, dtype=bool)
    if not integer.any():
        return 0.0
    xi = x[integer]
    return float(np.max(np.abs(xi - np.round(xi))))


def zero_objective_copy(model: LinearModel) -> LinearModel:
    """Same rows and columns, objective 0: used to tell 'infeasible' from 'unbounded'."""
    return dataclasses.replace(model, sense="min", obj_offset=0.0, obj=[0.0] * model.num_vars)


def make_result(model: LinearModel, *, solver: str, version: str, deadline: Deadline,
                x=None, bound: float | None = None, proven_infeasible: bool = False,
                error: str | None = None, raw_status: str = "", message: str = "",
                extra: dict | None = None) -> SolveResult:
    """Build the result from the solver's numbers.

    ``x`` is the incumbent (None without one); its objective is recomputed from the
    ORIGINAL model, so every backend reports the same quantity. ``bound`` is the
    solver's proven dual bound in the model's sense, including the offset.
    """
    extra = dict(extra or {})
    objective = None
    if x is not None and error is None:
        x = clean_solution(model, x)
        objective = model.objective_value(x)
        extra.setdefault("max_violation", model.max_violation(x))
        extra.setdefault("integrality_violation", integrality_violation(model, x))
    else:
        x = None
    if bound is not None:
        bound = float(bound)  # an infinite bound is kept: the gap is then inf
        step = model.objective_step()
        if step is not None and math.isfinite(bound):
            bound = lattice_bound(bound, step, model.obj_offset, model.sense)
            extra.setdefault("bound_rounded_to_step", step)
    gap = relative_gap(objective, bound, model.sense)
    status = status_from_numbers(x is not None, gap, proven_infeasible=proven_infeasible,
                                 error=error is not None)
    if status is Status.ERROR:
        message = error or message
    return SolveResult(status=status, x=x, objective=objective,
                       bound=bound,
                       gap=gap, solver=solver, version=version, seconds=deadline.elapsed(),
                       raw_status=raw_status, message=message, extra=extra)


#: slack, in steps, for the solver's own tolerance before a bound is rounded
LATTICE_SLACK = 1e-3


def lattice_bound(bound: float, step: float, offset: float, sense: str) -> float:
    """Round a dual bound to the objective's lattice ``offset + k step`` (see
    LinearModel.objective_step): no integer solution lies strictly between. The
    bound first gives up ``LATTICE_SLACK`` steps, so a solver's bound that is a
    hair too tight is never rounded past a solution."""
    k = (bound - offset) / step
    k = math.ceil(k - LATTICE_SLACK) if sense == "min" else math.floor(k + LATTICE_SLACK)
    return offset + k * step


def error_result(model: LinearModel, *, solver: str, version: str, deadline: Deadline, message: str,
                 raw_status: str = "error", extra: dict | None = None) -> SolveResult:
    return make_result(model, solver=solver, version=version, deadline=deadline, error=message,
                       raw_status=raw_status, extra=extra)


def warm_start_vector(model: LinearModel, warm_start) -> np.ndarray | None:
    """Validate a warm start: right length and finite, else None (ignored, with a note)."""
    if warm_start is None:
        return None
    ws = np.asarray(warm_start, dtype=float).ravel()
    if ws.shape != (model.num_vars,) or not np.all(np.isfinite(ws)):
        return None
    return ws


class GuardedBackend(Backend):
    """What every backend does around its solver: check the options, refuse a model
    whose bounds cross, start the deadline, and turn any solver exception into
    Status.ERROR. Subclasses write ``_solve(model, options, warm_start, deadline, common)``."""

    label = ""  # the solver's name in messages

    def solve(self, model: LinearModel, options: SolveOptions, warm_start=None) -> SolveResult:
        deadline = Deadline(options.time_limit)
        common = dict(solver=self.name, version=self.version(), deadline=deadline)
        bad = check_options(options)
        if bad:
            return error_result(model, message=bad, **common)
        empty = trivially_infeasible(model)
        if empty:
            return make_result(model, proven_infeasible=True, raw_status="bounds cross", message=empty, **common)
        try:
            return self._solve(model, options, warm_start, deadline, common)
        except CrossedBoundError:  # the solver's bound beats its own plan: an engine error (exit 1)
            raise
        except Exception as exc:  # solver trouble is reported, never raised
            return self._failure(model, exc, common)

    def _settle_infeasible_or_unbounded(self, model, options, deadline, common, raw, extra) -> SolveResult:
        """A solver said "infeasible or unbounded", which proves neither (for a MIP
        "unbounded" may rest on the LP relaxation): decide with the same rows and a
        zero objective."""
        probe = self._solve(zero_objective_copy(model), options, None, deadline, common, recheck=False)
        if probe.status is Status.INFEASIBLE:
            return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
        if probe.x is not None:
            return error_result(model, message="the model is unbounded (its rows are feasible but the "
                                "objective can improve without limit)", raw_status=raw, extra=extra, **common)
        return error_result(model, message=f"{self.label}: infeasible or unbounded, undecided before the deadline",
                            raw_status=raw, extra=extra, **common)

    def _failure(self, model: LinearModel, exc: Exception, common: dict) -> SolveResult:
        return error_result(model, message=f"{self.label} failed: {type(exc).__name__}: {exc}", **common)
