"""Build a :class:`~allocator.plan.Plan` (every table a user reads) from a decision.

The same :func:`assemble` serves a fresh solve and a plan file read back (or
edited by hand), so both always show the same tables for the same decision.
Nothing here checks rules: that is :mod:`allocator.verify`'s job; ids the
instance does not know are left out of the tables, never guessed.

Shared costs
------------
A village's ``cost`` is its own: the fiber drop, the satellite terminal, 0 for
4G. Trenches and sites serve many villages; ``shared_cost`` attributes them:

- each built trench on the shortest-path forest from the backbone is split
  equally among the fiber terminals (fiber villages and fiber-backhauled
  sites) whose route runs through it;
- each opened site's cost (site, backhaul, and its share of trenches) is split
  equally among the villages it serves.

What serves nobody (trenches off every route, sites serving no village) is
``unattributed`` (summary key ``unattributed_cost``; row ``(unattributed)`` in
the totals), so the totals' costs add up to ``total_cost``.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from .decision import Decision
from .instance import Instance
from .objective_coefficients import weight_series
from .plan import Plan
from .schema import NO_TECHNOLOGY, CostMeasure, Objective
from .technologies import pool_id, terminal_columns

#: ``totals(plan, by)``: by -> column of plan.villages
TOTALS_BY = {"technology": "technology", "county": "county_id", "province": "province",
             "prefecture": "prefecture", "group": "group"}
UNATTRIBUTED = "(unattributed)"
#: share tolerance for "floor met"
SHARE_TOL = 1e-9

VILLAGE_COLUMNS = ["name", "county_id", "province", "prefecture", "poor", "population", "existing",
                   "technology", "covered", "site_id", "route", "capex", "opex", "cost", "shared_cost",
                   "weight", "groups"]
EDGE_COLUMNS = ["u", "v", "length_km", "terrain", "capex", "opex", "cost", "served"]
SITE_COLUMNS = ["node", "backhaul", "villages", "capex", "opex", "backhaul_capex", "backhaul_opex", "cost",
                "shared_cost"]
BEAM_COLUMNS = ["villages", "used_mbps", "capacity_mbps", "utilisation"]
GROUP_COLUMNS = ["villages", "poor_villages", "covered", "share", "floor", "met"]
TOTAL_COLUMNS = ["villages", "people", "covered", "covered_share", "people_covered", "new", "cost"]


def assemble(instance: Instance, decision: Decision, summary: dict | None = None) -> Plan:
    """Every table of :class:`~allocator.plan.Plan` from ``instance`` and ``decision``.

    Parameters
    ----------
    instance : the instance the decision is for.
    decision : the decision (see :class:`~allocator.decision.Decision`).
    summary : solver keys (status, objective, bound, gap, solver, ...), kept as
        given. The derived keys total_cost, total_capex, total_opex, total_tco,
        unattributed_cost, villages_covered, villages_total, villages_new and
        by_technology are (re)computed from the decision; budget,
        budget_measure, currency, content_hash, instance and objective_kind are
        filled from the instance when absent.

    Returns
    -------
    Plan
    """
    summary = dict(summary or {})
    tech = _technology(instance, decision)
    built = _built_edges(instance, decision)
    opened = _opened_sites(instance, decision)
    site_of = _serving_sites(instance, decision, tech)

    forest = _Forest(instance, built)
    fiber_nodes = instance.villages["node"].fillna("").astype(str).where(_is_network(instance, tech), "").tolist()
    site_nodes = [instance.sites.at[s, "node"] for s, b in opened.items() if b == "fiber"]
    forest.attribute([n for n in fiber_nodes + site_nodes if isinstance(n, str) and n])

    edges = _edges_table(instance, built, forest)
    sites = _sites_table(instance, opened, site_of, forest)
    villages = _villages_table(instance, tech, site_of, sites, forest)
    beams = _beams_table(instance, tech)
    groups = _groups_table(instance, villages)
    plan = Plan(decision=decision, villages=villages, edges=edges, sites=sites, beams=beams, groups=groups,
                summary=summary)
    _fill_summary(instance, plan)
    return plan


# --------------------------------------------------------------------------- decision -> clean series
def _technology(instance: Instance, decision: Decision) -> pd.Series:
    tech = pd.Series(list(decision.technology.values()), index=list(decision.technology.keys()), dtype=object)
    tech = tech.reindex(instance.villages.index)
    return tech.fillna(NO_TECHNOLOGY).astype(str)


def _built_edges(instance: Instance, decision: Decision) -> pd.DataFrame:
    ids = pd.Index(list(decision.built_edges), dtype=object)
    return instance.edges.loc[sorted(ids[ids.isin(instance.edges.index)].tolist())]


def _opened_sites(instance: Instance, decision: Decision) -> dict:
    return {s: str(b) for s, b in sorted(dict(decision.opened_sites).items()) if s in instance.sites.index}


def _serving_sites(instance: Instance, decision: Decision, tech: pd.Series) -> pd.Series:
    """village -> serving site id ('' unless a site technology: 4g, 5g-fwa ...)."""
    site = pd.Series(list(decision.site_of.values()), index=list(decision.site_of.keys()), dtype=object)
    site = site.reindex(instance.villages.index)
    return site.where(tech.isin(instance.costs.technologies.names_of("site"))).fillna("").astype(str)


def _is_network(instance: Instance, tech: pd.Series) -> pd.Series:
    return tech.isin(instance.costs.technologies.names_of("network"))


# --------------------------------------------------------------------------- routes and shared trench cost
class _Forest:
    """Shortest paths from the backbone over the built edges, and trench cost shares.

    Length is the trench length in km; when a built edge has no length, every
    edge counts 1 (fewest hops)."""

    def __init__(self, instance: Instance, built: pd.DataFrame) -> None:
        lengths = built["length_km"].astype(float)
        use_length = bool(len(built)) and bool(np.isfinite(lengths).all())
        cost = instance.cost(built["capex"].astype(float), built["opex"].astype(float))
        # cheapest parallel edge wins: add the dearest first, so the cheapest is written last
        order = np.argsort(-cost.to_numpy(dtype=float), kind="stable")
        u = built["u"].astype(str).to_numpy()[order].tolist()
        v = built["v"].astype(str).to_numpy()[order].tolist()
        ids = built.index.to_numpy()[order].tolist()
        w = (lengths.to_numpy()[order] if use_length else np.ones(len(order))).tolist()
        c = cost.to_numpy(dtype=float)[order].tolist()
        g = nx.Graph()
        g.add_edges_from((a, b, {"edge_id": e, "w": x, "cost": y}) for a, b, e, x, y in zip(u, v, ids, w, c))
        self.graph = g
        backbone = sorted(set(instance.backbone_nodes) & set(g.nodes))
        self.paths: dict[str, list[str]] = (nx.multi_source_dijkstra_path(g, backbone, weight="w")
                                            if backbone else {})
        for b in instance.backbone_nodes:
            self.paths.setdefault(b, [b])
        self.share: dict[str, float] = {}
        self.served: dict = {}  # edge_id -> terminals whose route runs through it

    def route(self, node: str) -> str:
        path = self.paths.get(node)
        return ">".join(path) if path else ""

    def attribute(self, terminals) -> None:
        """Split every forest edge's cost equally among the terminals below it."""
        below: dict[str, int] = {}
        for n in terminals:
            if n in self.paths:
                below[n] = below.get(n, 0) + 1
        # children before parents: deepest nodes first
        by_depth = sorted((n for n in self.paths if len(self.paths[n]) > 1), key=lambda n: -len(self.paths[n]))
        for n in by_depth:
            k = below.get(n, 0)
            if k:
                parent = self.paths[n][-2]
                below[parent] = below.get(parent, 0) + k
        share: dict[str, float] = {}
        for n in reversed(by_depth):  # parents before children
            k = below.get(n, 0)
            if not k:
                continue
            parent = self.paths[n][-2]
            data = self.graph.edges[parent, n]
            share[n] = share.get(parent, 0.0) + data["cost"] / k
            self.served[data["edge_id"]] = k
        self.share = share


# --------------------------------------------------------------------------- tables
def _edges_table(instance: Instance, built: pd.DataFrame, forest: _Forest) -> pd.DataFrame:
    edges = pd.DataFrame(index=built.index.rename("edge_id"))
    for col in ("u", "v", "length_km", "terrain", "capex", "opex"):
        edges[col] = built[col]
    edges["cost"] = instance.cost(built["capex"].astype(float), built["opex"].astype(float))
    edges["served"] = [int(forest.served.get(e, 0)) for e in built.index]
    return edges[EDGE_COLUMNS]


def _sites_table(instance: Instance, opened: dict, site_of: pd.Series, forest: _Forest) -> pd.DataFrame:
    src = instance.sites.loc[list(opened)]
    sites = pd.DataFrame(index=src.index.rename("site_id"))
    sites["node"] = src["node"].fillna("").astype(str)
    sites["backhaul"] = [opened[s] for s in src.index]
    counts = site_of[site_of != ""].value_counts()
    sites["villages"] = [int(counts.get(s, 0)) for s in src.index]
    sites["capex"] = src["capex"].astype(float)
    sites["opex"] = src["opex"].astype(float)
    microwave = sites["backhaul"] == "microwave"
    sites["backhaul_capex"] = src["backhaul_capex"].astype(float).where(microwave, 0.0)
    sites["backhaul_opex"] = src["backhaul_opex"].astype(float).where(microwave, 0.0)
    sites["cost"] = instance.cost(sites["capex"] + sites["backhaul_capex"], sites["opex"] + sites["backhaul_opex"])
    sites["shared_cost"] = [forest.share.get(n, 0.0) if b == "fiber" else 0.0
                            for n, b in zip(sites["node"].tolist(), sites["backhaul"].tolist())]
    return sites[SITE_COLUMNS]


def _villages_table(instance: Instance, tech: pd.Series, site_of: pd.Series, sites: pd.DataFrame,
                    forest: _Forest) -> pd.DataFrame:
    src = instance.villages
    v = pd.DataFrame(index=src.index.rename("village_id"))
    v["name"] = src["name"].fillna("").astype(str) if "name" in src else ""
    for col in ("county_id", "province", "prefecture"):
        v[col] = src[col].fillna("").astype(str)
    v["poor"] = src["poor"].astype(bool)
    v["population"] = src["population"].astype(float)
    v["existing"] = src["existing"].astype(str)
    v["technology"] = tech
    v["covered"] = (v["existing"] != "none") | tech.isin(instance.costs.technologies.access)
    v["site_id"] = site_of
    node = src["node"].fillna("").astype(str)
    fiber = _is_network(instance, tech)
    nodes, is_fiber = node.tolist(), fiber.tolist()
    v["route"] = [forest.route(n) if f and n else "" for n, f in zip(nodes, is_fiber)]
    v["capex"] = src["fiber_capex"].astype(float).where(fiber, 0.0)
    v["opex"] = src["fiber_opex"].astype(float).where(fiber, 0.0)
    for name in instance.costs.technologies.names_of("terminal"):  # each terminal technology's own price
        on = tech == name
        capex_col, opex_col = terminal_columns(name)
        v["capex"] += src[capex_col].astype(float).where(on, 0.0)
        v["opex"] += src[opex_col].astype(float).where(on, 0.0)
    v["cost"] = instance.cost(v["capex"], v["opex"])
    trench = pd.Series([forest.share.get(n, 0.0) if f else 0.0 for n, f in zip(nodes, is_fiber)], index=v.index)
    per_village = (sites["cost"] + sites["shared_cost"]) / sites["villages"].where(sites["villages"] > 0)
    site_share = site_of.map(per_village.to_dict()).astype(float).fillna(0.0)
    v["shared_cost"] = trench + site_share
    v["weight"] = weight_series(instance)
    v["groups"] = src["groups"].map(lambda gs: ";".join(str(g) for g in gs))
    return v[VILLAGE_COLUMNS]


def _beams_table(instance: Instance, tech: pd.Series) -> pd.DataFrame:
    src = instance.villages
    reg = instance.costs.technologies
    pool = pd.Series([pool_id(reg, t, b) for t, b in zip(tech, src["beam"].astype(str))], index=src.index)
    sat = tech.isin(reg.names_of("terminal"))
    use = src.loc[sat].groupby(pool[sat])["demand_mbps"].agg(["count", "sum"])
    ids = sorted(set(instance.beams.index.astype(str)) | set(use.index))
    beams = pd.DataFrame(index=pd.Index(ids, name="beam_id"))
    beams["villages"] = use["count"].reindex(ids).fillna(0).astype(int)
    beams["used_mbps"] = use["sum"].reindex(ids).fillna(0.0).astype(float)
    beams["capacity_mbps"] = instance.beams["capacity_mbps"].reindex(ids).astype(float)
    beams["utilisation"] = beams["used_mbps"] / beams["capacity_mbps"].where(beams["capacity_mbps"] > 0)
    return beams[BEAM_COLUMNS]


def _groups_table(instance: Instance, villages: pd.DataFrame) -> pd.DataFrame:
    member = instance.villages["groups"].explode().dropna().astype(str)
    member = member[member != ""]
    floors = instance.policy.floors()
    names = sorted(set(member.tolist()) | {str(g) for g in instance.policy.groups} | set(floors))
    frame = pd.DataFrame({"group": member.to_numpy(), "village": member.index})
    frame["poor"] = villages["poor"].reindex(frame["village"]).to_numpy()
    frame["covered"] = villages["covered"].reindex(frame["village"]).to_numpy()
    frame["poor_covered"] = frame["poor"] & frame["covered"]
    agg = frame.groupby("group").agg(villages=("village", "size"), poor_villages=("poor", "sum"),
                                     covered=("poor_covered", "sum")).reindex(names).fillna(0)
    groups = pd.DataFrame(index=pd.Index(names, name="group"))
    groups["villages"] = agg["villages"].astype(int)
    groups["poor_villages"] = agg["poor_villages"].astype(int)
    groups["covered"] = agg["covered"].astype(int)
    groups["share"] = groups["covered"] / groups["poor_villages"].where(groups["poor_villages"] > 0)
    groups["floor"] = pd.Series(floors, dtype=float).reindex(names)
    groups["met"] = groups["floor"].isna() | groups["share"].isna() | (groups["share"] >= groups["floor"] - SHARE_TOL)
    return groups[GROUP_COLUMNS]


# --------------------------------------------------------------------------- totals and summary
def totals(plan: Plan, by: str) -> pd.DataFrame:
    """Villages, people, coverage and cost of ``plan`` per technology, county, province, prefecture or group.

    Columns: villages, people, covered (villages), covered_share, people_covered,
    new (villages given a new technology), cost (own plus shared cost). Except
    by group (groups overlap), a row ``(unattributed)`` holds the cost of
    trenches and sites that serve no village, so the costs add up to the
    plan's total cost.

    Raises
    ------
    ValueError
        ``by`` is not one of technology, county, province, prefecture, group.
    """
    if by not in TOTALS_BY:
        raise ValueError(f"totals by '{by}': expected one of {', '.join(TOTALS_BY)}")
    v = plan.villages
    frame = pd.DataFrame({
        "villages": 1, "people": v["population"], "covered": v["covered"].astype(int),
        "people_covered": v["population"].where(v["covered"], 0.0), "new": (v["technology"] != NO_TECHNOLOGY).astype(int),
        "cost": v["cost"] + v["shared_cost"]}, index=v.index)
    if by == "group":
        keys = v["groups"].str.split(";").explode()
        keys = keys[keys.fillna("") != ""]
        frame = frame.loc[keys.index]
        frame["key"] = keys.to_numpy()
    else:
        frame["key"] = v[TOTALS_BY[by]].astype(str).to_numpy()
    out = frame.groupby("key", sort=True)[["villages", "people", "covered", "people_covered", "new", "cost"]].sum()
    out.index.name = TOTALS_BY[by] if by != "county" else "county_id"
    if by != "group":
        rest = _unattributed(plan)
        if abs(rest) > 1e-9 * max(1.0, abs(_total_cost(plan))):
            out.loc[UNATTRIBUTED] = [0, 0.0, 0, 0.0, 0, rest]
    out["covered_share"] = out["covered"] / out["villages"].where(out["villages"] > 0)
    return out[TOTAL_COLUMNS]


def _total_cost(plan: Plan) -> float:
    return float(plan.villages["cost"].sum() + plan.edges["cost"].sum() + plan.sites["cost"].sum())


def _unattributed(plan: Plan) -> float:
    return _total_cost(plan) - float((plan.villages["cost"] + plan.villages["shared_cost"]).sum())


def _fill_summary(instance: Instance, plan: Plan) -> None:
    s = plan.summary
    v, e, st = plan.villages, plan.edges, plan.sites
    capex = float(v["capex"].sum() + e["capex"].sum() + st["capex"].sum() + st["backhaul_capex"].sum())
    opex = float(v["opex"].sum() + e["opex"].sum() + st["opex"].sum() + st["backhaul_opex"].sum())
    by_tech = totals(plan, "technology")
    s.update(
        total_cost=float(instance.cost(capex, opex)),
        total_capex=capex,
        total_opex=opex,
        total_tco=float(instance.cost(capex, opex, CostMeasure.TCO)),
        unattributed_cost=float(_unattributed(plan)),
        villages_total=int(len(v)),
        villages_covered=int(v["covered"].sum()),
        villages_new=int(v["technology"].isin(instance.costs.technologies.access).sum()),
        by_technology={t: {"villages": int(by_tech.at[t, "villages"]) if t in by_tech.index else 0,
                           "people": float(by_tech.at[t, "people"]) if t in by_tech.index else 0.0,
                           "cost": float(by_tech.at[t, "cost"]) if t in by_tech.index else 0.0}
                       for t in instance.costs.technologies.access},
    )
    defaults = {
        "budget": instance.budget,
        "budget_measure": CostMeasure(instance.budget_measure).value,
        "currency": instance.currency,
        "content_hash": instance.content_hash,
        "instance": instance.name,
        "objective_kind": Objective(instance.objective).value,
    }
    for key, value in defaults.items():
        s.setdefault(key, value)
