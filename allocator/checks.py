"""Cross-record validation of an instance, and the columns derived from it.

:func:`check_and_fill` runs after every table has been read and typed
(:mod:`allocator.io.tables`): unique ids, references between tables, policy
groups; it fills the derived columns (village groups, province, prefecture,
beam; backbone nodes of already-fibered villages). :func:`derive` runs after
pricing: coverage from site radii, the "no way to cover this village" check,
and the beams table. Every failure is an :class:`InputError` naming the file,
the line, the column and a fix. Checks are vectorised; rows are only visited
one by one to name the first bad one.
"""
from __future__ import annotations

import warnings
from typing import Mapping

import networkx as nx
import numpy as np
import pandas as pd

from .errors import InputError, InputWarning
from .io.tables import CsvTable, empty_table
from .schema import ALL_POOR, Existing, Technology
from .technologies import pool_id

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
#: the china-2018 technologies, as plain strings (a cost model declares its own)
ALL_TECHNOLOGIES = tuple(t.value for t in Technology)


# --------------------------------------------------------------------------- helpers
def _unique_ids(table: CsvTable, column: str) -> None:
    ids = table.df[column]
    dup = ids.duplicated(keep="first").to_numpy()
    if dup.any():
        i = table.first(dup)
        first = table.first(ids.eq(ids.iloc[i]).to_numpy())
        raise table.error(i, column, f"duplicate {column} '{ids.iloc[i]}' (first on line {table.line(first)})",
                          f"give every row a unique {column}, or delete the repeated row")


def _known(table: CsvTable, column: str, known: pd.Index | set, target: str, *, allow_empty: bool = False,
           absent: bool = False) -> None:
    values = table.df[column]
    bad = ~values.isin(known)
    if allow_empty:
        bad &= values.ne("")
    if bad.any():
        i = table.first(bad.to_numpy())
        what = column.replace("_id", "")
        note = f" ({target} is absent)" if absent else f" (not in {target})"
        raise table.error(i, column, f"unknown {what} '{values.iloc[i]}'{note}",
                          f"add '{values.iloc[i]}' to {target}, or correct the id"
                          + (" (or leave the cell empty)" if allow_empty else ""))


def _both_coordinates(table: CsvTable | None) -> None:
    """lon and lat both given or both empty: half a coordinate would silently drop the row from every
    distance (a village no site reaches, a point missing from the map)."""
    if table is None:
        return
    lon, lat = table.df["lon"].isna().to_numpy(), table.df["lat"].isna().to_numpy()
    half = lon != lat
    if half.any():
        i = table.first(half)
        empty, given = ("lon", "lat") if lon[i] else ("lat", "lon")
        raise table.error(i, empty, f"{empty} is empty but {given} is given",
                          f"fill in {empty} (decimal degrees, WGS84), or leave both lon and lat empty")


def _frame(table: CsvTable | None, name: str) -> pd.DataFrame:
    return table.df if table is not None else empty_table(name)


# --------------------------------------------------------------------------- stage 1
def check_and_fill(tables: Mapping[str, CsvTable | None], *, policy, own_policy: Mapping,
                   policy_origins, technologies=None) -> dict[str, pd.DataFrame]:
    """Check references and ids; return the tables keyed by short name, filled and indexed by id.

    ``technologies``: the cost model's :class:`~allocator.technologies.Registry` (default: the
    china-2018 technologies), which villages' ``technologies`` and sites' ``technology`` may name."""
    access = technologies.access if technologies is not None else ALL_TECHNOLOGIES
    site_techs = technologies.names_of("site") if technologies is not None else ("4g",)
    counties_t, villages_t = tables["counties.csv"], tables["villages.csv"]
    nodes_t, edges_t = tables["network_nodes.csv"], tables["network_edges.csv"]
    sites_t, coverage_t, beams_t = tables["sites.csv"], tables["coverage.csv"], tables["beams.csv"]

    # counties --------------------------------------------------------------
    _unique_ids(counties_t, "county_id")
    counties = counties_t.df.copy()
    groups_known = set(policy.groups)
    cgroups = counties["groups"]
    flat = cgroups.explode().dropna()
    unknown = flat[~flat.isin(groups_known)]
    if len(unknown):
        i = counties.index.get_loc(unknown.index[0])
        name = unknown.iloc[0]
        raise counties_t.error(i, "groups", f"group '{name}' is not defined by the policy model '{policy.name}'",
                               f"correct the spelling (known groups: {', '.join(sorted(groups_known))}), or define "
                               f"it in instance.toml as [policy.groups.{name}]")
    adcode4 = counties["adcode"].str.slice(0, 4)
    counties["prefecture"] = counties["prefecture"].where(
        counties["prefecture"].ne(""), adcode4.where(counties["adcode"].str.len() >= 4, counties["province"]))

    for located in (villages_t, nodes_t, sites_t):
        _both_coordinates(located)

    # villages --------------------------------------------------------------
    _unique_ids(villages_t, "village_id")
    _known(villages_t, "county_id", pd.Index(counties["county_id"]), "counties.csv")
    villages = villages_t.df.copy()

    # nodes and edges ---------------------------------------------------------
    if nodes_t is not None:
        _unique_ids(nodes_t, "node_id")
    nodes = _frame(nodes_t, "network_nodes.csv").copy()
    node_ids = pd.Index(nodes["node_id"])
    if edges_t is not None:
        for end in ("u", "v"):
            _known(edges_t, end, node_ids, "network_nodes.csv", absent=nodes_t is None)
        loop = edges_t.df["u"].eq(edges_t.df["v"]).to_numpy()
        if loop.any():
            i = edges_t.first(loop)
            raise edges_t.error(i, "v", f"edge from node '{edges_t.df['u'].iloc[i]}' to itself",
                                "an edge joins two different nodes: correct u or v, or delete the row")
        unpriced = (edges_t.df["length_km"].isna() & edges_t.df["cost"].isna()).to_numpy()
        if unpriced.any():
            i = edges_t.first(unpriced)
            raise edges_t.error(i, "length_km", "edge has neither length_km nor cost, so it cannot be priced",
                                "fill in length_km (km; priced by the cost model per terrain) or cost")
    edges = _frame(edges_t, "network_edges.csv").copy()
    _known(villages_t, "node", node_ids, "network_nodes.csv", allow_empty=True, absent=nodes_t is None)

    # a village already on fiber is a point of the existing network
    fibered = villages.loc[villages["existing"].eq(Existing.FIBER.value) & villages["node"].ne(""), "node"]
    nodes.loc[nodes["node_id"].isin(fibered), "kind"] = "backbone"

    # sites, coverage, beams ---------------------------------------------------
    if sites_t is not None:
        _unique_ids(sites_t, "site_id")
        _known(sites_t, "node", node_ids, "network_nodes.csv", allow_empty=True, absent=nodes_t is None)
        bad_tech = ~(sites_t.df["technology"].eq("") | sites_t.df["technology"].isin(site_techs)).to_numpy()
        if bad_tech.any():
            i = sites_t.first(bad_tech)
            raise sites_t.error(i, "technology", f"'{sites_t.df['technology'].iloc[i]}' is not a site technology "
                                                 f"of the cost model",
                                f"use one of: {', '.join(site_techs) or '(the cost model declares none)'}, or "
                                f"leave it empty")
        no_node = (sites_t.df["backhaul"].eq("fiber") & sites_t.df["node"].eq("")).to_numpy()
        if no_node.any():
            i = sites_t.first(no_node)
            raise sites_t.error(i, "node", "site allows only fiber backhaul but has no network node",
                                "give the site a node in network_nodes.csv, or set backhaul to 'any' or 'microwave'")
        if coverage_t is None:
            nocoord = (sites_t.df["lon"].isna() | sites_t.df["lat"].isna()).to_numpy()
            if nocoord.any():
                i = sites_t.first(nocoord)
                col = "lon" if np.isnan(sites_t.df["lon"].iloc[i]) else "lat"
                raise sites_t.error(i, col, "site has no coordinates, and coverage.csv is absent, so which "
                                            "villages it covers is unknown",
                                    "fill in lon and lat (degrees), or list the villages it covers in coverage.csv")
    sites = _frame(sites_t, "sites.csv").copy()
    if coverage_t is not None:
        if sites_t is None:
            raise InputError("coverage.csv is given but sites.csv is absent", file="coverage.csv",
                             fix="add sites.csv with the candidate sites, or delete coverage.csv")
        _known(coverage_t, "site_id", pd.Index(sites["site_id"]), "sites.csv")
        _known(coverage_t, "village_id", pd.Index(villages["village_id"]), "villages.csv")
        coverage = coverage_t.df[["site_id", "village_id"]].drop_duplicates().reset_index(drop=True)
        if coverage.empty and len(sites):  # unlike an absent file, which computes coverage from radius_km
            warnings.warn(InputWarning(
                f"coverage.csv has no rows, so none of the {len(sites)} sites in sites.csv covers any village "
                f"(no 4G anywhere); delete coverage.csv to compute coverage from each site's radius_km"),
                stacklevel=3)
    else:
        coverage = pd.DataFrame({"site_id": pd.Series([], dtype=object), "village_id": pd.Series([], dtype=object)})
    if beams_t is not None:
        _unique_ids(beams_t, "beam_id")
    beams = _frame(beams_t, "beams.csv")

    # derived village columns ---------------------------------------------------
    cinfo = counties.set_index("county_id")
    cgroup_of = cinfo["groups"].to_dict()
    poor = villages["poor"].to_numpy()
    vgroups = villages["county_id"].map(cgroup_of).tolist()
    villages["groups"] = pd.Series([g + (ALL_POOR,) if p and ALL_POOR not in g else g
                                    for g, p in zip(vgroups, poor)], index=villages.index, dtype=object)
    villages["province"] = villages["county_id"].map(cinfo["province"]).astype(object)
    villages["prefecture"] = villages["county_id"].map(cinfo["prefecture"]).astype(object)
    villages["beam"] = villages["beam"].where(villages["beam"].ne(""), villages["province"])
    techs = villages["technologies"]
    canon = {}
    for t in pd.unique(techs.to_numpy()):
        wrong = [x for x in t if x not in access]
        if wrong:
            i = villages_t.first(villages_t.df["technologies"].map(lambda ts, t=t: ts == t))
            raise villages_t.error(i, "technologies", f"'{wrong[0]}' is not an allowed value (not a technology of "
                                                     f"the cost model)",
                                   f"use ';'-separated values from: {', '.join(access)}")
        canon[t] = tuple(x for x in access if x in t) if t else tuple(access)
    villages["technologies"] = techs.map(canon).astype(object)

    _check_own_policy(own_policy, policy_origins, counties, villages)

    return {
        "counties": counties.set_index("county_id"),
        "villages": villages.set_index("village_id"),
        "nodes": nodes.set_index("node_id"),
        "edges": edges.rename_axis("edge_id"),
        "sites": sites.set_index("site_id"),
        "coverage": coverage,
        "beams": beams.set_index("beam_id"),
    }


def _check_own_policy(own: Mapping, origins, counties: pd.DataFrame, villages: pd.DataFrame) -> None:
    """Floors, rules and milestones the instance itself sets must name groups, counties ... that exist."""
    if not own:
        return
    members = set(villages["groups"].explode().dropna())
    if villages["poor"].any():
        members.add(ALL_POOR)

    def empty_group(keys, group, what):
        where = origins.where(keys)
        return InputError(f"{what} names group '{group}', but no village belongs to it "
                          + ("(no village is registered poor)" if group == ALL_POOR
                             else "(no county in counties.csv lists it with at least one village)"),
                          column=".".join(map(str, keys)), **where,
                          fix=f"add '{group}' to the groups column of the counties it covers in counties.csv, "
                              f"or remove this {what.split()[0]} from {where['file']}")

    for group, table in (own.get("groups") or {}).items():
        if isinstance(table, Mapping) and table.get("floor") is not None and group not in members:
            raise empty_group(["groups", group, "floor"], group, "floor")
    for year, table in (own.get("milestones") or {}).items():
        for group in (table or {}):
            if group not in members:
                raise empty_group(["milestones", str(year), group], group, f"milestone {year}")
    known = {"county": set(counties["county_id"]), "province": set(counties["province"]),
             "prefecture": set(counties["prefecture"]), "group": members}
    for n, rule in enumerate(own.get("rules") or [], start=1):
        scope, value = rule.get("scope"), rule.get("value")
        if scope in known and value not in known[scope]:
            if scope == "group":
                raise empty_group(["rules"], value, f"rule {n}")
            where = origins.where(["rules"])
            raise InputError(f"rule {n} names {scope} '{value}', which no county in counties.csv has",
                             column="rules", **where,
                             fix=f"correct the {scope} (as written in counties.csv), or remove the rule")


# --------------------------------------------------------------------------- stage 2
def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _unit_vectors(lon, lat) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def coverage_from_radius(villages: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """(site_id, village_id) pairs with the village within the site's ``radius_km`` (great circle).

    A k-d tree on unit vectors finds candidates by chord length (monotone in arc
    length); the exact haversine distance then decides."""
    empty = pd.DataFrame({"site_id": pd.Series([], dtype=object), "village_id": pd.Series([], dtype=object)})
    located = villages[villages["lon"].notna() & villages["lat"].notna()]
    if located.empty or sites.empty:
        return empty
    from scipy.spatial import cKDTree  # here, not at import: 0.4-0.8 s of every command's start

    tree = cKDTree(_unit_vectors(located["lon"].to_numpy(), located["lat"].to_numpy()))
    radius = sites["radius_km"].to_numpy(dtype=float)
    chord = 2 * np.sin(np.minimum(radius / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-9) + 1e-12
    hits = tree.query_ball_point(_unit_vectors(sites["lon"].to_numpy(), sites["lat"].to_numpy()), r=chord)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    if counts.sum() == 0:
        return empty
    site_pos = np.repeat(np.arange(len(sites)), counts)
    vil_pos = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
    dist = haversine_km(sites["lon"].to_numpy()[site_pos], sites["lat"].to_numpy()[site_pos],
                        located["lon"].to_numpy()[vil_pos], located["lat"].to_numpy()[vil_pos])
    keep = dist <= radius[site_pos]
    out = pd.DataFrame({"site_id": sites.index.to_numpy()[site_pos[keep]],
                        "village_id": located.index.to_numpy()[vil_pos[keep]]})
    return out.sort_values(["site_id", "village_id"], kind="stable").reset_index(drop=True)


def derive(frames: dict, tables: Mapping[str, CsvTable | None], *, costs) -> None:
    """After pricing: coverage from radii, the coverability check, the beams table (in place)."""
    villages, sites, nodes, edges = frames["villages"], frames["sites"], frames["nodes"], frames["edges"]
    if tables["coverage.csv"] is None and len(sites):
        frames["coverage"] = coverage_from_radius(villages, sites)
    coverage = frames["coverage"]

    # which nodes reach the existing network (connected components, networkx)
    graph = nx.Graph()
    graph.add_nodes_from(nodes.index)
    graph.add_edges_from(zip(edges["u"], edges["v"]))
    backbone = set(nodes.index[nodes["kind"].eq("backbone")])
    reaching = set()
    for component in nx.connected_components(graph):
        if not component.isdisjoint(backbone):
            reaching |= component

    reg = costs.technologies
    techs = villages["technologies"]
    allows = {t: techs.map(lambda ts, t=t: t in ts).to_numpy(dtype=bool) for t in reg.access}
    usable = sites.index[sites["backhaul"].isin(("any", "microwave")) | sites["node"].isin(reaching)]
    ok = villages["existing"].ne(Existing.NONE.value).to_numpy()
    for tech in reg:
        if tech.kind == "network":
            ok = ok | (allows[tech.name] & villages["node"].isin(reaching).to_numpy())
        elif tech.kind == "site":
            of_tech = usable[(sites.loc[usable, "technology"] == tech.name).to_numpy(bool)]
            ok = ok | (allows[tech.name] & villages.index.isin(coverage.loc[coverage["site_id"].isin(of_tech),
                                                                            "village_id"]))
        elif tech.kind == "terminal":
            ok = ok | allows[tech.name]
    stuck = ~ok
    if stuck.any():
        table = tables["villages.csv"]
        i = int(np.flatnonzero(stuck)[0])
        row = villages.iloc[i]
        allowed = ";".join(row["technologies"])
        if row["node"]:
            reason = f"its node '{row['node']}' cannot reach any backbone node"
        else:
            reason = "it has no network node (no fiber possible)"
        sites_wanted = [t for t in reg.names_of("site") if t in row["technologies"]]
        if sites_wanted:
            reason += f" and no usable {'/'.join(reg[t].label for t in sites_wanted)} site covers it"
        terminals = reg.names_of("terminal")
        raise table.error(i, "node" if row["node"] else "technologies",
                          f"village '{villages.index[i]}' cannot be covered: {reason}, and its technologies "
                          f"({allowed}) leave no alternative",
                          "link the node to a backbone node in network_edges.csv (or mark a node kind=backbone), "
                          f"add a {'/'.join(reg[t].label for t in reg.names_of('site')) or '4G'} site that covers "
                          "the village"
                          + (f", or allow {' or '.join(terminals)} in its 'technologies'" if terminals else ""))

    # capacity pools: one beam per beam id in use, capacity from beams.csv, else the first terminal
    # technology's; every other terminal technology: one pool '<technology>:<beam>' per beam id in use
    given = frames["beams"]["capacity_mbps"]
    used = sorted(pd.unique(villages["beam"].to_numpy()))
    primary = reg.primary_terminal
    capacity = given.reindex(used).fillna(float(primary.capacity_mbps or 0.0) if primary is not None else 0.0)
    ids, caps = list(used), capacity.to_numpy(dtype=float).tolist()
    for tech in reg.of_kind("terminal")[1:]:
        ids += [pool_id(reg, tech.name, b) for b in used]
        caps += [float(tech.capacity_mbps or 0.0)] * len(used)
    frames["beams"] = pd.DataFrame({"capacity_mbps": np.asarray(caps, dtype=float)},
                                   index=pd.Index(ids, name="beam_id", dtype=object))
