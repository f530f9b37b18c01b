"""Express a Decision (e.g. the greedy plan) as column values of a Formulation,
so solvers that accept a starting solution begin from it."""
from __future__ import annotations

from collections import defaultdict, deque

import numpy as np



def encode(form, instance, decision) -> np.ndarray | None:
    """Full column vector, or None when the decision does not fit this model
    (e.g. it uses a route outside the restricted tree)."""
    cols, net = form.columns, form.network
    x = np.zeros(form.model.num_vars)
    pos = {vid: i for i, vid in enumerate(cols.candidates)}
    arrays = cols.tech
    for vid, tech in decision.technology.items():
        if tech in arrays:
            i = pos.get(vid)
            if i is None or arrays[tech][i] < 0:
                return None
            x[arrays[tech][i]] = 1.0
    site_pos = {sid: i for i, sid in enumerate(cols.site_ids)}
    for sid, backhaul in decision.opened_sites.items():
        i = site_pos.get(sid)
        if i is None:
            continue  # a site serving no candidate: drop it
        c = cols.site_fiber[i] if backhaul == "fiber" else cols.site_micro[i]
        if c < 0:
            return None
        x[c] = 1.0

    # reduced edges all of whose trenches are built, oriented away from the root
    built = set(decision.built_edges)
    adj = defaultdict(list)
    for a in np.flatnonzero(cols.arc >= 0):
        if all(e in built for e in net.edge_ids[net.arc_edge[a]]):
            adj[int(net.arc_tail[a])].append(int(a))
    parent_arc = {}
    queue = deque([0])
    seen = {0}
    while queue:
        u = queue.popleft()
        for a in sorted(adj[u]):
            h = int(net.arc_head[a])
            if h not in seen:
                seen.add(h)
                parent_arc[h] = a
                queue.append(h)
    lit = {t for t in cols.terminal if any(x[c] > 0.5 for c in cols.terminal_users.get(t, ()))}
    if not lit <= seen:
        return None
    used_arcs = set()
    for t in lit:
        x[cols.terminal[t]] = 1.0
        for a in _path(t, parent_arc, net):
            used_arcs.add(a)
    for a in used_arcs:
        x[cols.arc[a]] = 1.0
    for terminals, arcs, kcols in cols.flow_blocks:
        where = {int(a): c for a, c in zip(arcs, kcols)}
        for t in terminals:
            if t not in lit:
                continue
            for a in _path(t, parent_arc, net):
                if a not in where:
                    return None
                x[where[a]] += 1.0
    return x


def _path(t, parent_arc, net):
    out = []
    while t != 0:
        a = parent_arc[t]
        out.append(a)
        t = int(net.arc_tail[a])
    return out
