"""The ledger (台账) of villages without broadband, and what each would cost.

Plan section 三 asks for a ledger of villages still without broadband. For each
such village this module prices every technology it may use, standalone
(the village alone, everything else as the plan left it):

- the network technology (fiber): the cheapest trench path from the backbone
  or from a trench the plan builds (built trenches cost nothing more), plus the
  village's drop;
- each site technology (4g, 5g-fwa ...): the cheapest covering site of that
  technology, nothing more when the plan already opens one, else the site plus
  its cheapest allowed backhaul (fiber path to the site's node, or microwave);
- each terminal technology (satellite, leo ...): terminal plus fee.

One column per technology the cost model declares, in its order.

Costs are in the instance's budget measure (capex, or capex plus discounted
opex). Shared savings (two villages splitting one trench) are not counted, so
the figures are upper bounds for a village taken on its own. Satellite beam
and site capacity are not checked here.
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd

from ..technologies import terminal_columns


def _rule_mask(rule, villages: pd.DataFrame) -> np.ndarray:
    """Villages in the rule's scope."""
    column = {"county": "county_id", "prefecture": "prefecture", "province": "province"}.get(rule.scope)
    if column is not None:
        return (villages[column].astype(str) == str(rule.value)).to_numpy()
    if rule.scope == "group":
        return villages["groups"].map(lambda gs: rule.value in gs).to_numpy(dtype=bool)
    return np.zeros(len(villages), dtype=bool)


def allowed_technologies(instance) -> pd.Series:
    """village_id -> tuple of technologies the village may get, after the policy's force/forbid rules
    (allowed, not necessarily possible: a village without a node may still be 'allowed' fiber)."""
    v = instance.villages
    techs = instance.costs.technologies.access
    allowed = [{str(getattr(t, "value", t)) for t in ts} or set(techs) for ts in v["technologies"]]
    for rule in getattr(instance.policy, "rules", ()):
        tech = str(getattr(rule.technology, "value", rule.technology))
        for i in np.flatnonzero(_rule_mask(rule, v)):
            allowed[i] = allowed[i] & {tech} if rule.action == "force" else allowed[i] - {tech}
    return pd.Series([tuple(t for t in techs if t in a) for a in allowed], index=v.index, dtype=object)


def _fiber_distances(instance, built_edges=frozenset()) -> dict:
    """node id -> cheapest trench cost from the backbone (built trenches free)."""
    g = instance.graph
    if g.number_of_nodes() == 0:
        return {}
    built = {int(e) for e in built_edges}

    def weight(u, v, d):
        return 0.0 if d["edge_id"] in built else float(instance.cost(d["capex"], d["opex"]))

    sources = [n for n in instance.backbone_nodes if n in g]
    if built:  # every end of a built trench is reached at no extra cost
        ends = instance.edges.loc[sorted(built & set(instance.edges.index)), ["u", "v"]]
        sources = sorted(set(sources) | set(ends["u"]) | set(ends["v"]))
    if not sources:
        return {}
    return nx.multi_source_dijkstra_path_length(g, sources, weight=weight)


def option_costs(instance, plan=None) -> pd.DataFrame:
    """Standalone cost of each technology for every village (NaN: not possible or not allowed).

    Columns: one per technology (``fiber``, ``4g``, ``satellite`` ...), ``cheapest`` (technology name or ''),
    ``cheapest_cost``. With a ``plan``, trenches it builds and sites it opens are free.
    """
    v = instance.villages
    decision = plan.decision if plan is not None else None
    dist = _fiber_distances(instance, decision.built_edges if decision else frozenset())
    allowed = allowed_technologies(instance)

    fiber = np.full(len(v), np.nan)
    drop = np.asarray(instance.cost(v["fiber_capex"].astype(float), v["fiber_opex"].astype(float)), dtype=float)
    for i, node in enumerate(v["node"].astype(str)):
        if node and node in dist:
            fiber[i] = dist[node] + drop[i]

    site_cost = pd.Series(dtype=float)
    if len(instance.sites):
        s = instance.sites
        opened = set(decision.opened_sites) if decision else set()
        own = np.asarray(instance.cost(s["capex"].astype(float), s["opex"].astype(float)), dtype=float)
        micro = np.asarray(instance.cost(s["backhaul_capex"].astype(float),
                                         s["backhaul_opex"].astype(float)), dtype=float)
        costs = []
        for k, (sid, row) in enumerate(s.iterrows()):
            if sid in opened:
                costs.append(0.0)
                continue
            options = []
            kind = str(row.get("backhaul", "any"))
            node = str(row.get("node", "") or "")
            if kind in ("any", "fiber") and node and node in dist:
                options.append(dist[node])
            if kind in ("any", "microwave") and math.isfinite(micro[k]):
                options.append(micro[k])
            costs.append(own[k] + min(options) if options else math.nan)
        site_cost = pd.Series(costs, index=s.index, dtype=float)
    reg = instance.costs.technologies
    columns = {}
    for tech in reg.access:
        kind = reg[tech].kind
        if kind == "network":
            columns[tech] = fiber
        elif kind == "site":
            best = pd.Series(np.nan, index=v.index)
            if len(site_cost) and len(instance.coverage):
                cov = instance.coverage[["site_id", "village_id"]].copy()
                cov = cov[(instance.sites["technology"].reindex(cov["site_id"]) == tech).to_numpy(bool)]
                cov["cost"] = cov["site_id"].map(site_cost)
                best = cov.groupby("village_id")["cost"].min().reindex(v.index)
            columns[tech] = best.to_numpy(dtype=float)
        else:
            capex, opex = terminal_columns(tech)
            columns[tech] = np.asarray(instance.cost(v[capex].astype(float), v[opex].astype(float)), dtype=float)
    table = pd.DataFrame(columns, index=v.index)
    for tech in reg.access:
        ok = allowed.map(lambda a, t=tech: t in a).to_numpy(dtype=bool)
        table.loc[~ok, tech] = np.nan
    costs = table[list(reg.access)]
    has_any = costs.notna().any(axis=1)
    table["cheapest"] = ""
    table.loc[has_any, "cheapest"] = costs[has_any].idxmin(axis=1)
    table["cheapest_cost"] = costs.min(axis=1)
    return table


def ledger(instance, plan=None) -> pd.DataFrame:
    """Villages without broadband after ``plan`` (before any plan when ``None``), sorted by
    province, county and village, with the cheapest option for each and its cost.

    Columns: province, prefecture, county_id, county, village_id, village, poor, population,
    groups, cheapest, cheapest_cost, then one column per technology (fiber, 4g, satellite ...).
    """
    v = instance.villages
    if plan is not None:
        covered = plan.villages["covered"].reindex(v.index).fillna(False).astype(bool)
    else:
        covered = v["existing"].astype(str) != "none"
    todo = v.index[~covered.to_numpy()]
    opts = option_costs(instance, plan).loc[todo]
    counties = instance.counties["name"]
    rows = pd.DataFrame({
        "province": v.loc[todo, "province"].astype(str),
        "prefecture": v.loc[todo, "prefecture"].astype(str),
        "county_id": v.loc[todo, "county_id"].astype(str),
        "county": v.loc[todo, "county_id"].map(counties).astype(str),
        "village_id": todo.astype(str),
        "village": v.loc[todo, "name"].astype(str) if "name" in v else "",
        "poor": v.loc[todo, "poor"].astype(bool),
        "population": v.loc[todo, "population"].astype(float),
        "groups": v.loc[todo, "groups"].map(lambda gs: ";".join(sorted(gs))),
        "cheapest": opts["cheapest"],
        "cheapest_cost": opts["cheapest_cost"],
        **{t: opts[t] for t in instance.costs.technologies.access},
    })
    rows = rows.reset_index(drop=True)
    return rows.sort_values(["province", "county_id", "village_id"], kind="stable").reset_index(drop=True)


def ledger_by_county(table: pd.DataFrame) -> pd.DataFrame:
    """The ledger summed per province and county: villages, poor villages, people, cheapest total."""
    if table.empty:
        return pd.DataFrame(columns=["province", "county_id", "county", "villages", "poor_villages",
                                     "population", "cheapest_total"])
    return (table.groupby(["province", "county_id", "county"], sort=True)
            .agg(villages=("village_id", "size"), poor_villages=("poor", "sum"),
                 population=("population", "sum"), cheapest_total=("cheapest_cost", "sum"))
            .reset_index())
