"""SCIP through OR-Tools' model builder (``ortools.linear_solver.python``).

The model is handed over as arrays: ``fill_model_from_sparse_data`` takes the
bounds, the objective and the CSR matrix in one call (C++ side), then the
integer columns are marked; nothing is built row by row in Python (the former
``MPModelProto`` build took about twice as long on the national model, see
docs/solvers.md). The bound is SCIP's dual bound (``SCIPgetDualbound``),
which the response carries as ``best_objective_bound``; the incumbent is the
solution's values. OR-Tools maps SCIP's "gap limit reached" and "infeasible or
unbounded" onto OPTIMAL and INFEASIBLE; neither label is used: the status comes
from the numbers, and an INFEASIBLE label is confirmed by a second solve with a
zero objective (which cannot be unbounded).
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
    from ortools.linear_solver import linear_solver_pb2
    from ortools.linear_solver.python import model_builder_helper as mbh
except ImportError:  # pragma: no cover
    mbh = linear_solver_pb2 = None


#: SCIP's default value of infinity
_SCIP_INFINITY = 1e20
#: seconds past the deadline before SCIP is interrupted
_GRACE = 0.25
#: measured cost of freeing a solved SCIP model, per nonzero
_TEARDOWN_PER_NONZERO = 3e-6


def _new_solver():
    """OR-Tools' solver helper for SCIP, or None when this OR-Tools has no SCIP."""
    if mbh is None:
        return None
    solver = mbh.ModelSolverHelper("scip")
    return solver if solver.solver_is_supported() else None


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
        if _new_solver() is None:
            return "unavailable"
        import ortools

        return f"SCIP {_scip_version()} (OR-Tools {ortools.__version__})"

    # ------------------------------------------------------------------ solve
    def _solve(self, model, options, warm_start, deadline, common, *, recheck=True) -> SolveResult:
        extra: dict = {}
        solver = _new_solver()
        builder = load_model(model)
        solver.enable_output(bool(options.verbose))
        # SCIP runs single-threaded here: for more than one thread OR-Tools switches
        # to SCIP's concurrent solver, whose runs are not reproducible. The request
        # is recorded, not applied.
        if options.threads is not None and options.threads > 1:
            extra["threads"] = f"requested {options.threads}, SCIP runs with 1"
        solver.set_solver_specific_parameters("\n".join([
            f"limits/gap = {float(options.gap)!r}",           # OR-Tools' default would be 1e-4
            "limits/absgap = 0",
            f"randomization/randomseedshift = {int(options.seed) % 2147483647}",
        ]))
        ws = warm_start_vector(model, warm_start)
        if warm_start is not None:
            if ws is None:
                extra["warm_start"] = "ignored: wrong length or non-finite values"
            else:
                for j, value in enumerate(ws.tolist()):
                    builder.add_hint(j, value)
                extra["warm_start"] = "passed to SCIP (solution hint, added as a start solution)"
        remaining = deadline.remaining()
        watchdog = None
        if remaining is not None:
            # SCIP's teardown after a solve holds the interpreter for ~2-3 us per
            # nonzero (1.8 s at 600k): keep that time out of SCIP's own limit.
            teardown = min(_TEARDOWN_PER_NONZERO * model.stats()["nonzeros"], 0.4 * remaining)
            remaining = max(remaining - teardown, 0.01)
            solver.set_time_limit_in_seconds(remaining)
            # SCIP's clock starts after OR-Tools has copied the model into SCIP, and
            # presolve checks it rarely: past the deadline, interrupt it (solve
            # releases the GIL, so the timer thread runs).
            watchdog = _Watchdog(solver, remaining + _GRACE)
        extra["load_seconds"] = round(deadline.elapsed(), 3)
        try:
            solver.solve(builder)
        finally:
            interrupted = watchdog.disarm() if watchdog is not None else False
        if interrupted:
            extra["interrupted_at_deadline"] = True
        response = solver.response()
        label = response.status
        raw = linear_solver_pb2.MPSolverResponseStatus.Name(label)
        if response.solve_info.HasField("solve_wall_time_seconds"):
            extra["scip_seconds"] = round(response.solve_info.solve_wall_time_seconds, 3)
        del solver, builder  # free SCIP now, so its teardown is inside the reported seconds
        status = linear_solver_pb2.MPSolverResponseStatus

        if label == status.MPSOLVER_INFEASIBLE:
            # OR-Tools also says INFEASIBLE for SCIP's "infeasible or unbounded".
            if not recheck or not any(model.obj):
                return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
            return self._settle_infeasible_or_unbounded(model, options, deadline, common, raw, extra)
        if label == status.MPSOLVER_UNBOUNDED:
            return error_result(model, message="the model is unbounded: the objective can improve without limit",
                                raw_status=raw, extra=extra, **common)
        if label in (status.MPSOLVER_ABNORMAL, status.MPSOLVER_NOT_SOLVED, status.MPSOLVER_CANCELLED_BY_USER) \
                and interrupted:
            return make_result(model, raw_status=raw, extra=extra,
                               message="SCIP was interrupted at the deadline without a solution", **common)
        if label in (status.MPSOLVER_ABNORMAL, status.MPSOLVER_MODEL_INVALID, status.MPSOLVER_MODEL_INVALID_SOLUTION_HINT,
                     status.MPSOLVER_MODEL_INVALID_SOLVER_PARAMETERS, status.MPSOLVER_SOLVER_TYPE_UNAVAILABLE,
                     status.MPSOLVER_INCOMPATIBLE_OPTIONS):
            return error_result(model, message=f"SCIP stopped abnormally ({raw}) {response.status_str}".strip(),
                                raw_status=raw, extra=extra, **common)
        has_solution = label in (status.MPSOLVER_OPTIMAL, status.MPSOLVER_FEASIBLE) and \
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
                self._solver.interrupt_solve()

    def disarm(self) -> bool:
        """Stop the timer; True when it interrupted the solve."""
        self._timer.cancel()
        with self._lock:
            self._solver = None
            return self._fired


def load_model(model: LinearModel):
    """The model in OR-Tools' model builder, from the arrays in one call; then the
    integer columns, the sense and the offset."""
    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    builder = mbh.ModelBuilderHelper()
    builder.fill_model_from_sparse_data(lb, ub, c, row_lo, row_hi, a.astype(np.float64))
    for j in np.flatnonzero(integer).tolist():
        builder.set_var_integrality(j, True)
    builder.set_maximize(model.sense == "max")
    builder.set_objective_offset(float(model.obj_offset))
    return builder


@functools.cache
def _scip_version() -> str:
    """SCIP's version, as OR-Tools' pywraplp reports it ("SCIP 9.2.x [LP solver: ...]")."""
    try:
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver("SCIP")
        text = solver.SolverVersion() if solver is not None else ""
    except Exception:
        text = ""
    return text.removeprefix("SCIP ").strip() or "?"
