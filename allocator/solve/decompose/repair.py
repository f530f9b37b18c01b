"""Repair of a merged county plan (:mod:`allocator.solve.decompose.run`).

The county plans together may miss a floor (each county's target was its LP
coverage rounded down), leave money unspent (each county's knapsack left a
little) or, when a county had to give up its shares, overshoot the budget or
a beam. The repair continues :mod:`allocator.heuristics.greedy` from the
merged plan instead of from nothing:

1. trim: while a beam or the budget is overshot, drop the satellite/fiber
   villages of least value per own cost that no rule and no floor needs,
   then the trenches that serve nothing any more;
2. requirements (schools, clinics, forced technologies) left uncovered;
3. the cheapest villages for each floor still short;
4. coverage objectives: the best value per cost with the budget left.

Prices are those of the current plan (a trench already built costs nothing
again), beams keep their capacity, and the budget is never exceeded. In
restricted routing the greedy sees only the trenches of the shortest-path
trees, so the repaired plan stays inside the problem the LP bound refers to.
"""
from __future__ import annotations

import math

import networkx as nx

from ...decision import Decision
from ...heuristics.greedy import GreedyState
from ...schema import Objective

_TOL = 1e-9


def repair(instance, decision: Decision, *, budget: float | None, objective: Objective,
           routing_edges=None) -> tuple[Decision, dict]:
    """Continue the greedy from ``decision``; returns (repaired decision, what was done).

    routing_edges: trench ids the repair may build (restricted routing); None: any.
    ``report['unmet']`` lists what is still wrong (requirements, floors,
    budget or beams); empty when the decision is feasible.
    """
    routed = instance if routing_edges is None else instance.with_changes(
        edges=instance.edges.loc[instance.edges.index.isin(set(routing_edges))])
    limit = math.inf if budget is None else float(budget)
    state = GreedyState(routed, limit)
    extra_edges = _load(state, instance, decision)
    state.prune()
    before = _snapshot(state)
    dropped = _trim_beams(state) + _trim_budget(state, limit)
    _grow_tree(state)
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
    unmet = list(state.unmet())
    if state.spent > limit + _TOL * max(1.0, abs(limit)):
        unmet.append(f"the plan costs {state.spent:,.2f}, over the budget of {limit:,.2f}")
    unmet += [f"beam {b}: {state.beam_used[b]:,.6g} Mbit/s used of {state.capacity[b]:,.6g}"
              for b in _over_beams(state)]
    report = {"villages_added": after["villages"] - before["villages"] + dropped,
              "villages_dropped": dropped,
              "sites_added": after["sites"] - before["sites"],
              "spend_before": before["spent"], "spend_after": state.spent,
              "floor_shortfall_before": before["deficit"],
              "beams_over_before": before["beams_over"],
              "unmet": unmet}
    return out, report


def _load(state: GreedyState, instance, decision: Decision) -> frozenset:
    """Put ``decision`` into the greedy's (empty) state; returns built trenches it does not know
    (kept as they are). The tree is grown later, once the trim is done."""
    for v, t in sorted(decision.technology.items()):
        if t not in state.kind or v not in state.allowed:
            continue
        state.tech[v] = t
        state.count_covered(v)
        if state.kind[t] == "terminal":
            state.beam_used[state.pool[t][v]] += state.demand[v]
            state.spent += state.term_cost[t][v]
        elif state.kind[t] == "network":
            state.spent += state.drop[v]
    state.site_of.update({v: s for v, s in decision.site_of.items() if state.kind.get(state.tech.get(v)) == "site"})
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
    return extra


def _grow_tree(state: GreedyState) -> None:
    """The built tree: backbone plus every node the built trenches join to it (distance 0 for the greedy)."""
    g = nx.Graph()
    g.add_edges_from(state.edge_ends[e] for e in state.built)
    reached = set()
    for comp in nx.connected_components(g):
        if any(n in state.tree for n in comp):
            reached |= comp
    state.grow(sorted(reached - state.tree))


def _snapshot(state: GreedyState) -> dict:
    return {"villages": len(state.tech), "sites": len(state.opened), "spent": state.spent,
            "deficit": {g: d for g, d in sorted(state.floor_deficit.items()) if d > 0},
            "beams_over": _over_beams(state)}


def _over_beams(state: GreedyState) -> list:
    return [b for b in sorted(state.beam_used) if state.beam_used[b] > state.capacity[b] + _TOL * max(
        1.0, state.capacity[b])]


def _droppable(state: GreedyState, v: str) -> bool:
    """No rule requires the village and every floor it counts for has a village to spare."""
    return v not in state.required and all(state.floor_deficit[g] < 0 for g in state.floor_of[v])


def _drop(state: GreedyState, v: str) -> None:
    t = state.tech.pop(v)
    for g in state.floor_of[v]:
        state.floor_deficit[g] += 1
    if state.kind[t] == "terminal":
        state.beam_used[state.pool[t][v]] -= state.demand[v]
        state.spent -= state.term_cost[t][v]
    elif state.kind[t] == "network":
        state.spent -= state.drop[v]
        state.prune()  # safe: the tree is grown only after the trim


def _trim_beams(state: GreedyState) -> int:
    dropped = 0
    for beam in _over_beams(state):
        on = sorted((state.objective_value(v, t), v) for v, t in state.tech.items()
                    if state.kind[t] == "terminal" and state.pool[t][v] == beam)
        for _, v in on:
            if state.beam_used[beam] <= state.capacity[beam] + _TOL * max(1.0, state.capacity[beam]):
                break
            if _droppable(state, v):
                _drop(state, v)
                dropped += 1
    return dropped


def _trim_budget(state: GreedyState, limit: float) -> int:
    if state.spent <= limit + _TOL * max(1.0, abs(limit)):
        return 0
    options = []
    for v, t in state.tech.items():
        if state.kind[t] in ("network", "terminal"):
            own = state.drop[v] if state.kind[t] == "network" else state.term_cost[t][v]
            options.append((state.objective_value(v, t) / own if own > 0 else math.inf, v))
    dropped = 0
    for _, v in sorted(options):
        if state.spent <= limit + _TOL * max(1.0, abs(limit)):
            break
        if _droppable(state, v):
            _drop(state, v)
            dropped += 1
    return dropped
