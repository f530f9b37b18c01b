"""``allocator import osm FILE.osm.pbf``: an instance from an OpenStreetMap extract.

Read with pyosmium (``osmium``), chosen by measurement over pyrosm (see
docs/importers.md): one streaming pass gives place nodes, ``highway=*`` ways
with their node ids (the topology: ways meet where they share a node) and
locations, and, when counties are taken from the data, ``boundary=administrative``
areas assembled by libosmium's multipolygon code.

- villages: ``place`` in ``village_places`` (default village, hamlet,
  isolated_dwelling); population from ``population`` (digits only), else
  :data:`DEFAULT_POPULATION` (an assumption, listed in the import report);
- points of presence: ``place`` in ``backbone_places`` (default town, city) or
  a user layer of points;
- counties: the ``boundary=administrative`` area of ``admin_level`` holding
  the village (smallest if several), or a user polygon layer; villages in none
  go to county ``unassigned``;
- trenches: ``highway=*`` ways whose class the cost model's ``[roads]`` table
  prices; a way running out of the extract (nodes without location) is cut
  there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .assemble import ImportReport, PointLayer, assemble
from .gisdeps import require_gis
from .roadcosts import read_road_costs
from .roads import RoadLines

#: residents assumed for a place without a usable ``population`` tag. Assumption (no source): orders of
#: magnitude of a natural village, a hamlet and a farmstead; every use is counted in the import report.
DEFAULT_POPULATION = {"village": 500.0, "hamlet": 100.0, "isolated_dwelling": 10.0}
#: for any other place value a user counts as a village (suburb, neighbourhood ...). Assumption.
DEFAULT_POPULATION_OTHER = 500.0
VILLAGE_PLACES = ("village", "hamlet", "isolated_dwelling")
BACKBONE_PLACES = ("town", "city")
#: county level in China's OpenStreetMap tagging (admin_level=6: 县/区); change per country
DEFAULT_ADMIN_LEVEL = 6
UNASSIGNED = "unassigned"
ODBL_NOTE = ("Contains OpenStreetMap data (c) OpenStreetMap contributors, available under the Open Database "
             "License (ODbL) 1.0: https://www.openstreetmap.org/copyright")


@dataclass
class OsmData:
    places: pd.DataFrame          # osm_id, place, name, population_tag, lon, lat
    coords: np.ndarray            # (P, 2)
    keys: np.ndarray              # (P,) OSM node ids
    offsets: np.ndarray           # (L + 1,)
    highway: list                 # (L,) class per line
    areas: pd.DataFrame           # area_id, name, admin_level, wkt


def read_osm(path: str | Path, *, places: set, admin_level: int | None) -> OsmData:
    """One pass over the file (two when areas are wanted: libosmium assembles them)."""
    require_gis("allocator import osm", ("osmium", "shapely", "pyproj"))
    import osmium
    from osmium.geom import WKTFactory

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path, fix="give the path of an .osm.pbf (or .osm) extract")
    place_rows, coords, keys, offsets, highway = [], [], [], [0], []
    area_rows = []
    wkt = WKTFactory()
    level = None if admin_level is None else str(admin_level)

    class Reader(osmium.SimpleHandler):
        def node(self, n):
            place = n.tags.get("place")
            if place in places and n.location.valid():
                place_rows.append((n.id, place, n.tags.get("name", ""), n.tags.get("population", ""),
                                   n.location.lon, n.location.lat))

        def way(self, w):
            cls = w.tags.get("highway")
            if cls is None:
                return
            for nd in w.nodes:
                if nd.location.valid():
                    coords.append((nd.location.lon, nd.location.lat))
                    keys.append(nd.ref)
                elif len(coords) > offsets[-1]:  # cut the way where it leaves the extract
                    offsets.append(len(coords))
                    highway.append(cls)
            if len(coords) > offsets[-1]:
                offsets.append(len(coords))
                highway.append(cls)

    class AreaReader(Reader):
        def area(self, a):
            if a.tags.get("boundary") == "administrative" and a.tags.get("admin_level") == level:
                try:
                    geom = wkt.create_multipolygon(a)
                except RuntimeError:  # an incomplete relation at the extract's edge
                    return
                area_rows.append((a.id, a.tags.get("name", ""), geom))

    reader = AreaReader() if level is not None else Reader()
    try:
        reader.apply_file(str(path), locations=True)
    except RuntimeError as err:
        raise InputError(f"cannot read the OpenStreetMap file: {err}", file=path,
                         fix="give an .osm.pbf or .osm extract (e.g. from download.geofabrik.de)") from None
    return OsmData(
        places=pd.DataFrame(place_rows, columns=["osm_id", "place", "name", "population_tag", "lon", "lat"]),
        coords=np.asarray(coords, float).reshape(-1, 2), keys=np.asarray(keys, np.int64),
        offsets=np.asarray(offsets, np.int64), highway=highway,
        areas=pd.DataFrame(area_rows, columns=["area_id", "name", "wkt"]))


def parse_population(tag: str) -> float | None:
    """``"1,234"`` / ``"1 234"`` / ``"约500"`` -> a number; ``None`` when no digits."""
    digits = re.sub(r"[^\d]", "", str(tag).split(";")[0].split(".")[0])
    return float(digits) if digits else None


def clip_area(bbox: tuple | None, boundary: str | None):
    """The study area as a shapely geometry in WGS84, or None for the whole file."""
    import shapely

    if bbox is not None:
        return shapely.box(*bbox)
    if boundary is not None:
        from .gis import read_layer

        layer = read_layer(boundary, what="boundary")
        return shapely.union_all(layer.geometry.to_crs(4326).values)
    return None


def import_osm(path, directory, *, bbox=None, boundary=None, village_places=VILLAGE_PLACES,
               backbone_places=BACKBONE_PLACES, backbone_file=None, counties_file=None, county_id_field=None,
               county_name_field=None, admin_level=DEFAULT_ADMIN_LEVEL, province="", terrain="plain",
               costs=None, policy=None, max_drop_km=5.0, far="keep", name=None):
    """Read, build and write the instance; returns (directory, ImportReport)."""
    import shapely

    from .common import write_imported

    road_costs = read_road_costs(costs)
    if terrain not in road_costs.per_km:
        raise InputError(f"unknown terrain '{terrain}'", column="--terrain",
                         fix=f"use one of {', '.join(road_costs.per_km)}")
    want = set(village_places) | set(backbone_places if backbone_file is None else ())
    data = read_osm(path, places=want, admin_level=None if counties_file else admin_level)
    area = clip_area(bbox, boundary)
    report = ImportReport()
    places = data.places
    if area is not None:
        places = places[shapely.contains_xy(area, places["lon"], places["lat"])]

    # roads: priced classes, inside the area (a way with any vertex inside is kept whole)
    counts = np.diff(data.offsets)
    classes = np.array(data.highway, dtype=object)
    rates = np.array([road_costs.rate(c, terrain) for c in data.highway], float)
    keep = ~np.isnan(rates) & (counts >= 2)
    if area is not None and len(data.coords):
        inside = shapely.contains_xy(area, data.coords[:, 0], data.coords[:, 1])
        starts = data.offsets[:-1]
        any_inside = np.zeros(len(counts), bool)
        nonempty = counts > 0
        any_inside[nonempty] = np.add.reduceat(inside.astype(np.int64), starts[nonempty]) > 0
        keep &= any_inside
    report.counts["osm_highway_ways"] = int(len(counts))
    report.counts["osm_ways_unpriced_class"] = int(np.isnan(rates).sum())
    lines = _subset_lines(data, keep, rates, classes, terrain)

    villages = places[places["place"].isin(village_places)].sort_values("osm_id")
    pops, defaulted = [], 0
    for place, tag in zip(villages["place"], villages["population_tag"]):
        value = parse_population(tag)
        if value is None:
            defaulted += 1
            value = DEFAULT_POPULATION.get(place, DEFAULT_POPULATION_OTHER)
        pops.append(value)
    if defaulted:
        report.assumptions.append(
            f"{defaulted} of {len(villages)} villages have no population tag: population set to "
            + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_POPULATION.items())
            + f", other places {DEFAULT_POPULATION_OTHER:g} (assumption)")
    report.assumptions.append(f"terrain '{terrain}' everywhere (--terrain; no elevation data is read)")
    report.assumptions.append("every imported village is a registered poor village (poor = true)")

    vt = pd.DataFrame({"village_id": [f"n{i}" for i in villages["osm_id"]], "name": villages["name"].tolist(),
                       "lon": villages["lon"].to_numpy(float), "lat": villages["lat"].to_numpy(float),
                       "population": pops, "poor": True, "terrain": terrain})
    counties = _counties(vt, data, counties_file, county_id_field, county_name_field, province, report)
    if backbone_file is not None:
        from .gis import read_points

        bt = read_points(backbone_file, what="backbone", id_field=None)
        bfile = str(backbone_file)
    else:
        bp = places[places["place"].isin(backbone_places)].sort_values("osm_id")
        bt = pd.DataFrame({"id": [f"n{i}" for i in bp["osm_id"]], "lon": bp["lon"].to_numpy(float),
                           "lat": bp["lat"].to_numpy(float), "name": bp["name"].tolist()})
        bfile = f"{path} (place={','.join(backbone_places)})"
    bt["terrain"] = terrain
    report.counts["osm_places"] = int(len(places))
    desc = (f"Imported from OpenStreetMap extract {Path(path).name} by `allocator import osm`. {ODBL_NOTE}")
    tables, report = assemble(
        name=name or Path(directory).name, description=desc, lines=lines,
        villages=PointLayer(vt, f"{path} (place={','.join(village_places)})", "village_id"),
        backbone=PointLayer(bt, bfile, "id"), counties=counties, costs=road_costs,
        max_drop_km=max_drop_km, far=far, cost_model=_model_ref(costs), policy_model=_model_ref(policy),
        report=report)
    written = write_imported(tables, directory, extra_files={"import-report.json": _report_json(report, path)})
    return written, report


def _model_ref(path) -> str | None:
    return None if path is None else str(Path(path).resolve())


def _report_json(report: ImportReport, source) -> str:
    import json

    return json.dumps({"source": str(Path(source).name), "licence": ODBL_NOTE, "counts": report.counts,
                       "assumptions": report.assumptions, "warnings": report.warnings,
                       "villages_without_node": [{"village_id": v, "why": w} for v, w in report.unconnected]},
                      indent=2, ensure_ascii=False, default=float) + "\n"


def _subset_lines(data: OsmData, keep: np.ndarray, rates, classes, terrain: str) -> RoadLines:
    counts = np.diff(data.offsets)
    point_keep = np.repeat(keep, counts)
    new_counts = counts[keep]
    names = sorted(set(classes[keep].tolist()))
    code = {c: i for i, c in enumerate(names)}
    return RoadLines(coords=data.coords[point_keep], offsets=np.concatenate([[0], np.cumsum(new_counts)]),
                     rate_per_km=rates[keep], road_class=np.array([code[c] for c in classes[keep]], np.int64),
                     class_names=names, terrain=np.zeros(int(keep.sum()), np.int64), terrain_names=[terrain],
                     point_keys=data.keys[point_keep])


def _counties(vt: pd.DataFrame, data: OsmData, counties_file, id_field, name_field, province: str,
              report: ImportReport) -> pd.DataFrame:
    """Assign ``vt['county_id']`` by point-in-polygon; return counties.csv rows (with simplified outlines)."""
    import shapely

    if counties_file is not None:
        from .gis import read_polygons

        polys = read_polygons(counties_file, id_field=id_field, name_field=name_field)
    else:
        polys = pd.DataFrame({"county_id": [f"r{i // 2}" if i % 2 else f"w{i // 2}" for i in data.areas["area_id"]],
                              "name": data.areas["name"].tolist(),
                              "geometry": shapely.from_wkt(data.areas["wkt"].tolist())})
    county = np.array([UNASSIGNED] * len(vt), dtype=object)
    if len(polys):
        geoms = np.asarray(polys["geometry"].tolist(), dtype=object)
        tree = shapely.STRtree(geoms)
        pi, gi = tree.query(shapely.points(vt["lon"], vt["lat"]), predicate="within")
        areas = shapely.area(geoms)
        best = {}
        for p, g in zip(pi.tolist(), gi.tolist()):
            if p not in best or (areas[g], g) < (areas[best[p]], best[p]):
                best[p] = g
        for p, g in best.items():
            county[p] = str(polys["county_id"].iloc[g])
    vt["county_id"] = county
    used = sorted(set(county.tolist()))
    rows = []
    for cid in used:
        if cid == UNASSIGNED:
            rows.append((cid, "unassigned (outside every county boundary)", province or "imported", ""))
            continue
        k = int(np.flatnonzero(polys["county_id"].astype(str).to_numpy() == cid)[0])
        outline = shapely.simplify(polys["geometry"].iloc[k], 0.0005)  # ~50 m: a map outline, not a survey
        rows.append((cid, str(polys["name"].iloc[k]) or cid, province or "imported", shapely.to_wkt(outline, rounding_precision=6)))
    n_un = int((county == UNASSIGNED).sum())
    if n_un:
        report.warnings.append(f"{n_un} village(s) in no county boundary: county '{UNASSIGNED}'")
    report.counts["counties"] = len(rows)
    return pd.DataFrame(rows, columns=["county_id", "name", "province", "boundary"])
