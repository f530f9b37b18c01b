"""Instance tables from a road network and point layers: what the OpenStreetMap
and GIS importers share once they have read their sources.

- trenches: the contracted road graph (:mod:`.roads`), priced per segment by
  road class and terrain (:mod:`.roadcosts`), geometry kept as WKT;
- villages and points of presence joined to the nearest road by a straight
  connector (a ``drop`` edge for a village, priced cross-country with
  ``roads.off_road_factor``); a village farther than ``max_drop_km`` from every
  road is an error listing them all (``far="error"``), or is kept without a
  network node, so only 4G with microwave backhaul or satellite can reach it
  (``far="keep"``); nothing is dropped silently;
- road components without a point of presence cannot carry fiber: they are left
  out, and their villages are kept without a node (counted in the report);
- candidate 4G sites: one at every village (and at every existing tower when
  given), backhaul over the site's node; coverage is derived by the loader
  from the cost model's radius per terrain.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import InputError
from .common import ImportedTables
from .roadcosts import DEFAULT_COST_MODEL, DEFAULT_POLICY_MODEL, RoadCosts
from .roads import RoadLines, attach, build_trench_graph, geodesic_m, wkt_linestring

#: most village ids listed in one error message
SHOWN = 20


@dataclass
class PointLayer:
    """Points read from a file: ``table`` has id, lon, lat (+ other columns); ``rows`` the source row per point."""

    table: pd.DataFrame
    file: str
    id_column: str
    rows: list = field(default_factory=list)


@dataclass
class ImportReport:
    counts: dict = field(default_factory=dict)
    assumptions: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    unconnected: list = field(default_factory=list)  # village ids without a network node, and why


def assemble(*, name: str, description: str, lines: RoadLines, villages: PointLayer, backbone: PointLayer,
             counties: pd.DataFrame, costs: RoadCosts, towers: PointLayer | None = None,
             max_drop_km: float = 5.0, far: str = "error", cost_model: str | None = None,
             policy_model: str | None = None, report: ImportReport | None = None) -> tuple[ImportedTables, ImportReport]:
    """The instance tables (see the module docstring). ``villages.table`` has the
    villages.csv columns (village_id, county_id, name, lon, lat, population,
    poor, terrain ...); ``backbone.table`` and ``towers.table`` have id, lon, lat."""
    report = report or ImportReport()
    if len(villages.table) == 0:
        raise InputError("no villages found", file=villages.file,
                         fix="check the layer (or the place=* values for an OSM extract) and the area")
    if len(backbone.table) == 0:
        raise InputError("no point of presence (backbone) found", file=backbone.file,
                         fix="give a layer of fiber points of presence (--backbone FILE), or for OpenStreetMap "
                             "the place=* values that count as backbone (--backbone-places)")
    graph = build_trench_graph(lines)
    report.counts.update({f"road_{k}": v for k, v in graph.stats.items()})
    if not graph.paths:
        raise InputError("no road segments to route trenches along", file=villages.file,
                         fix="check the road layer and the road classes priced in the cost model's [roads] table")

    vt, bt = villages.table, backbone.table
    tt = towers.table if towers is not None else pd.DataFrame({"id": [], "lon": [], "lat": []})
    pts = np.vstack([vt[["lon", "lat"]].to_numpy(float), bt[["lon", "lat"]].to_numpy(float),
                     tt[["lon", "lat"]].to_numpy(float)])
    at = attach(graph, pts)
    nv, nb = len(vt), len(bt)
    v_vertex, v_dist = at.vertex[:nv], at.distance_m[:nv]
    b_vertex, b_dist = at.vertex[nv:nv + nb], at.distance_m[nv:nv + nb]
    t_vertex, t_dist = at.vertex[nv + nb:], at.distance_m[nv + nb:]
    limit = max_drop_km * 1000.0

    far_v = np.flatnonzero(v_dist > limit)
    if len(far_v):
        listed = ", ".join(f"{vt['village_id'].iloc[i]} ({v_dist[i] / 1000:.1f} km"
                           + (f", row {villages.rows[i]}" if villages.rows else "") + ")" for i in far_v[:SHOWN])
        more = f" and {len(far_v) - SHOWN} more" if len(far_v) > SHOWN else ""
        if far == "error":
            raise InputError(f"{len(far_v)} village(s) farther than {max_drop_km:g} km from every road: "
                             f"{listed}{more}", file=villages.file, column=villages.id_column,
                             fix="add the missing roads to the road layer, raise --max-drop-km, or pass "
                                 "--far keep to import them without fiber (4G with microwave, or satellite)")
        report.warnings.append(f"{len(far_v)} village(s) farther than {max_drop_km:g} km from every road kept "
                               f"without a network node: {listed}{more}")
        report.unconnected += [(str(vt["village_id"].iloc[i]), "far from every road") for i in far_v]
    far_b = np.flatnonzero(b_dist > limit)
    if len(far_b):
        listed = ", ".join(f"{bt['id'].iloc[i]} ({b_dist[i] / 1000:.1f} km)" for i in far_b[:SHOWN])
        report.warnings.append(f"{len(far_b)} point(s) of presence farther than {max_drop_km:g} km from every "
                               f"road left out: {listed}")

    # graph vertices that end an edge become junction nodes, numbered in vertex order
    rows_u, rows_v, costs_e, lengths, terrains, classes, geoms = [], [], [], [], [], [], []
    for k in range(len(graph.paths)):
        rows_u.append(int(graph.edge_u[k]))
        rows_v.append(int(graph.edge_v[k]))
        lengths.append(graph.length_km(k))
        costs_e.append(graph.cost(k))
        terrains.append(graph.dominant(k, graph.seg_terrain, graph.terrain_names))
        classes.append(graph.dominant(k, graph.seg_class, graph.class_names))
        geoms.append(wkt_linestring(graph.lonlat[graph.paths[k]]))
    ends = graph.ends()
    junction_name = {int(v): f"j{i}" for i, v in enumerate(ends.tolist())}
    node_rows = [(junction_name[v], "junction", graph.lonlat[v, 0], graph.lonlat[v, 1]) for v in ends.tolist()]
    edge_rows = [(junction_name[u], junction_name[v], ln, te, c, cl, g)
                 for u, v, ln, te, c, cl, g in zip(rows_u, rows_v, lengths, terrains, costs_e, classes, geoms)]

    def connector(node_id: str, lon: float, lat: float, vertex: int, dist_m: float, terrain: str, kind: str):
        node_rows.append((node_id, kind, lon, lat))
        foot = graph.lonlat[vertex]
        edge_rows.append((node_id, junction_name[vertex], dist_m / 1000.0, terrain,
                          dist_m / 1000.0 * costs.off_road_rate(terrain), "connector",
                          wkt_linestring(np.array([[lon, lat], foot]))))

    v_node = [""] * nv
    for i in range(nv):
        if v_dist[i] <= limit:
            vid = str(vt["village_id"].iloc[i])
            v_node[i] = f"v-{vid}"
            connector(v_node[i], float(vt["lon"].iloc[i]), float(vt["lat"].iloc[i]), int(v_vertex[i]),
                      float(v_dist[i]), str(vt["terrain"].iloc[i]), "village")
    b_ids = []
    for i in range(nb):
        if b_dist[i] <= limit:
            bid = f"b-{bt['id'].iloc[i]}"
            b_ids.append(bid)
            connector(bid, float(bt["lon"].iloc[i]), float(bt["lat"].iloc[i]), int(b_vertex[i]), float(b_dist[i]),
                      str(bt["terrain"].iloc[i]) if "terrain" in bt else "plain", "backbone")
    t_node = [""] * len(tt)
    for i in range(len(tt)):
        if t_dist[i] <= limit:
            t_node[i] = f"t-{tt['id'].iloc[i]}"
            connector(t_node[i], float(tt["lon"].iloc[i]), float(tt["lat"].iloc[i]), int(t_vertex[i]),
                      float(t_dist[i]), str(tt["terrain"].iloc[i]) if "terrain" in tt else "plain", "site")

    nodes = pd.DataFrame(node_rows, columns=["node_id", "kind", "lon", "lat"])
    edges = pd.DataFrame(edge_rows, columns=["u", "v", "length_km", "terrain", "cost", "road_class", "geometry"])
    edges = edges[edges["u"] != edges["v"]]

    # keep the road components that reach a point of presence
    index = pd.Index(nodes["node_id"])
    ui, vi = index.get_indexer(edges["u"]), index.get_indexer(edges["v"])
    n = len(nodes)
    _, label = connected_components(coo_matrix((np.ones(len(ui)), (ui, vi)), shape=(n, n)), directed=False)
    fed = set(label[index.get_indexer(b_ids)].tolist()) if b_ids else set()
    keep_node = np.isin(label, list(fed))
    kept = set(nodes["node_id"][keep_node])
    report.counts["road_components"] = int(label.max() + 1) if n else 0
    report.counts["nodes_dropped_off_backbone"] = int((~keep_node).sum())
    nodes = nodes[keep_node].reset_index(drop=True)
    edges = edges[edges["u"].isin(kept)].reset_index(drop=True)
    lost = [i for i in range(nv) if v_node[i] and v_node[i] not in kept]
    if lost:
        report.warnings.append(f"{len(lost)} village(s) on roads that reach no point of presence kept without a "
                               f"network node: " + ", ".join(str(vt['village_id'].iloc[i]) for i in lost[:SHOWN]))
        report.unconnected += [(str(vt["village_id"].iloc[i]), "road reaches no point of presence") for i in lost]
        for i in lost:
            v_node[i] = ""
    t_node = [t if t in kept else "" for t in t_node]

    out_v = vt.copy()
    out_v["node"] = v_node
    sites = pd.DataFrame({
        "site_id": [f"s-{x}" for x in vt["village_id"]] + [f"t-{x}" for x in tt["id"]],
        "node": [f"v-{x}" if node else "" for x, node in zip(vt["village_id"], v_node)] + t_node,
        "lon": list(vt["lon"]) + list(tt["lon"]), "lat": list(vt["lat"]) + list(tt["lat"]),
        "terrain": list(vt["terrain"]) + (list(tt["terrain"]) if "terrain" in tt else ["plain"] * len(tt)),
    })
    meta = {"name": name, "description": description, "currency": str(costs.data.get("currency", "CNY")),
            "cost_model": cost_model or DEFAULT_COST_MODEL, "policy_model": policy_model or DEFAULT_POLICY_MODEL}
    report.counts.update({
        "villages": nv, "villages_with_node": sum(1 for x in v_node if x), "backbone_points": len(b_ids),
        "towers": len(tt), "network_nodes": len(nodes), "network_edges": len(edges),
        "trench_km": float(edges.loc[edges["road_class"] != "connector", "length_km"].sum()),
        "max_drop_km": float(v_dist[v_dist <= limit].max() / 1000.0) if (v_dist <= limit).any() else 0.0,
    })
    tables = ImportedTables(meta=meta, counties=counties, villages=out_v, nodes=nodes, edges=edges, sites=sites,
                            summary=report.counts)
    return tables, report

