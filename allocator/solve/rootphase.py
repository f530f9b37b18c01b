"""The root phase of an exact solve with fiber: strengthen, start, and maybe prove.

1. Directed cuts (formulation/dicuts.py) are separated on the LP relaxation
   without the flow rows, with HiGHS's LP whatever the MIP solver; the cuts
   tight at the end join the model every solver gets. The LP's value is a dual
   bound of the whole problem (a relaxation of it), reported like any solver's.
2. A start from the LP's support: the same model with every arc the LP left at 0
   forbidden (if that has no plan: the support plus an LP-guided shortest-path
   tree, which keeps every terminal reachable), solved by the chosen backend.
   That model is the whole model with more bounds, so its plan is feasible for
   the whole model.
3. When that plan is already within the requested gap of the LP bound, there is
   nothing left for the full MIP to do (SteinLib c15/c18: the LP bound rounds to
   the optimum). Otherwise the MIP starts from the plan, and its bound is
   tightened by the LP's when the LP's is better (a MIP stopped at its deadline
   before finishing its root).
4. Reduced-cost fixing (:meth:`RootPhase.tightened`): an integer column whose
   reduced cost at the last cut LP proves that moving it off its end leaves no
   plan better than the start is fixed at that end for the MIP. Every better
   plan keeps those values, so the MIP's bound on the tightened model, or the
   start's value when higher, bounds the whole problem (FORMULATION.md).

Timings and counts go to the plan summary under ``root_phase``.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ..backends import lattice_bound
from ..backends.base import PROOF_GAP, SolveOptions, SolveResult, Status, relative_gap, status_from_numbers
from ..formulation import dicuts
from ..graph import shortest_path_tree

#: share of the time left that the cut loop and the support start may use
CUT_SHARE, START_SHARE = 0.35, 0.15
#: the cut loop's own cap when the solve has no time limit
CUT_SECONDS_CAP = 300.0


@dataclass
class RootPhase:
    stats: dict = field(default_factory=dict)
    bound: float | None = None          # LP bound of the whole problem (lattice-rounded), None if no LP
    start: SolveResult | None = None    # plan from the LP's support (feasible for the whole model)
    certificate: object = None          # the last cut LP's DualCertificate (safe_bound.py), for fixing

    @property
    def start_x(self):
        return None if self.start is None else self.start.x

    def offer_bound(self, model, bound: float | None) -> None:
        """Keep ``bound`` (a valid dual bound of the whole problem, e.g. dual ascent's)
        when it is better than the LP's."""
        if bound is None or not math.isfinite(bound):
            return
        if self.bound is None or (bound > self.bound if model.sense == "min" else bound < self.bound):
            self.bound = bound
            self.stats["bound_from"] = "dual ascent"

    def offer_start(self, model, x) -> None:
        """Take ``x`` (column values of a feasible plan) as the start when it beats the
        LP-support plan (the dual-ascent heuristic's plan, solve.py)."""
        if x is None:
            return
        value = model.objective_value(x)
        if self.start is not None and self.start.x is not None:
            better = value < self.start.objective if model.sense == "min" else value > self.start.objective
            if not better:
                return
            self.start = dataclasses.replace(self.start, x=np.asarray(x, dtype=float), objective=value,
                                             extra={**self.start.extra, "plan_from": "dual-ascent heuristic"})
        else:
            self.start = SolveResult(status=Status.FEASIBLE, x=np.asarray(x, dtype=float), objective=value,
                                     bound=None, gap=None, solver="heuristic", version="", seconds=0.0,
                                     raw_status="dual-ascent heuristic plan")
        self.stats["start_from"] = "dual-ascent heuristic"

    def proven(self, model, gap: float) -> SolveResult | None:
        """The start as the final result when it is within ``gap`` of the LP bound."""
        if self.start_x is None or self.bound is None:
            return None
        g = relative_gap(self.start.objective, self.bound, model.sense)
        if g is None or g > max(gap, PROOF_GAP):
            return None
        status = status_from_numbers(True, g)
        return dataclasses.replace(self.start, status=status, bound=self.bound, gap=g,
                                   raw_status="root phase: start within the gap of the cut-LP bound",
                                   extra={**self.start.extra, "proved_by": "root phase"})

    def tightened(self, model):
        """``model`` with the integer columns fixed that reduced costs rule out for any plan
        better than the start (the model itself when nothing is fixed). The start stays
        feasible: a column the start has off its end is left alone."""
        if self.certificate is None or self.start_x is None:
            return model
        x = np.asarray(self.start_x, dtype=float)
        lb, ub = np.asarray(model.lb, dtype=float), np.asarray(model.ub, dtype=float)
        cert = self.certificate
        fix = cert.fixings(self.start.objective, model.integer, step=model.objective_step())
        end = np.where(cert.at_upper[fix], ub[fix], lb[fix])
        keep = np.abs(x[fix] - end) <= 1e-6   # the start agrees (it does whenever the arithmetic is sound)
        fix, end = fix[keep], end[keep]
        moved = fix[(lb[fix] != end) | (ub[fix] != end)]
        self.stats["fixed_by_reduced_cost"] = int(len(moved))
        if not len(moved):
            return model
        lb, ub = lb.copy(), ub.copy()
        lb[fix], ub[fix] = end, end
        return dataclasses.replace(model, lb=lb.tolist(), ub=ub.tolist())

    def combine(self, model, result: SolveResult) -> SolveResult:
        """The MIP's result with the better of the two bounds (a MIP without a plan of its own
        falls back to its start in solve.py). A proof of infeasibility or a solver error is
        passed on as it is."""
        if result.status in (Status.INFEASIBLE, Status.ERROR) or self.bound is None:
            return result
        bound = result.bound
        if bound is not None and math.isfinite(bound) and \
                (bound <= self.bound if model.sense == "max" else bound >= self.bound):
            return result
        g = relative_gap(result.objective, self.bound, model.sense)
        return dataclasses.replace(result, bound=self.bound, gap=g, status=status_from_numbers(result.x is not None, g))

    def floor_bound(self, model, result: SolveResult) -> SolveResult:
        """A MIP result on the :meth:`tightened` model, as a result for the whole model: every
        plan better than the start lies in the tightened model, so the whole problem's bound
        is the MIP's or the start's value, whichever is weaker."""
        if "fixed_by_reduced_cost" not in self.stats or not self.stats["fixed_by_reduced_cost"] \
                or result.bound is None or self.start is None:
            return result
        v, b = self.start.objective, result.bound
        if (b >= v) if model.sense == "max" else (b <= v):
            return result
        g = relative_gap(result.objective, v, model.sense)
        return dataclasses.replace(result, bound=v, gap=g, status=status_from_numbers(result.x is not None, g))


def run(form, backend, *, remaining, seed: int, want_start: bool) -> RootPhase:
    """Cut loop, then (``want_start``) the start from the LP's support. ``remaining()``
    gives the seconds left for the whole solve (None: no limit)."""
    from ..backends.highs import LpRelaxation

    left = remaining()
    cut_seconds = CUT_SECONDS_CAP if left is None else CUT_SHARE * left
    drop = np.concatenate(form.columns.flow_rows) if form.columns.flow_rows else None
    stats = dicuts.separate(form, LpRelaxation(form.model, seed=seed, drop_rows=drop), seconds=cut_seconds)
    x_lp = stats.pop("lp_solution", None)
    phase = RootPhase(stats=stats, certificate=stats.pop("lp_certificate", None))
    stats["total_seconds"] = stats["seconds"]
    # the safe dual bound of the last LP, never its primal value (solved to a tolerance: no proof)
    lp = stats.get("lp_safe_bound")
    if lp is not None and math.isfinite(lp):
        step = form.model.objective_step()
        phase.bound = lattice_bound(lp, step, form.model.obj_offset, form.model.sense) if step else lp
    if want_start and x_lp is not None:
        phase.start = _support_start(form, backend, x_lp, remaining, seed, stats)
    return phase


def _support_start(form, backend, x_lp, remaining, seed, stats) -> SolveResult | None:
    """Solve the model on the LP's support; when that has no plan (a loop stopped
    before the LP's support connected every terminal), on the support plus a
    shortest-path tree on costs discounted by the LP's arc values, which keeps
    every terminal reachable."""
    y = form.columns.arc
    has = np.flatnonzero(y >= 0)
    arcs = y[has]
    lb = np.asarray(form.model.lb, dtype=float)
    free = (x_lp[arcs] >= 1e-6) | (lb[arcs] > 0.0)
    net = form.network
    for attempt in ("support", "support+tree"):
        if attempt == "support+tree":
            value = np.zeros(net.num_arcs)
            value[has] = np.clip(x_lp[arcs], 0.0, 1.0)
            tree = np.zeros(net.num_arcs, dtype=bool)
            tree[shortest_path_tree(net, net.edge_cost[net.arc_edge] * (1.0 - value))] = True
            free = free | tree[has]
        ub = np.asarray(form.model.ub, dtype=float).copy()
        ub[arcs[~free]] = 0.0
        left = remaining()
        limit = None if left is None else max(START_SHARE * left, 0.05)
        start = backend.solve(dataclasses.replace(form.model, ub=ub.tolist()),
                              SolveOptions(time_limit=limit, gap=0.0, seed=seed))
        tried = stats.get("start", {}).get("attempt_seconds", [])  # every attempt's time, to see where it goes
        stats["start"] = {"arcs_free": int(free.sum()), "arcs": int(len(arcs)), "attempt": attempt,
                          "status": start.status.value, "objective": start.objective,
                          "seconds": round(start.seconds, 3), "attempt_seconds": tried + [round(start.seconds, 3)]}
        stats["total_seconds"] += start.seconds
        if start.x is not None and start.extra.get("max_violation", 0.0) <= 1e-6:
            # its bound is the restricted model's, not the whole problem's
            return dataclasses.replace(start, objective=form.model.objective_value(start.x), bound=None, gap=None)
        if start.status is not Status.INFEASIBLE:
            return None  # out of time or trouble: the other warm starts take over
    return None
