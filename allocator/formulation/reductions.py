"""Classical Steiner reductions of the fiber network before any LP: the bottleneck
Steiner distance ("special distance") edge test, then the degree and long-edge
reductions of graph.py again on what is left, repeated while the network shrinks.

Bottleneck Steiner distance (Duin and Volgenant 1989). Call *key nodes* the nodes
every feasible plan lights: the root (the backbone) and the terminals whose
villages may only take fiber (infinite prize, steiner_terms). For a walk from
``u`` to ``v`` split at the key nodes it passes, its *bottleneck* is its longest
piece; ``s(u, v)`` is the smallest bottleneck over all walks. If an edge costs
strictly more, ``c(u, v) > s(u, v)``, no optimal plan uses it: remove it from
such a plan's tree; the tree falls into two parts, one holding ``u`` and one
``v``; the pieces of the walk join nodes of the plan (``u``, ``v``, key nodes), so
one piece joins the two parts; adding it (cost <= s < c, so it does not use the
edge) gives a connected network over the same nodes, cheaper. The same nodes are
lit, so the villages' prizes do not change: the test is valid for the
prize-collecting problem as long as only nodes lit in *every* plan are key nodes
(never a terminal whose villages may take satellite).

Upper bound on ``s(u, v)`` used here (Duin 1993; Polzin and Vahdati Daneshmand
2001): with ``d`` shortest-path distances and ``B(z1, z2)`` the bottleneck
distance of key nodes ``z1, z2`` in their distance network (the largest edge on
the path of its minimum spanning tree),

    s(u, v) <= min over z1 near u, z2 near v of max(d(u, z1), B(z1, z2), d(z2, v))

(``z1 = z2`` gives ``max(d(u, z), d(v, z))``). Any subset of the key nodes gives a
valid bound, so large networks use the key nodes nearest the terminals only.
"""
from __future__ import annotations

import time

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree

from ..graph import network_from_graph, network_graph, reduce_graph

#: nearest key nodes of each edge end combined in the bound (k x k pairs per edge)
NEAREST = 8
#: key nodes used at most (one Dijkstra each); beyond, the bound is only weaker
MAX_KEYS = 1500
#: an edge is removed only when it costs more than the bound by this relative margin
MARGIN = 1e-9
#: rounds of test + degree reductions while the network shrinks
ROUNDS = 4


def bottleneck_bounds(n: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_c: np.ndarray,
                      keys: np.ndarray, *, nearest: int = NEAREST) -> np.ndarray:
    """An upper bound on the bottleneck Steiner distance between the ends of every
    edge (module docstring); ``keys``: node positions lit in every plan."""
    m = len(edge_c)
    if m == 0 or len(keys) == 0:
        return np.full(m, np.inf)
    keys = np.asarray(keys, dtype=np.int64)[:MAX_KEYS]
    mat = sp.csr_matrix((np.concatenate([np.maximum(edge_c, 1e-12)] * 2),
                         (np.concatenate([edge_u, edge_v]), np.concatenate([edge_v, edge_u]))), shape=(n, n))
    dist = dijkstra(mat, directed=True, indices=keys)                     # (keys, n)
    k = len(keys)
    bott = _key_bottlenecks(dist[:, keys])                                # (keys, keys)
    near = min(nearest, k)
    idx = np.argpartition(dist, near - 1, axis=0)[:near] if near < k else np.tile(np.arange(k)[:, None], (1, n))
    dnear = np.take_along_axis(dist, idx, axis=0)                         # (near, n)
    best = np.full(m, np.inf)
    for i in range(near):
        zu, du = idx[i, edge_u], dnear[i, edge_u]
        for j in range(near):
            zv, dv = idx[j, edge_v], dnear[j, edge_v]
            best = np.minimum(best, np.maximum(np.maximum(du, dv), bott[zu, zv]))
    return best


def _key_bottlenecks(dkk: np.ndarray) -> np.ndarray:
    """Minimax distances between key nodes: the largest edge on their path in a
    minimum spanning tree of the complete distance graph (Kruskal's merge order)."""
    k = len(dkk)
    out = np.zeros((k, k))
    if k == 1:
        return out
    w = np.where(np.isfinite(dkk), np.maximum(dkk, 1e-12), 0.0)
    np.fill_diagonal(w, 0.0)
    tree = minimum_spanning_tree(sp.csr_matrix(w)).tocoo()
    out[:] = np.inf
    np.fill_diagonal(out, 0.0)
    members = {i: [i] for i in range(k)}
    owner = np.arange(k)
    for a, b, c in sorted(zip(tree.row, tree.col, tree.data), key=lambda e: e[2]):
        ra, rb = owner[a], owner[b]
        if ra == rb:
            continue
        ma, mb = members.pop(ra), members[rb]
        out[np.ix_(ma, mb)] = c
        out[np.ix_(mb, ma)] = c
        mb.extend(ma)
        owner[ma] = rb
    return out


def key_positions(net, terms) -> np.ndarray:
    """Positions in ``net`` of the nodes lit in every plan: the root and the
    fiber-only terminals (infinite prize)."""
    must = [net.index[t] for t, p in zip(terms.node_ids, terms.prize) if np.isinf(p) and t in net.index]
    return np.array([0] + sorted(must), dtype=np.int64)


def reduce_network(network, terms, keep_nodes, *, rounds: int = ROUNDS):
    """The network without the edges the bottleneck test removes, contracted again
    by graph.py's degree and long-edge reductions (``keep_nodes``: every node a
    village or site may need lit), repeated while it shrinks. Returns (network, stats).
    Edge ids are kept (a contracted edge lists every original trench), so decoding
    maps plans back to the original trenches."""
    t0 = time.perf_counter()
    stats = {"edges_before": len(network.edge_cost), "nodes_before": len(network.nodes), "bottleneck_removed": 0}
    net = network
    keep = set(keep_nodes) | {net.nodes[0]}
    for _ in range(rounds):
        keys = key_positions(net, terms)
        eu, ev = net.edge_ends[:, 0], net.edge_ends[:, 1]
        bound = bottleneck_bounds(len(net.nodes), eu, ev, net.edge_cost, keys)
        drop = net.edge_cost > bound + MARGIN * np.maximum(1.0, net.edge_cost)
        if not drop.any():
            break
        stats["bottleneck_removed"] += int(drop.sum())
        g = network_graph(net)
        g.remove_edges_from((net.nodes[int(a)], net.nodes[int(b)]) for a, b in net.edge_ends[drop])
        g = g.subgraph(nx.node_connected_component(g, net.nodes[0])).copy()  # what the root still reaches
        reduce_graph(g, keep)
        net = network_from_graph(g, {**network.stats, "nodes_out": g.number_of_nodes(),
                                     "edges_out": g.number_of_edges()})
    stats.update(edges_after=len(net.edge_cost), nodes_after=len(net.nodes),
                 seconds=round(time.perf_counter() - t0, 4))
    return net, stats
