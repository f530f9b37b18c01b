"""Repair of a merged county plan (:mod:`allocator.decompose`).

The county plans together may miss a floor (each county's target was its LP
coverage rounded down) or leave money unspent (each county's knapsack left a
little). The repair continues :mod:`allocator.heuristics.greedy` from the
merged plan instead of from nothing: requirements first, then the cheapest
villages for the missing floors, then (coverage objectives) the best value
per cost with what is left of the budget. Prices are those of the current
plan (a trench already built costs nothing again), beams keep their capacity
and the budget is never exceeded.

In restricted routing the greedy sees only the trenches of the shortest-path
trees, so the repaired plan stays inside the problem the LP bound refers to.
"""
from __future__ import annotations

import math

import networkx as nx

from .decision import Decision
from .heuristics.greedy import CELL, FIBER, SAT, _Greedy
from .schema import Objective

_TOL = 1e-9


def repair(instance, decision: Decision, *, budget: float | None, objective: Objective,
           routing_edges=None) -> tuple[Decision, dict]:
    """Continue the greedy from ``decision``; returns (repaired decision, what was done).

    routing_edges: trench ids the repair may build (restricted routing); None: any.
    """
    routed = instance if routing_edges is None else instance.with_changes(
        edges=instance.edges.loc[instance.edges.index.isin(set(routing_edges))])
    limit = math.inf if budget is None else float(budget)
    state = _Greedy(routed, limit)
    extra_edges = _seed(state, instance, decision)
    before = _snapshot(state)
    trimmed = _trim(state, limit)
    state.run_pass(state.requirement_value, state.all_techs)
    state.run_pass(state.floor_value, state.all_techs)
    if objective is not Objective.MIN_COST:
        if math.isinf(limit):
            for tier in state.quality_tiers():
                state.run_pass(state.objective_value, tier)
        state.run_pass(state.objective_value, state.all_techs)
    state.prune()
    out = state.decision()
    if extra_edges:
        out = Decision(out.technology, out.site_of, frozenset(out.built_edges | extra_edges), out.opened_sites)
    after = _snapshot(state)
    report = {"villages_added": after["villages"] - before["villages"] + trimmed,
              "villages_removed": trimmed,
              "sites_added": after["sites"] - before["sites"],
              "spend_before": before["spent"], "spend_after": state.spent,
              "floor_shortfall_before": before["deficit"],
              "unmet": list(state.unmet())}
    return out, report


def _seed(state: _Greedy, instance, decision: Decision) -> frozenset:
    """Load ``decision`` into the greedy's state; returns built trenches it does not know (kept as they are)."""
    for v, t in sorted(decision.technology.items()):
        if t not in (FIBER, CELL, SAT) or v not in state.allowed:
            continue
        state.tech[v] = t
        state._covered(v)
        if t == SAT:
            state.beam_used[state.beam[v]] += state.demand[v]
            state.spent += state.sat_cost[v]
        elif t == FIBER:
            state.spent += state.drop[v]
    state.site_of.update({v: s for v, s in decision.site_of.items() if state.tech.get(v) == CELL})
    for s, backhaul in sorted(decision.opened_sites.items()):
        state.opened[s] = backhaul
        state.spent += state.site_cost[s] + (state.mw_cost[s] if backhaul == "microwave" else 0.0)
    known = {e for e in decision.built_edges if e in state.edge_price}
    extra = frozenset(e for e in decision.built_edges if e not in state.edge_price)
    state.built |= known
    state.spent += sum(state.edge_price[e] for e in known)
    if extra:
        e = instance.edges.loc[sorted(extra)]
        state.spent += float(instance.cost(e["capex"].astype(float), e["opex"].astype(float)).sum())
    # the tree: backbone plus every node the built trenches join to it
    g = nx.Graph()
    g.add_edges_from(state.edge_ends[e] for e in known)
    reached = set()
    for comp in nx.connected_components(g):
        if any(n in state.tree for n in comp):
            reached |= comp
    state.grow(sorted(reached - state.tree))
    return extra


def _snapshot(state: _Greedy) -> dict:
    return {"villages": len(state.tech), "sites": len(state.opened), "spent": state.spent,
            "deficit": {g: d for g, d in sorted(state.floor_deficit.items()) if d > 0}}


def _trim(state: _Greedy, limit: float) -> int:
    """Drop villages while the plan costs more than ``limit`` (the county shares may overshoot by
    the solvers' tolerance): least value per own cost first, never a required village nor one a
    floor still counts on. Returns how many were dropped."""
    if state.spent <= limit + _TOL * max(1.0, abs(limit)):
        return 0
    options = []
    for v, t in state.tech.items():
        if t not in (FIBER, SAT) or v in state.required:
            continue
        own = state.drop[v] if t == FIBER else state.sat_cost[v]
        options.append((state.objective_value(v, t) / own if own > 0 else math.inf, v, t))
    dropped = 0
    for _, v, t in sorted(options):
        if state.spent <= limit + _TOL * max(1.0, abs(limit)):
            break
        if any(state.floor_deficit[g] >= 0 for g in state.floor_of[v]):
            continue  # the floor needs it
        del state.tech[v]
        for g in state.floor_of[v]:
            state.floor_deficit[g] += 1
        if t == SAT:
            state.beam_used[state.beam[v]] -= state.demand[v]
            state.spent -= state.sat_cost[v]
        else:
            state.spent -= state.drop[v]  # its trenches stay built (and counted) until the final prune
        dropped += 1
    return dropped
