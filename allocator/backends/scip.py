"""SCIP through OR-Tools' linear solver wrapper (pywraplp).

The model is written into an ``MPModelProto`` from the CSR arrays (repeated
fields extended row by row) and loaded in one call. The bound is SCIP's dual
bound (``SCIPgetDualbound``), which OR-Tools exposes as ``best_objective_bound``;
the incumbent is the solution's values. OR-Tools maps SCIP's "gap limit reached"
and "infeasible or unbounded" onto OPTIMAL and INFEASIBLE; neither label is used:
the status comes from the numbers, and an INFEASIBLE label is confirmed by a
second solve with a zero objective (which cannot be unbounded).
"""
from __future__ import annotations

import functools

import math
import threading

import numpy as np

from .linear import LinearModel
from ._support import (GuardedBackend, error_result, make_result, warm_start_vector)
from .base import SolveResult

try:  # pragma: no cover - import guard
    from ortools.linear_solver import linear_solver_pb2, pywraplp
except ImportError:  # pragma: no cover
    pywraplp = None
    linear_solver_pb2 = None


#: SCIP's default value of infinity
_SCIP_INFINITY = 1e20
#: seconds past the deadline before SCIP is interrupted
_GRACE = 0.25
#: measured cost of freeing a solved SCIP model, per nonzero
_TEARDOWN_PER_NONZERO = 3e-6


def _new_solver():
    return pywraplp.Solver.CreateSolver("SCIP") if pywraplp is not None else None


class ScipBackend(GuardedBackend):
    label = "SCIP"
    name = "scip"
    supports_warm_start = True

    @classmethod
    def available(cls) -> bool:
        try:
            return _new_solver() is not None
        except Exception:
            return False

    @classmethod
    @functools.cache
    def version(cls) -> str:
        s = _new_solver()
        if s is None:
            return "unavailable"
        import ortools

        return f"{s.SolverVersion()} (OR-Tools {ortools.__version__})"

    # ------------------------------------------------------------------ solve
    def _solve(self, model, options, warm_start, deadline, common, *, recheck=True) -> SolveResult:
        extra: dict = {}
        solver = _new_solver()
        problem = solver.LoadModelFromProto(_to_proto(model))
        if problem:
            return error_result(model, message=f"SCIP rejected the model: {problem}", **common)
        if options.verbose:
            solver.EnableOutput()
        else:
            solver.SuppressOutput()
        # SCIP runs single-threaded here: for more than one thread OR-Tools switches
        # to SCIP's concurrent solver, whose runs are not reproducible. The request
        # is recorded, not applied.
        if options.threads is not None and options.threads > 1:
            extra["threads"] = f"requested {options.threads}, SCIP runs with 1"
        params = "\n".join([
            f"limits/gap = {float(options.gap)!r}",           # OR-Tools' default would be 1e-4
            "limits/absgap = 0",
            f"randomization/randomseedshift = {int(options.seed) % 2147483647}",
        ])
        if not solver.SetSolverSpecificParametersAsString(params):
            return error_result(model, message=f"SCIP refused the parameters: {params!r}", **common)
        ws = warm_start_vector(model, warm_start)
        if warm_start is not None:
            if ws is None:
                extra["warm_start"] = "ignored: wrong length or non-finite values"
            else:
                solver.SetHint(solver.variables(), ws.tolist())
                extra["warm_start"] = "passed to SCIP (SetHint, added as a start solution)"
        mp_params = pywraplp.MPSolverParameters()
        mp_params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, float(options.gap))
        remaining = deadline.remaining()
        watchdog = None
        if remaining is not None:
            # SCIP's teardown after a solve holds the interpreter for ~2-3 us per
            # nonzero (1.8 s at 600k): keep that time out of SCIP's own limit.
            teardown = min(_TEARDOWN_PER_NONZERO * model.stats()["nonzeros"], 0.4 * remaining)
            remaining = max(remaining - teardown, 0.01)
            solver.SetTimeLimit(max(int(remaining * 1000), 1))
            # SCIP's clock starts after OR-Tools has copied the model into SCIP, and
            # presolve checks it rarely: past the deadline, interrupt it (Solve
            # releases the GIL, so the timer thread runs).
            watchdog = _Watchdog(solver, remaining + _GRACE)
        try:
            label = solver.Solve(mp_params)
        finally:
            interrupted = watchdog.disarm() if watchdog is not None else False
        if interrupted:
            extra["interrupted_at_deadline"] = True
        response = linear_solver_pb2.MPSolutionResponse()
        solver.FillSolutionResponseProto(response)
        raw = linear_solver_pb2.MPSolverResponseStatus.Name(response.status)
        extra["nodes"] = int(solver.nodes())
        del solver  # free SCIP now, so its teardown is inside the reported seconds

        if label == pywraplp.Solver.INFEASIBLE:
            # OR-Tools also says INFEASIBLE for SCIP's "infeasible or unbounded".
            if not recheck or not any(model.obj):
                return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
            return self._settle_infeasible_or_unbounded(model, options, deadline, common, raw, extra)
        if label == pywraplp.Solver.UNBOUNDED:
            return error_result(model, message="the model is unbounded: the objective can improve without limit",
                                raw_status=raw, extra=extra, **common)
        if label in (pywraplp.Solver.ABNORMAL, pywraplp.Solver.NOT_SOLVED) and interrupted:
            return make_result(model, raw_status=raw, extra=extra,
                               message="SCIP was interrupted at the deadline without a solution", **common)
        if label in (pywraplp.Solver.ABNORMAL, pywraplp.Solver.MODEL_INVALID):
            return error_result(model, message=f"SCIP stopped abnormally ({raw}) {response.status_str}".strip(),
                                raw_status=raw, extra=extra, **common)
        has_solution = label in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE) and \
            len(response.variable_value) == model.num_vars
        x = np.asarray(response.variable_value, dtype=float) if has_solution else None
        bound = None
        if has_solution and response.HasField("best_objective_bound"):
            bound = float(response.best_objective_bound)
            if math.isnan(bound):
                bound = None
            elif abs(bound) >= _SCIP_INFINITY:  # SCIP's infinity: no bound yet
                bound = math.copysign(math.inf, bound)
        return make_result(model, x=x, bound=bound, raw_status=raw, extra=extra, **common)


class _Watchdog:
    """Interrupts a running SCIP solve after ``seconds`` unless disarmed first."""

    def __init__(self, solver, seconds: float) -> None:
        self._solver = solver
        self._lock = threading.Lock()
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._solver is not None:
                self._fired = True
                self._solver.InterruptSolve()

    def disarm(self) -> bool:
        """Stop the timer; True when it interrupted the solve."""
        self._timer.cancel()
        with self._lock:
            self._solver = None
            return self._fired


def _to_proto(model: LinearModel):
    """MPModelProto from the arrays; infinite bounds pass through as +-inf."""
    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    proto = linear_solver_pb2.MPModelProto()
    proto.maximize = model.sense == "max"
    proto.objective_offset = float(model.obj_offset)
    for j in range(model.num_vars):
        v = proto.variable.add()
        v.lower_bound = float(lb[j])
        v.upper_bound = float(ub[j])
        v.objective_coefficient = float(c[j])
        v.is_integer = bool(integer[j])
    indptr, indices, data = a.indptr, a.indices, a.data
    for i in range(model.num_rows):
        s, e = indptr[i], indptr[i + 1]
        ct = proto.constraint.add()
        ct.lower_bound = float(row_lo[i])
        ct.upper_bound = float(row_hi[i])
        ct.var_index.extend(indices[s:e].tolist())
        ct.coefficient.extend(data[s:e].tolist())
    return proto
