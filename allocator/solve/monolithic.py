"""The one-model solve modes, ``exact`` and ``restricted``: validated instance -> formulation
-> backend -> decision -> plan -> verified plan. Reads as the pipeline it is.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import numpy as np

from ..backends import get_backend
from ..backends.base import PROOF_GAP, SolveOptions, SolveResult, Status, relative_gap, status_from_numbers
from ..errors import InfeasibleError, OptionsError, SolverError, VerificationError
from ..analysis.explain import structural_problems
from ..formulation import builder
from . import exact_bound, rootphase
from ..formulation.prune import prune_idle
from ..plan import Plan
from ..plan_build import assemble
from ..schema import Objective
from .options import KEEP, check_options, gap_text, number_text, parse_objective
from .summary import (cost_stage, mark_verified, model_size, overall_status, run_options, run_summary,
                      stage_record)
from ..verify import verify



def solve_monolithic(instance, *, mode: str, objective: str | None = None, budget=KEEP, solver: str = "highs",
                     time_limit: float | None = None, gap: float = 0.0, threads: int | None = None,
                     seed: int = 0, warm_start: bool = True, cuts: bool = True,
                     progress: Callable[[str], None] | None = None, scheduler: str | None = None,
                     rounds: int | None = None) -> Plan:
    """``solve(..., mode='exact' | 'restricted')``: one model for the whole instance (options as
    for :func:`allocator.solve.api.solve`)."""
    if scheduler or rounds is not None:  # '' (no cluster) is what tasks on a cluster pass
        raise OptionsError(f"--scheduler and --rounds serve the decomposed modes, not mode '{mode}'",
                           fix="use --mode decomposed or decomposed-exact, or leave them out")
    start = time.perf_counter()
    say = progress or (lambda _msg: None)
    kind = parse_objective(objective or instance.objective)
    budget = instance.budget if budget is KEEP else budget
    if mode not in builder.MODES:
        raise OptionsError(f"mode '{mode}' is not a one-model mode", fix="use one of: " + ", ".join(builder.MODES))
    check_options(time_limit=time_limit, gap=gap, threads=threads, budget=budget, seed=seed)
    backend = get_backend(solver)

    # time kept back for decoding, plan tables and verification, so the whole call meets its limit
    reserve = 0.0 if time_limit is None else min(0.2 * time_limit, 0.3 + 2e-5 * len(instance.villages))

    def remaining() -> float | None:
        return None if time_limit is None else max(time_limit - reserve - (time.perf_counter() - start), 0.05)

    say(f"building the model ({len(instance.villages)} villages, mode {mode})")
    first = Objective.MAX_COVERAGE if kind is Objective.LEXICOGRAPHIC else kind
    form = builder.build(instance, objective_kind=first.value, budget=budget, mode=mode,
                         integer_only=backend.requires_integer_columns, bound_reductions=cuts)
    problems = structural_problems(form)
    if problems:
        raise InfeasibleError("no plan can meet the policy:", explanation="\n".join(f"- {p}" for p in problems))
    say(f"model: {form.stats['variables']} variables ({form.stats['integer_variables']} integer), "
        f"{form.stats['constraints']} constraints; solving with {solver}")

    root = None
    if cuts and mode == "exact" and form.columns.terminal:
        say("root phase: directed cuts on the LP, a start from its support")
        root = rootphase.run(form, backend, remaining=remaining, seed=seed, want_start=warm_start)
        form.stats.update(root_phase=root.stats, **form.model.stats())
    if root is not None:
        root.offer_bound(form.model, (form.stats["fiber"].get("dual_ascent") or {}).get("lower_bound"))
        if warm_start:
            root.offer_start(form.model, _heuristic_start(instance, form))
    result = root.proven(form.model, gap) if root is not None else None
    if result is None:
        start_x = root.start_x if root is not None else None
        if start_x is None and warm_start:
            start_x = _heuristic_start(instance, form)
        if start_x is None and warm_start:
            start_x = _warm_start(instance, form, kind, budget, backend, mode, remaining, seed)
        # after the warm start; a proven bound (root phase, dual ascent) lets the MIP stop at a plan reaching it
        options = SolveOptions(time_limit=remaining(), gap=gap, threads=threads, seed=seed,
                               stop_at=root.bound if root is not None else None,
                               heuristic_effort=builder.mip_heuristic_effort(form))
        mip_model = form.model
        if root is not None and start_x is not None and start_x is root.start_x:
            mip_model = root.tightened(form.model)  # reduced-cost fixing against the start
        result = solve_model(backend, mip_model, options, start_x if backend.supports_warm_start else None)
        if root is not None:
            result = root.floor_bound(form.model, result)
            result = root.combine(form.model, result)
        result = _fall_back_to_start(form.model, result, start_x)
    stages = [stage_record(first.value, result)]
    _raise_without_solution(result, instance, form, budget, solver, remaining, mode)

    cover_of = objective_function(form.model)  # the first stage's objective, for the plan finally returned
    if kind is Objective.LEXICOGRAPHIC:
        coverage_value = result.objective
        from ..formulation.objective import keep_coverage, set_objective
        keep_coverage(form.model, form.model.obj, coverage_value)
        set_objective(form.model, instance, form.columns, Objective.MIN_COST.value)
        options = SolveOptions(time_limit=remaining(), gap=gap, threads=threads, seed=seed)
        second = solve_model(backend, form.model, options, result.x if backend.supports_warm_start else None)
        stages.append(stage_record(Objective.MIN_COST.value, second))
        if second.x is not None:
            result = second

    decision = builder.decode(form, instance, result.x)
    if kind is Objective.MAX_COVERAGE:
        # coverage cannot tell a useful trench or site from an idle one: drop the idle ones
        decision = prune_idle(instance, decision)
    head = stages[0]
    if kind is Objective.LEXICOGRAPHIC:
        # what the returned (second-stage) plan covers, against the coverage stage's bound: with a
        # positive gap the second stage may cover more than the first stage's incumbent
        objective = cover_of(result.x)
        bound = head["bound"]
        reached = relative_gap(objective, bound, "max", where="lexicographic coverage")
    else:
        objective, bound, reached = result.objective, result.bound, result.gap
    status = overall_status(stages, result)
    if kind is Objective.LEXICOGRAPHIC and status is Status.OPTIMAL and (reached is None or reached > PROOF_GAP):
        status = Status.FEASIBLE
    summary = run_summary(
        instance, status=status, objective=objective, objective_kind=kind.value, bound=bound, gap=reached,
        stages=stages, budget=budget, backend=backend, mode=mode, build_seconds=form.stats["build_seconds"],
        solve_seconds=sum(s["seconds"] for s in stages) + (root.stats["total_seconds"] if root else 0.0),
        model_size=model_size(form.stats),
        options=run_options(objective=kind.value, budget=budget, solver=solver, mode=mode, time_limit=time_limit,
                            gap=gap, seed=seed, threads=threads, warm_start=warm_start, cuts=cuts),
        bound_source="the solver's bound on the exact model" if mode == "exact" else "",
        fiber_model=form.stats["fiber"], root_phase=_jsonable(form.stats.get("root_phase")))
    if result.extra.get("plan_from"):
        summary["plan_from"] = result.extra["plan_from"]
    if kind is Objective.LEXICOGRAPHIC:
        summary.update(cost_stage(stages))
        if len(stages) > 1 and head["objective"] is not None and objective is not None \
                and objective > head["objective"] + 1e-9 * max(1.0, abs(objective)):
            summary["coverage_note"] = (
                f"the coverage stage stopped within the gap at {head['objective']:,.6g}; the least-cost plan "
                f"keeping at least that covers {objective:,.6g}, which is what this plan achieves")
    if mode == "restricted":
        summary.update(_exact_claims(instance, form, kind, budget, backend, remaining, seed, summary))
        status = Status(summary["status"])
    plan = assemble(instance, decision, summary)
    report = verify(instance, decision, summary=summary)
    if not report.ok:
        raise VerificationError(report.violations)
    mark_verified(plan.summary, report, start)
    say(f"{status.value}: objective {number_text(summary['objective'])}, bound {number_text(summary['bound'])}, "
        f"gap {gap_text(summary['gap'])}, verified")
    return plan


# ----------------------------------------------------------------------------- helpers
def objective_function(model):
    """The model's current objective as a function of the column values (a copy: later
    objective changes do not touch it)."""
    obj, offset = np.asarray(model.obj, dtype=float).copy(), float(model.obj_offset)
    return lambda x: None if x is None else float(offset + obj @ np.asarray(x, dtype=float))


def _exact_claims(instance, form, kind, budget, backend, remaining, seed, summary) -> dict:
    """Restricted mode: status, bound and gap for the exact problem (allocator/solve/exact_bound.py);
    the restricted model's own figures under ``restricted_*``."""
    identical = not form.columns.terminal  # no fiber route to choose: the restricted model is the exact one
    first = "max-coverage" if kind is Objective.LEXICOGRAPHIC else kind.value
    sense = "min" if kind is Objective.MIN_COST else "max"
    exact = None if identical else exact_bound.monolithic(
        instance, objective_kind=first, budget=budget, backend=backend, network=form.network,
        remaining=remaining, seed=seed)
    own_status = summary["stages"][0]["status"] if kind is Objective.LEXICOGRAPHIC else summary["status"]
    out = exact_bound.claims(summary["objective"], summary["bound"], own_status, exact, sense,
                             identical=identical, where="restricted mode")
    if kind is Objective.LEXICOGRAPHIC and len(summary["stages"]) > 1:
        cost, own_cost_bound = summary["cost_objective"], summary["cost_bound"]
        second = None
        if identical:
            second = exact_bound.ExactBound(own_cost_bound, out["bound_source"])
        elif out["status"] == Status.OPTIMAL.value:  # the exact coverage is proven: bound the cost keeping it
            second = exact_bound.monolithic(instance, objective_kind="min-cost", budget=budget, backend=backend,
                                            network=form.network, remaining=remaining, seed=seed,
                                            keep_coverage=summary["objective"])
        cost_claims = exact_bound.claims(cost, own_cost_bound, summary["stages"][-1]["status"], second, "min",
                                         identical=identical, where="restricted mode, cost stage")
        out.update(cost_bound=cost_claims["bound"], cost_gap=cost_claims["gap"],
                   restricted_cost_bound=own_cost_bound, restricted_cost_gap=cost_claims["restricted_gap"])
        if cost_claims["status"] != Status.OPTIMAL.value:
            out["status"] = Status.FEASIBLE.value
        out["restricted_status"] = summary["status"]
    return out


def solve_model(backend, model, options, warm) -> SolveResult:
    if model.num_vars == 0:  # nothing to decide (every village connected or unreachable)
        return SolveResult(Status.OPTIMAL, np.zeros(0), model.obj_offset, model.obj_offset, 0.0,
                           backend.name, backend.version(), 0.0, raw_status="empty model")
    return backend.solve(model, options, warm_start=warm)






def _fall_back_to_start(model, result: SolveResult, start_x) -> SolveResult:
    """A solver stopped by its deadline without a plan of its own (CBC on the province preset:
    its preprocessing outlasted 60 s and never read the start) still leaves the plan it was
    started from: return that, with the solver's bound, rather than nothing."""
    if result.x is not None or start_x is None or result.status in (Status.INFEASIBLE, Status.ERROR):
        return result
    x = np.asarray(start_x, dtype=float)
    if model.max_violation(x) > 1e-6:
        return result
    objective = model.objective_value(x)
    gap = relative_gap(objective, result.bound, model.sense)
    return dataclasses.replace(result, x=x, objective=objective, gap=gap, status=status_from_numbers(True, gap),
                               extra={**result.extra, "plan_from": "the warm start (the solver found none)"})


def _jsonable(stats):
    return None if stats is None else {k: (round(v, 6) if isinstance(v, float) else v) for k, v in stats.items()}






def _raise_without_solution(result, instance, form, budget, solver, remaining, mode) -> None:
    if result.x is not None:
        return
    if result.status is Status.INFEASIBLE and mode == "restricted" and form.columns.terminal:
        _raise_restricted_infeasible(instance, form, budget, solver, remaining)
    if result.status is Status.INFEASIBLE:
        # without fiber routes to choose, the restricted model is the exact one: say so in the explanation
        why = _explain_infeasible(instance, form, budget, solver, remaining,
                                  "exact" if not form.columns.terminal else mode)
        raise InfeasibleError(why.headline, explanation=why.text, min_budget=why.min_budget)
    if result.status is Status.NO_SOLUTION:
        bound = result.bound
        known = f" (best bound so far: {bound:,.6g})" if bound is not None and math.isfinite(bound) else ""
        raise SolverError(f"{solver} reached the time limit before finding any plan{known}. "
                          "Give it more time (--time-limit) or use --mode restricted (a smaller model).")
    raise SolverError(f"{solver} failed: {result.message or result.raw_status or result.status.value}. "
                      "Try another solver (--solver highs, cbc, scip or cpsat).")


def _raise_restricted_infeasible(instance, form, budget, solver, remaining) -> None:
    """The restricted model has no plan. That proves nothing about the exact problem (a route off
    the tree may be cheaper): re-check with the exact model's cut LP. Infeasible there: the exact
    problem is infeasible, explained (smallest budget included) with the exact model. Otherwise a
    SolverError saying what is known: the least restricted cost is only an upper bound on the
    smallest sufficient budget."""
    from ..analysis.explain import restricted_min_cost as explain_restricted_cost

    backend = get_backend(solver)
    first = "max-coverage" if form.model.sense == "max" else "min-cost"
    exact = exact_bound.monolithic(instance, objective_kind=first, budget=budget, backend=backend,
                                   network=form.network, remaining=remaining, seed=0)
    if exact.proven_infeasible:
        why = _explain_infeasible(instance, form, budget, solver, remaining, "exact")
        raise InfeasibleError(why.headline, explanation=why.text + f"\n(Proven for the exact problem: its "
                              f"{exact.source} has no solution.)", min_budget=why.min_budget)
    known = ("the exact problem's LP relaxation with directed cuts has a solution, so it may well have a plan"
             if exact.value is not None else "the exact problem could not be checked in the time left")
    upper = ""
    if budget is not None:
        cost = explain_restricted_cost(instance, form, solver=solver, remaining=remaining)
        if cost.known:
            upper = (f" The cheapest restricted plan meeting every floor and required facility costs "
                     f"{cost.text(instance.currency)}: a budget of {cost.value:,.0f} {instance.currency} is enough "
                     f"(an upper bound on the smallest sufficient budget; the exact problem may need less).")
    raise SolverError("restricted mode found no plan (routes along a shortest-path tree from the backbone); this "
                      f"does not prove the problem infeasible: {known}.{upper} Solve with --mode exact to decide.")


def _explain_infeasible(instance, form, budget, solver, remaining, mode):
    """An :class:`~allocator.analysis.explain.Explanation` (headline, text, smallest budget or None): the floors
    re-solved at least cost without the budget, each floor on its own, or what conflicts."""
    from ..analysis.explain import explain_infeasible

    return explain_infeasible(instance, form, budget=budget, solver=solver, mode=mode, remaining=remaining)


def _heuristic_start(instance, form):
    """Column values of the plan the model's build found (dual-ascent reduction), or None."""
    if form.heuristic_plan is None:
        return None
    from ..formulation.warmstart import encode
    x = encode(form, instance, form.heuristic_plan)
    return x if x is not None and form.model.max_violation(x) <= 1e-6 else None


def _warm_start(instance, form, kind, budget, backend, mode, remaining, seed):
    """Column values of a good starting plan, or None.

    In exact mode, the restricted model (routes on a shortest-path tree) is
    small and quick, and its plan is feasible for the exact model; otherwise,
    or when it fails, the greedy plan. Never lets a heuristic stop the solve."""
    from ..formulation.warmstart import encode
    first = "max-coverage" if kind is Objective.LEXICOGRAPHIC else kind.value
    if mode == "exact" and form.columns.terminal:
        left = remaining()
        limit = 10.0 if left is None else min(10.0, 0.15 * left)
        try:
            small = builder.build(instance, objective_kind=first, budget=budget, mode="restricted",
                                  network=form.network, integer_only=backend.requires_integer_columns)
            r = solve_model(backend, small.model, SolveOptions(time_limit=limit, gap=0.0, seed=seed), None)
            if r.x is not None:
                x = encode(form, instance, builder.decode(small, instance, r.x))
                if x is not None:
                    return x
        except Exception:  # noqa: BLE001 - a warm start is an optimisation, never a failure
            pass
    try:
        from ..heuristics.greedy import greedy
        return encode(form, instance, greedy(instance, objective=first, budget=budget))
    except Exception:  # noqa: BLE001
        return None
