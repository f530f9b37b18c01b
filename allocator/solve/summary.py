"""The run summary (``summary.json``), built in one place for every solve mode and the roll-out.

A plan's summary has three layers, each written by one function:

1. what the run found and how it was asked (:func:`run_summary`): status,
   objective, bound, gap and what they refer to, the solve stages, the budget,
   the solver, timings, model size, the instance's name and content hash, and
   ``options``: the options as *requested* (the gap asked for, not the gap
   reached: an earlier copy of this dict in the monolithic solve recorded the
   achieved gap under ``options.gap``);
2. the plan's totals (cost, coverage, per technology), computed from the
   decision by :func:`allocator.plan_build.assemble`;
3. the verifier's verdict and the wall time (:func:`mark_verified`).

``exact``, ``restricted``, ``decomposed``, ``decomposed-exact`` and the
roll-out (:mod:`allocator.analysis.rollout`) all call these, so the same
question gets the same keys whatever the mode; a mode adds its own details
(``decomposition``, ``root_phase``, ``years``...) beside them.
"""
from __future__ import annotations

import time

from ..backends.base import SolveResult, Status
from ..version import __version__
from .exact_bound import PROBLEM_POSED

#: keys every run summary has, whatever the mode (tests/test_run_summary.py); ``budget`` only
#: where the run has one budget (not the roll-out)
RUN_KEYS = ("status", "objective", "objective_kind", "bound", "gap", "gap_relative_to", "bound_source", "stages",
            "budget",
            "budget_measure", "solver", "solver_version", "mode", "build_seconds", "solve_seconds", "model_size",
            "content_hash", "instance", "options", "allocator_version")
#: ``budget`` of a run with no single budget (the roll-out: one per year, under ``budgets``): key left out
NO_SINGLE_BUDGET = object()
#: keys of ``model_size``
MODEL_SIZE_KEYS = ("variables", "integer_variables", "constraints", "nonzeros")
#: keys :func:`mark_verified` adds
VERIFIED_KEYS = ("verified", "verifier_warnings", "total_seconds")


def stage_record(kind: str, r: SolveResult) -> dict:
    """One solve stage (the coverage stage, the cost stage of a lexicographic solve) as the summary lists it."""
    return {"objective_kind": kind, "status": r.status.value, "objective": r.objective, "bound": r.bound,
            "gap": r.gap, "seconds": r.seconds, "raw_status": r.raw_status}


def overall_status(stages: list[dict], result: SolveResult) -> Status:
    """Optimal when every stage is; else feasible when the last result has a plan; else its status."""
    if all(s["status"] == Status.OPTIMAL.value for s in stages):
        return Status.OPTIMAL
    return Status.FEASIBLE if result.x is not None else result.status


def run_options(*, objective: str, budget=NO_SINGLE_BUDGET, solver: str, mode: str, time_limit, gap: float,
                seed: int, **more) -> dict:
    """The options the run was asked for (``summary['options']``); ``more``: the mode's own
    (threads or workers, warm start, cuts, rounds, years...)."""
    out = {"objective": objective, "budget": budget, "solver": solver, "mode": mode, "time_limit": time_limit,
           "gap": gap, "seed": seed, **more}
    return _without_unset(out)


def _without_unset(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not NO_SINGLE_BUDGET}


def model_size(stats: dict) -> dict:
    """The ``model_size`` entry from a model's statistics."""
    return {k: stats[k] for k in MODEL_SIZE_KEYS}


def run_summary(instance, *, status: Status | str, objective, objective_kind: str, bound, gap,
                stages: list[dict], budget=NO_SINGLE_BUDGET, backend, mode: str, build_seconds: float, solve_seconds: float,
                model_size: dict, options: dict, **details) -> dict:
    """The summary's run keys (:data:`RUN_KEYS`) plus the mode's ``details``.

    ``gap`` is the gap between ``objective`` and ``bound`` that the caller computed (for the
    problem posed: :data:`~allocator.solve.exact_bound.PROBLEM_POSED`); ``options`` comes from
    :func:`run_options`; ``budget``: the one budget of the run (None: no limit), or
    :data:`NO_SINGLE_BUDGET`; ``details`` should name ``bound_source`` (what the bound is) unless
    the mode's bound claims (:func:`~allocator.solve.exact_bound.claims`) add it.
    """
    return _without_unset({
        "status": Status(status).value,
        "objective": objective,
        "objective_kind": objective_kind,
        "bound": bound,
        "gap": gap,
        "gap_relative_to": PROBLEM_POSED,
        "stages": stages,
        "budget": budget,
        "budget_measure": instance.budget_measure.value,
        "solver": backend.name,
        "solver_version": backend.version(),
        "mode": mode,
        "build_seconds": build_seconds,
        "solve_seconds": solve_seconds,
        "model_size": dict(model_size),
        "content_hash": instance.content_hash,
        "instance": instance.name,
        "options": dict(options),
        "allocator_version": __version__,
        **details,
    })


def cost_stage(stages: list[dict]) -> dict:
    """A lexicographic run's cost-stage keys: the last stage's objective, bound and gap."""
    return {"cost_objective": stages[-1]["objective"], "cost_bound": stages[-1]["bound"],
            "cost_gap": stages[-1]["gap"]}


def mark_verified(summary: dict, report, started: float) -> None:
    """Record a passed verification (``report``: a :class:`~allocator.verify.VerificationReport`
    that is ``ok``) and the run's wall time since ``started`` (``time.perf_counter()``)."""
    summary["verified"] = True
    summary["verifier_warnings"] = list(report.warnings)
    summary["total_seconds"] = time.perf_counter() - started
