"""Fiber over shared trenches.

Arc binaries ``y_a`` (both directions of every reduced trench, none into the
backbone root) carry the trench cost; ``z_t`` in [0, 1] says terminal node
``t`` is lit, and every fiber village / fiber-backhauled site at ``t`` needs
``z_t``. Connectivity, per branch of the network (the part of the graph behind
one backbone entry, typically one county):

- ``exact`` mode, single-commodity flow per branch (``F_a <= |T| y_a``), exact
  for integer solutions; or, for branches within ``mcf_limit`` flow columns,
  a multi-commodity flow (one unit per terminal, ``k^t_a <= y_a``) whose LP
  bound equals the directed-cut bound. The default limit is 0 (see
  MCF_COLUMN_LIMIT for the measurements); the summary says which branches
  used which.
- ``restricted`` mode: routes limited to a shortest-path tree from the
  backbone; an arc may be built only with its parent arc. The gap is then
  relative to that restricted problem.

Valid strengthening in exact mode (there is an optimal arborescence):
in-degree <= 1, no edge used both ways, an arc out of a node needs an arc into
it, and a lit node that is not a terminal has an arc out of it.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..graph import shortest_path_tree

#: flow columns allowed for multi-commodity branches before falling back to a
#: single-commodity flow. 0 by default: with the valid inequalities below, HiGHS
#: solved the single-commodity model much faster everywhere we measured (quiet
#: 2-core machine, 60 s limit): SteinLib b18 1.4 s vs 10 s, c05 1.4 s vs no proof,
#: c10 13 s vs no proof; the prefecture preset (2,000 villages) to optimality in
#: 18 s vs 70 s; the county demo in 5.0 s vs 6.7 s. The multi-commodity flow has the
#: stronger LP bound but its LP is too large for these solvers to profit.
MCF_COLUMN_LIMIT = 0


def build(model, instance, elig, columns, network, *, mode: str = "exact",
          mcf_limit: int | None = None, integer_flows: bool = False, strengthen: bool = True) -> dict:
    """``integer_flows``: declare lit/flow columns integer (for solvers without
    continuous columns; an integral flow exists for every integral tree, so the
    model stays exact).

    ``strengthen=False`` is for a block whose built arcs need not all serve a
    lit terminal yet (an early year of a rollout may dig a trench that a later
    year extends): no arborescence rows in exact mode, and in restricted mode a
    lit terminal needs every arc of its tree path instead of "an arc needs its
    parent arc"."""
    mcf_limit = MCF_COLUMN_LIMIT if mcf_limit is None else mcf_limit
    users = _terminal_users(instance, elig, columns, network)
    columns.terminal_users = users
    stats = {"mode": mode, "terminals": len(users), "network_nodes": len(network.nodes),
             "network_edges": len(network.edge_cost), **network.stats}
    if not users:
        stats.update(arcs=0, mcf_branches=0, scf_branches=0)
        return stats

    branch_of_arc = network.component[network.arc_head]
    used_branches = sorted({int(network.component[t]) for t in users})
    arcs = np.flatnonzero(np.isin(branch_of_arc, used_branches))
    if mode == "restricted":
        arcs = np.intersect1d(arcs, shortest_path_tree(network))
    elif mode != "exact":
        raise ValueError(mode)

    y = np.full(network.num_arcs, -1, dtype=np.int64)
    y[arcs] = model.add_vars([f"arc[{network.nodes[network.arc_tail[a]]}>{network.nodes[network.arc_head[a]]}]"
                              for a in arcs])
    columns.add_cost(y[arcs], network.edge_cost[network.arc_edge[arcs]])
    columns.arc = y

    z = {}
    for t in sorted(users):
        forced_on = any(model.lb[c] >= 1.0 for c in users[t])  # a required fiber-only user: lit for sure
        z[t] = model.add_var(f"lit[{network.nodes[t]}]", 1.0 if forced_on else 0.0, 1.0, integer=integer_flows)
        for c in users[t]:
            if model.lb[c] < 1.0:
                model.add_row([c, z[t]], [1.0, -1.0], -np.inf, 0.0, name=f"needs_lit[{network.nodes[t]}]")
    columns.terminal = z

    if mode == "restricted":
        if strengthen:
            _tree_rows(model, network, arcs, y, z)
        else:
            _tree_path_rows(model, network, arcs, y, z)
        stats.update(arcs=len(arcs), mcf_branches=0, scf_branches=0)
        return stats

    by_branch = defaultdict(list)
    for t in z:
        by_branch[int(network.component[t])].append(t)
    sizes = {b: len(ts) * int((branch_of_arc == b).sum()) for b, ts in by_branch.items()}
    budget = mcf_limit
    mcf, scf = 0, 0
    for b in sorted(by_branch, key=lambda b: (sizes[b], b)):  # small branches first get the flow budget
        b_arcs = arcs[branch_of_arc[arcs] == b]
        if strengthen:
            _strengthen(model, network, b, b_arcs, y, z)
        if sizes[b] <= budget:
            budget -= sizes[b]
            _multi_commodity(model, network, b, b_arcs, y, z, by_branch[b], columns, integer_flows)
            mcf += 1
        else:
            _single_commodity(model, network, b, b_arcs, y, z, by_branch[b], columns, integer_flows)
            scf += 1
    stats.update(arcs=len(arcs), mcf_branches=mcf, scf_branches=scf)
    return stats


def _terminal_users(instance, elig, columns, network) -> dict:
    """Network node position -> columns that need it lit (backbone nodes need nothing)."""
    users = defaultdict(list)
    nodes = instance.villages.loc[elig.candidates, "node"].astype(str).to_numpy()
    for i in np.flatnonzero(columns.fiber >= 0):
        p = network.index.get(nodes[i])
        if p is not None and p != 0:
            users[p].append(int(columns.fiber[i]))
    if len(columns.site_ids):
        snodes = instance.sites.loc[columns.site_ids, "node"].astype(str).to_numpy()
        for i in np.flatnonzero(columns.site_fiber >= 0):
            p = network.index.get(snodes[i])
            if p is not None and p != 0:
                users[p].append(int(columns.site_fiber[i]))
    return dict(users)


def _tree_rows(model, network, arcs, y, z) -> None:
    into = {int(network.arc_head[a]): int(a) for a in arcs}
    for a in arcs:
        tail = int(network.arc_tail[a])
        if tail != 0:
            model.add_row([y[a], y[into[tail]]], [1.0, -1.0], -np.inf, 0.0, name="tree_parent")
    for t, zt in z.items():
        model.add_row([zt, y[into[t]]], [1.0, -1.0], -np.inf, 0.0, name="tree_lit")


def _tree_path_rows(model, network, arcs, y, z) -> None:
    """z_t <= y_a for every arc a on the tree path from the root to t."""
    into = {int(network.arc_head[a]): int(a) for a in arcs}
    for t, zt in z.items():
        w = t
        while w != 0:
            a = into[w]
            model.add_row([zt, y[a]], [1.0, -1.0], -np.inf, 0.0, name="tree_path")
            w = int(network.arc_tail[a])


def _strengthen(model, network, b, arcs, y, z) -> None:
    """Valid inequalities of an optimal arborescence, as vectorised row blocks."""
    tails, heads = network.arc_tail[arcs], network.arc_head[arcs]
    ycol = y[arcs]
    # no edge used both ways
    edge = network.arc_edge[arcs]
    order = np.argsort(edge, kind="stable")
    e_sorted = edge[order]
    pair = np.flatnonzero(e_sorted[1:] == e_sorted[:-1])
    if len(pair):
        r = np.repeat(np.arange(len(pair)), 2)
        c = np.column_stack([ycol[order][pair], ycol[order][pair + 1]]).ravel()
        model.add_rows(r, c, 1.0, -np.inf, np.ones(len(pair)))
    nodes = np.unique(heads)
    row = np.searchsorted(nodes, heads)                       # in-arc -> its head's row
    n = len(nodes)
    # in-degree <= 1
    model.add_rows(row, ycol, 1.0, -np.inf, np.ones(n))
    # no dead end: y(in(w)) - y(out(w)) - z_w <= 0
    out = np.flatnonzero(np.isin(tails, nodes))
    out_row = np.searchsorted(nodes, tails[out])
    lit = np.array([w for w in nodes if int(w) in z], dtype=np.int64)
    r = np.concatenate([row, out_row, np.searchsorted(nodes, lit)])
    c = np.concatenate([ycol, ycol[out], np.array([z[int(w)] for w in lit], dtype=np.int64)])
    v = np.concatenate([np.ones(len(row)), -np.ones(len(out)), -np.ones(len(lit))])
    model.add_rows(r, c, v, -np.inf, np.zeros(n))
    # an arc out of w needs an arc into w: y_a - y(in(w)) <= 0, one row per arc leaving a non-root node
    leaving = np.flatnonzero(tails != 0)
    by_head = np.argsort(row, kind="stable")
    starts = np.searchsorted(row[by_head], np.arange(n + 1))
    rr, cc, vv = [], [], []
    tail_row = np.searchsorted(nodes, tails[leaving])
    known = np.isin(tails[leaving], nodes)
    for i, (a, tr) in enumerate(zip(leaving[known], tail_row[known])):
        ins = ycol[by_head[starts[tr]:starts[tr + 1]]]
        rr.append(np.full(len(ins) + 1, i))
        cc.append(np.concatenate([[ycol[a]], ins]))
        vv.append(np.concatenate([[1.0], -np.ones(len(ins))]))
    if rr:
        model.add_rows(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv), -np.inf, np.zeros(len(rr)))


def _flow_block(model, network, arcs, y, sink_of, cap, prefix, columns, integer):
    """Flow columns on ``arcs`` with conservation rows (in - out = demand) and k <= cap*y."""
    nodes = np.unique(np.concatenate([network.arc_head[arcs], network.arc_tail[arcs]]))
    nodes = nodes[nodes != 0]
    row_of = {int(w): i for i, w in enumerate(nodes)}
    k = model.add_vars([f"{prefix}[{a}]" for a in arcs], 0.0, cap, integer=integer)
    columns.flow_blocks.append((tuple(sink_of), arcs, k))
    heads = np.array([row_of[int(h)] for h in network.arc_head[arcs]], dtype=np.int64)
    tails = np.array([row_of.get(int(t), -1) for t in network.arc_tail[arcs]], dtype=np.int64)
    has_tail = tails >= 0
    r = [heads, tails[has_tail]]
    c = [k, k[has_tail]]
    v = [np.ones(len(k)), -np.ones(int(has_tail.sum()))]
    for w, zcol in sink_of.items():  # demand at the terminals
        r.append(np.array([row_of[w]]))
        c.append(np.array([zcol]))
        v.append(np.array([-1.0]))
    columns.flow_rows.append(model.add_rows(np.concatenate(r), np.concatenate(c), np.concatenate(v),
                                            np.zeros(len(nodes)), np.zeros(len(nodes))))
    n = len(arcs)
    columns.flow_rows.append(model.add_rows(np.concatenate([np.arange(n), np.arange(n)]), np.concatenate([k, y[arcs]]),
                                            np.concatenate([np.ones(n), -cap * np.ones(n)]), -np.inf, np.zeros(n)))


def _multi_commodity(model, network, b, arcs, y, z, terminals, columns, integer) -> None:
    """One commodity per terminal, all of a branch's blocks built in one vectorised pass."""
    terminals = np.asarray(sorted(terminals), dtype=np.int64)
    tails, heads = network.arc_tail[arcs], network.arc_head[arcs]
    nodes = np.unique(np.concatenate([heads, tails]))
    nodes = nodes[nodes != 0]
    head_row = np.searchsorted(nodes, heads)
    tail_row = np.where(tails == 0, -1, np.searchsorted(nodes, tails))
    n_arcs, n_nodes = len(arcs), len(nodes)
    term = np.repeat(np.arange(len(terminals)), n_arcs)
    arc = np.tile(np.arange(n_arcs), len(terminals))
    keep = tails[arc] != terminals[term]  # flow to t never needs to leave t
    term, arc = term[keep], arc[keep]
    k = model.add_vars([f"flow{network.nodes[terminals[t]]}[{arcs[a]}]" for t, a in zip(term, arc)],
                       0.0, 1.0, integer=integer)
    starts = np.searchsorted(term, np.arange(len(terminals) + 1))
    for i, t in enumerate(terminals):
        columns.flow_blocks.append(((int(t),), arcs[arc[starts[i]:starts[i + 1]]], k[starts[i]:starts[i + 1]]))
    # conservation: in - out - z_t [w == t] = 0, one row per (terminal, node)
    has_tail = tail_row[arc] >= 0
    zcols = np.array([z[int(t)] for t in terminals], dtype=np.int64)
    rows = np.concatenate([term * n_nodes + head_row[arc], (term * n_nodes + tail_row[arc])[has_tail],
                           np.arange(len(terminals)) * n_nodes + np.searchsorted(nodes, terminals)])
    cols = np.concatenate([k, k[has_tail], zcols])
    vals = np.concatenate([np.ones(len(k)), -np.ones(int(has_tail.sum())), -np.ones(len(terminals))])
    count = len(terminals) * n_nodes
    columns.flow_rows.append(model.add_rows(rows, cols, vals, np.zeros(count), np.zeros(count)))
    # capacity: k <= y
    m = len(k)
    columns.flow_rows.append(model.add_rows(np.concatenate([np.arange(m), np.arange(m)]),
                                            np.concatenate([k, y[arcs[arc]]]),
                                            np.concatenate([np.ones(m), -np.ones(m)]), -np.inf, np.zeros(m)))


def _single_commodity(model, network, b, arcs, y, z, terminals, columns, integer) -> None:
    _flow_block(model, network, arcs, y, {t: z[t] for t in terminals}, float(len(terminals)), f"flow_b{b}",
                columns, integer)
