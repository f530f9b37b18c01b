"""Brute-force referee for tiny instances, and a small independent plan checker.

Nothing here imports the formulation, the solvers, the verifier or the greedy
heuristic: the rules are re-read from the model description and written the
plainest way, so that every solver can be held to the same answer.

:func:`brute_force` enumerates every plan of an instance with a handful of
not-yet-connected villages:

1. every village picks one option: none, fiber, satellite, or 4G through one of
   the sites covering it (technologies the village does not list or a rule
   forbids are never offered; forced technologies, schools, clinics, floors and
   beam capacities are checked on the full choice);
2. every opened site picks its backhaul, fiber or microwave, jointly (fiber
   backhaul shares trenches with fiber villages, so the choices interact);
3. the trenches are the exact minimum Steiner tree joining the fiber
   terminals (fiber villages' nodes, fiber-backhauled sites' nodes) to the
   backbone: all backbone nodes are merged into one root, and the tree is the
   cheapest minimum spanning tree over {root, terminals, S} for every subset S
   of the other nodes (an optimal Steiner tree spans exactly such a set, and
   any spanning tree of the set connects the terminals).

The best plan for the instance's objective is returned.
"""
from __future__ import annotations

import itertools
import math
from enum import Enum
from functools import lru_cache

import networkx as nx

from allocator.decision import Decision
from allocator.schema import Objective

FIBER, CELL, SAT, NONE = "fiber", "4g", "satellite", "none"
ROOT = "<backbone>"
TOL = 1e-9
#: refuse instances whose plans are too many to enumerate in a test
MAX_PLANS = 300_000
#: refuse graphs whose subsets are too many
MAX_FREE_NODES = 14


def _s(x) -> str:
    return x.value if isinstance(x, Enum) else str(x)


# --------------------------------------------------------------------------- the rules, plainly
def in_scope(rule, row) -> bool:
    column = {"county": "county_id", "prefecture": "prefecture", "province": "province"}.get(rule.scope)
    if column is not None:
        return str(row[column]) == rule.value
    return rule.value in row["groups"]


def money(inst, capex, opex) -> float:
    return float(inst.cost(float(capex), float(opex)))


class Rules:
    """The instance's rules read once into plain dicts (the enumeration asks them very often)."""

    def __init__(self, inst) -> None:
        vil, policy = inst.villages, inst.policy
        self.inst = inst
        self.new = sorted(v for v in vil.index if vil.at[v, "existing"] == "none")
        self.existing = {v: vil.at[v, "existing"] != "none" for v in vil.index}
        self.listed, self.forced, self.weight, self.school_need, self.clinic = {}, {}, {}, {}, {}
        for v in self.new:
            row = vil.loc[v]
            techs = {_s(t) for t in row["technologies"]}
            for rule in policy.rules:
                if rule.action == "forbid" and in_scope(rule, row):
                    techs.discard(_s(rule.technology))
            self.listed[v] = techs  # listed by the village and not forbidden
            self.forced[v] = {_s(r.technology) for r in policy.rules if r.action == "force" and in_scope(r, row)}
            priorities = [policy.groups[g].priority for g in row["groups"] if g in policy.groups]
            poor_factor = 1.0 if bool(row["poor"]) else policy.non_poor_weight
            self.weight[v] = float(row["population"]) * (max(priorities) if priorities else 1.0) * poor_factor
            if policy.schools_required and bool(row["school"]):
                self.school_need[v] = max(float(row["demand_mbps"]), float(policy.school_min_mbps))
            self.clinic[v] = policy.clinics_required and bool(row["clinic"])
        self.floors = []  # (group, share, poor members)
        for g, share in sorted(policy.floors().items()):
            members = [v for v in vil.index if bool(vil.at[v, "poor"]) and g in vil.at[v, "groups"]]
            if members:
                self.floors.append((g, share, members))
        self.beam = {v: str(vil.at[v, "beam"]) for v in vil.index}
        self.demand = {v: float(vil.at[v, "demand_mbps"]) for v in vil.index}
        self.capacity = {str(b): float(c) for b, c in inst.beams["capacity_mbps"].items()}
        self.quality = {_s(k): float(q) for k, q in inst.costs.quality.items()}
        self.mbps = {t: float(inst.costs.mbps(t)) for t in (FIBER, CELL, SAT)}

    def requirement_violations(self, tech: dict[str, str]) -> list[str]:
        """Forced technologies, schools, clinics and floors, for a technology map of the new villages."""
        out = []
        for v in self.new:
            t = tech.get(v, NONE)
            if self.forced[v] and (len(self.forced[v]) > 1 or t not in self.forced[v]):
                out.append(f"village {v}: forced to {sorted(self.forced[v])}, has {t}")
            if v in self.school_need:
                if t == NONE:
                    out.append(f"village {v}: school not covered")
                elif self.mbps[t] < self.school_need[v] - 1e-6:
                    out.append(f"village {v}: school needs {self.school_need[v]} Mbit/s, {t} gives {self.mbps[t]}")
            if self.clinic[v] and t == NONE:
                out.append(f"village {v}: clinic not covered")
        for g, share, members in self.floors:
            k = sum(1 for v in members if self.existing[v] or tech.get(v, NONE) != NONE)
            if k / len(members) < share - 1e-9:
                out.append(f"group {g}: {k}/{len(members)} covered, floor {share}")
        return out

    def beam_violations(self, tech: dict[str, str]) -> list[str]:
        used: dict[str, float] = {}
        for v, t in tech.items():
            if t == SAT:
                used[self.beam[v]] = used.get(self.beam[v], 0.0) + self.demand[v]
        return [f"beam {b}: {u} Mbit/s > {self.capacity.get(b, 0.0)}" for b, u in sorted(used.items())
                if u > self.capacity.get(b, 0.0) + 1e-6]

    def coverage(self, tech: dict[str, str]) -> float:
        return sum(self.weight[v] * self.quality.get(t, 0.0) for v, t in sorted(tech.items())
                   if t != NONE and v in self.weight)


# --------------------------------------------------------------------------- exact Steiner tree
class SteinerOracle:
    """Exact minimum-cost trench set joining given nodes to the backbone."""

    def __init__(self, inst) -> None:
        self.backbone = set(inst.nodes.index[inst.nodes["kind"] == "backbone"])
        # the contracted graph: backbone nodes become ROOT; parallel edges keep the cheapest
        h = nx.Graph()
        h.add_node(ROOT)
        h.add_nodes_from(n for n in inst.nodes.index if n not in self.backbone)
        for eid in sorted(inst.edges.index):
            row = inst.edges.loc[eid]
            u = ROOT if row["u"] in self.backbone else row["u"]
            w = ROOT if row["v"] in self.backbone else row["v"]
            if u == w:
                continue
            price = money(inst, row["capex"], row["opex"])
            if not h.has_edge(u, w) or price < h[u][w]["weight"]:
                h.add_edge(u, w, weight=price, edge_id=eid)
        self.h = h
        self.free = sorted(n for n in h if n != ROOT)
        if len(self.free) > MAX_FREE_NODES:
            raise ValueError(f"graph too large for the exact Steiner oracle ({len(self.free)} nodes)")
        self._mst = lru_cache(maxsize=None)(self._mst_uncached)

    def _mst_uncached(self, nodes: frozenset) -> tuple[float, frozenset]:
        sub = self.h.subgraph(nodes | {ROOT})
        if not nx.is_connected(sub):
            return math.inf, frozenset()
        tree = nx.minimum_spanning_tree(sub, weight="weight")
        return (sum(d["weight"] for _, _, d in tree.edges(data=True)),
                frozenset(d["edge_id"] for _, _, d in tree.edges(data=True)))

    @lru_cache(maxsize=None)
    def tree(self, terminals: frozenset) -> tuple[float, frozenset]:
        """(cost, edge ids) of the cheapest trench set joining ``terminals`` to the backbone."""
        terminals = frozenset(t for t in terminals if t not in self.backbone)
        if any(t not in self.h for t in terminals):
            return math.inf, frozenset()
        if not terminals:
            return 0.0, frozenset()
        others = [n for n in self.free if n not in terminals]
        best = (math.inf, frozenset())
        for k in range(len(others) + 1):
            for extra in itertools.combinations(others, k):
                cost, edges = self._mst(terminals | frozenset(extra))
                if cost < best[0] - TOL:
                    best = (cost, edges)
        return best


# --------------------------------------------------------------------------- enumeration
def village_options(inst, v, rules: Rules | None = None) -> list[tuple]:
    """(tech, site) options of one not-yet-connected village, 'none' first."""
    techs = (rules or Rules(inst)).listed[v]
    opts = [(NONE, None)]
    node = inst.villages.at[v, "node"]
    if FIBER in techs and isinstance(node, str) and node:
        opts.append((FIBER, None))
    if CELL in techs:
        cov = inst.coverage
        for s in sorted(set(cov.loc[cov["village_id"] == v, "site_id"])):
            opts.append((CELL, s))
    if SAT in techs:
        opts.append((SAT, None))
    return opts


def backhaul_options(inst, s) -> list[str]:
    allowed = str(inst.sites.at[s, "backhaul"])
    node = inst.sites.at[s, "node"]
    out = []
    if allowed in ("any", "fiber") and isinstance(node, str) and node:
        out.append(FIBER)
    if allowed in ("any", "microwave"):
        out.append("microwave")
    return out


def plan_count(inst) -> int:
    """How many village choices :func:`brute_force` enumerates (before backhaul choices)."""
    rules = Rules(inst)
    return math.prod(len(village_options(inst, v, rules)) for v in rules.new)


def brute_force(inst, *, objective: Objective | str | None = None, budget: float | None = None):
    """Exact optimum of ``inst`` by enumeration.

    Parameters
    ----------
    objective, budget : override the instance's (``budget=math.inf``: none).

    Returns
    -------
    (best_objective, best_decision)
        ``best_objective``: coverage (max-coverage), cost (min-cost) or the
        pair (coverage, cost) (lexicographic); ``(None, None)`` when no plan is
        feasible. Among plans of equal coverage the cheapest is returned.
    """
    objective = Objective(objective or inst.objective)
    if budget is None:
        budget = inst.budget
    limit = math.inf if budget is None else float(budget)
    rules = Rules(inst)
    vids = rules.new
    options = [village_options(inst, v, rules) for v in vids]
    if math.prod(len(o) for o in options) > MAX_PLANS:
        raise ValueError(f"too many plans to enumerate ({math.prod(len(o) for o in options)})")
    steiner = SteinerOracle(inst)
    vil, sites = inst.villages, inst.sites
    drop = {v: money(inst, vil.at[v, "fiber_capex"], vil.at[v, "fiber_opex"]) for v in vids}
    sat = {v: money(inst, vil.at[v, "satellite_capex"], vil.at[v, "satellite_opex"]) for v in vids}
    node = {v: vil.at[v, "node"] for v in vids}
    site_node = {s: sites.at[s, "node"] for s in sites.index}
    site_cost = {s: money(inst, sites.at[s, "capex"], sites.at[s, "opex"]) for s in sites.index}
    microwave = {s: money(inst, sites.at[s, "backhaul_capex"], sites.at[s, "backhaul_opex"]) for s in sites.index}
    backhauls = {s: backhaul_options(inst, s) for s in sites.index}

    feasible = []  # (coverage, cost, decision)
    for combo in itertools.product(*options):
        tech = {v: t for v, (t, _) in zip(vids, combo)}
        if rules.requirement_violations(tech) or rules.beam_violations(tech):
            continue
        site_of = {v: s for v, (t, s) in zip(vids, combo) if t == CELL}
        opened = sorted(set(site_of.values()))
        fiber_nodes = {node[v] for v in vids if tech[v] == FIBER}
        fixed = sum(drop[v] for v in vids if tech[v] == FIBER) + sum(sat[v] for v in vids if tech[v] == SAT)
        fixed += sum(site_cost[s] for s in opened)
        best = None
        for backhaul in itertools.product(*[backhauls[s] for s in opened]):
            terminals = fiber_nodes | {site_node[s] for s, b in zip(opened, backhaul) if b == FIBER}
            trench_cost, edges = steiner.tree(frozenset(terminals))
            cost = fixed + trench_cost + sum(microwave[s] for s, b in zip(opened, backhaul) if b == "microwave")
            if math.isinf(cost) or cost > limit + 1e-9 * max(1.0, abs(limit)) + 1e-6:
                continue
            if best is None or cost < best[0] - TOL:
                best = (cost, edges, dict(zip(opened, backhaul)))
        if best is None:
            continue
        cost, edges, opened_sites = best
        full = {v: NONE for v in vil.index}
        full.update(tech)
        feasible.append((rules.coverage(tech), cost, Decision(technology=full, site_of=site_of,
                                                               built_edges=edges, opened_sites=opened_sites)))
    if not feasible:
        return None, None
    if objective is Objective.MIN_COST:
        cost, _, decision = min(((c, i, d) for i, (_, c, d) in enumerate(feasible)), key=lambda x: x[:2])
        return cost, decision
    top = max(value for value, _, _ in feasible)
    near = [(c, i, value, d) for i, (value, c, d) in enumerate(feasible) if value >= top - 1e-9 * max(1.0, top)]
    cost, _, value, decision = min(near, key=lambda x: x[:2])
    if objective is Objective.LEXICOGRAPHIC:
        return (value, cost), decision
    return value, decision


# --------------------------------------------------------------------------- checking a decision
def evaluate(inst, decision: Decision) -> tuple[float, float]:
    """(coverage, cost in the budget measure) of a decision, recomputed from the instance."""
    vil, sites, edges = inst.villages, inst.sites, inst.edges
    tech = {v: _s(t) for v, t in decision.technology.items() if _s(t) != NONE}
    cost = sum(money(inst, edges.at[e, "capex"], edges.at[e, "opex"]) for e in decision.built_edges)
    for v, t in tech.items():
        if t == FIBER:
            cost += money(inst, vil.at[v, "fiber_capex"], vil.at[v, "fiber_opex"])
        elif t == SAT:
            cost += money(inst, vil.at[v, "satellite_capex"], vil.at[v, "satellite_opex"])
    for s, b in decision.opened_sites.items():
        cost += money(inst, sites.at[s, "capex"], sites.at[s, "opex"])
        if b == "microwave":
            cost += money(inst, sites.at[s, "backhaul_capex"], sites.at[s, "backhaul_opex"])
    return Rules(inst).coverage(tech), cost


def check_decision(inst, decision: Decision, *, budget: float | None = None,
                   requirements: bool = True) -> list[str]:
    """Every broken rule of ``decision``, one message each (empty: feasible).

    ``requirements=False`` skips forced technologies, schools, clinics and
    floors (what a heuristic may leave unmet), keeping budget, capacity,
    allowed technologies and connectivity. ``budget`` overrides the instance's
    (``math.inf``: none).
    """
    if budget is None:
        budget = inst.budget
    rules = Rules(inst)
    vil, sites, edges = inst.villages, inst.sites, inst.edges
    tech = {v: _s(decision.technology.get(v, NONE)) for v in vil.index}
    out = []
    # fiber reach: the components of built edges that touch the backbone
    g = nx.Graph()
    backbone = set(inst.nodes.index[inst.nodes["kind"] == "backbone"])
    g.add_nodes_from(backbone)
    for e in decision.built_edges:
        if e not in edges.index:
            out.append(f"edge {e}: unknown")
            continue
        g.add_edge(edges.at[e, "u"], edges.at[e, "v"])
    lit = set()
    for comp in nx.connected_components(g):
        if comp & backbone:
            lit |= comp
    cov = set(zip(inst.coverage["site_id"], inst.coverage["village_id"]))
    for v, t in tech.items():
        if t == NONE:
            continue
        if rules.existing[v]:
            out.append(f"village {v}: already connected, given {t}")
            continue
        if t not in rules.listed[v]:
            out.append(f"village {v}: {t} not allowed")
        if t == FIBER and vil.at[v, "node"] not in lit:
            out.append(f"village {v}: fiber but node {vil.at[v, 'node']!r} not connected to the backbone")
        if t == CELL:
            s = decision.site_of.get(v)
            if s not in decision.opened_sites:
                out.append(f"village {v}: 4g via {s}, which is not opened")
            elif (s, v) not in cov:
                out.append(f"village {v}: 4g via {s}, which does not cover it")
    for s, b in decision.opened_sites.items():
        if b not in backhaul_options(inst, s):
            out.append(f"site {s}: backhaul {b} not allowed")
        elif b == FIBER and sites.at[s, "node"] not in lit:
            out.append(f"site {s}: fiber backhaul but node not connected to the backbone")
    out += rules.beam_violations(tech)
    _, cost = evaluate(inst, decision)
    if budget is not None and not math.isinf(budget) and cost > budget + 1e-9 * max(1.0, budget) + 1e-6:
        out.append(f"budget: cost {cost} > {budget}")
    if requirements:
        out += rules.requirement_violations(tech)
    return out


def steiner_brute_force(ends, costs, root, prize_of) -> float:
    """Cheapest set of edges + prizes of the terminals it leaves dark (a fiber-only
    terminal has an infinite prize), over every subset of the edges."""
    best = math.inf
    m = len(costs)
    for r in range(m + 1):
        for subset in itertools.combinations(range(m), r):
            reach, grew = {root}, True
            while grew:
                grew = False
                for e in subset:
                    a, b = ends[e]
                    if (a in reach) != (b in reach):
                        reach |= {a, b}
                        grew = True
            value = sum(costs[e] for e in subset) + sum(p for t, p in prize_of.items() if t not in reach)
            best = min(best, value)
    return best


def steiner_instance_optimum(inst) -> float:
    """Brute force on an instance's own graph (villages: fiber at their node or their satellite price)."""
    g = inst.graph
    ends = [(u, v) for u, v in g.edges()]
    costs = [g.edges[e]["capex"] for e in ends]
    prize_of = {}
    for _, row in inst.villages.iterrows():
        options = {getattr(t, "value", t) for t in row["technologies"]}
        p = float(row["satellite_capex"]) if "satellite" in options else math.inf
        prize_of[str(row["node"])] = prize_of.get(str(row["node"]), 0.0) + p
    return steiner_brute_force(ends, costs, inst.backbone_nodes[0], prize_of)


def steiner_network_optimum(net, terms) -> float:
    """Brute force on a FiberNetwork: terminal nodes no longer in it pay their prize."""
    ends = [tuple(net.nodes[i] for i in pair) for pair in net.edge_ends]
    prize_of = dict(zip(terms.node_ids, terms.prize))
    return steiner_brute_force(ends, list(net.edge_cost), net.nodes[0], prize_of) + terms.constant
