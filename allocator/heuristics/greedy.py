"""Greedy baseline and MIP warm start, of the kind peer tools use (UNICEF Giga's
"cheapest per school first", cdcam's "best demand per pound").

Phases
------
1. Hard requirements, cheapest per village first: villages a rule forces onto a
   technology, schools (``policy.schools_required``), clinics
   (``policy.clinics_required``).
2. Group floors: options ranked by (number of unmet floors the village counts
   towards) per unit of cost, until every floor is met.
3. Objective (``max-coverage`` and ``lexicographic`` only): options ranked by
   weighted value (``weight x quality``) per unit of cost until the budget is
   spent. Without a budget every option is affordable, so the ranking is by
   quality tier first (each village gets its best reachable technology), cost
   per value inside a tier; requirements and floors then only patch what is left.

Options and prices, always against the *current* plan:

- fiber for a village: its drop plus the cheapest path from the already built
  tree (backbone nodes and every node reached by built trenches, where built
  trenches cost nothing again);
- a site technology (4G, 5G FWA ...): opening a site, priced site + cheapest
  allowed backhaul (microwave, or fiber priced like a village's path), valued
  over every not yet covered village it reaches that allows the site's
  technology; opening it connects all of them;
- a terminal technology (satellite, LEO ...) for a village, while its pool
  (the beam, or ``<technology>:<beam>``) has capacity left.

Options are named by their technology (the cost model's declared technologies,
allocator/technologies.py), each handled by its kind.

Prices only fall as the tree grows (an incremental multi-source Dijkstra
re-relaxes from the nodes that just joined the tree and re-queues the options
at nodes whose distance fell) while values only fall as villages get covered
(checked lazily when an option reaches the top of the heap), so the heap's top,
once re-checked, is the true best option. Ties break by id. Finally trenches no
fiber village or fiber-backhauled site needs are pruned.

The decision always respects the budget, beam capacities, allowed and forbidden
technologies and fiber connectivity. Requirements may be left unmet (budget too
small, or the greedy choices were unlucky): :func:`run_greedy` reports that in
:attr:`GreedyResult.feasible` / :attr:`GreedyResult.unmet`; :func:`greedy`
raises :class:`~allocator.errors.InfeasibleError` instead. A greedy failure does
not prove the instance infeasible; the exact solver may still find a plan.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from enum import Enum

from ..decision import Decision
from ..errors import InfeasibleError
from ..instance import Instance
from ..objective_coefficients import quality_factors, village_weights
from ..schema import NO_TECHNOLOGY, Objective
from ..technologies import pool_id, terminal_columns

_TOL = 1e-9


def _tech(t) -> str:
    """Plain string of a technology (str-Enum members do not hash like their value)."""
    return t.value if isinstance(t, Enum) else str(t)


@dataclass(frozen=True)
class GreedyResult:
    """Outcome of :func:`run_greedy`.

    feasible: every requirement (forced technologies, schools, clinics, floors) met.
    unmet: one sentence per requirement left unmet (empty when feasible).
    coverage: sum over newly covered villages of weight x quality.
    cost: total cost in the instance's budget measure.
    """

    decision: Decision
    feasible: bool
    unmet: tuple[str, ...]
    coverage: float
    cost: float
    objective: Objective
    budget: float | None


def greedy(instance: Instance, *, objective: Objective | str | None = None,
           budget: float | None = None) -> Decision:
    """Greedy plan for ``instance``.

    Parameters
    ----------
    objective : overrides ``instance.objective``.
    budget : overrides ``instance.budget`` (``math.inf``: no budget).

    Raises
    ------
    InfeasibleError
        When the greedy plan leaves a requirement unmet (see :func:`run_greedy`
        to get the partial plan instead).
    """
    result = run_greedy(instance, objective=objective, budget=budget)
    if not result.feasible:
        raise InfeasibleError(
            "the greedy heuristic found no plan meeting every requirement "
            "(this does not prove the instance infeasible)",
            explanation="\n".join(f"- {u}" for u in result.unmet))
    return result.decision


def run_greedy(instance: Instance, *, objective: Objective | str | None = None,
               budget: float | None = None) -> GreedyResult:
    """Greedy plan and whether it meets every requirement; never raises for that."""
    objective = Objective(objective or instance.objective)
    if budget is None:
        budget = instance.budget
    limit = math.inf if budget is None else float(budget)
    state = GreedyState(instance, limit)
    coverage_objective = objective is not Objective.MIN_COST
    if coverage_objective and math.isinf(limit):
        for tier in state.quality_tiers():
            state.run_pass(state.objective_value, tier)
        state.run_pass(state.requirement_value, state.all_techs)
        state.run_pass(state.floor_value, state.all_techs)
    else:
        state.run_pass(state.requirement_value, state.all_techs)
        state.run_pass(state.floor_value, state.all_techs)
        if coverage_objective:
            state.run_pass(state.objective_value, state.all_techs)
    state.prune()
    unmet = tuple(state.unmet())
    return GreedyResult(decision=state.decision(), feasible=not unmet, unmet=unmet,
                        coverage=state.coverage(), cost=state.spent, objective=objective,
                        budget=None if math.isinf(limit) else limit)


class GreedyState:
    """Mutable plan under construction, with the prices of every option."""

    def __init__(self, instance: Instance, budget: float) -> None:
        self.inst = instance
        self.budget = budget
        cost = instance.cost
        policy = instance.policy
        self.quality = quality_factors(instance)
        reg = instance.costs.technologies
        self.all_techs = frozenset(reg.access)
        self.kind = {t: reg[t].kind for t in reg.access}      # technology -> network | site | terminal
        self.networks = reg.names_of("network")
        self.terminals = reg.names_of("terminal")
        self.village_techs = self.networks + self.terminals  # options priced per village

        # ---------------------------------------------------------- villages
        # plain dicts: row access through pandas costs ~100x more per lookup
        vil = instance.villages
        rows = dict(zip(vil.index, vil.to_dict("records")))
        self.vids = sorted(rows)
        self.new = [v for v in self.vids if rows[v]["existing"] == "none"]
        self.node = {v: _text(rows[v]["node"]) for v in self.vids}
        self.drop = {v: float(cost(rows[v]["fiber_capex"], rows[v]["fiber_opex"])) for v in self.new}
        self.term_cost = {}
        for t in self.terminals:
            capex_col, opex_col = terminal_columns(t)
            self.term_cost[t] = {v: float(cost(rows[v][capex_col], rows[v][opex_col])) for v in self.new}
        self.demand = {v: float(rows[v]["demand_mbps"]) for v in self.vids}
        self.pool = {t: {v: pool_id(reg, t, str(rows[v]["beam"])) for v in self.vids} for t in self.terminals}
        self.capacity = {str(b): float(c) for b, c in instance.beams["capacity_mbps"].items()}
        self.weight = dict(zip(self.new, village_weights(instance, self.new).tolist()))

        # allowed technologies and requirements
        self.required: set[str] = set()
        self.unmet_rules: list[str] = []
        self.allowed: dict[str, frozenset] = {}
        for v in self.new:
            row = rows[v]
            self.allowed[v] = self._allowed(v, row)
            if ((policy.schools_required and bool(row["school"]))
                    or (policy.clinics_required and bool(row["clinic"]))):
                self.required.add(v)

        # floors: how many more poor villages of each group must be covered
        self.floor_deficit: dict[str, int] = {}
        self.floor_of: dict[str, list] = {v: [] for v in self.vids}
        for g, share in sorted(policy.floors().items()):
            members = [v for v in self.vids if bool(rows[v]["poor"]) and g in rows[v]["groups"]]
            need = math.ceil(share * len(members) - _TOL)
            have = sum(1 for v in members if rows[v]["existing"] != "none")
            self.floor_deficit[g] = need - have
            for v in members:
                self.floor_of[v].append(g)

        # ---------------------------------------------------------- network
        # trench graph as adjacency lists; of parallel edges the cheapest (then lowest id) serves
        edges = instance.edges
        price = cost(edges["capex"].to_numpy(dtype=float), edges["opex"].to_numpy(dtype=float))
        best: dict[tuple, tuple] = {}
        for eid, u, w, p in zip(edges.index.tolist(), edges["u"].tolist(), edges["v"].tolist(), price.tolist()):
            key = (u, w) if u <= w else (w, u)
            if key not in best or (p, eid) < best[key]:
                best[key] = (p, eid)
        self.adj: dict[str, list] = {}
        self.edge_price, self.edge_ends = {}, {}
        for (u, w), (p, eid) in sorted(best.items()):
            self.adj.setdefault(u, []).append((w, p, eid))
            self.adj.setdefault(w, []).append((u, p, eid))
            self.edge_price[eid] = p
            self.edge_ends[eid] = (u, w)
        self.dist: dict[str, float] = {}
        self.pred: dict[str, tuple] = {}
        self.tree: set[str] = set()
        self.built: set = set()
        self.backbone = instance.backbone_nodes
        self.grow(self.backbone)

        # ---------------------------------------------------------- sites
        sites = instance.sites
        srows = dict(zip(sites.index, sites.to_dict("records")))
        self.sids = sorted(srows)
        self.site_node = {s: _text(srows[s]["node"]) for s in self.sids}
        self.site_cost = {s: float(cost(srows[s]["capex"], srows[s]["opex"])) for s in self.sids}
        self.mw_cost = {s: float(cost(srows[s]["backhaul_capex"], srows[s]["backhaul_opex"])) for s in self.sids}
        self.site_tech = {s: str(srows[s]["technology"]) for s in self.sids}
        self.fiber_ok = {s: srows[s]["backhaul"] in ("any", "fiber") and bool(self.site_node[s])
                         and bool(self.networks) for s in self.sids}
        self.mw_ok = {s: srows[s]["backhaul"] in ("any", "microwave") for s in self.sids}
        self.covers: dict[str, list] = {s: [] for s in self.sids}
        for s, v in sorted(zip(instance.coverage["site_id"].tolist(), instance.coverage["village_id"].tolist())):
            if v in self.allowed and self.site_tech.get(s) in self.allowed[v]:
                self.covers[s].append(v)
        self.sites_at: dict[str, list] = {}
        for s in self.sids:
            self.sites_at.setdefault(self.site_node[s], []).append(s)
        self.villages_at: dict[str, list] = {}
        for v in self.new:
            if any(t in self.allowed[v] for t in self.networks):
                self.villages_at.setdefault(self.node[v], []).append(v)

        # ---------------------------------------------------------- plan
        self.tech: dict[str, str] = {}
        self.site_of: dict[str, str] = {}
        self.opened: dict[str, str] = {}
        self.beam_used: dict[str, float] = {b: 0.0 for b in self.capacity}
        self.spent = 0.0

    # ------------------------------------------------------------------ inputs
    def _allowed(self, v: str, row) -> frozenset:
        policy = self.inst.policy
        allowed = {_tech(t) for t in row["technologies"]}
        forced = set()
        for rule in policy.rules:
            if not _in_scope(rule, row):
                continue
            if rule.action == "forbid":
                allowed.discard(_tech(rule.technology))
            elif rule.action == "force":
                forced.add(_tech(rule.technology))
        if forced:
            self.required.add(v)
            if len(forced) > 1:
                self.unmet_rules.append(f"village {v}: rules force several technologies ({', '.join(sorted(forced))})")
            allowed &= forced
        if policy.schools_required and bool(row["school"]):
            need = max(float(row["demand_mbps"]), float(policy.school_min_mbps))
            allowed = {t for t in allowed if self.inst.costs.mbps(t) >= need - _TOL}
        if not self.node[v]:
            allowed -= set(self.networks)
        for t in self.terminals:
            if self.demand[v] > self.capacity.get(self.pool[t][v], 0.0) + _TOL:
                allowed.discard(t)
        return frozenset(allowed)

    def quality_tiers(self) -> list[frozenset]:
        """Technologies grouped by equal quality, best first (zero quality left out)."""
        levels = sorted({self.quality.get(t, 0.0) for t in self.all_techs if self.quality.get(t, 0.0) > 0},
                        reverse=True)
        return [frozenset(t for t in self.all_techs if self.quality.get(t, 0.0) == q) for q in levels]

    # ------------------------------------------------------------------ values
    def requirement_value(self, v: str, tech: str) -> float:
        return 1.0 if v in self.required else 0.0

    def floor_value(self, v: str, tech: str) -> float:
        return float(sum(1 for g in self.floor_of[v] if self.floor_deficit[g] > 0))

    def objective_value(self, v: str, tech: str) -> float:
        return self.weight[v] * self.quality.get(tech, 0.0)

    # ------------------------------------------------------------------ network
    def grow(self, new_tree_nodes) -> list[str]:
        """Add nodes to the built tree and update distances from it.

        Multi-source Dijkstra that resumes from the current distances: only
        nodes whose distance falls are touched (networkx and scipy would redo
        the whole graph after every trench). Returns the nodes whose distance fell.
        """
        heap = []
        for n in new_tree_nodes:
            self.tree.add(n)
            self.dist[n] = 0.0
            self.pred.pop(n, None)
            heap.append((0.0, n))
        heapq.heapify(heap)
        improved = []
        while heap:
            d, u = heapq.heappop(heap)
            if d > self.dist[u]:
                continue
            improved.append(u)
            for w, price, eid in self.adj.get(u, ()):
                nd = d + price
                if nd < self.dist.get(w, math.inf):
                    self.dist[w] = nd
                    self.pred[w] = (u, eid)
                    heapq.heappush(heap, (nd, w))
        return improved

    def connect(self, node: str) -> tuple[float, list[str]]:
        """Build the cheapest path from the tree to ``node``; (its cost, nodes whose distance fell)."""
        path, paid, n = [], 0.0, node
        while n not in self.tree:
            prev, eid = self.pred[n]
            self.built.add(eid)
            paid += self.edge_price[eid]
            path.append(n)
            n = prev
        return paid, (self.grow(path) if path else [])

    # ------------------------------------------------------------------ options
    def _price(self, kind: str, ident: str, value) -> tuple[float, float] | None:
        """(value, cost) of an option now, or None when it is no longer available."""
        if self.kind[kind] == "terminal":
            v, pool = ident, self.pool[kind][ident]
            if v in self.tech or self.beam_used[pool] + self.demand[v] > self.capacity[pool] + _TOL:
                return None
            return value(v, kind), self.term_cost[kind][v]
        if self.kind[kind] == "network":
            v = ident
            d = self.dist.get(self.node[v], math.inf)
            if v in self.tech or math.isinf(d):
                return None
            return value(v, kind), self.drop[v] + d
        s = ident
        if s in self.opened:
            return None
        backhaul = self._backhaul(s)
        if backhaul is None:
            return None
        gain = sum(value(v, kind) for v in self.covers[s] if v not in self.tech)
        return gain, self.site_cost[s] + backhaul[1]

    def _backhaul(self, s: str) -> tuple[str, float] | None:
        best = None
        if self.fiber_ok[s]:
            d = self.dist.get(self.site_node[s], math.inf)
            if not math.isinf(d):
                best = ("fiber", d)
        if self.mw_ok[s] and (best is None or self.mw_cost[s] < best[1]):
            best = ("microwave", self.mw_cost[s])
        return best

    def _take(self, kind: str, ident: str) -> list[str]:
        """Carry out an option; returns the nodes whose fiber distance fell."""
        if self.kind[kind] == "terminal":
            self.tech[ident] = kind
            self.beam_used[self.pool[kind][ident]] += self.demand[ident]
            self.spent += self.term_cost[kind][ident]
            self.count_covered(ident)
            return []
        if self.kind[kind] == "network":
            paid, improved = self.connect(self.node[ident])
            self.tech[ident] = kind
            self.spent += self.drop[ident] + paid
            self.count_covered(ident)
            return improved
        s = ident
        backhaul, price = self._backhaul(s)
        improved = []
        if backhaul == "fiber":
            price, improved = self.connect(self.site_node[s])
        self.opened[s] = backhaul
        self.spent += self.site_cost[s] + price
        for v in self.covers[s]:
            if v not in self.tech:
                self.tech[v] = kind
                self.site_of[v] = s
                self.count_covered(v)
        return improved

    def count_covered(self, v: str) -> None:
        """``v`` is now covered: it counts towards each of its floors."""
        for g in self.floor_of[v]:
            self.floor_deficit[g] -= 1

    def run_pass(self, value, techs: frozenset) -> None:
        """Take the best (value per cost) affordable option until none is left."""
        heap: list = []

        def push(kind, ident):
            priced = self._price(kind, ident, value)
            if priced is None or priced[0] <= 0:
                return
            gain, price = priced
            ratio = math.inf if price <= 0 else gain / price
            heapq.heappush(heap, (-ratio, ident, kind))

        def push_at(nodes):
            for n in nodes:
                for t in self.networks:
                    if t in techs:
                        for v in self.villages_at.get(n, ()):
                            if v not in self.tech and t in self.allowed[v]:
                                push(t, v)
                for s in self.sites_at.get(n, ()):
                    if self.site_tech[s] in techs and s not in self.opened and self.fiber_ok[s]:
                        push(self.site_tech[s], s)

        for v in self.new:
            if v in self.tech:
                continue
            for t in self.village_techs:
                if t in techs and t in self.allowed[v]:
                    push(t, v)
        for s in self.sids:
            if self.site_tech[s] in techs:
                push(self.site_tech[s], s)
        while heap:
            neg, ident, kind = heapq.heappop(heap)
            priced = self._price(kind, ident, value)
            if priced is None or priced[0] <= 0:
                continue
            gain, price = priced
            if self.spent + price > self.budget + _TOL * max(1.0, abs(self.budget)):
                continue  # re-queued by push_at if it gets cheaper
            ratio = math.inf if price <= 0 else gain / price
            if ratio < -neg * (1 - 1e-12) - 1e-15:
                heapq.heappush(heap, (-ratio, ident, kind))  # value fell since queued
                continue
            push_at(self._take(kind, ident))

    # ------------------------------------------------------------------ results
    def prune(self) -> None:
        """Drop trenches that lead to no fiber village and no fiber-backhauled site."""
        keep = {self.node[v] for v, t in self.tech.items() if self.kind.get(t) == "network"}
        keep |= {self.site_node[s] for s, b in self.opened.items() if b == "fiber"}
        keep |= set(self.backbone)
        degree: dict[str, set] = {}
        for eid in self.built:
            u, w = self.edge_ends[eid]
            degree.setdefault(u, set()).add(eid)
            degree.setdefault(w, set()).add(eid)
        leaves = sorted(n for n, es in degree.items() if len(es) == 1 and n not in keep)
        while leaves:
            n = leaves.pop()
            if len(degree[n]) != 1:
                continue
            eid = degree[n].pop()
            self.built.discard(eid)
            self.spent -= self.edge_price[eid]
            u, w = self.edge_ends[eid]
            other = w if u == n else u
            degree[other].discard(eid)
            if len(degree[other]) == 1 and other not in keep:
                leaves.append(other)

    def coverage(self) -> float:
        return float(sum(self.objective_value(v, t) for v, t in sorted(self.tech.items())))

    def unmet(self) -> list[str]:
        out = list(self.unmet_rules)
        for v in self.new:
            if v in self.required and v not in self.tech:
                out.append(f"village {v} must be covered (forced technology, school or clinic) "
                           f"but is not")
        for g, deficit in sorted(self.floor_deficit.items()):
            if deficit > 0:
                out.append(f"group {g}: floor needs {deficit} more poor village(s) covered")
        return out

    def decision(self) -> Decision:
        return Decision(technology={v: self.tech.get(v, NO_TECHNOLOGY) for v in self.vids},
                        site_of=dict(sorted(self.site_of.items())),
                        built_edges=frozenset(self.built),
                        opened_sites=dict(sorted(self.opened.items())))


def _text(x) -> str:
    """A text cell: missing (None, NaN) becomes ''."""
    return x if isinstance(x, str) else ""


def _in_scope(rule, row) -> bool:
    if rule.scope == "county":
        return row["county_id"] == rule.value
    if rule.scope == "prefecture":
        return row["prefecture"] == rule.value
    if rule.scope == "province":
        return row["province"] == rule.value
    if rule.scope == "group":
        return rule.value in row["groups"]
    return False
