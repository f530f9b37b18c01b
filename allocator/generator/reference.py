"""Two solver-free reference plans of an instance, and the budget set from them.

Both are built on the shortest-path tree of the trench graph from the backbone
(edges priced in the instance's budget measure) and are returned as
:class:`~allocator.decision.Decision` objects, so :func:`allocator.verify.verify`
can check them like any solver's plan.

- *cover everything*: every unconnected village on fiber along the tree;
  villages fiber cannot reach take their cheapest covering site (opened once,
  shared), else satellite. Trenches are shared along the tree.
- *a plan meeting the policy*: the same tree, peeled from its leaves. A village
  at the end of a private branch (no other village depends on the branch) moves
  to satellite while its beam has room and its bandwidth need allows, or is
  left out while every floor still holds and it is neither a required school
  nor clinic; the largest savings go first, round after round. It is feasible
  (policy force/forbid rules aside), so its cost bounds the least cost of
  meeting the policy from above.

Used by the generator to set budgets and by ``allocator describe``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..decision import Decision
from ..instance import Instance
from ..schema import ALL_POOR, CELL, FIBER, NO_TECHNOLOGY, SAT
from ..technologies import terminal_columns

#: rounds of leaf peeling (each round peels every village at the end of a private branch)
MAX_ROUNDS = 60


@dataclass(frozen=True)
class ReferenceCosts:
    """Costs (instance's budget measure) of the two reference plans (module docstring)."""

    cover_everything: float
    policy_plan: float
    policy_plan_satellite: int       # villages the policy plan puts on satellite
    policy_plan_left_out: int        # villages it leaves uncovered
    candidates: int                  # villages not yet connected


@dataclass(frozen=True)
class ReferencePlans:
    cover_everything: Decision
    policy_plan: Decision
    costs: ReferenceCosts


def reference_costs(instance: Instance) -> ReferenceCosts:
    """Costs of the two reference plans."""
    return reference_plans(instance).costs


def budget_for(instance: Instance, *, share: float) -> float:
    """``share`` of the cost of covering everything, raised to the cost of the
    reference policy plan when that is higher (so a plan meeting every floor,
    school and clinic always fits), rounded up to 1,000 currency units. For
    share < 1 the budget is short of covering every village by fiber along the
    tree, so a max-coverage objective binds."""
    ref = reference_costs(instance)
    raw = max(share * ref.cover_everything, ref.policy_plan)
    return float(math.ceil(raw / 1000.0) * 1000.0)


def _allowed(villages: pd.DataFrame, tech: str | None) -> np.ndarray:
    if tech is None:
        return np.zeros(len(villages), dtype=bool)
    return villages["technologies"].map(lambda ts: tech in {getattr(t, "value", t) for t in ts}).to_numpy(bool)


class _Tree:
    """Shortest-path forest from every backbone node; node positions 0..nn-2, and
    nn-1 a stand-in (never reached) for "no node"."""

    def __init__(self, inst: Instance) -> None:
        ids = inst.nodes.index
        self.pos = pd.Series(np.arange(len(ids)), index=ids)
        self.nn = len(ids) + 1
        self.dummy = self.nn - 1
        e = inst.edges
        cost = np.maximum(np.asarray(inst.cost(e["capex"].to_numpy(float), e["opex"].to_numpy(float)), float), 0.0)
        a = self.pos.reindex(e["u"]).to_numpy().astype(np.int64)
        b = self.pos.reindex(e["v"]).to_numpy().astype(np.int64)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        # parallel edges: the cheapest, lowest id first
        df = pd.DataFrame({"a": lo, "b": hi, "c": cost, "id": e.index.to_numpy()})
        df = df[df["a"] != df["b"]].sort_values(["a", "b", "c", "id"], kind="stable").drop_duplicates(["a", "b"])
        self.edge_id = {(x, y): i for x, y, i in zip(df["a"].tolist(), df["b"].tolist(), df["id"].tolist())}
        # csgraph treats stored zeros as edges only in sparse input: keep a tiny positive cost
        g = sp.coo_matrix((np.maximum(df["c"].to_numpy(), 1e-12), (df["a"].to_numpy(), df["b"].to_numpy())),
                          shape=(self.nn, self.nn)).tocsr()
        sources = np.flatnonzero(inst.nodes["kind"].to_numpy() == "backbone")
        if len(sources):
            self.dist, self.pred = dijkstra(g, directed=False, indices=sources, min_only=True,
                                            return_predecessors=True)[:2]
        else:
            self.dist, self.pred = np.full(self.nn, np.inf), np.full(self.nn, -9999)

    def node_positions(self, ids: pd.Series) -> np.ndarray:
        return self.pos.reindex(ids.astype(str)).fillna(self.dummy).to_numpy().astype(np.int64)

    def union(self, terminals: np.ndarray) -> np.ndarray:
        """Nodes (other than sources) on the paths to ``terminals``: each stands for the
        edge to its predecessor."""
        in_tree = np.zeros(self.nn, dtype=bool)
        frontier = np.unique(terminals)
        while len(frontier):
            in_tree[frontier] = True
            nxt = self.pred[frontier]
            nxt = np.unique(nxt[nxt >= 0])
            frontier = nxt[~in_tree[nxt]]
        return np.flatnonzero(in_tree & (self.pred >= 0))

    def cost(self, members: np.ndarray) -> float:
        return float((self.dist[members] - self.dist[self.pred[members]]).sum())

    def edges(self, members: np.ndarray) -> frozenset:
        p = self.pred[members]
        return frozenset(self.edge_id[(min(x, y), max(x, y))] for x, y in zip(members.tolist(), p.tolist()))

    def leaf_savings(self, terminals: np.ndarray, node_of: np.ndarray, on: np.ndarray) -> np.ndarray:
        """Per village on the tree (``on``): the private branch it alone needs, up to the
        first node that is another terminal, a fork or a source (0 unless at a leaf)."""
        members = self.union(terminals)
        children = np.bincount(self.pred[members], minlength=self.nn)
        per_node = np.bincount(terminals, minlength=self.nn)
        stop = (per_node > 0) | (children >= 2) | (self.pred < 0)
        leaf = on & (children[node_of] == 0) & (per_node[node_of] == 1) & (self.pred[node_of] >= 0)
        top = np.where(leaf, self.pred[node_of], 0)
        idx = np.flatnonzero(leaf)
        while len(idx):
            idx = idx[~stop[top[idx]]]
            top[idx] = self.pred[top[idx]]
        saving = np.zeros(len(node_of))
        saving[leaf] = self.dist[node_of[leaf]] - self.dist[top[leaf]]
        return saving


def reference_plans(instance: Instance) -> ReferencePlans:
    """The two reference plans (see the module docstring) and their costs."""
    inst = instance
    v = inst.villages
    cand = v[(v["existing"] == "none").to_numpy()]
    n = len(cand)
    tree = _Tree(inst)
    node_of = tree.node_positions(cand["node"])
    # the reference plans use the network technology, the first site and the first terminal technology
    reg = inst.costs.technologies
    net_name = reg.network.name if reg.network else None
    site_name = reg.primary_site.name if reg.primary_site else None
    term = reg.primary_terminal
    drop = np.asarray(inst.cost(cand["fiber_capex"].to_numpy(float), cand["fiber_opex"].to_numpy(float)), float)
    if term is not None:
        capex_col, opex_col = terminal_columns(term.name)
        sat = np.asarray(inst.cost(cand[capex_col].to_numpy(float), cand[opex_col].to_numpy(float)), float)
    else:
        sat = np.full(n, np.inf)
    fiber_ok = (node_of != tree.dummy) & np.isfinite(tree.dist[node_of]) & _allowed(cand, net_name)
    sat_ok = _allowed(cand, term.name if term else None)

    # villages fiber cannot reach: their cheapest covering site alone, else satellite
    site, backhaul, site_cost, site_node = _best_sites(inst, tree, cand, _allowed(cand, site_name))
    off = ~fiber_ok
    off_cell = off & (site != "") & (~sat_ok | (site_cost <= sat))
    off_sat = off & ~off_cell & sat_ok
    base = np.where(fiber_ok, "f", np.where(off_cell, "c", np.where(off_sat, "s", "u"))).astype(object)

    # the policy plan: peel leaves of the tree while that saves money
    pol = inst.policy
    demand = cand["demand_mbps"].to_numpy(float)
    school = cand["school"].to_numpy(bool) & pol.schools_required
    required = school | (cand["clinic"].to_numpy(bool) & pol.clinics_required)
    need = np.where(school, np.maximum(demand, pol.school_min_mbps), demand)
    sat_fits = sat_ok & (~school | (need <= (term.mbps if term else 0.0)))
    room = inst.beams["capacity_mbps"].to_dict()
    beam = cand["beam"].to_numpy()
    for i in np.flatnonzero(off_sat):
        room[beam[i]] = room.get(beam[i], 0.0) - demand[i]
    allow, hits = _floor_allowances(inst, cand)
    choice = base.copy()
    for _round in range(MAX_ROUNDS):
        on = choice == "f"
        saving = np.where(on, tree.leaf_savings(node_of[on], node_of, on) + drop, -np.inf)
        moved = 0
        for i in np.argsort(-saving, kind="stable")[: int(on.sum())]:
            if saving[i] <= 0:
                break
            gain_sat = saving[i] - sat[i] if sat_fits[i] and room.get(beam[i], 0.0) >= demand[i] - 1e-9 else -np.inf
            can_leave = not required[i] and all(allow[g] > 0 for g in hits[i])
            if can_leave and saving[i] >= gain_sat:
                for g in hits[i]:
                    allow[g] -= 1
                choice[i] = "x"
            elif gain_sat > 0:
                room[beam[i]] -= demand[i]
                choice[i] = "s"
            else:
                continue
            moved += 1
        if not moved:
            break

    def plan(ch: np.ndarray) -> tuple[Decision, float]:
        fib = ch == "f"
        cell = ch == "c"
        opened = {s: b for s, b in zip(site[cell], backhaul[cell])}
        fiber_sites = np.array(sorted({site_node[j] for j in np.flatnonzero(cell) if backhaul[j] == FIBER}),
                               dtype=np.int64)
        members = tree.union(np.concatenate([node_of[fib], fiber_sites]))
        cost = tree.cost(members) + float(drop[fib].sum()) + float(sat[ch == "s"].sum())
        s = inst.sites
        for sid, b in opened.items():
            cost += float(inst.cost(s.at[sid, "capex"], s.at[sid, "opex"]))
            if b != FIBER:
                cost += float(inst.cost(s.at[sid, "backhaul_capex"], s.at[sid, "backhaul_opex"]))
        tech = dict.fromkeys(v.index, NO_TECHNOLOGY)
        names = {"f": net_name or FIBER, "c": site_name or CELL, "s": term.name if term else SAT}
        for vid, c in zip(cand.index, ch):
            if c in names:
                tech[vid] = names[c]
        site_of = {vid: s_ for vid, s_, c in zip(cand.index, site, ch) if c == "c"}
        return Decision(technology=tech, site_of=site_of, built_edges=tree.edges(members),
                        opened_sites=opened), cost

    everything, full = plan(base)
    policy, cost = plan(choice)
    costs = ReferenceCosts(cover_everything=full, policy_plan=cost,
                           policy_plan_satellite=int((choice == "s").sum()),
                           policy_plan_left_out=int((choice == "x").sum()), candidates=n)
    return ReferencePlans(everything, policy, costs)


def _best_sites(inst: Instance, tree: _Tree, cand: pd.DataFrame, cell_ok: np.ndarray):
    """Per candidate village: its cheapest covering site alone ('' if none), the backhaul
    used ('fiber' | 'microwave'), the cost (site + backhaul: microwave, or the fiber path
    to the site's node) and the site's node position."""
    n = len(cand)
    site = np.full(n, "", dtype=object)
    backhaul = np.full(n, "", dtype=object)
    cost = np.full(n, np.inf)
    node = np.full(n, tree.dummy, dtype=np.int64)
    s = inst.sites
    first = inst.costs.technologies.primary_site
    if len(s) and "technology" in s:
        s = s[(s["technology"] == (first.name if first else "")).to_numpy(bool)]
    if not len(s) or not len(inst.coverage):
        return site, backhaul, cost, node
    snode = tree.node_positions(s["node"])
    kind = s["backhaul"].to_numpy()
    fiber = np.where(kind == "microwave", np.inf, tree.dist[snode])
    microwave = inst.cost(s["backhaul_capex"].to_numpy(float), s["backhaul_opex"].to_numpy(float))
    micro = np.where(kind == "fiber", np.inf, np.asarray(microwave, float))
    own = np.asarray(inst.cost(s["capex"].to_numpy(float), s["opex"].to_numpy(float)), float)
    table = pd.DataFrame({"site_id": s.index, "cost": own + np.minimum(fiber, micro),
                          "backhaul": np.where(fiber <= micro, FIBER, "microwave"), "node": snode})
    table = table[np.isfinite(table["cost"])]
    pairs = inst.coverage.merge(table, on="site_id").sort_values(["village_id", "cost", "site_id"], kind="stable")
    best = pairs.drop_duplicates("village_id").set_index("village_id").reindex(cand.index)
    ok = cell_ok & best["site_id"].notna().to_numpy()
    site[ok] = best["site_id"].to_numpy()[ok]
    backhaul[ok] = best["backhaul"].to_numpy()[ok]
    cost[ok] = best["cost"].to_numpy(float)[ok]
    node[ok] = best["node"].to_numpy()[ok].astype(np.int64)
    return site, backhaul, cost, node


def _floor_allowances(inst: Instance, cand: pd.DataFrame):
    """How many registered poor villages each floored group may leave uncovered, and,
    per candidate village, the floored groups it counts in."""
    v = inst.villages
    poor = v["poor"].to_numpy(bool)
    allow = {}
    for gname, floor in inst.policy.floors().items():
        in_g = poor if gname == ALL_POOR else poor & v["groups"].map(lambda gs, g=gname: g in gs).to_numpy(bool)
        allow[gname] = math.floor((1 - floor) * int(in_g.sum()) + 1e-9)
    cpoor = cand["poor"].to_numpy(bool)
    hits = [tuple(g for g in allow if p and (g == ALL_POOR or g in gs))
            for p, gs in zip(cpoor, cand["groups"].to_numpy())]
    return allow, hits
