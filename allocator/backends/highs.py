"""HiGHS through highspy (the default backend).

The model is handed over as arrays (a row-wise :class:`highspy.HighsLp`), never
variable by variable. The status is derived from HiGHS's own numbers: the
primal solution status (is there an incumbent?), the objective and
``mip_dual_bound``; the model-status label is kept only as ``raw_status``.
"""
from __future__ import annotations

import functools

import numpy as np

from .linear import LinearModel
from ._support import (LATTICE_SLACK, GuardedBackend, error_result, make_result, warm_start_vector)
from .base import STOP_AT_RTOL, SolveOptions, SolveResult

try:  # pragma: no cover - import guard
    import highspy

    # The plain binding class does not print the copyright banner on construction
    # (highspy.Highs does, on stdout, before output_flag can be switched off).
    _HighsClass = getattr(getattr(highspy, "_core", None), "_Highs", None) or highspy.Highs
except ImportError:  # pragma: no cover
    highspy = None
    _HighsClass = None

#: time budget per nonzero below which feasibility jump is switched off (see _solve)
_FJ_SECONDS_PER_NONZERO = 2e-5
#: HiGHS's primal_solution_status value meaning "a feasible point is available"
_SOLUTION_FEASIBLE = 2


class HighsBackend(GuardedBackend):
    label = "HiGHS"
    name = "highs"
    supports_warm_start = True

    @classmethod
    def available(cls) -> bool:
        return highspy is not None

    @classmethod
    @functools.cache
    def version(cls) -> str:
        if highspy is None:
            return "unavailable"
        h = _HighsClass()
        return f"HiGHS {h.version()}"

    # ------------------------------------------------------------------ solve
    def _solve(self, model, options, warm_start, deadline, common, *, recheck=True) -> SolveResult:
        h = self.load(model, options)
        extra: dict = {}
        ws = warm_start_vector(model, warm_start)
        if warm_start is not None:
            if ws is None:
                extra["warm_start"] = "ignored: wrong length or non-finite values"
            else:
                sol = highspy.HighsSolution()
                sol.col_value = ws.tolist()
                sol.value_valid = True
                accepted = h.setSolution(sol) == highspy.HighsStatus.kOk
                extra["warm_start"] = "passed to HiGHS (setSolution)" if accepted else "rejected by HiGHS"
        remaining = deadline.remaining()
        if remaining is not None:
            h.setOptionValue("time_limit", float(remaining))
            # HiGHS's feasibility-jump heuristic does not look at the clock; its run
            # time grows with the nonzeros (2.9 s at 186k nonzeros, measured). Skip it
            # when it could outlast the time left.
            if any(model.integer) and remaining < _FJ_SECONDS_PER_NONZERO * model.stats()["nonzeros"]:
                h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
                extra["feasibility_jump"] = "off: could outlast the time limit"
        # the plain binding's callback API (highspy.Highs wraps the same calls); the two
        # functions must outlive run(): HiGHS holds no reference of its own to them
        callback = user = None
        if (options.progress is not None or options.stop_at is not None) and any(model.integer):
            callback = lambda _type, _msg, data_out, data_in, report: report(data_out, data_in)  # noqa: E731
            user = lambda data, data_in: _report(options, model.sense, data, data_in)  # noqa: E731
            h.setCallback(callback, user)
            h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
        run_status = h.run()
        if callback is not None:
            h.setCallback(None, None)  # stops the callbacks
        model_status = h.getModelStatus()
        raw = h.modelStatusToString(model_status)
        info = h.getInfo()
        ms = highspy.HighsModelStatus
        extra.update(mip_node_count=int(info.mip_node_count), highs_mip_gap=float(info.mip_gap),
                     simplex_iterations=int(info.simplex_iteration_count))

        if model_status == ms.kInfeasible:
            return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
        if model_status in (ms.kUnboundedOrInfeasible, ms.kUnbounded):
            # "Infeasible or unbounded" proves neither, and for a MIP "unbounded" may
            # rest on the LP relaxation: decide with the same rows and a zero objective.
            if not recheck:
                return error_result(model, message="HiGHS: infeasible or unbounded", raw_status=raw, **common)
            return self._settle_infeasible_or_unbounded(model, options, deadline, common, raw, extra)
        if run_status == highspy.HighsStatus.kError or model_status in (
                ms.kLoadError, ms.kModelError, ms.kPresolveError, ms.kSolveError, ms.kPostsolveError,
                ms.kMemoryLimit):
            return error_result(model, message=f"HiGHS error: {raw}", raw_status=raw, extra=extra, **common)

        has_solution = int(info.primal_solution_status) == _SOLUTION_FEASIBLE
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_solution else None
        if x is not None and warm_start is not None and recheck and not _consistent(model, x, info):
            # Seen with HiGHS 1.16: after setSolution, a MIP that presolve empties reports
            # objective and dual bound 0 for a solution worth more. Its numbers cannot be
            # trusted then: solve again without the start.
            return self._solve(model, options, None, deadline, common, recheck=False)
        is_mip = any(model.integer)
        if is_mip:
            bound = float(info.mip_dual_bound)  # includes the offset; +-inf before any bound
            bound = None if np.isnan(bound) else bound
        else:
            # An LP's optimum is its own bound; short of optimal we claim no bound.
            bound = float(info.objective_function_value) if model_status == ms.kOptimal else None
        return make_result(model, x=x, bound=bound, raw_status=raw, extra=extra, **common)

    def load(self, model: LinearModel, options: SolveOptions, *, relax: bool = False, drop_rows=None):
        """A ``highspy.Highs`` holding ``model`` (its LP relaxation with ``relax``; ``drop_rows``
        left out) with ``options`` set, not yet run: for callers that drive HiGHS themselves."""
        c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
        if relax:
            integer = np.zeros_like(integer)
        if drop_rows is not None and len(drop_rows):
            keep = np.ones(len(row_lo), dtype=bool)
            keep[np.asarray(drop_rows, dtype=np.int64)] = False
            a, row_lo, row_hi = a[keep], row_lo[keep], row_hi[keep]
        h = _HighsClass()
        h.setOptionValue("output_flag", bool(options.verbose))
        if options.threads is not None:
            # HiGHS refuses a thread count that differs from its (process-wide)
            # scheduler's; resetting the scheduler makes the option take effect.
            h.resetGlobalScheduler(True)
            h.setOptionValue("threads", int(options.threads))
        h.setOptionValue("mip_rel_gap", float(options.gap))  # HiGHS default is 1e-4, ours 0
        if options.heuristic_effort is not None and not relax:
            h.setOptionValue("mip_heuristic_effort", float(options.heuristic_effort))
        step = None if relax else model.objective_step()
        if step is not None:
            # every better solution is better by a whole step: closer than that is a proof
            h.setOptionValue("mip_abs_gap", (1.0 - 2 * LATTICE_SLACK) * step)
        h.setOptionValue("random_seed", int(options.seed) % 2147483647)
        lp = highspy.HighsLp()
        lp.num_col_ = model.num_vars
        lp.num_row_ = len(row_lo)
        lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
        lp.offset_ = float(model.obj_offset)
        lp.col_cost_ = c
        lp.col_lower_ = lb
        lp.col_upper_ = ub
        lp.row_lower_ = row_lo
        lp.row_upper_ = row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = model.num_vars
        lp.a_matrix_.num_row_ = len(row_lo)
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        if integer.any():
            vt = highspy.HighsVarType
            lp.integrality_ = [vt.kInteger if f else vt.kContinuous for f in integer]
        status = h.passModel(lp)
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel returned an error)")
        return h


def _report(options, sense: str, data, data_in) -> None:
    """Hand HiGHS's MIP state (called back many times a second) to a progress function,
    and stop the MIP once its incumbent reaches ``options.stop_at`` (a bound proven
    elsewhere: nothing better exists, the caller combines the bounds)."""
    finite = lambda v: float(v) if v is not None and np.isfinite(v) else None  # noqa: E731
    if options.progress is not None:
        options.progress({"seconds": float(data.running_time), "objective": finite(data.mip_primal_bound),
                          "bound": finite(data.mip_dual_bound), "gap": finite(data.mip_gap)})
    target, best = options.stop_at, finite(data.mip_primal_bound)
    if target is not None and best is not None:
        tol = STOP_AT_RTOL * max(1.0, abs(target))
        if (best <= target + tol) if sense == "min" else (best >= target - tol):
            data_in.user_interrupt = True


def _consistent(model: LinearModel, x: np.ndarray, info) -> bool:
    """HiGHS's own objective agrees with the objective of the solution it returned."""
    mine = model.objective_value(x)
    theirs = float(info.objective_function_value)
    return abs(mine - theirs) <= 1e-6 * max(1.0, abs(mine))


class LpRelaxation:
    """The LP relaxation of a model in one HiGHS instance; rows can be added and
    the LP re-solved from the previous basis (the cutting-plane loop of
    formulation/dicuts.py)."""

    def __init__(self, model: LinearModel, *, seed: int = 0, drop_rows=None):
        self._h = HighsBackend().load(model, SolveOptions(seed=seed), relax=True, drop_rows=drop_rows)
        self._h.setOptionValue("presolve", "off")  # re-solves start from the basis; presolve would drop it
        self.safe_bound: float | None = None  # safe dual bound of the last LP solved to optimality
        self.certificate = None  # its DualCertificate (safe_bound.py): the bound and the columns' penalties

    def solve(self, time_limit: float | None = None) -> tuple[np.ndarray, float] | None:
        """(column values, objective) of an optimal LP solution, None otherwise."""
        if time_limit is not None:
            # HiGHS compares its limit with the run time summed over every run of this
            # instance: without the offset the cut loop's LPs stopped after ~8 s in all
            self._h.setOptionValue("time_limit", self._h.getRunTime() + max(float(time_limit), 0.01))
        self._h.run()
        if self._h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        from ..solve.safe_bound import highs_dual_certificate
        # the bound every later proof rests on: from the duals, not the primal value (allocator/solve/safe_bound.py)
        self.certificate = highs_dual_certificate(self._h)
        self.safe_bound = None if self.certificate is None else self.certificate.bound
        return (np.asarray(self._h.getSolution().col_value, dtype=float),
                float(self._h.getInfo().objective_function_value))

    @property
    def infeasible(self) -> bool:
        """HiGHS proved the last LP solved infeasible."""
        return self._h.getModelStatus() == highspy.HighsModelStatus.kInfeasible

    def add_rows(self, lower, upper, starts, index, value) -> None:
        """Rows in CSR pieces: row i has entries index[starts[i]:starts[i+1]]."""
        starts = np.asarray(starts, dtype=np.int32)
        self._h.addRows(len(lower), np.asarray(lower, dtype=float), np.asarray(upper, dtype=float),
                        int(starts[-1]), starts[:-1], np.asarray(index, dtype=np.int32),
                        np.asarray(value, dtype=float))
