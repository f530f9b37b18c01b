"""The fiber network the formulation routes over: the candidate trench graph
with all backbone nodes contracted into one root, cut to the part that can
reach the backbone, and reduced by classic exact Steiner-tree reductions.

Reductions (each keeps at least one optimal plan, for every objective that
only ever prefers cheaper trenches; the terminals are every node a village
or a site could need fiber at):

- a non-terminal of degree 1 is never worth reaching: delete it;
- a non-terminal of degree 2 is a pass-through: replace its two edges by one
  whose cost is their sum (the original edge ids are kept for decoding);
- an edge strictly costlier than another path between its ends is never
  needed ("long edge" test, distances by scipy's Dijkstra).
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

ROOT = "__backbone__"
_EPS = 1e-9


@dataclass(frozen=True)
class FiberNetwork:
    """Directed view of the reduced trench graph.

    ``nodes[0]`` is the contracted backbone root. Every undirected reduced edge
    ``k`` stands for original edges ``edge_ids[k]`` (several after degree-2
    contraction) and costs ``edge_cost[k]``; it gives arcs both ways except
    into the root. ``arc_tail``/``arc_head`` index ``nodes``.
    """

    nodes: tuple[str, ...]
    index: dict                     # node id -> position in nodes
    edge_ends: np.ndarray           # (k, 2) node positions
    edge_cost: np.ndarray           # (k,)
    edge_ids: tuple[tuple[int, ...], ...]
    arc_tail: np.ndarray
    arc_head: np.ndarray
    arc_edge: np.ndarray            # reduced edge of each arc
    component: np.ndarray           # per node: branch (component without the root); root: -1
    stats: dict

    @property
    def num_arcs(self) -> int:
        return len(self.arc_tail)

    def reaches_backbone(self, node_id: str) -> bool:
        return node_id in self.index


def build_network(instance, terminals, edge_cost: np.ndarray, *, reduce: bool = True) -> FiberNetwork:
    """Build the :class:`FiberNetwork` of ``instance``.

    terminals: node ids that may need fiber (villages' and sites' nodes).
    edge_cost: measured cost per row of ``instance.edges`` (aligned to its index).
    """
    g = _contracted_graph(instance, edge_cost)
    terminals = {t for t in terminals if t in g}
    backbone = set(instance.backbone_nodes)
    terminals = {t for t in terminals if t not in backbone}
    stats = {"nodes_in": g.number_of_nodes(), "edges_in": g.number_of_edges()}
    if ROOT in g:
        g = g.subgraph(nx.node_connected_component(g, ROOT)).copy()
    else:
        g = nx.Graph()
        g.add_node(ROOT)
    keep = terminals | {ROOT}
    if reduce:
        reduce_graph(g, keep)
    stats.update(nodes_out=g.number_of_nodes(), edges_out=g.number_of_edges())
    return _to_network(g, stats)


def reduce_graph(g: nx.Graph, keep: set, *, rounds: int = 20) -> None:
    """Apply the degree and long-edge reductions to ``g`` (edges with ``cost`` and
    ``ids``) in place until nothing changes; ``keep``: terminals and the root."""
    for _ in range(rounds):
        before = (g.number_of_nodes(), g.number_of_edges())
        _degree_reductions(g, keep)
        _long_edge_reduction(g)
        if (g.number_of_nodes(), g.number_of_edges()) == before:
            break


def network_from_graph(g: nx.Graph, stats: dict) -> FiberNetwork:
    """The :class:`FiberNetwork` of a graph whose root is named ``ROOT``."""
    return _to_network(g, stats)


def network_graph(net: FiberNetwork) -> nx.Graph:
    """``net`` as an undirected graph (node ids, edges with ``cost`` and ``ids``)."""
    g = nx.Graph()
    g.add_nodes_from(net.nodes)
    for (a, b), c, ids in zip(net.edge_ends, net.edge_cost, net.edge_ids):
        g.add_edge(net.nodes[int(a)], net.nodes[int(b)], cost=float(c), ids=tuple(ids))
    return g


def _contracted_graph(instance, edge_cost) -> nx.Graph:
    backbone = set(instance.backbone_nodes)
    edges = instance.edges
    g = nx.Graph()
    g.add_nodes_from(instance.nodes.index)
    us = [ROOT if u in backbone else u for u in edges["u"]]
    vs = [ROOT if v in backbone else v for v in edges["v"]]
    for eid, u, v, c in zip(edges.index, us, vs, edge_cost):
        if u == v:
            continue  # inside the backbone: already lit
        c = float(c)
        old = g.get_edge_data(u, v)
        if old is None or c < old["cost"] or (c == old["cost"] and (int(eid),) < old["ids"]):
            g.add_edge(u, v, cost=c, ids=(int(eid),))
    g.remove_nodes_from([b for b in backbone if b in g])
    if backbone:
        g.add_node(ROOT)
    return g


def _degree_reductions(g: nx.Graph, keep: set) -> None:
    stack = sorted((n for n in g if n not in keep and g.degree(n) <= 2), key=str)
    while stack:
        w = stack.pop()
        if w not in g or w in keep:
            continue
        deg = g.degree(w)
        if deg <= 1:
            nbrs = list(g.neighbors(w))
            g.remove_node(w)
            stack.extend(n for n in nbrs if n not in keep and g.degree(n) <= 2)
        elif deg == 2:
            a, b = sorted(g.neighbors(w), key=str)
            ea, eb = g.edges[a, w], g.edges[w, b]
            cost = ea["cost"] + eb["cost"]
            ids = ea["ids"] + eb["ids"]
            g.remove_node(w)
            old = g.get_edge_data(a, b)
            if old is None or cost < old["cost"]:
                g.add_edge(a, b, cost=cost, ids=ids)
            stack.extend(n for n in (a, b) if n not in keep and g.degree(n) <= 2)


def _long_edge_reduction(g: nx.Graph) -> None:
    """Delete edges costlier than the shortest path between their ends.

    A shortest path between two nodes of one branch (component without the
    root) never enters another branch, so distances are computed per branch
    plus the root: many small all-pairs problems instead of one large one."""
    if g.number_of_edges() == 0:
        return
    nodes = list(g)
    pos = {n: i for i, n in enumerate(nodes)}
    u = np.array([pos[a] for a, _ in g.edges()])
    v = np.array([pos[b] for _, b in g.edges()])
    c = np.array([d["cost"] for _, _, d in g.edges(data=True)])
    n = len(nodes)
    root = pos.get(ROOT, -1)
    # zero costs would vanish from a sparse matrix: shift them by a tiny amount
    mat = sp.coo_matrix((np.maximum(c, 1e-12), (u, v)), shape=(n, n)).tocsr()
    off_root = (u != root) & (v != root)
    branch_mat = sp.coo_matrix((np.ones(int(off_root.sum())), (u[off_root], v[off_root])), shape=(n, n))
    _, label = connected_components(branch_mat, directed=False)
    edge_branch = np.where(u == root, label[v], label[u])
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(label.max() + 2))
    local = np.full(n, -1)
    drop = []
    for b in np.unique(edge_branch):
        members = order[bounds[b]:bounds[b + 1]]
        if root >= 0:
            members = np.append(members, root)
        in_b = edge_branch == b
        eu, ev, ec = u[in_b], v[in_b], c[in_b]
        if len(members) < 3:
            continue
        if len(members) <= 4000:
            local[members] = np.arange(len(members))
            k = len(members)
            sub = sp.csr_matrix((np.maximum(ec, 1e-12), (local[eu], local[ev])), shape=(k, k))
            dist = dijkstra(sub, directed=False, limit=float(ec.max()))
            d = dist[local[eu], local[ev]]
        else:  # very large branch: one bounded search per edge
            d = np.array([dijkstra(mat, directed=False, indices=a, limit=cc)[bb] for a, bb, cc in zip(eu, ev, ec)])
        longer = d < ec - _EPS * np.maximum(1.0, ec)
        drop.extend((nodes[a], nodes[bb]) for a, bb in zip(eu[longer], ev[longer]))
    g.remove_edges_from(drop)


def _to_network(g: nx.Graph, stats: dict) -> FiberNetwork:
    nodes = [ROOT] + sorted((n for n in g if n != ROOT), key=str)
    index = {n: i for i, n in enumerate(nodes)}
    edges = sorted(((index[a], index[b], d["cost"], d["ids"]) for a, b, d in g.edges(data=True)),
                   key=lambda e: (min(e[0], e[1]), max(e[0], e[1])))
    ends = np.array([(min(a, b), max(a, b)) for a, b, _, _ in edges], dtype=np.int64).reshape(-1, 2)
    cost = np.array([e[2] for e in edges], dtype=float)
    ids = tuple(tuple(sorted(e[3])) for e in edges)
    tails, heads, arc_edge = [], [], []
    for k, (a, b) in enumerate(ends):
        for t, h in ((a, b), (b, a)):
            if h != 0:  # no arc into the root
                tails.append(t)
                heads.append(h)
                arc_edge.append(k)
    n = len(nodes)
    # branches: components once the root is removed; a village's route never
    # leaves its branch, so per-branch structure (one county) stays separate
    off_root = ends[(ends[:, 0] != 0) & (ends[:, 1] != 0)] if len(ends) else ends
    mat = sp.coo_matrix((np.ones(len(off_root)), (off_root[:, 0], off_root[:, 1])), shape=(n, n))
    _, comp = connected_components(mat, directed=False)
    comp = comp.astype(np.int64)
    comp[0] = -1
    return FiberNetwork(tuple(nodes), index, ends, cost, ids, np.array(tails, dtype=np.int64),
                        np.array(heads, dtype=np.int64), np.array(arc_edge, dtype=np.int64), comp, stats)


def shortest_path_tree(net: FiberNetwork, arc_weight: np.ndarray | None = None) -> np.ndarray:
    """Arc indices of a shortest-path tree from the root (restricted mode), by
    trench cost or by ``arc_weight`` (one per arc)."""
    n = len(net.nodes)
    if net.num_arcs == 0:
        return np.zeros(0, dtype=np.int64)
    w = np.maximum(net.edge_cost[net.arc_edge] if arc_weight is None else arc_weight, 1e-12)
    mat = sp.csr_matrix((w, (net.arc_tail, net.arc_head)), shape=(n, n))
    _, pred = dijkstra(mat, directed=True, indices=0, return_predecessors=True)
    lookup = {(int(t), int(h)): a for a, (t, h) in enumerate(zip(net.arc_tail, net.arc_head))}
    return np.array(sorted(lookup[(int(p), h)] for h, p in enumerate(pred) if h != 0 and p >= 0),
                    dtype=np.int64)


def restrict_arcs(net: FiberNetwork, keep: np.ndarray) -> FiberNetwork:
    """``net`` with only the arcs ``keep`` marks (bool per arc), cut to the nodes the
    root still reaches; an edge stays while either of its arcs does. Node order,
    edge order and edge ids are kept, so decoding is unchanged."""
    n = len(net.nodes)
    t, h = net.arc_tail[keep], net.arc_head[keep]
    mat = sp.csr_matrix((np.ones(len(t)), (t, h)), shape=(n, n))
    reach = np.zeros(n, dtype=bool)
    reach[breadth_first_order(mat, 0, directed=True, return_predecessors=False)] = True
    arcs = np.flatnonzero(keep & reach[net.arc_tail] & reach[net.arc_head])
    edges = np.unique(net.arc_edge[arcs])
    new_node = np.cumsum(reach) - 1
    new_edge = np.full(len(net.edge_cost), -1, dtype=np.int64)
    new_edge[edges] = np.arange(len(edges))
    nodes = tuple(node for node, r in zip(net.nodes, reach) if r)
    ends = new_node[net.edge_ends[edges]].reshape(-1, 2)
    m = len(nodes)
    off_root = ends[(ends[:, 0] != 0) & (ends[:, 1] != 0)]
    _, comp = connected_components(sp.coo_matrix((np.ones(len(off_root)), (off_root[:, 0], off_root[:, 1])),
                                                 shape=(m, m)), directed=False)
    comp = comp.astype(np.int64)
    comp[0] = -1
    stats = {**net.stats, "nodes_out": m, "edges_out": len(edges)}
    return FiberNetwork(nodes, {node: i for i, node in enumerate(nodes)}, ends, net.edge_cost[edges],
                        tuple(net.edge_ids[e] for e in edges), new_node[net.arc_tail[arcs]],
                        new_node[net.arc_head[arcs]], new_edge[net.arc_edge[arcs]], comp, stats)
