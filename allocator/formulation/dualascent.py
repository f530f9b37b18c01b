"""Dual ascent (Wong 1984) on the rooted (prize-collecting) Steiner problem, and
the arcs its bound proves useless.

Applies to *Steiner-shaped* instances (:func:`steiner_terms`): minimum cost, no
budget, every village covered, by fiber or, where allowed, by satellite at a
price; no 4G. Then the cost of a plan is

    (trench cost of a tree from the root) + K + sum of p_t over terminal nodes t left dark

with ``K`` = each village's cheaper option when its node is lit, and prize
``p_t`` = what the villages at ``t`` pay more on satellite (``inf``: a village
there has only fiber). The standard transformation (Ljubic et al. 2006; Rehfeldt
and Koch 2019) makes it a Steiner arborescence problem: a new node ``t'`` per
priced terminal with arcs ``t -> t'`` (cost 0) and ``root -> t'`` (cost p_t);
the terminals are the ``t'`` and the fiber-only nodes.

Dual ascent raises the duals of directed cuts ``y(delta^-(W)) >= 1`` (``W``:
the nodes that reach an active terminal through saturated arcs, never the
root), smallest cut first, until every terminal is reached from the root. It
gives a lower bound ``LB`` (sum of the duals) and reduced costs ``c~ >= 0``
with ``c(Y) >= LB + c~(Y)`` for every feasible arborescence ``Y``.

Reduction (Polzin and Vahdati Daneshmand 2001; Rehfeldt 2021): an arc ``(i, j)``
on some minimal solution forces a root-to-``i`` path, the arc, and a path from
``j`` to a terminal, all disjoint, so that solution costs at least
``LB + d~(root, i) + c~_ij + d~(j, T)``; when that exceeds the cost ``UB`` of a
known plan, no plan at least as good as the known one uses the arc, and the
arc is deleted. Every plan of cost <= UB survives (minimal plans: costs are
>= 0, so a plan without useless leaves costs no more), so the optimum does.
``UB`` comes from a shortest-path heuristic (Takahashi and Matsuyama 1980) with
an exact prize-collecting pruning of its tree (Ljubic et al. 2006, "strong
pruning").
"""
from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra, minimum_spanning_tree

from ..schema import ALL_POOR, FIBER, SAT, Objective

#: relative margin on LB + distances > UB: a deletion needs a clear excess, so
#: floating-point error in the bound can never delete an arc of an optimal plan
MARGIN = 1e-7


#: the reduction runs when the terminal nodes are at most this share of the network's
#: nodes. Measured (HiGHS, 60 s, 2 cores under load ~10): with 3-13 terminals of ~650
#: nodes (pcstp, share <= 0.02) it deletes 97-100% of the arcs and every file is proven
#: in 1-7 s instead of 8 of 14 in 60 s; SteinLib with 5 terminals (c01-c16, d01-d16,
#: share 0.005-0.01) is proven in 1-11 s. With half the nodes terminals (b18, c05,
#: c20, d05) it deletes 5-40% and costs more time than it saves (c05 23 s vs 10 s).
TERMINAL_SHARE = 0.05
#: Dijkstra runs the multi-start heuristic may spend (a run joins one terminal):
#: every start for a few terminals, fewer starts for many (SteinLib b18, 50 terminals)
HEURISTIC_SEARCHES = 400
#: run dual ascent (one round: its bound, fixing and heuristic) also when every terminal
#: must be joined, however many there are
ALL_REQUIRED = True
#: HiGHS's primal-heuristic effort (its default 0.05) for a MIP whose instance dual ascent ran on:
#: there the bound is usually right early (dual ascent's, the cut LP's) and the plan is what is missing.
#: Measured (HiGHS 1.16, 60 s, load ~4.5): SteinLib d08, d13, d14, d18 proven in 17-22 s each with 0.3,
#: none of the four within 60 s with the default in the same session (the plan one unit above the bound).
MIP_HEURISTIC_EFFORT = 0.3
#: seconds of local search (vertex insertion / elimination) on the first round's best plan
#: (SteinLib d14: 686 -> 675 in 7.6 s to its local optimum, most of it in the first seconds)
LOCAL_SEARCH_SECONDS = 2.0


@dataclass(frozen=True)
class SteinerTerms:
    """The instance as a rooted prize-collecting Steiner problem on ``network``."""

    terminals: np.ndarray     # positions in the network the terms were computed on
    node_ids: tuple           # the same terminals as node ids
    prize: np.ndarray         # per terminal: its prize (inf: must be lit)
    constant: float           # K: every village's cheaper option when lit


def steiner_terms(instance, network, *, objective_kind: str, budget,
                  share: float | None = None) -> SteinerTerms | None:
    """The instance's prize-collecting terms, or None when it is not Steiner-shaped
    (see the module docstring) or its terminal nodes exceed ``share`` (default
    TERMINAL_SHARE) of the network's nodes: the reduction then does not run."""
    if Objective(objective_kind) is not Objective.MIN_COST or budget is not None:
        return None
    v, pol = instance.villages, instance.policy
    if len(instance.sites) or pol.rules or pol.schools_required or pol.clinics_required:
        return None
    if set(pol.floors()) != {ALL_POOR} or pol.floors()[ALL_POOR] != 1.0 or not v["poor"].astype(bool).all():
        return None
    cand = v[(v["existing"].astype(str) == "none").to_numpy()]
    techs = cand["technologies"].map(lambda ts: {getattr(t, "value", t) for t in ts})
    reg = instance.costs.technologies
    if reg.kind_of(FIBER) not in (None, "network") or reg.kind_of(SAT) not in (None, "terminal"):
        return None
    # fiber or the satellite only (any site technology, or another technology a model declares: not this shape)
    if techs.map(lambda s: bool(s - {FIBER, SAT}) or not (s & {FIBER, SAT})).any():
        return None
    sat = techs.map(lambda s: SAT in s).to_numpy(bool)
    if (cand["demand_mbps"].to_numpy(float)[sat] > 0).any():
        return None  # beams could bind: satellite is then not a plain price
    drop = np.asarray(instance.cost(cand["fiber_capex"].to_numpy(float), cand["fiber_opex"].to_numpy(float)), float)
    price = np.asarray(instance.cost(cand["satellite_capex"].to_numpy(float),
                                     cand["satellite_opex"].to_numpy(float)), float)
    fiber_ok = techs.map(lambda s: FIBER in s).to_numpy(bool).copy()
    pos = np.array([network.index.get(str(n), -1) for n in cand["node"].fillna("").astype(str)], dtype=np.int64)
    fiber_ok &= pos >= 0
    if not (fiber_ok | sat).all():
        return None  # a village without any option: the model reports that, not this
    price = np.where(sat, np.nan_to_num(price, nan=np.inf), np.inf)
    drop = np.where(fiber_ok, drop, np.inf)
    constant, prizes = 0.0, {}
    for p, d, s in zip(pos, drop, price):
        if p == 0:          # at the backbone: fiber for the drop, or satellite
            constant += min(d, s)
            continue
        if p < 0:           # fiber out of reach: satellite
            constant += s
            continue
        constant += min(d, s)
        prizes[int(p)] = prizes.get(int(p), 0.0) + (s - min(d, s))
    if not np.isfinite(constant):
        return None
    terminals = np.array(sorted(prizes), dtype=np.int64)
    if len(terminals) > (TERMINAL_SHARE if share is None else share) * len(network.nodes):
        return None  # many terminals: the reduction costs more than it saves (TERMINAL_SHARE)
    return SteinerTerms(terminals, tuple(network.nodes[int(t)] for t in terminals),
                        np.array([prizes[t] for t in terminals], dtype=float), float(constant))


# --------------------------------------------------------------------------- dual ascent
def dual_ascent(n: int, tails: np.ndarray, heads: np.ndarray, cost: np.ndarray, root: int,
                terminals: np.ndarray) -> tuple[float, np.ndarray]:
    """Wong's dual ascent on the arborescence problem (``n`` nodes, arcs
    ``tails -> heads``): returns the lower bound and the reduced costs (>= 0).

    The active terminal with the fewest arcs entering its cut moves next; its
    cut ``W`` (nodes reaching it through saturated arcs) grows as arcs saturate.
    Reduced costs only ever drop by the minimum over the cut, so they stay >= 0
    exactly in floating point."""
    c = np.asarray(cost, dtype=float).copy()
    order = np.argsort(heads, kind="stable")
    starts = np.searchsorted(heads[order], np.arange(n + 1))
    sat_in: list[list[int]] = [[] for _ in range(n)]     # tails of saturated arcs into each node
    for a in np.flatnonzero(c <= 0.0):
        sat_in[int(heads[a])].append(int(tails[a]))
    k_count = len(terminals)
    in_w = [None] * k_count
    entering = [None] * k_count
    active = np.ones(k_count, dtype=bool)
    lb = 0.0

    def absorb(k: int, new) -> None:
        w = in_w[k]
        stack = [int(u) for u in new if not w[u]]
        for u in stack:
            w[u] = True
        added = []
        while stack:
            u = stack.pop()
            added.append(u)
            for s in sat_in[u]:
                if not w[s]:
                    w[s] = True
                    stack.append(s)
        if w[root]:
            active[k] = False
            entering[k] = np.zeros(0, dtype=np.int64)
            return
        if added:
            more = np.concatenate([order[starts[u]:starts[u + 1]] for u in added])
            ent = np.concatenate([entering[k], more])
            entering[k] = ent[~w[tails[ent]]]

    for k, t in enumerate(terminals):
        in_w[k] = np.zeros(n, dtype=bool)
        entering[k] = np.zeros(0, dtype=np.int64)
        absorb(k, [int(t)])
    heap = [(len(entering[k]), k) for k in range(k_count) if active[k]]
    heapq.heapify(heap)
    while heap:
        _, k = heapq.heappop(heap)
        if not active[k]:
            continue
        ent = entering[k]
        if len(ent) == 0:       # nothing enters: the terminal cannot be reached at all
            active[k] = False
            continue
        vals = c[ent]
        zero = vals <= 0.0
        if zero.any():          # saturated meanwhile by another terminal's steps
            absorb(k, tails[ent[zero]])
        else:
            delta = float(vals.min())
            c[ent] = vals - delta
            lb += delta
            now = ent[c[ent] <= 0.0]
            c[now] = 0.0
            for a in now:
                sat_in[int(heads[a])].append(int(tails[a]))
            absorb(k, tails[now])
        if active[k]:
            heapq.heappush(heap, (len(entering[k]), k))
    return lb, c


# --------------------------------------------------------------------------- upper bound
def _tree_cost_pruned(n, edge_u, edge_v, edge_c, tree_edges, root, prize_of):
    """Best prize-collecting sub-tree of a tree (strong pruning, Ljubic et al. 2006):
    returns (tree cost + prizes of terminals left out, kept edges)."""
    adj: dict[int, list[tuple[int, int]]] = {}
    for e in tree_edges:
        a, b = int(edge_u[e]), int(edge_v[e])
        adj.setdefault(a, []).append((b, e))
        adj.setdefault(b, []).append((a, e))
    parent_edge = {root: -1}
    order, stack = [], [root]
    while stack:
        u = stack.pop()
        order.append(u)
        for w, e in adj.get(u, ()):
            if w not in parent_edge:
                parent_edge[w] = e
                stack.append(w)
    profit = {}
    for u in reversed(order):
        p = prize_of.get(u, 0.0)
        for w, e in adj.get(u, ()):
            if parent_edge.get(w) == e and w != root:
                p += max(0.0, profit[w] - edge_c[e])
        profit[u] = p
    kept, lit = [], {root}
    for u in order:  # parents come before their children
        e = parent_edge[u]
        if u == root or e < 0:
            continue
        par = int(edge_u[e]) if int(edge_v[e]) == u else int(edge_v[e])
        if par in lit and profit[u] - edge_c[e] > 0:
            kept.append(e)
            lit.add(u)
    cost = float(sum(edge_c[e] for e in kept))
    dark = sum(p for t, p in prize_of.items() if t not in lit)
    return cost + dark, kept


def _symmetric(n, edge_u, edge_v, w):
    return sp.csr_matrix((np.concatenate([w, w]), (np.concatenate([edge_u, edge_v]),
                                                    np.concatenate([edge_v, edge_u]))), shape=(n, n))


def shortest_path_plan(n, edge_u, edge_v, edge_c, root, prize_of: dict, *, first=None,
                       rule: str = "gain", mat=None) -> tuple[float, list[int]]:
    """Shortest-path heuristic for the rooted prize-collecting Steiner tree: join
    ``first`` (if given), then the nearest fiber-only terminal, else the terminal
    that gains most (``rule='gain'``: prize minus path) or the nearest worth its
    path (``'near'``), while any is worth it; then a minimum spanning tree on the
    nodes reached and strong pruning. Returns (plan cost without K, edges)."""
    w = np.maximum(edge_c, 1e-12)
    mat = _symmetric(n, edge_u, edge_v, w) if mat is None else mat
    in_tree = {root}
    left = dict(prize_of)
    while left:
        dist, pred, _src = dijkstra(mat, directed=True, indices=sorted(in_tree), return_predecessors=True,
                                    min_only=True)
        best, best_key = None, None
        for t, p in left.items():
            if not np.isfinite(dist[t]) or (p <= dist[t] and t != first):
                continue
            if t == first or np.isinf(p):
                key = (2 if t == first else 1, -dist[t])
            else:
                key = (0, p - dist[t] if rule == "gain" else -dist[t])
            if best_key is None or key > best_key:
                best, best_key = t, key
        if best is None:
            break
        u = best
        while u not in in_tree:
            in_tree.add(u)
            u = int(pred[u])
        left = {t: p for t, p in left.items() if t not in in_tree}
    if any(np.isinf(p) for p in left.values()):
        return np.inf, []
    # the cheapest tree on the nodes reached (never costlier than the union of paths)
    inside = np.zeros(n, dtype=bool)
    inside[list(in_tree)] = True
    sub = np.flatnonzero(inside[edge_u] & inside[edge_v])
    if len(sub) == 0:
        return _tree_cost_pruned(n, edge_u, edge_v, edge_c, [], root, prize_of)
    local = np.full(n, -1)
    nodes = np.flatnonzero(inside)
    local[nodes] = np.arange(len(nodes))
    k = len(nodes)
    m = sp.coo_matrix((w[sub], (local[edge_u[sub]], local[edge_v[sub]])), shape=(k, k)).tocsr()
    mst = minimum_spanning_tree(m).tocoo()
    # the network has one edge per node pair: look each tree pair up by a sorted key
    lu, lv = local[edge_u[sub]], local[edge_v[sub]]
    keys = np.minimum(lu, lv) * k + np.maximum(lu, lv)
    order = np.argsort(keys, kind="stable")
    want = np.minimum(mst.row, mst.col).astype(np.int64) * k + np.maximum(mst.row, mst.col)
    tree = sub[order[np.searchsorted(keys[order], want)]].tolist()
    return _tree_cost_pruned(n, edge_u, edge_v, edge_c, tree, root, prize_of)


def best_heuristic_plan(n, edge_u, edge_v, edge_c, root, prize_of: dict) -> tuple[float, list[int]]:
    """The cheapest of the shortest-path heuristic's plans over both rules and every
    terminal forced first (a few dozen Dijkstra runs on the reduced network)."""
    best = (np.inf, [])
    mat = _symmetric(n, edge_u, edge_v, np.maximum(edge_c, 1e-12))
    # each run costs about one Dijkstra per terminal: at most HEURISTIC_SEARCHES in all
    starts = max(1, min(len(prize_of) + 1, HEURISTIC_SEARCHES // (2 * max(1, len(prize_of)))))
    for rule in ("gain", "near"):
        for first in ([None] + sorted(prize_of))[:starts]:
            got = shortest_path_plan(n, edge_u, edge_v, edge_c, root, prize_of, first=first, rule=rule, mat=mat)
            if got[0] < best[0] - 1e-9 * max(1.0, abs(got[0])):
                best = got
    return best


def _tree_cost_peeled(n, edge_u, edge_v, edge_c, tree, root, required):
    """The part of a forest (edge indices ``tree``) that joins the root to the
    ``required`` nodes, leaves that are not required peeled off (the exact pruning
    when every terminal is required): (cost, edges); inf when one is cut off."""
    tu, tv = edge_u[tree], edge_v[tree]
    mat = sp.csr_matrix((np.ones(len(tree)), (tu, tv)), shape=(n, n))
    reach = np.zeros(n, dtype=bool)
    reach[breadth_first_order(mat, root, directed=False, return_predecessors=False)] = True
    if (required & ~reach).any():
        return np.inf, []
    alive = reach[tu]
    while True:
        deg = np.bincount(tu[alive], minlength=n) + np.bincount(tv[alive], minlength=n)
        leaf = (deg == 1) & ~required
        drop = alive & (leaf[tu] | leaf[tv])
        if not drop.any():
            break
        alive &= ~drop
    kept = tree[alive]
    return float(edge_c[kept].sum()), kept.tolist()


def _key_path_exchange(n, edge_u, edge_v, edge_c, mat, edge_of, tree, root, required, t_end) -> list[int]:
    """Key-path exchange (Duin and Voss 1997; Uchoa and Werneck 2010) on a tree joining
    every ``required`` node: a key path (a path of the tree whose inner nodes are
    neither required nor branch points) is replaced by the shortest path between the
    two parts of the tree it leaves, when that is cheaper. Returns the tree's edges."""
    tree = list(tree)
    improved = True
    while improved and time.perf_counter() < t_end:
        improved = False
        t = np.asarray(tree, dtype=np.int64)
        tu, tv = edge_u[t], edge_v[t]
        deg = np.bincount(tu, minlength=n) + np.bincount(tv, minlength=n)
        key = required | (deg >= 3)
        key[root] = True
        adj: dict[int, list[tuple[int, int]]] = {}
        for e, a, b in zip(t.tolist(), tu.tolist(), tv.tolist()):
            adj.setdefault(a, []).append((b, e))
            adj.setdefault(b, []).append((a, e))
        paths, seen = [], set()
        for k in np.flatnonzero(key & (deg > 0)).tolist():
            for nxt, e in adj.get(k, ()):
                if e in seen:
                    continue
                edges, inner, u = [e], [], nxt
                while not key[u]:
                    inner.append(u)
                    e2 = next(f for w, f in adj[u] if f != edges[-1])
                    edges.append(e2)
                    u = next(w for w, f in adj[u] if f == e2)
                seen.update(edges)
                paths.append((float(edge_c[edges].sum()), edges, k, u))
        paths.sort(key=lambda p: -p[0])  # the costliest paths first: the most to gain
        for cost, edges, a_end, b_end in paths:
            if time.perf_counter() >= t_end:
                break
            rest = np.setdiff1d(t, edges)
            nodes_in = np.zeros(n, dtype=bool)
            nodes_in[edge_u[rest]] = nodes_in[edge_v[rest]] = True
            nodes_in[[root, a_end, b_end]] = True
            # the two parts: components of the remaining tree
            sub = sp.csr_matrix((np.ones(len(rest)), (edge_u[rest], edge_v[rest])), shape=(n, n))
            _, label = connected_components(sub, directed=False)
            part_a = np.flatnonzero(nodes_in & (label == label[a_end]))
            part_b = nodes_in & (label == label[b_end])
            if label[a_end] == label[b_end] or len(part_a) == 0:
                continue
            dist, pred, _ = dijkstra(mat, directed=False, indices=part_a, return_predecessors=True, min_only=True,
                                     limit=cost)
            cand = np.flatnonzero(part_b & np.isfinite(dist))
            if len(cand) == 0:
                continue
            target = int(cand[np.argmin(dist[cand])])
            if dist[target] >= cost - 1e-9 * max(1.0, cost):
                continue
            new, u = [], target
            while pred[u] >= 0:
                new.append(edge_of(int(pred[u]), u))
                u = int(pred[u])
            tree = sorted(set(rest.tolist()) | set(new))
            improved = True
            break
    return tree


def improve_plan(n, edge_u, edge_v, edge_c, root, prize_of: dict, nodes, *,
                 seconds: float = LOCAL_SEARCH_SECONDS) -> tuple[float, list[int]]:
    """Local search on a plan's node set ``nodes`` (Rehfeldt and Koch 2019; Uchoa and
    Werneck 2010): the plan of a node set is a minimum spanning tree of the edges
    between its nodes, strongly pruned (prizes: :func:`_tree_cost_pruned`). Vertex
    insertion (a node next to the plan joins) and key-vertex elimination (a node of
    the plan leaves) are applied while one lowers the cost, for at most ``seconds``.
    Returns (cost without K, edges) of the best plan found."""
    t_end = time.perf_counter() + seconds
    w = np.maximum(edge_c, 1e-12)
    lo, hi = np.minimum(edge_u, edge_v), np.maximum(edge_u, edge_v)
    keys = lo.astype(np.int64) * n + hi
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    all_required = all(np.isinf(p) for p in prize_of.values())
    required = np.zeros(n, dtype=bool)
    required[[t for t, p in prize_of.items() if np.isinf(p)]] = True
    required[root] = True

    def evaluate(mask):
        sub = np.flatnonzero(mask[edge_u] & mask[edge_v])
        if len(sub) == 0:
            return _tree_cost_pruned(n, edge_u, edge_v, edge_c, [], root, prize_of)
        mst = minimum_spanning_tree(sp.csr_matrix((w[sub], (edge_u[sub], edge_v[sub])), shape=(n, n))).tocoo()
        want = np.minimum(mst.row, mst.col).astype(np.int64) * n + np.maximum(mst.row, mst.col)
        tree = order[np.searchsorted(sorted_keys, want)]
        if all_required:
            return _tree_cost_peeled(n, edge_u, edge_v, edge_c, tree, root, required)
        return _tree_cost_pruned(n, edge_u, edge_v, edge_c, tree.tolist(), root, prize_of)

    def node_set(edges):
        mask = np.zeros(n, dtype=bool)
        mask[root] = True
        if edges:
            e = np.asarray(edges, dtype=np.int64)
            mask[edge_u[e]] = True
            mask[edge_v[e]] = True
        return mask

    mask = np.zeros(n, dtype=bool)
    mask[list(nodes)] = True
    mask[root] = True
    best = evaluate(mask)
    mask = node_set(best[1])
    improved = True
    mat = _symmetric(n, edge_u, edge_v, w) if all_required else None

    def edge_of(a: int, b: int) -> int:
        return int(order[np.searchsorted(sorted_keys, min(a, b) * n + max(a, b))])

    while improved and time.perf_counter() < t_end:
        improved = False
        if all_required and best[1]:
            tree = _key_path_exchange(n, edge_u, edge_v, edge_c, mat, edge_of, best[1], root, required, t_end)
            got = evaluate(node_set(tree))
            if got[0] < best[0] - 1e-9 * max(1.0, abs(best[0])):
                best, mask = got, node_set(got[1])
        border = np.unique(np.concatenate([edge_v[mask[edge_u] & ~mask[edge_v]], edge_u[mask[edge_v] & ~mask[edge_u]]]))
        inner = np.flatnonzero(mask)
        for v, add in [(int(v), True) for v in border] + [(int(v), False) for v in inner if v != root]:
            if time.perf_counter() >= t_end:
                break
            if mask[v] == add:
                continue  # changed by an earlier move of this pass
            trial = mask.copy()
            trial[v] = add
            got = evaluate(trial)
            if got[0] < best[0] - 1e-9 * max(1.0, abs(best[0])):
                best, mask, improved = got, node_set(got[1]), True
    return best


# --------------------------------------------------------------------------- the reduction
@dataclass
class Reduction:
    """What :func:`reduce_network` did: the network left, the heuristic plan
    (reduced-network edge indices of the network it was given: ``plan_ids``
    holds their original edge ids) and figures for the summary."""

    network: object
    plan_ids: frozenset | None      # original trench ids of the best heuristic plan (None: none found)
    plan_lit: frozenset             # node ids that plan lights
    stats: dict


def _bounds(net, terms):
    """Dual ascent on the transformed problem of ``net``: (LB, reduced costs, arc arrays)."""
    n = len(net.nodes)
    pos = {node: i for i, node in enumerate(net.nodes)}
    idx = np.array([pos.get(t, -1) for t in terms.node_ids], dtype=np.int64)
    inside = idx >= 0
    prize = terms.prize[inside]
    tpos = idx[inside]
    priced = np.isfinite(prize)
    extra = np.arange(n, n + int(priced.sum()))                  # t' per priced terminal
    pt = tpos[priced]
    tails = np.concatenate([net.arc_tail, pt, np.zeros(len(pt), dtype=np.int64)])
    heads = np.concatenate([net.arc_head, extra, extra])
    cost = np.concatenate([net.edge_cost[net.arc_edge], np.zeros(len(pt)), prize[priced]])
    sap_terminals = np.concatenate([tpos[~priced], extra]).astype(np.int64)
    lb, red = dual_ascent(n + len(extra), tails, heads, cost, 0, sap_terminals)
    # priced terminals out of reach pay their prize whatever the plan
    lb += float(terms.prize[~inside].sum()) if (~inside).any() else 0.0
    return lb, red, tails, heads, sap_terminals, n + len(extra), {int(t): float(p) for t, p in zip(tpos, prize)}


def reduce_network(network, terms: SteinerTerms, *, rounds: int = 4) -> Reduction:
    """Delete the arcs of ``network`` that dual ascent proves useless for every plan
    at least as good as the best heuristic plan (module docstring); repeated on
    the smaller network while it shrinks (its shortest paths then follow the
    bound, and the heuristic finds better plans)."""
    from ..graph import restrict_arcs

    t0 = time.perf_counter()
    stats = {"terminals": len(terms.terminals), "arcs_before": network.num_arcs}
    best_ub, plan_ids, plan_lit = np.inf, None, frozenset()
    net, lb_best = network, -np.inf
    for rnd in range(rounds):
        if net.num_arcs == 0:
            break
        lb, red, tails, heads, sap_t, m, prize_of = _bounds(net, terms)
        lb_best = max(lb_best, lb)
        k = net.num_arcs
        edge_red = np.full(len(net.edge_cost), np.inf)
        np.minimum.at(edge_red, net.arc_edge, red[:k])
        for weights in ("cost", "saturated"):
            eu, ev, ec = net.edge_ends[:, 0], net.edge_ends[:, 1], net.edge_cost
            if weights == "saturated":  # edges with a saturated arc: the bound's own tree
                zero = edge_red <= 0.0
                eu, ev, ec = eu[zero], ev[zero], ec[zero]
                which = np.flatnonzero(zero)
            else:
                which = np.arange(len(ec))
            if rnd == 0:  # one plan per weighting on the whole network, many once it shrank
                ub, plan = shortest_path_plan(len(net.nodes), eu, ev, ec, 0, prize_of)
            else:
                ub, plan = best_heuristic_plan(len(net.nodes), eu, ev, ec, 0, prize_of)
            plan = np.asarray(plan, dtype=np.int64)
            ub += float(terms.prize[np.array([t not in net.index for t in terms.node_ids], dtype=bool)].sum())
            if ub < best_ub - 1e-9 * max(1.0, abs(ub)):
                best_ub = ub
                plan_ids = frozenset(i for e in which[plan] for i in net.edge_ids[e])
                plan_lit = frozenset(net.nodes[int(x)] for e in which[plan] for x in net.edge_ends[e])
        if rnd == 0 and np.isfinite(best_ub) and plan_ids is not None:  # local search on the best plan
            nodes = [net.index[x] for x in plan_lit if x in net.index]
            eu, ev, ec = net.edge_ends[:, 0], net.edge_ends[:, 1], net.edge_cost
            ub, plan = improve_plan(len(net.nodes), eu, ev, ec, 0, prize_of, nodes)
            ub += float(terms.prize[np.array([t not in net.index for t in terms.node_ids], dtype=bool)].sum())
            if ub < best_ub - 1e-9 * max(1.0, abs(ub)):
                best_ub = ub
                plan_ids = frozenset(i for e in plan for i in net.edge_ids[e])
                plan_lit = frozenset(net.nodes[int(x)] for e in plan for x in net.edge_ends[e])
        if not np.isfinite(best_ub):
            break
        w = np.maximum(red, 0.0)
        mat = sp.csr_matrix((w + 1e-15, (tails, heads)), shape=(m, m))   # tiny weight: zero arcs stay arcs
        d_root = dijkstra(mat, directed=True, indices=0)
        d_term = dijkstra(mat.T.tocsr(), directed=True, indices=sap_t, min_only=True) if len(sap_t) else \
            np.full(m, np.inf)
        limit = best_ub + MARGIN * max(1.0, abs(best_ub) + abs(lb))
        keep = lb + d_root[tails[:k]] + red[:k] + d_term[heads[:k]] <= limit
        if keep.all() and rnd > 0:
            break
        if not keep.all():
            net = restrict_arcs(net, keep)
    stats.update(lower_bound=lb_best + terms.constant if np.isfinite(lb_best) else None,
                 upper_bound=best_ub + terms.constant if np.isfinite(best_ub) else None,
                 arcs_after=net.num_arcs, seconds=round(time.perf_counter() - t0, 4))
    return Reduction(net, plan_ids, plan_lit, stats)


def plan_decision(instance, reduction: Reduction):
    """The heuristic plan of ``reduction`` as a Decision (None without one): villages
    at lit nodes (and at the backbone) take their cheaper option, the others satellite."""
    from ..decision import Decision
    from ..schema import NO_TECHNOLOGY

    if reduction.plan_ids is None:
        return None
    v = instance.villages
    lit = set(reduction.plan_lit) | set(instance.backbone_nodes)
    tech = {vid: NO_TECHNOLOGY for vid in v.index}
    for vid, row in v[(v["existing"].astype(str) == "none").to_numpy()].iterrows():
        options = {getattr(t, "value", t) for t in row["technologies"]}
        drop = float(instance.cost(row["fiber_capex"], row["fiber_opex"]))
        price = float(instance.cost(row["satellite_capex"], row["satellite_opex"])) if SAT in options else np.inf
        if FIBER in options and str(row["node"]) in lit and drop <= price:
            tech[vid] = FIBER
        elif SAT in options:
            tech[vid] = SAT
        else:
            return None
    return Decision(technology=tech, built_edges=frozenset(reduction.plan_ids))
