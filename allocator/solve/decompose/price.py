"""The price step of the county decomposition (:mod:`allocator.solve.decompose.run`): after the
share-based plan, column generation (:mod:`allocator.solve.decompose.lagrange`) tightens the bound
with exact county MIPs and combines the county plans it generates into better plans.

Runs on the executor of :mod:`allocator.solve.executor` (local processes or a Dask
cluster); the part models are sent to each worker once.
"""
from __future__ import annotations

import dataclasses
import math
import time

from .lagrange import column_of, coupling_of, lp_prices, price_loop
from .repair import repair
from ...errors import OptionsError
from ..executor import open_executor
from ...formulation import builder
from ...backends.linear import LinearModel
from ...schema import Objective

#: rounds of column generation by default, per routing mode (restricted: its LP bound is already tight)
DEFAULT_ROUNDS = {"exact": 30, "restricted": 0}


#: share of the time left that the share-based county MIPs may take when price rounds follow
COUNTY_TIME_SHARE = 0.25


def default_rounds(mode: str) -> int:
    return DEFAULT_ROUNDS.get(mode, 0)


def check_rounds(rounds) -> None:
    if rounds is not None and (not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 0):
        raise OptionsError(f"rounds must be a whole number >= 0, got {rounds!r}",
                           fix="pass e.g. --rounds 30 (0: no price rounds)")


def applies(*, rounds: int, parts: int, kind: Objective) -> bool:
    """Price rounds run for max-coverage with at least two parts (one part is the whole problem)."""
    return rounds > 0 and parts >= 2 and kind is Objective.MAX_COVERAGE


#: relative gap at which the share-based county MIPs stop when price rounds follow: their plans are
#: only the fallback and the master's first columns (the rounds' county MIPs are solved exactly)
COUNTY_GAP_WITH_ROUNDS = 0.01


def county_gap(gap: float, *, rounds: int, parts: int, kind: Objective) -> float:
    """Relative gap of the share-based county MIPs: the user's, or a loose one when price rounds follow.
    Measured on the province preset (83 parts): at gap 0 those MIPs took 15 s of CPU, 27 of them
    stopped by their time limit, before the rounds (which prove the bound) started."""
    if not applies(rounds=rounds, parts=parts, kind=kind):
        return gap
    return max(gap, COUNTY_GAP_WITH_ROUNDS)


#: the price rounds replace the share-based county MIPs only when the time left is at least this
#: multiple of the time spent so far (partition, build, LPs): round 1 costs about what the
#: share-based MIPs cost, and a round cut short by the clock leaves parts without a plan
ROUNDS_FIRST_TIME_FACTOR = 2.0


def rounds_first(*, rounds: int, parts: int, kind: Objective, elapsed: float, left: float | None) -> bool:
    """True when the price rounds replace the share-based county MIPs: their first round prices the
    county MIPs at the decomposition LP's duals, which is what the shares approximate, and proves a
    bound on the way. Measured on the province preset (no time limit): the share-based MIPs took
    20 s of the 103 s of CPU that reached 0.04%, and round 2's plans beat theirs. Under a tight time
    limit (``left`` < :data:`ROUNDS_FIRST_TIME_FACTOR` x ``elapsed``) the share-based MIPs come first:
    prefecture at 20 s on a loaded machine (11 s spent, 9 s left), round 1 alone left 7 of 13 parts
    without a plan. Province at 60 s (load 3-4; 12 s spent, 47 s left), the share-based MIPs first
    left 30 parts without a plan and the rounds' plan 1.3% below the bound; round 1 takes about
    twice the time spent before it there."""
    if not applies(rounds=rounds, parts=parts, kind=kind):
        return False
    return left is None or left >= ROUNDS_FIRST_TIME_FACTOR * elapsed


def county_seconds(left: float | None, *, rounds: int, parts: int, kind: Objective) -> float | None:
    """Seconds for the share-based county MIPs: all that is left, or a share when price rounds follow."""
    if left is None or not applies(rounds=rounds, parts=parts, kind=kind):
        return left
    return left * COUNTY_TIME_SHARE


def price_step(instance, blocks, subs, results: dict, *, budget, reqs, kind: Objective, mode: str, solver: str,
               deadline, workers: int, scheduler, seed: int, rounds: int, target_gap: float,
               start_value: float, say, coverage, merge, lp_duals=None) -> dict | None:
    """Run the price loop; returns None when it does not apply, else a dict with
    ``bound`` (valid for the whole problem in ``mode``), ``decision`` (the best repaired combined
    plan, or None when none beat ``start_value``), ``value`` and ``report``.

    ``coverage(decision)``: the objective of a decision; ``merge(results)``: one decision from
    part results (both from :mod:`allocator.solve.decompose.run`, passed in to avoid an import circle).
    ``lp_duals``: (label, row names, row duals) of the decomposition's LPs, in order of preference;
    round 1 prices the coupling rows at the first one's duals that put a price on money
    (:func:`start_prices`).
    """
    if not applies(rounds=rounds, parts=len(blocks), kind=kind):
        return None
    t0 = time.perf_counter()
    coupling = coupling_of(blocks, budget=budget, reqs=reqs, beams=instance.beams)
    initial = [column_of(b, i, results[b.key].x, 1.0) for i, b in enumerate(blocks)
               if results[b.key].x is not None]   # none when the rounds replace the share-based MIPs
    start, start_from = start_prices(lp_duals or [], coupling)
    decisions: dict = {}

    def decode(col):
        key = (col.part, id(col))
        if key not in decisions:
            b = blocks[col.part]
            form = builder.Formulation(LinearModel(), b.columns, b.network, None, [])
            decisions[key] = builder.decode(form, subs[col.part], col.x)
        return decisions[key]

    found = {"decision": None, "value": start_value}

    def primal_value(columns):
        merged = merge(instance, [dataclasses.replace(results[blocks[c.part].key], decision=decode(c))
                                  for c in columns])
        routing = None if mode == "exact" else _tree(blocks)
        decision, fixed = repair(instance, merged, budget=budget, objective=kind, routing_edges=routing)
        if fixed["unmet"]:
            return None
        value = coverage(decision)
        if value > found["value"] + 1e-9 * max(1.0, abs(value)):
            found.update(decision=decision, value=value, repair=fixed)
        return value

    # the pricing tasks need the model arrays only: strip what decoding needs before broadcasting
    light = [dataclasses.replace(b, columns=None, network=None, names=[], problems=[]) for b in blocks]
    with open_executor(workers=workers, scheduler=scheduler) as ex:
        say(f"price rounds: {len(blocks)} county MIPs per round on {ex.description}")
        shared = ex.share(light)
        out = price_loop(light, coupling, ex, shared=shared, sign=1.0, solver=solver, initial=initial,
                         deadline=deadline, max_rounds=rounds, target_gap=target_gap,
                         primal_value=primal_value, seed=seed, say=say, start=start)
        remote = ex.remote
    worker_cpu = sum(r["worker_cpu"] for r in out.rounds) if remote else 0.0
    return {
        "infeasible_parts": out.infeasible_parts,
        "bound": out.bound if math.isfinite(out.bound) else None,
        "decision": found["decision"], "value": found["value"],
        "worker_cpu": worker_cpu,
        "report": {"method": "Dantzig-Wolfe column generation (Lagrangian bound, Wentges smoothing)",
                   "executor": "dask" if scheduler_used(scheduler) else "local",
                   "rounds": out.rounds, "columns": out.columns, "stopped": out.stopped,
                   "converged": out.converged, "lagrangian_bound": out.bound,
                   "prices": out.prices.as_dict(), "combined_plan_value": out.combination_value,
                   "start_prices": None if start is None else start.as_dict(), "start_prices_from": start_from,
                   "plan_from": "master MIP over the county plans" if found["decision"] is not None
                   else "county MIPs with LP shares", "seconds": time.perf_counter() - t0},
    }


def start_prices(candidates, coupling):
    """(prices, label) of round 1: the duals of the first LP in ``candidates`` ((label, row names,
    row duals), best first) that prices money, else of the first LP with duals; (None, None) without.

    The exact model's LP comes first: at its duals round 1's Lagrangian bound is at least as tight
    as its LP bound. But that LP buys trenches by fractions, and where it can then afford every
    village its money price is 0, which says nothing about what money is worth to whole routes;
    the restricted model's LP (whole tree paths) prices money then. Any prices give a valid bound:
    the choice only decides how close round 1 starts."""
    found = [(lp_prices(names, duals, coupling), label) for label, names, duals in candidates]
    found = [(p, label) for p, label in found if p is not None]
    for p, label in found:
        if p.budget > 0:
            return p, label
    return found[0] if found else (None, None)


#: what ``summary.bound_source`` says when the Lagrangian bound is the tightest
LAGRANGE_SOURCE = ("Lagrangian bound of the coupling rows (budget, floors, beams) from the proven bounds of the "
                   "exact county MIPs (column generation, allocator/solve/decompose/lagrange.py)")


def price_bounds(priced: dict, *, own_bound, exact, mode: str, sense: str):
    """(the decomposition's own bound, the exact problem's bound) with the Lagrangian bound merged in.

    The Lagrangian bound is of the problem the part models pose: with exact routing that is the
    exact problem (the one the user posed), with restricted routing only the restricted one."""
    from ..exact_bound import ExactBound

    lag = priced["bound"]
    if lag is None or not math.isfinite(lag):
        return own_bound, exact
    if own_bound is None or (lag < own_bound if sense == "max" else lag > own_bound):
        own_bound = lag
    if mode == "exact":
        found = ExactBound(lag, LAGRANGE_SOURCE, seconds=priced["report"]["seconds"])
        exact = found if exact is None else exact.better(found, sense)
    return own_bound, exact


def scheduler_used(scheduler) -> bool:
    from ..executor import scheduler_address
    return scheduler_address(scheduler) is not None


def _tree(blocks):
    import numpy as np
    return np.concatenate([b.tree_edges for b in blocks] or [np.zeros(0)])
