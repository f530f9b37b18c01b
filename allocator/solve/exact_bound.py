"""Claims about the problem the user posed, when a plan comes from a smaller model.

The problem a user poses is always the *exact* one: fiber routes over the
whole trench graph, trenches shared. ``--mode restricted`` (routes along a
shortest-path tree) and the county decomposition solve smaller or split
models; their own optimum, bound and infeasibility say nothing about the
exact problem (a restricted plan can cost twice the exact optimum). So:

- the plan's ``status``, ``bound`` and ``gap`` are always for the exact
  problem, with a bound from a relaxation of it (:class:`ExactBound`: the cut
  LP of the root phase for a monolithic model, the LP of the exact
  aggregated-flow model per part for the decomposition, or any stronger bound
  a provider adds); ``optimal`` only when that gap is closed;
- the mode's own figures go to ``restricted_status``, ``restricted_bound`` and
  ``restricted_gap``;
- "infeasible" is said only when a relaxation of the exact problem is
  infeasible (:func:`monolithic`'s ``proven_infeasible``).

Every bound used here is a safe dual bound (allocator/solve/safe_bound.py).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..backends.base import PROOF_GAP, Status, relative_gap

#: what the gap of every plan refers to
PROBLEM_POSED = "the problem posed: routes over the whole trench graph, trenches shared"
#: the cut loop's cap (the restricted solve is meant to be quick): province preset, 10,000 villages,
#: load 18 on 2 cores: the loop ran 134 s wall (a few CPU seconds) for the same bound as the exact LP
CUT_SECONDS_CAP = 60.0


@dataclass(frozen=True)
class ExactBound:
    """A proven bound for the exact problem, or a proof that it has no plan.

    value: the bound (lower for min-cost, upper for max-coverage); None when none was computed.
    source: which relaxation gave it, in words (goes to ``summary.bound_source``).
    proven_infeasible: a relaxation of the exact problem has no solution, so neither has the problem.
    """

    value: float | None
    source: str
    proven_infeasible: bool = False
    seconds: float = 0.0

    def better(self, other: "ExactBound | None", sense: str) -> "ExactBound":
        """The tighter of two valid bounds (a proof of infeasibility beats any bound)."""
        if other is None:
            return self
        if self.proven_infeasible or other.proven_infeasible:
            return self if self.proven_infeasible else other
        if other.value is None or not math.isfinite(other.value):
            return self
        if self.value is None or not math.isfinite(self.value):
            return other
        tighter = other.value < self.value if sense == "max" else other.value > self.value
        return other if tighter else self

    def record(self) -> dict:
        return {"value": self.value, "source": self.source, "proven_infeasible": self.proven_infeasible,
                "seconds": round(self.seconds, 6)}


def monolithic(instance, *, objective_kind: str, budget, backend, network, remaining, seed: int,
               keep_coverage: float | None = None) -> ExactBound:
    """The safe bound of the exact model's LP with directed cuts (the root phase's loop,
    allocator/solve/rootphase.py), or a proof that the exact problem has no plan.

    ``keep_coverage``: the lexicographic second stage, least cost with coverage at least this.
    ``remaining()`` gives the seconds left (None: no limit)."""
    from ..backends.highs import LpRelaxation
    from ..analysis.explain import structural_problems
    from ..formulation import builder, dicuts
    from ..formulation.objective import keep_coverage as keep_coverage_row, set_objective

    t0 = time.perf_counter()
    source = "LP relaxation of the exact model with directed cuts (root phase)"
    form = builder.build(instance, objective_kind="max-coverage" if keep_coverage is not None else objective_kind,
                         budget=budget, mode="exact", network=network)
    if structural_problems(form):
        return ExactBound(None, "structural checks of the exact model", proven_infeasible=True,
                          seconds=time.perf_counter() - t0)
    model = form.model
    if keep_coverage is not None:
        keep_coverage_row(model, model.obj, keep_coverage)
        set_objective(model, instance, form.columns, "min-cost")
    if model.num_vars == 0:
        return ExactBound(model.obj_offset, "the exact model (nothing to decide)", seconds=time.perf_counter() - t0)
    left = remaining()
    seconds = CUT_SECONDS_CAP if left is None else min(CUT_SECONDS_CAP, 0.9 * left)
    if seconds < 0.05:
        return ExactBound(None, "none: no time left for the exact model's LP", seconds=time.perf_counter() - t0)
    drop = np.concatenate(form.columns.flow_rows) if form.columns.flow_rows else None
    relaxation = LpRelaxation(model, seed=seed, drop_rows=drop)
    if form.columns.terminal:
        stats = dicuts.separate(form, relaxation, seconds=seconds)
        value = stats.get("lp_safe_bound")
    else:  # no fiber to route: the LP of the model itself
        solved = relaxation.solve(seconds)
        value = relaxation.safe_bound if solved is not None else None
        source = "LP relaxation of the exact model"
    took = time.perf_counter() - t0
    if relaxation.infeasible:  # the last LP (the exact model's relaxation with valid cuts) has no solution
        return ExactBound(None, source, proven_infeasible=True, seconds=took)
    if value is None or not math.isfinite(value):
        return ExactBound(None, "none: the exact model's LP did not finish in the time left", seconds=took)
    from ..backends import lattice_bound
    step = model.objective_step()
    if step:
        value = lattice_bound(value, step, model.obj_offset, model.sense)
    return ExactBound(float(value), source, seconds=took)


def claims(objective: float, own_bound: float | None, own_status: str, exact: ExactBound | None, sense: str, *,
           identical: bool = False, where: str = "") -> dict:
    """Summary fields for a plan of value ``objective`` found in a smaller model.

    ``own_bound``/``own_status``: the mode's own (restricted model, decomposition LP) figures.
    ``identical``: the mode's model *is* the exact one here (no fiber to route), so its own
    bound and status hold for the exact problem."""
    own_gap = relative_gap(objective, own_bound, sense, where=f"{where} (its own model)")
    if identical:
        exact = ExactBound(own_bound, "the mode's own model, identical to the exact one here (no fiber routes "
                                      "to choose)")
    value = None if exact is None else exact.value
    gap = relative_gap(objective, value, sense, where=f"{where} (bound of the exact problem)")
    # a gap closed to a valid bound of the exact problem is the only proof of optimality
    status = (Status.OPTIMAL if gap is not None and gap <= PROOF_GAP else Status.FEASIBLE).value
    return {"status": status, "bound": value, "gap": gap,
            "bound_source": "none computed" if exact is None else exact.source,
            "exact_bound": None if exact is None else exact.record(),
            "gap_relative_to": PROBLEM_POSED,
            "restricted_status": own_status, "restricted_bound": own_bound, "restricted_gap": own_gap}
