"""National-scale solve: decomposition by county, parallel county MIPs, and an
honest bound of the problem posed from an LP relaxation of the whole model.

Method (docs/scale.md has the details and measured figures):

1. **Split.** :func:`~allocator.solve.decompose.parts.partition` cuts the instance
   into parts: one county each, or several counties when a trench branch (the
   part of the graph behind the backbone) or a 4G site joins them. Parts share
   nothing but the budget, the group floors and the satellite beams.
2. **Build.** Each part's model (every constraint family but the coupling
   rows) is built on its own, in parallel: linear in the instance.
3. **Bound.** The part models are stacked, the coupling rows (whole budget,
   group floors, beam capacities) added, integrality dropped, and the LP
   solved. Its optimum bounds every plan of the full problem in the same
   routing mode: in restricted mode, the problem whose routes follow the
   shortest-path trees from the backbone.
4. **Share.** The LP solution gives each part a budget (its LP spend, plus a
   share of any slack in proportion), floor targets (its LP coverage of each
   group's registered poor villages, rounded down) and beam capacity (its LP
   satellite use, plus a share of any room left). In exact mode the shares
   come from the LP of the restricted model instead, which prices whole routes.
5. **Solve.** The part MIPs run in parallel processes, one solver thread
   each, each with a time limit cut from the overall deadline. A part whose
   targets cannot all hold gives up its floor targets, then its budget share
   (the least-cost plan of its own requirements), then its beam share.
6. **Merge and repair.** The part plans are merged (by county id), then the
   greedy continues from the merged plan (:mod:`allocator.solve.decompose.repair`):
   trim any overshoot of a beam or the budget, then requirements, the
   cheapest villages for any missing floor, and the best value per cost with
   the budget left (in restricted mode over the tree trenches only). Never
   over the budget.
7. **Bound and verify.** A bound of the problem posed comes from
   :mod:`allocator.solve.decompose.bound` (in restricted routing the step-3 LP bounds
   only the restricted problem; the exact parts' LP is solved then). The
   verifier checks the plan; the summary gives the objective, that bound and
   the gap. The plan is called optimal only when that gap is at most
   :data:`~allocator.backends.base.PROOF_GAP`. A step-3 LP that is infeasible
   in restricted routing proves nothing until the exact parts' LP is too.

The same instance, options and seed give the same plan as long as no part
MIP stops at its time limit (a time-limited solver returns what it had).
"""
from __future__ import annotations

import math
import os
import time
from types import SimpleNamespace
from typing import Callable

import numpy as np

from ...backends import get_backend
from ...backends.base import PROOF_GAP, Status, relative_gap
from ...decision import Decision
from .lp import lp_algorithm, shares, solve_lp, stack
from .parts import PartModel, PartResult, build_part_model, partition, solve_part, sub_instance, time_share
from .price import (check_rounds, county_gap, county_seconds, default_rounds, price_bounds, price_step,
                    rounds_first)
from .repair import repair
from . import bound as decompose_bound
from ...errors import AllocatorError, InfeasibleError, OptionsError, SolverError, VerificationError
from ..exact_bound import claims as exact_claims
from ..executor import open_executor
from ...analysis.explain import structural_problems
from ...formulation import fiber
from ...formulation.floors import requirements
from ...objective_coefficients import coverage_value
from ...plan import Plan
from ...plan_build import assemble
from ...schema import NO_TECHNOLOGY, Objective
from ..options import KEEP, check_options, parse_objective
from ..summary import mark_verified, run_options, run_summary
from ...verify import verify

#: ``solve(mode=...)`` values served here -> routing mode of the county models
ROUTING = {"decomposed": "restricted", "decomposed-exact": "exact"}
#: share of the remaining time the LP bound may take
LP_TIME_SHARE = 0.5
#: seconds kept back per village for merging, repairing, assembling and verifying
POST_SECONDS_PER_VILLAGE = 4e-4


def solve_via_mode(instance, mode: str, *, threads: int | None = None, warm_start: bool = True,
                   cuts: bool = True, **options) -> Plan:
    """``solve(..., mode='decomposed' | 'decomposed-exact')``: ``threads`` is the number of worker processes."""
    # the repair starts from the county plans: no single model to warm-start; the
    # county models are small enough for the flow formulation alone (no root phase)
    del warm_start, cuts
    if mode not in ROUTING:
        raise OptionsError(f"mode '{mode}' is not a decomposed mode", fix="use one of: " + ", ".join(ROUTING))
    return solve_decomposed(instance, mode=ROUTING[mode], workers=threads, **options)


def solve_decomposed(instance, *, objective: str | None = None, budget=KEEP, solver: str = "highs",
                     mode: str = "restricted", time_limit: float | None = None, gap: float = 0.0,
                     workers: int | None = None, seed: int = 0, rounds: int | None = None,
                     scheduler: str | None = None, progress: Callable[[str], None] | None = None) -> Plan:
    """Solve ``instance`` by county decomposition and return a verified :class:`Plan`.

    Parameters
    ----------
    objective : 'max-coverage' | 'min-cost' | 'lexicographic'; default the instance's.
    budget : a number, None (no budget) or the instance's own (default).
    solver : backend of the LP bound and of every county MIP.
    mode : routing of the county models, 'restricted' (shortest-path trees, default) or 'exact'.
    time_limit : wall-clock seconds for the whole call (kept as a target: model
        building cannot be interrupted).
    gap : relative gap at which each county MIP may stop.
    workers : worker processes (default ``os.cpu_count()``); each solver runs one thread.
    seed : handed to every solver.
    rounds : rounds of column generation after the share-based plan (price-directed bound and
        combined plans, :mod:`allocator.solve.decompose.price`); default 30 with exact routing, 0 restricted.
    scheduler : a Dask scheduler address (``tcp://HOST:8786``) to run the county tasks on; default
        the ``ALLOCATOR_SCHEDULER`` environment variable, else local processes.

    Returns
    -------
    Plan
        ``summary['bound']`` is a safe bound of the problem posed (routes over the whole trench
        graph) from the providers of allocator/solve/decompose/bound.py, ``summary['status']`` 'optimal'
        only when the gap to it is at most PROOF_GAP; in restricted routing the decomposition's own
        LP bound and gap are ``restricted_bound`` / ``restricted_gap``.

    Raises
    ------
    OptionsError, InfeasibleError, SolverError, VerificationError
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    say = progress or (lambda _msg: None)
    kind = parse_objective(objective or instance.objective)
    budget = instance.budget if budget is KEEP else budget
    if mode not in ("restricted", "exact"):
        raise OptionsError(f"unknown routing mode '{mode}' for the decomposition", fix="use restricted or exact")
    check_options(time_limit=time_limit, gap=gap, threads=None, budget=budget, seed=seed)
    workers = _workers(workers)
    check_rounds(rounds)
    backend = get_backend(solver)
    deadline = None if time_limit is None else time.time() + time_limit
    first = Objective.MAX_COVERAGE if kind is Objective.LEXICOGRAPHIC else kind
    clock = _Clock()

    # 1-2. split and build the part models
    parts = partition(instance)
    subs = [sub_instance(instance, p) for p in parts]
    clock.lap("partition")
    say(f"{len(parts)} parts ({sum(len(p.counties) for p in parts)} counties, {len(instance.villages)} villages); "
        f"building their models on {workers} worker(s)")
    total_villages = max(sum(len(p.villages) for p in parts), 1)
    with _Pool(workers, scheduler) as pool:
        tasks = [(sub, mode, first.value, _mcf_share(mode, len(p.villages), total_villages),
                  backend.requires_integer_columns) for sub, p in zip(subs, parts)]
        built = pool.run(_build_task, tasks, sizes=[len(p.villages) for p in parts])
        blocks = [b for b, _ in built]
        guides = [g for _, g in built]  # exact mode: the restricted models that guide the shares
        for b, g, p in zip(blocks, guides, parts):
            b.key, b.counties = p.key, p.counties
            if g is not None:
                g.key, g.counties = p.key, p.counties
        clock.lap("build", pool.remote_cpu(b.stats["build_cpu"] for b in blocks))
        reqs = _global_floors(instance, blocks)
        _raise_structural(blocks, reqs)

        # 3. the bound
        lp_model, offsets = stack(blocks, budget=budget, reqs=reqs, beams=instance.beams)
        say(f"LP relaxation: {lp_model.num_vars} columns, {lp_model.num_rows} rows")
        algorithm = lp_algorithm(lp_model, mode, backend)
        lp = solve_lp(backend, lp_model, algorithm=algorithm, time_limit=_lp_seconds(deadline), seed=seed)
        clock.lap("lp")
        ctx = decompose_bound.BoundContext(
            instance=instance, mode=mode, kind=first.value, sense=lp_model.sense, budget=budget, reqs=reqs,
            blocks=blocks, subs=subs, parts=parts, backend=backend, seed=seed, deadline=deadline, pool=pool, own=lp)
        if lp.status is Status.INFEASIBLE:
            raise _no_plan_in_mode(ctx, algorithm)
        if lp.x is None or lp.bound is None:
            raise SolverError(f"the LP relaxation of the whole model did not finish ({lp.raw_status or lp.status}); "
                              f"give it more time (--time-limit) or use the monolithic --mode restricted")
        say(f"LP bound {lp.bound:,.6g} in {clock.laps['lp']['seconds']:.1f}s")

        # 4-5. shares and county MIPs
        share_blocks, share_x, share_offsets, guide, guide_model = blocks, lp.x, offsets, None, None
        if mode == "exact":
            # The exact model's LP lets trenches be bought by fractions (its flow bounds are big-M), so
            # its spending per county says little about what integral routes cost; the restricted
            # model's LP prices whole tree paths. Its shares are also enough for the exact county
            # MIPs, whose routes include the tree's.
            guide_model, guide_offsets = stack(guides, budget=budget, reqs=reqs, beams=instance.beams)
            guide = solve_lp(backend, guide_model, algorithm=lp_algorithm(guide_model, "restricted", backend),
                             time_limit=_lp_seconds(deadline), seed=seed)
            if guide.x is not None and guide.status is not Status.ERROR:
                share_blocks, share_x, share_offsets = guides, guide.x, guide_offsets
            clock.lap("guide_lp")
        targets = shares(share_blocks, share_x, share_offsets, budget=budget, reqs=reqs, beams=instance.beams)
        left = None if deadline is None else max(deadline - time.time() - _post_seconds(instance), 1.0)
        rounds = default_rounds(mode) if rounds is None else rounds
        limits = time_share(blocks, county_seconds(left, rounds=rounds, parts=len(blocks), kind=kind), workers)
        part_gap = county_gap(gap, rounds=rounds, parts=len(blocks), kind=kind)
        tasks = [(sub, b, targets[b.key], kind, solver, deadline, limits[b.key], part_gap, seed)
                 for sub, b in zip(subs, blocks)]
        # when price rounds follow, their first round (county MIPs at the LP's prices) replaces the
        # share-based county MIPs: the plan to beat is then the greedy's, and the share-based MIPs run
        # only if the rounds end without a plan that meets every requirement
        shares_first = not rounds_first(rounds=rounds, parts=len(blocks), kind=kind,
                                        elapsed=time.perf_counter() - start, left=left)
        if shares_first:
            say(f"solving {len(blocks)} county MIPs")
            results = _county_mips(pool, tasks, blocks, say)
        else:
            results = {b.key: _not_solved(b.key) for b in blocks}
        clock.lap("counties", pool.remote_cpu(r.cpu for r in results.values()))
        # 7a. a bound of the exact problem (the plan's status and gap refer to it)
        ctx.own_bound = _bound(lp, results, blocks)
        exact = decompose_bound.exact_bound(ctx)
        clock.lap("exact_bound")
    _raise_infeasible_parts(results)

    # 6. merge and repair
    routing = None if mode == "exact" else np.concatenate([b.tree_edges for b in blocks] or [np.zeros(0)])
    decision, fixed = repair(instance, merge(instance, [results[b.key] for b in blocks]), budget=budget,
                             objective=kind, routing_edges=routing)
    clock.lap("repair")
    if fixed["unmet"] and shares_first:
        raise _unmet(fixed)

    # 6b. price rounds: a Lagrangian bound from the county MIPs, plans combined by a master MIP
    priced = price_step(instance, blocks, subs, results, budget=budget, reqs=reqs, kind=kind, mode=mode,
                        solver=solver, deadline=None if deadline is None else deadline - _post_seconds(instance),
                        workers=workers, scheduler=scheduler, seed=seed, rounds=rounds,
                        target_gap=max(gap, PROOF_GAP),
                        start_value=-math.inf if fixed["unmet"] else coverage_value(instance, decision.technology),
                        say=say, coverage=lambda d: coverage_value(instance, d.technology), merge=merge,
                        lp_duals=_lp_duals(lp_model, lp, guide_model, guide))
    if priced is not None:
        if priced["infeasible_parts"]:
            _raise_infeasible_parts({blocks[i].key: _not_solved(blocks[i].key, Status.INFEASIBLE.value)
                                     for i in priced["infeasible_parts"]})
        ctx.own_bound, exact = price_bounds(priced, own_bound=ctx.own_bound, exact=exact, mode=mode,
                                            sense=lp_model.sense)
        if priced["decision"] is not None:
            decision, fixed = priced["decision"], {**fixed, "unmet": [], "after_price_rounds": True}
        clock.lap("price", priced["worker_cpu"])
    if fixed["unmet"]:   # the rounds found no plan, nor did the greedy: the share-based county MIPs after all
        with _Pool(workers, scheduler) as pool:
            say(f"solving {len(blocks)} county MIPs (share-based)")
            results = _county_mips(pool, tasks, blocks, say)
            clock.lap("counties_after_rounds", pool.remote_cpu(r.cpu for r in results.values()))
        _raise_infeasible_parts(results)
        decision, fixed = repair(instance, merge(instance, [results[b.key] for b in blocks]), budget=budget,
                                 objective=kind, routing_edges=routing)
        if fixed["unmet"]:
            raise _unmet(fixed)

    # 7. summary, plan, verification
    bound = ctx.own_bound
    coverage = coverage_value(instance, decision.technology)
    # status and gap follow from the bound claims below, once the plan's total cost is known
    summary = run_summary(
        instance, status=Status.FEASIBLE, objective=coverage, objective_kind=kind.value, bound=bound, gap=None,
        stages=[], budget=budget, backend=backend, mode=f"decomposed/{mode}",
        build_seconds=clock.laps["partition"]["seconds"] + clock.laps["build"]["seconds"],
        solve_seconds=clock.laps["lp"]["seconds"] + clock.laps["counties"]["seconds"],
        model_size={"variables": lp_model.num_vars, "integer_variables": int(sum(b.integer.sum() for b in blocks)),
                    "constraints": lp_model.num_rows, "nonzeros": int(lp_model.stats()["nonzeros"])},
        options=run_options(objective=kind.value, budget=budget, solver=solver, mode=f"decomposed/{mode}",
                            time_limit=time_limit, gap=gap, seed=seed, workers=workers, rounds=rounds))
    plan = assemble(instance, decision, summary)
    if kind is Objective.MIN_COST:
        summary_value = plan.summary["total_cost"]
    else:
        summary_value = coverage
    s = plan.summary
    s["objective"] = summary_value
    own_gap = relative_gap(summary_value, bound, lp_model.sense, where="the decomposition (its own LP)")
    own_status = (Status.OPTIMAL if own_gap is not None and own_gap <= PROOF_GAP else Status.FEASIBLE).value
    s.update(exact_claims(summary_value, bound, own_status, exact, lp_model.sense, where="the decomposition"))
    if mode == "exact":  # the decomposition's own model is the exact one: no restricted figures
        for key in ("restricted_status", "restricted_bound", "restricted_gap"):
            s.pop(key)
    if kind is Objective.LEXICOGRAPHIC:
        # no bound on the second (cost) stage: the plan's least cost is not proven
        s.update(cost_objective=s["total_cost"], cost_bound=None, cost_gap=None, status=Status.FEASIBLE.value)
    s["stages"] = [{"objective_kind": first.value, "status": s["status"], "objective": s["objective"],
                    "bound": s["bound"], "gap": s["gap"], "seconds": s["solve_seconds"], "raw_status": "decomposed"}]
    lp_info = {"algorithm": algorithm, "columns": lp_model.num_vars, "rows": lp_model.num_rows,
               "shares_from": "this LP" if guide is None or share_blocks is blocks else
               "LP of the restricted model (routes on shortest-path trees)"}
    if guide is not None:
        lp_info["restricted_lp"] = {"status": guide.status.value, "objective": guide.objective,
                                    "seconds": guide.seconds, "raw_status": guide.raw_status}
    s["decomposition"] = _report(parts, blocks, results, targets, fixed, clock, workers, lp, lp_info)
    if priced is not None:
        s["decomposition"]["price"] = priced["report"]
    report = verify(instance, decision, summary=s)
    if not report.ok:
        raise VerificationError(report.violations)
    clock.lap("verify")
    s["decomposition"]["stages"] = clock.laps
    s["decomposition"]["cpu_seconds"] = time.process_time() - cpu_start + clock.worker_cpu
    mark_verified(s, report, start)
    say(f"{s['status']}: objective {s['objective']:,.6g}, bound of the exact problem "
        f"{'n/a' if s['bound'] is None else format(s['bound'], ',.6g')}, gap "
        f"{'n/a' if s['gap'] is None else format(s['gap'], '.4%')}, verified")
    return plan


# ----------------------------------------------------------------------------- merge
def merge(instance, results) -> Decision:
    """One decision from the parts' decisions (in the order given: county id)."""
    tech = {v: NO_TECHNOLOGY for v in instance.villages.index}
    site_of, edges, opened = {}, set(), {}
    for r in results:
        d = r.decision
        if d is None:
            continue
        tech.update(d.technology)
        site_of.update(d.site_of)
        edges |= set(d.built_edges)
        opened.update(d.opened_sites)
    return Decision(technology=tech, site_of=site_of, built_edges=frozenset(edges), opened_sites=opened)


# ----------------------------------------------------------------------------- helpers
class _Pool:
    """The executor of :mod:`allocator.solve.executor` (local processes, or Dask when a scheduler is
    given) with the interface the stages use: results in task order, biggest tasks first."""

    def __init__(self, workers: int, scheduler=None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self.executor = None

    def __enter__(self):
        self.executor = open_executor(workers=self.workers, scheduler=self.scheduler)
        return self

    def __exit__(self, *exc):
        self.executor.close()

    def remote_cpu(self, seconds) -> float:
        """CPU seconds the workers measured (0 when the tasks ran here: this process counts them)."""
        return float(sum(seconds)) if self.executor.remote else 0.0

    def run(self, fn, tasks: list, *, sizes: list, progress=None, label: str = "") -> list:
        """Results in task order; the biggest tasks start first (the small ones fill the gaps)."""
        step = max(len(tasks) // 10, 1)

        def tick(done, total):
            if progress and (done % step == 0 or done == total):
                progress(f"{label}: {done}/{total}")

        return self.executor.map(_plain, [(fn, t) for t in tasks], sizes=sizes, progress=tick)


def _plain(_shared, task):
    fn, args = task
    return fn(args)


def _build_task(task) -> tuple[PartModel, PartModel | None]:
    """The part's model, and in exact mode also its restricted model (to guide the shares)."""
    sub, mode, kind, mcf_limit, integer_only = task
    block = build_part_model(sub, mode=mode, objective_kind=kind, mcf_limit=mcf_limit,
                             integer_only=integer_only)
    if mode != "exact":
        return block, None
    guide = build_part_model(sub, mode="restricted", objective_kind=kind, mcf_limit=mcf_limit,
                             integer_only=integer_only)
    guide.columns = guide.network = None  # only its LP is used
    block.stats["build_cpu"] += guide.stats["build_cpu"]
    return block, guide


class _Clock:
    """Wall and CPU seconds per stage (CPU: this process plus the workers' own measure of their tasks)."""

    def __init__(self) -> None:
        self.t, self.c = time.perf_counter(), time.process_time()
        self.laps: dict = {}
        self.worker_cpu = 0.0

    def lap(self, name: str, worker_cpu: float = 0.0) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.laps[name] = {"seconds": t - self.t, "cpu_seconds": c - self.c + worker_cpu,
                           "worker_cpu_seconds": worker_cpu}
        self.worker_cpu += worker_cpu
        self.t, self.c = t, c


def _county_mips(pool, tasks, blocks, say) -> dict:
    """Step 5: the share-based county MIPs, by part key."""
    results = pool.run(solve_part, tasks, sizes=[int(b.integer.sum()) for b in blocks], progress=say,
                       label="county MIPs")
    return {r.key: r for r in results}


def _not_solved(key: str, status: str = "not solved") -> PartResult:
    """A part whose share-based MIP did not run (the price rounds solve its county MIPs)."""
    return PartResult(key, status, None, None, None, None, 0.0, "", 0.0, 0.0, None)


def _raise_infeasible_parts(results: dict) -> None:
    failed = [k for k, r in sorted(results.items()) if r.status == Status.INFEASIBLE.value]
    if failed:
        raise InfeasibleError(f"the requirements of {len(failed)} part(s) cannot be met even with unlimited money "
                              f"(first: county {failed[0]})",
                              explanation="Schools, clinics or forced technologies there have no affordable "
                                          "option within the beam capacity. Solve that county alone for details.")


def _unmet(fixed) -> SolverError:
    return SolverError("the decomposition found no plan meeting every requirement:\n"
                       + "\n".join(f"- {u}" for u in fixed["unmet"])
                       + "\n(this does not prove the instance infeasible: try the monolithic solve)")


def _lp_duals(lp_model, lp, guide_model, guide) -> list:
    """(label, row names, row duals) of the decomposition's LPs for the price rounds' first prices:
    the LP of the part models, then (exact routing) the restricted model's LP that guided the shares."""
    out = [("LP of the part models with the coupling rows", lp_model.row_names, (lp.extra or {}).get("row_dual"))]
    if guide is not None:
        out.append(("LP of the restricted model (routes on shortest-path trees) with the coupling rows",
                    guide_model.row_names, (guide.extra or {}).get("row_dual")))
    return out


def _workers(workers) -> int:
    if workers is None:
        return max(os.cpu_count() or 1, 1)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise OptionsError(f"workers must be a positive integer, got {workers!r}", fix="pass e.g. --threads 2")
    return workers


def _mcf_share(mode: str, villages: int, total: int) -> int:
    """Exact mode: the parts share the monolithic model's flow-column allowance by size."""
    if mode != "exact":
        return fiber.MCF_COLUMN_LIMIT
    return max(int(fiber.MCF_COLUMN_LIMIT * villages / total), 1)


def _lp_seconds(deadline) -> float | None:
    if deadline is None:
        return None
    return max((deadline - time.time()) * LP_TIME_SHARE, 1.0)


def _post_seconds(instance) -> float:
    return 1.0 + POST_SECONDS_PER_VILLAGE * len(instance.villages)


def _global_floors(instance, blocks) -> list[dict]:
    """The floors of the whole instance, with the villages any part can reach."""
    reqs = requirements(instance, instance.policy.floors())
    for req in reqs:
        req["reachable"] = sum(b.floor_reachable.get(req["group"], 0) for b in blocks)
    return reqs


def _raise_structural(blocks, reqs) -> None:
    problems = structural_problems(SimpleNamespace(
        eligibility=SimpleNamespace(problems=[p for b in blocks for p in b.problems]), floors=reqs))
    if problems:
        raise InfeasibleError("no plan can meet the policy:", explanation="\n".join(f"- {p}" for p in problems))


def _no_plan_in_mode(ctx, algorithm) -> AllocatorError:
    """The decomposition's LP is infeasible. In exact mode that LP relaxes the exact problem: proven.
    In restricted mode it proves nothing about the exact problem: re-check with the exact model's LP;
    infeasible there too is a proof, else a SolverError saying what is known."""
    if ctx.mode == "exact":
        return _infeasible(ctx.backend, ctx.blocks, ctx.budget, ctx.reqs, ctx.instance.beams,
                           ctx.instance.currency, ctx.deadline, ctx.seed, algorithm)
    lp, exact_blocks = decompose_bound.exact_parts_relaxation(ctx)
    if lp is not None and lp.status is Status.INFEASIBLE:
        return _infeasible(ctx.backend, exact_blocks, ctx.budget, ctx.reqs, ctx.instance.beams,
                           ctx.instance.currency, ctx.deadline, ctx.seed, lp_algorithm_name(lp))
    known = ("the LP relaxation of the exact model has a solution, so the problem may well have a plan"
             if lp is not None and lp.x is not None else "the exact model's LP could not be solved in the time left")
    return SolverError("the decomposition's LP relaxation with routes along shortest-path trees is infeasible; "
                       f"this does not prove the problem infeasible: {known}. Solve with --mode decomposed-exact "
                       "or --mode exact to decide.")


def lp_algorithm_name(lp) -> str:
    return str(lp.raw_status).split(":")[0] or "simplex"


def _infeasible(backend, blocks, budget, reqs, beams, currency, deadline, seed, algorithm) -> InfeasibleError:
    """The LP relaxation of the exact model is infeasible, so is every plan: say what the floors cost
    at least (the exact model's LP: a lower bound on the smallest sufficient budget)."""
    message = "no plan meets the floors and required facilities within the budget (the LP relaxation is infeasible)."
    unlimited = ("Even with unlimited money the floors, schools and forced technologies cannot all be met "
                 "(satellite beam capacity or conflicting rules). Lower a floor or allow more technologies.")
    if budget is None:
        return InfeasibleError(message, explanation=unlimited)
    relaxed, _ = stack(blocks, budget=None, reqs=reqs, beams=beams)
    relaxed.sense, relaxed.obj = "min", np.concatenate([b.cost for b in blocks]).tolist()
    r = solve_lp(backend, relaxed, algorithm=algorithm, time_limit=_lp_seconds(deadline), seed=seed)
    if r.status is Status.INFEASIBLE:
        return InfeasibleError(message, explanation=unlimited)
    if r.x is None or r.bound is None:
        return InfeasibleError(message, explanation="The least budget the floors need could not be computed "
                                                    "in the time left.")
    # an LP optimum is a lower bound on what the floors cost: "at least" is proven
    need = r.bound
    return InfeasibleError(message, explanation=(
        f"The floors and required facilities (schools, clinics, forced technologies) cost at least "
        f"{need:,.0f} {currency} (LP bound); the budget is {budget:,.0f} {currency}. Raise the budget by at least "
        f"{max(need - budget, 0):,.0f} {currency} or lower the floors; the monolithic solve "
        f"(--mode exact) computes the smallest sufficient budget exactly."))


def _bound(lp, results: dict, blocks) -> float:
    """The LP bound; with a single part, whose MIP had the coupling rows themselves, its own bound
    when tighter (that MIP is then the whole problem)."""
    if len(blocks) != 1:
        return lp.bound
    r = results[blocks[0].key]
    if r.fallback or r.bound is None or not math.isfinite(r.bound):
        return lp.bound
    return min(lp.bound, r.bound) if blocks[0].sense == "max" else max(lp.bound, r.bound)


def _report(parts, blocks, results, targets, fixed, clock, workers, lp, lp_info: dict) -> dict:
    statuses: dict = {}
    for r in results.values():
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return {
        "parts": len(parts),
        "counties": sum(len(p.counties) for p in parts),
        "merged_parts": [list(p.counties) for p in parts if len(p.counties) > 1],
        "workers": workers,
        "lp": {"status": lp.status.value, "bound": lp.bound, "seconds": lp.seconds, "raw_status": lp.raw_status,
               **lp_info},
        "county_statuses": dict(sorted(statuses.items())),
        "fallbacks": {k: r.fallback for k, r in sorted(results.items()) if r.fallback},
        "repair": fixed,
        "per_part": [{"key": b.key, "counties": len(b.counties), "status": results[b.key].status,
                      "objective": results[b.key].objective, "part_bound": results[b.key].bound,
                      "spend": results[b.key].spend, "budget_share": targets[b.key].budget,
                      "seconds": results[b.key].seconds} for b in blocks],
    }
