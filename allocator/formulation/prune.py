"""Remove what serves nobody from a decision.

Under max-coverage, an opened site serving no village or a trench leading
to no lit node costs money without changing the objective, so the solver may
keep it. Removing it never changes coverage or breaks a constraint (budget and
capacity only get slack), so the plan stays optimal and becomes cheaper.
"""
from __future__ import annotations

import networkx as nx

from ..decision import Decision


def prune_idle(instance, decision: Decision) -> Decision:
    serving = set(decision.site_of.values())
    opened = {s: b for s, b in decision.opened_sites.items() if s in serving}
    if not decision.built_edges:
        return Decision(dict(decision.technology), dict(decision.site_of), decision.built_edges, opened)
    v, sites, edges = instance.villages, instance.sites, instance.edges
    network = set(instance.costs.technologies.names_of("network"))
    needed = {v.at[vid, "node"] for vid, t in decision.technology.items() if t in network}
    needed |= {sites.at[s, "node"] for s, b in opened.items() if b == "fiber"}
    needed |= set(instance.backbone_nodes)
    built = edges.loc[sorted(decision.built_edges)]
    g = nx.MultiGraph()
    g.add_edges_from((u, w, eid) for eid, u, w in zip(built.index, built["u"], built["v"]))
    leaves = [n for n in g if g.degree(n) == 1 and n not in needed]
    while leaves:  # peel dead-end branches until every leaf is needed
        n = leaves.pop()
        if n not in g or g.degree(n) != 1:
            continue
        (nbr,) = list(g.neighbors(n))
        g.remove_node(n)
        if g.degree(nbr) == 1 and nbr not in needed:
            leaves.append(nbr)
    # components that reach no backbone node serve nobody either
    backbone = set(instance.backbone_nodes)
    keep = set()
    for comp in nx.connected_components(g):
        if comp & backbone:
            keep.update(k for _, _, k in g.subgraph(comp).edges(keys=True))
    return Decision(dict(decision.technology), dict(decision.site_of), frozenset(keep), opened)
