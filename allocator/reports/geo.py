"""GIS layers of a plan: villages by technology, built fiber routes, opened sites.

GeoJSON (RFC 7946: WGS84 longitude/latitude) is written with the standard
library's json; QGIS opens each file as a layer. A GeoPackage with the same
three layers is written too when the optional ``fudgeo`` package is installed
(pure Python, MIT, maintained; ``pip install fudgeo``); without it the
GeoPackage is skipped and the report says so. (GDAL-based writers,
pyogrio and fiona, are well kept but not pure Python.)

A village without coordinates takes its network node's; one with neither is
left out of the layers (and counted in the result). A trench follows its
``geometry`` (WKT, written by the OSM/GIS importers) when the instance has one,
else the straight line between its nodes. Instances with road geometry, points
of presence or county outlines also give the context layers ``roads`` (every
candidate trench), ``backbone`` and ``counties`` (the HTML map draws them).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io.wkt import to_geojson

LAYERS = ("villages", "fiber_routes", "sites")
#: drawn on the map and exported when the instance has them
CONTEXT_LAYERS = ("roads", "backbone", "counties")


@dataclass
class LayerSet:
    """Features per layer (GeoJSON dicts) and what had to be left out."""

    features: dict = field(default_factory=dict)   # layer -> list of GeoJSON features
    skipped: dict = field(default_factory=dict)    # layer -> count without coordinates


def _finite(*xs) -> bool:
    return all(x is not None and isinstance(x, (int, float)) and math.isfinite(float(x)) for x in xs)


def _clean(value):
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _status(row) -> str:
    if row["technology"] != "none":  # a plan names only the cost model's technologies, or none
        return "new"
    return "existing" if row["covered"] else "not covered"


def build_layers(instance, plan) -> LayerSet:
    """The three layers as GeoJSON features (properties are plain JSON values)."""
    nodes = instance.nodes
    node_xy = {str(n): (float(x), float(y)) for n, x, y in zip(nodes.index, nodes["lon"], nodes["lat"])
               if _finite(x, y)} if len(nodes) else {}
    src = instance.villages
    out = LayerSet()
    counties = instance.counties["name"].astype(str)

    feats, skipped = [], 0
    pv = plan.villages
    lons = src["lon"].reindex(pv.index).astype(float).tolist()
    lats = src["lat"].reindex(pv.index).astype(float).tolist()
    vnodes = src["node"].reindex(pv.index).fillna("").astype(str).tolist()
    for k, (vid, row) in enumerate(zip(pv.index, pv.to_dict("records"))):
        lon, lat = lons[k], lats[k]
        if not _finite(lon, lat):
            lon, lat = node_xy.get(vnodes[k], (math.nan, math.nan))
        if not _finite(lon, lat):
            skipped += 1
            continue
        tech = str(row["technology"])
        props = {
            "village_id": str(vid), "name": str(row.get("name", "")), "county_id": str(row["county_id"]),
            "county": str(counties.get(row["county_id"], "")), "province": str(row["province"]),
            "prefecture": str(row["prefecture"]), "poor": bool(row["poor"]),
            "population": _clean(float(row["population"])), "existing": str(row["existing"]),
            "technology": tech, "status": _status(row),
            "shown_as": tech if tech != "none" else ("existing" if row["covered"] else "none"),
            "site_id": str(row["site_id"]), "cost": _clean(float(row["cost"])),
            "shared_cost": _clean(float(row["shared_cost"])), "groups": str(row["groups"]),
        }
        feats.append({"type": "Feature", "id": str(vid), "properties": props,
                      "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}})
    out.features["villages"], out.skipped["villages"] = feats, skipped

    feats, skipped = [], 0
    edge_geom = _edge_geometries(instance)
    road_class = instance.edges["road_class"] if "road_class" in instance.edges else None
    for eid, row in zip(plan.edges.index, plan.edges.to_dict("records")):
        geom = edge_geom.get(eid) or _straight(node_xy, row["u"], row["v"])
        if geom is None:
            skipped += 1
            continue
        props = {"edge_id": _clean(eid), "u": str(row["u"]), "v": str(row["v"]),
                 "length_km": _clean(float(row["length_km"])), "terrain": str(row["terrain"]),
                 "road_class": str(road_class.get(eid, "")) if road_class is not None else "",
                 "capex": _clean(float(row["capex"])), "cost": _clean(float(row["cost"])),
                 "served": _clean(int(row["served"]))}
        feats.append({"type": "Feature", "id": str(eid), "properties": props, "geometry": geom})
    out.features["fiber_routes"], out.skipped["fiber_routes"] = feats, skipped

    feats, skipped = [], 0
    sites = instance.sites
    for sid, row in plan.sites.iterrows():
        lon, lat = (sites.at[sid, "lon"], sites.at[sid, "lat"]) if sid in sites.index else (math.nan, math.nan)
        if not _finite(lon, lat):
            lon, lat = node_xy.get(str(row["node"]), (math.nan, math.nan))
        if not _finite(lon, lat):
            skipped += 1
            continue
        props = {"site_id": str(sid), "backhaul": str(row["backhaul"]), "villages": _clean(int(row["villages"])),
                 "capex": _clean(float(row["capex"])), "cost": _clean(float(row["cost"])),
                 "radius_km": _clean(float(sites.at[sid, "radius_km"])) if sid in sites.index else None}
        feats.append({"type": "Feature", "id": str(sid), "properties": props,
                      "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}})
    out.features["sites"], out.skipped["sites"] = feats, skipped
    _context_layers(instance, out, node_xy, edge_geom)
    return out


def _straight(node_xy: dict, u, v) -> dict | None:
    a, b = node_xy.get(str(u)), node_xy.get(str(v))
    return None if a is None or b is None else {"type": "LineString", "coordinates": [list(a), list(b)]}


def _edge_geometries(instance) -> dict:
    """edge_id -> GeoJSON LineString from the instance's WKT ``geometry`` column (empty cells left out)."""
    edges = instance.edges
    if "geometry" not in edges or not len(edges):
        return {}
    out = {}
    for row, (eid, text) in enumerate(zip(edges.index, edges["geometry"].tolist())):
        if isinstance(text, str) and text.strip():
            out[eid] = _parse(text, "network_edges.csv", row, "geometry", ("LineString",))
    return out


def _parse(text: str, file: str, row: int, column: str, kinds: tuple) -> dict | None:
    try:
        geom = to_geojson(text)
    except ValueError as err:
        raise InputError(str(err), file=file, line=row + 2, column=column,
                         fix="write WKT in lon/lat, e.g. LINESTRING (101.1 27.9, 101.2 28.0), or leave it empty") from None
    if geom is not None and geom["type"] not in kinds:
        raise InputError(f"a {geom['type']} where {' or '.join(kinds)} is expected", file=file, line=row + 2,
                         column=column, fix=f"write a {' or '.join(kinds)} in WKT, or leave the cell empty")
    return geom


def _context_layers(instance, out: LayerSet, node_xy: dict, edge_geom: dict) -> None:
    """roads (candidate trenches along real geometry), backbone points, county outlines, where present."""
    if edge_geom:
        edges = instance.edges
        rc = edges["road_class"] if "road_class" in edges else pd.Series("", index=edges.index)
        out.features["roads"] = [
            {"type": "Feature", "id": str(eid), "geometry": edge_geom.get(eid) or _straight(node_xy, u, v),
             "properties": {"edge_id": _clean(eid), "road_class": str(rc.get(eid, "")),
                            "length_km": _clean(float(km))}}
            for eid, u, v, km in zip(edges.index, edges["u"], edges["v"], edges["length_km"])
            if edge_geom.get(eid) or _straight(node_xy, u, v)]
    nodes = instance.nodes
    if len(nodes):
        bb = nodes[nodes["kind"].eq("backbone")]
        out.features["backbone"] = [
            {"type": "Feature", "id": str(n), "properties": {"node_id": str(n)},
             "geometry": {"type": "Point", "coordinates": [float(x), float(y)]}}
            for n, x, y in zip(bb.index, bb["lon"], bb["lat"]) if _finite(x, y)]
    counties = instance.counties
    if "boundary" in counties:
        feats = []
        for row, (cid, name, text) in enumerate(zip(counties.index, counties["name"], counties["boundary"])):
            geom = (_parse(text, "counties.csv", row, "boundary", ("Polygon", "MultiPolygon"))
                    if isinstance(text, str) else None)
            if geom is not None:
                feats.append({"type": "Feature", "id": str(cid), "geometry": geom,
                              "properties": {"county_id": str(cid), "name": str(name)}})
        if feats:
            out.features["counties"] = feats


def feature_collection(features: list, name: str) -> dict:
    return {"type": "FeatureCollection", "name": name, "features": features}


def write_geojson(layers: LayerSet, directory: str | Path) -> list[Path]:
    """One ``<layer>.geojson`` per layer in ``directory`` (context layers when present)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in LAYERS + tuple(n for n in CONTEXT_LAYERS if layers.features.get(n)):
        path = directory / f"{name}.geojson"
        path.write_text(json.dumps(feature_collection(layers.features.get(name, []), name), ensure_ascii=False,
                                   allow_nan=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def geopackage_available() -> bool:
    try:
        import fudgeo  # noqa: F401
    except ImportError:
        return False
    return True


def write_geopackage(layers: LayerSet, path: str | Path) -> Path:
    """The three layers in one GeoPackage (needs ``fudgeo``; see the module docstring)."""
    from fudgeo import Field, GeoPackage
    from fudgeo.enumeration import FieldType, ShapeType
    from fudgeo.geometry import LineString, Point

    path = Path(path)
    if path.exists():
        path.unlink()
    gpkg = GeoPackage.create(path, flavor="EPSG")
    srs = gpkg.spatial_references[4326]
    shapes = {"villages": ShapeType.point, "fiber_routes": ShapeType.linestring, "sites": ShapeType.point}
    for name in LAYERS:
        feats = layers.features.get(name, [])
        keys = list(feats[0]["properties"]) if feats else ["id"]
        kinds = {}
        for k in keys:
            sample = next((f["properties"][k] for f in feats if f["properties"].get(k) is not None), "")
            kinds[k] = (FieldType.boolean if isinstance(sample, bool) else FieldType.integer
                        if isinstance(sample, int) else FieldType.double if isinstance(sample, float)
                        else FieldType.text)
        fields = tuple(Field(k, kinds[k]) for k in keys)
        fc = gpkg.create_feature_class(name, srs=srs, shape_type=shapes[name], fields=fields, overwrite=True)
        rows = []
        for f in feats:
            coords = f["geometry"]["coordinates"]
            geom = (Point(x=coords[0], y=coords[1], srs_id=4326) if f["geometry"]["type"] == "Point"
                    else LineString(coords, srs_id=4326))
            rows.append((geom, *[f["properties"].get(k) for k in keys]))
        columns = ", ".join([fc.geometry_column_name, *[f'"{k}"' for k in keys]])
        marks = ", ".join("?" * (len(keys) + 1))
        with gpkg.connection as conn:
            conn.executemany(f'INSERT INTO "{name}" ({columns}) VALUES ({marks})', rows)
    gpkg.connection.close()
    return path


def frame_of(layer: dict) -> pd.DataFrame:
    """Properties of a FeatureCollection as a table (for checks)."""
    return pd.DataFrame([f["properties"] for f in layer["features"]])
