"""Hypothesis strategies for small, valid instances.

Instances are written with :func:`allocator.io.write_instance` into a temporary
directory and read back with :func:`allocator.io.load_instance`, so they pass
the same checks as any user's files. They are small enough for the
brute-force oracle (tests/oracle.py): 4-9 villages, a connected trench graph
of 5-12 nodes with 1-2 backbone nodes, 0-3 candidate 4G sites with explicit
coverage, one satellite beam, and no more than :data:`MAX_CHOICES` village
choices in all.

``feasible=True`` builds instances that have a plan by construction: no
budget, and every village a requirement touches (school, clinic, forced
scope, floor group) can take fiber (it has a node; the graph is connected; the
only forced technology is fiber; fiber is never forbidden; fiber's bandwidth
exceeds every demand and the school minimum).
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from allocator.io import load_instance, write_instance

#: cap on the product of per-village option counts (keeps the oracle fast)
MAX_CHOICES = 4_000
TECHS = ("fiber", "4g", "satellite")
DEEP = "deep-poverty"


def cost_model(*, opex: bool = False) -> dict:
    """A small inline cost model; explicit prices on rows override most of it."""
    return {
        "name": "test-costs",
        "currency": "CNY",
        "fiber": {"per_km": {t: 10.0 for t in ("plain", "hills", "mountain", "plateau")},
                  "opex_per_km_year": 0.0, "drop_capex": 10.0, "drop_opex_year": 1.0 if opex else 0.0,
                  "mbps": 100.0},
        "cellular": {"site_capex": {t: 50.0 for t in ("plain", "hills", "mountain", "plateau")},
                     "site_opex_year": 2.0 if opex else 0.0,
                     "radius_km": {t: 5.0 for t in ("plain", "hills", "mountain", "plateau")},
                     "microwave_capex": 20.0, "microwave_opex_year": 1.0 if opex else 0.0, "mbps": 30.0},
        "satellite": {"terminal_capex": 15.0, "fee_year": 3.0 if opex else 0.0, "beam_capacity_mbps": 60.0,
                      "mbps": 12.0},
        "quality": {"fiber": 1.0, "4g": 0.8, "satellite": 0.5},
    }


def write_and_load(tables: dict, meta: dict):
    """Write ``tables`` (keyword arguments of write_instance) and load them back."""
    with tempfile.TemporaryDirectory(prefix="allocator-test-") as tmp:
        path = Path(tmp) / "instance"
        write_instance(path, meta=meta, **tables)
        return load_instance(path)


def _choices(villages: list[dict], coverage: list[tuple[str, str]]) -> list[int]:
    """Options per village as the oracle counts them (ignoring forbid rules, which only remove)."""
    covering = {}
    for _, v in coverage:
        covering[v] = covering.get(v, 0) + 1
    out = []
    for row in villages:
        if row["existing"] != "none":
            out.append(1)
            continue
        techs = row["technologies"]
        out.append(1 + ("fiber" in techs and bool(row["node"])) + ("satellite" in techs)
                   + ("4g" in techs) * covering.get(row["village_id"], 0))
    return out


@st.composite
def instances(draw, *, min_villages: int = 4, max_villages: int = 9, objective: str | None = None,
              feasible: bool = False, budget: bool | None = None, opex: bool | None = None,
              beam_mbps: float | None = None):
    """A loaded :class:`~allocator.instance.Instance`.

    Parameters
    ----------
    objective : fix the objective (default: drawn).
    feasible : build an instance that has a plan by construction (see module docstring).
    budget : True: always a budget; False: never; None: drawn (never when ``feasible``).
    opex : price yearly opex and measure the budget in TCO (default: drawn).
    beam_mbps : capacity of the one satellite beam (default: drawn from 10, 30, 60, 200).
    """
    n_nodes = draw(st.integers(5, 12))
    n_backbone = draw(st.integers(1, 2))
    node_ids = [f"n{i:02d}" for i in range(n_nodes)]
    # a random spanning tree keeps every node reachable from the backbone, then a few extra edges
    edge_rows = []
    pairs = set()
    for i in range(1, n_nodes):
        j = draw(st.integers(0, i - 1))
        pairs.add((node_ids[j], node_ids[i]))
    for _ in range(draw(st.integers(0, 4))):
        a, b = sorted(draw(st.lists(st.sampled_from(node_ids), min_size=2, max_size=2, unique=True)))
        pairs.add((a, b))
    for a, b in sorted(pairs):
        edge_rows.append({"u": a, "v": b, "length_km": 1.0, "cost": float(draw(st.integers(1, 60)))})
    backbone = node_ids[:n_backbone]
    free_nodes = node_ids[n_backbone:]
    nodes = pd.DataFrame({"node_id": node_ids,
                          "kind": ["backbone" if n in backbone else "junction" for n in node_ids]})

    n_villages = draw(st.integers(min_villages, max_villages))
    counties = pd.DataFrame({"county_id": ["c1", "c2"], "name": ["一县", "二县"], "province": ["P", "P"],
                             "prefecture": ["A", "B"], "groups": [DEEP, ""]})
    villages = []
    for k in range(n_villages):
        vid = f"v{k}"
        existing = draw(st.sampled_from(["none"] * 6 + ["fiber", "4g"]))
        node = draw(st.sampled_from(free_nodes + [""]))
        if existing == "fiber" and not node:
            existing = "4g"
        techs = draw(st.lists(st.sampled_from(TECHS), min_size=1, max_size=3, unique=True))
        villages.append({
            "village_id": vid, "county_id": "c1" if k % 2 == 0 else "c2",
            "population": float(draw(st.integers(0, 500))),
            "poor": True if k == 0 else draw(st.booleans()),
            "node": node, "existing": existing,
            "school": draw(st.booleans()), "clinic": draw(st.booleans()),
            "demand_mbps": float(draw(st.sampled_from([5, 10, 20, 40]))),
            "technologies": tuple(t for t in TECHS if t in techs),
            "fiber_drop_capex": float(draw(st.integers(0, 30))),
            "satellite_capex": float(draw(st.integers(5, 60))),
        })

    n_sites = draw(st.integers(0, 3))
    sites, coverage = [], []
    for s in range(n_sites):
        sid = f"s{s}"
        node = draw(st.sampled_from(node_ids + [""]))
        backhaul = draw(st.sampled_from(["any", "fiber", "microwave"] if node else ["any", "microwave"]))
        sites.append({"site_id": sid, "node": node, "backhaul": backhaul,
                      "capex": float(draw(st.integers(10, 120))),
                      "backhaul_capex": float(draw(st.integers(0, 60)))})
        covered = draw(st.lists(st.sampled_from([v["village_id"] for v in villages]), min_size=1, max_size=3,
                                unique=True))
        coverage += [(sid, v) for v in sorted(covered)]

    # policy
    requirements = draw(st.booleans()) if not feasible else True
    schools_required = requirements and draw(st.booleans())
    clinics_required = requirements and draw(st.booleans())
    groups = {DEEP: {"priority": float(draw(st.sampled_from([1, 2, 3])))}}
    if requirements and draw(st.booleans()):
        floor_group = draw(st.sampled_from([DEEP, "all-poor"]))
        groups.setdefault(floor_group, {})["floor"] = float(draw(st.sampled_from([0.25, 0.5, 0.75, 1.0])))
    rules = []
    if requirements and draw(st.booleans()):
        scope, value = draw(st.sampled_from([("county", "c2"), ("prefecture", "A"), ("group", DEEP)]))
        tech = "fiber" if feasible else draw(st.sampled_from(TECHS))
        rules.append({"scope": scope, "value": value, "technology": tech, "action": "force"})
    if draw(st.booleans()):
        scope, value = draw(st.sampled_from([("county", "c1"), ("province", "P"), ("group", DEEP)]))
        tech = draw(st.sampled_from(["4g", "satellite"] if feasible else list(TECHS)))
        rules.append({"scope": scope, "value": value, "technology": tech, "action": "forbid"})
    policy = {"name": "test-policy", "groups": groups,
              "schools": {"required": schools_required, "min_mbps": float(draw(st.sampled_from([0, 10, 25])))},
              "clinics": {"required": clinics_required},
              "weights": {"non_poor": float(draw(st.sampled_from([0.5, 1.0])))},
              "rules": rules}

    if feasible:
        floor_groups = {g for g, t in groups.items() if "floor" in t}
        for row in villages:
            in_floor = ((DEEP in floor_groups and row["county_id"] == "c1" and row["poor"])
                        or ("all-poor" in floor_groups and row["poor"]))
            forced_scope = any(_rule_hits(r, row) for r in rules if r["action"] == "force")
            if (row["school"] and schools_required) or (row["clinic"] and clinics_required) \
                    or in_floor or forced_scope:
                if not row["node"]:
                    row["node"] = free_nodes[0]
                row["technologies"] = tuple(t for t in TECHS if t in row["technologies"] or t == "fiber")

    # every new village needs some way to be covered, else the loader refuses it
    for row in villages:
        can = (("fiber" in row["technologies"] and row["node"])
               or ("4g" in row["technologies"] and any(v == row["village_id"] for _, v in coverage)))
        if not can and "satellite" not in row["technologies"]:
            row["technologies"] = row["technologies"] + ("satellite",)
    # keep the enumeration small: drop 4G coverage, then satellite, from the villages with most options
    while math.prod(_choices(villages, coverage)) > MAX_CHOICES:
        counts = _choices(villages, coverage)
        row = villages[max(range(len(villages)), key=lambda i: (counts[i], -i))]
        vid = row["village_id"]
        mine = [p for p in coverage if p[1] == vid]
        if mine and len([p for p in coverage if p[0] == mine[-1][0]]) > 1:
            coverage.remove(mine[-1])
        elif "satellite" in row["technologies"] and len(row["technologies"]) > 1 and (
                ("fiber" in row["technologies"] and row["node"]) or mine):
            row["technologies"] = tuple(t for t in row["technologies"] if t != "satellite")
        else:
            row["existing"] = "4g"  # last resort: the village is already connected

    with_opex = draw(st.booleans()) if opex is None else opex
    if budget is None:
        budget = False if feasible else draw(st.booleans())
    meta = {"name": "hypothesis", "currency": "CNY",
            "objective": objective or draw(st.sampled_from(["max-coverage", "min-cost", "lexicographic"])),
            "budget": float(draw(st.integers(0, 400))) if budget else None,
            "budget_measure": "tco" if with_opex else "capex", "horizon_years": 5,
            "discount_rate": 0.05 if with_opex else 0.0,
            "costs": cost_model(opex=with_opex), "policy": policy}
    if beam_mbps is None:
        beam_mbps = draw(st.sampled_from([10, 30, 60, 200]))
    beams = pd.DataFrame({"beam_id": ["P"], "capacity_mbps": [float(beam_mbps)]})
    tables = {"counties": counties, "villages": pd.DataFrame(villages), "nodes": nodes,
              "edges": pd.DataFrame(edge_rows), "beams": beams}
    if sites:
        tables["sites"] = pd.DataFrame(sites)
        tables["coverage"] = pd.DataFrame(coverage, columns=["site_id", "village_id"])
    return write_and_load(tables, meta)


def _rule_hits(rule: dict, row: dict) -> bool:
    if rule["scope"] == "county":
        return row["county_id"] == rule["value"]
    if rule["scope"] == "prefecture":
        return {"c1": "A", "c2": "B"}[row["county_id"]] == rule["value"]
    if rule["scope"] == "province":
        return True
    return row["county_id"] == "c1"  # the only group a county carries


def small_instance(*, villages: list[dict], nodes: dict[str, str], edges: list[tuple[str, str, float]],
                   sites: list[dict] = (), coverage: list[tuple[str, str]] = (), beam_mbps: float = 1000.0,
                   objective: str = "max-coverage", budget: float | None = None, policy: dict | None = None):
    """A hand-made instance for tests whose optimum is worked out by hand.

    villages: dicts with at least village_id; defaults: county c1 (group
    deep-poverty), population 100, poor, no node, no existing connection, no
    school or clinic, demand 10, all technologies, drop 0, satellite 1000.
    nodes: node id -> kind. edges: (u, v, cost) in edge-id order. Costs are
    capex only (budget measure capex); quality fiber 1, 4g 0.8, satellite 0.5;
    bandwidth fiber 100, 4g 30, satellite 12 Mbit/s.
    """
    rows = []
    for v in villages:
        row = {"county_id": "c1", "population": 100.0, "poor": True, "node": "", "existing": "none",
               "school": False, "clinic": False, "demand_mbps": 10.0, "technologies": TECHS,
               "fiber_drop_capex": 0.0, "satellite_capex": 1000.0}
        row.update(v)
        rows.append(row)
    counties = pd.DataFrame({"county_id": ["c1", "c2"], "name": ["一县", "二县"], "province": ["P", "P"],
                             "prefecture": ["A", "B"], "groups": [DEEP, ""]})
    tables = {"counties": counties, "villages": pd.DataFrame(rows),
              "nodes": pd.DataFrame({"node_id": list(nodes), "kind": list(nodes.values())}),
              "edges": pd.DataFrame([{"u": u, "v": v, "length_km": 1.0, "cost": float(c)} for u, v, c in edges]),
              "beams": pd.DataFrame({"beam_id": ["P"], "capacity_mbps": [float(beam_mbps)]})}
    if sites:
        site_rows = []
        for s in sites:
            row = {"node": "", "backhaul": "microwave", "capex": 0.0, "backhaul_capex": 0.0}
            row.update(s)
            site_rows.append(row)
        tables["sites"] = pd.DataFrame(site_rows)
        tables["coverage"] = pd.DataFrame(list(coverage), columns=["site_id", "village_id"])
    policy = dict(policy or {})
    policy = {"name": "test-policy", "schools": {"required": False}, "clinics": {"required": False}, **policy,
              "groups": {DEEP: {"priority": 1.0}, **policy.get("groups", {})}}
    meta = {"name": "hand-made", "currency": "CNY", "objective": objective, "budget": budget,
            "budget_measure": "capex", "horizon_years": 5, "discount_rate": 0.0,
            "costs": cost_model(), "policy": policy}
    return write_and_load(tables, meta)


@st.composite
def multipart_instances(draw, *, objective: str | None = None, budget: bool | None = None):
    """Instances the county decomposition splits into several parts (issue 10: most instances of
    :func:`instances` form a single part). 2-3 counties, each with its own trench branch off a
    shared backbone node (a branch joining two counties, or a 4G site covering two, sometimes
    merges them); one satellite beam shared by every county (its capacity couples the parts);
    floors on groups that span counties (``deep-poverty`` on two counties, ``all-poor``);
    a budget over the whole instance. Small enough for the brute-force oracle."""
    n_counties = draw(st.integers(2, 3))
    county_ids = [f"c{k + 1}" for k in range(n_counties)]
    node_ids, kinds, edge_rows = ["bb"], ["backbone"], []
    county_nodes: dict[str, list[str]] = {}
    for c in county_ids:
        n = draw(st.integers(1, 3))
        mine = [f"{c}n{i}" for i in range(n)]
        county_nodes[c] = mine
        node_ids += mine
        kinds += ["junction"] * n
        edge_rows.append({"u": "bb", "v": mine[0], "cost": float(draw(st.integers(5, 40)))})
        for i in range(1, n):
            j = draw(st.integers(0, i - 1))
            edge_rows.append({"u": mine[j], "v": mine[i], "cost": float(draw(st.integers(1, 30)))})
        if n >= 2 and draw(st.booleans()):  # a second way in: the tree is not the only route
            edge_rows.append({"u": "bb", "v": mine[-1], "cost": float(draw(st.integers(5, 40)))})
    if draw(st.integers(0, 4)) == 0:  # now and then a trench branch joining two counties
        a, b = county_nodes[county_ids[0]][-1], county_nodes[county_ids[1]][-1]
        edge_rows.append({"u": a, "v": b, "cost": float(draw(st.integers(1, 30)))})
    for row in edge_rows:
        row["length_km"] = 1.0
    edge_rows = list({(r["u"], r["v"]): r for r in edge_rows}.values())

    villages = []
    for c in county_ids:
        for k in range(draw(st.integers(1, 3))):
            techs = draw(st.lists(st.sampled_from(TECHS), min_size=1, max_size=3, unique=True))
            node = draw(st.sampled_from(county_nodes[c] + [""]))
            if not node and "satellite" not in techs and "4g" not in techs:
                techs = techs + ["satellite"]
            villages.append({
                "village_id": f"{c}v{k}", "county_id": c, "population": float(draw(st.integers(10, 500))),
                "poor": True if k == 0 else draw(st.booleans()), "node": node, "existing": "none",
                "school": draw(st.booleans()), "clinic": False,
                "demand_mbps": float(draw(st.sampled_from([5, 10, 20]))),
                "technologies": tuple(t for t in TECHS if t in techs),
                "fiber_drop_capex": float(draw(st.integers(0, 20))),
                "satellite_capex": float(draw(st.integers(5, 60)))})
    sites, coverage = [], []
    for s in range(draw(st.integers(0, 2))):
        c = draw(st.sampled_from(county_ids))
        pool = [v["village_id"] for v in villages if v["county_id"] == c]
        if draw(st.integers(0, 4)) == 0:  # a site covering two counties merges them
            pool += [v["village_id"] for v in villages if v["county_id"] != c][:1]
        node = draw(st.sampled_from(county_nodes[c] + [""]))
        sites.append({"site_id": f"s{s}", "node": node, "backhaul": "any" if node else "microwave",
                      "capex": float(draw(st.integers(10, 80))), "backhaul_capex": float(draw(st.integers(0, 40)))})
        coverage += [(f"s{s}", v) for v in sorted(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2,
                                                                 unique=True)))]
    for row in villages:  # the loader refuses a village nothing can reach
        can = (("fiber" in row["technologies"] and row["node"])
               or ("4g" in row["technologies"] and any(v == row["village_id"] for _, v in coverage)))
        if not can and "satellite" not in row["technologies"]:
            row["technologies"] = row["technologies"] + ("satellite",)
    while math.prod(_choices(villages, coverage)) > MAX_CHOICES:
        counts = _choices(villages, coverage)
        row = villages[max(range(len(villages)), key=lambda i: (counts[i], -i))]
        mine = [p for p in coverage if p[1] == row["village_id"]]
        if mine:
            coverage.remove(mine[-1])
        elif len(row["technologies"]) > 1:
            row["technologies"] = row["technologies"][1:]
        else:
            row["existing"] = "4g"
    used = {s for s, _ in coverage}
    sites = [s for s in sites if s["site_id"] in used]

    deep = sorted(draw(st.lists(st.sampled_from(county_ids), min_size=2, max_size=n_counties, unique=True)))
    groups = {DEEP: {"priority": float(draw(st.sampled_from([1, 2])))}}
    if draw(st.booleans()):
        groups.setdefault(draw(st.sampled_from([DEEP, "all-poor"])), {})["floor"] = float(
            draw(st.sampled_from([0.25, 0.5, 1.0])))
    policy = {"name": "test-policy", "groups": groups,
              "schools": {"required": draw(st.booleans()), "min_mbps": 0.0},
              "clinics": {"required": False}, "weights": {"non_poor": 0.5}, "rules": []}
    counties = pd.DataFrame({"county_id": county_ids, "name": [f"县{c}" for c in county_ids],
                             "province": ["P"] * n_counties, "prefecture": county_ids,
                             "groups": [DEEP if c in deep else "" for c in county_ids]})
    if budget is None:
        budget = draw(st.booleans())
    meta = {"name": "hypothesis-multipart", "currency": "CNY",
            "objective": objective or draw(st.sampled_from(["max-coverage", "min-cost", "lexicographic"])),
            "budget": float(draw(st.integers(0, 300))) if budget else None,
            "budget_measure": "capex", "horizon_years": 5, "discount_rate": 0.0,
            "costs": cost_model(), "policy": policy}
    tables = {"counties": counties, "villages": pd.DataFrame(villages),
              "nodes": pd.DataFrame({"node_id": node_ids, "kind": kinds}),
              "edges": pd.DataFrame(edge_rows),
              "beams": pd.DataFrame({"beam_id": ["P"], "capacity_mbps": [float(draw(st.sampled_from([10, 25, 60])))]})}
    if sites:
        tables["sites"] = pd.DataFrame(sites)
        tables["coverage"] = pd.DataFrame(coverage, columns=["site_id", "village_id"])
    return write_and_load(tables, meta)
