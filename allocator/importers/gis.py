"""``allocator import gis``: an instance from GIS layers any OGR driver reads
(GeoPackage, Shapefile, GeoJSON, FlatGeobuf, CSV with lon/lat ...), through
geopandas + pyogrio + shapely 2.

A small TOML (``--mapping``) maps the user's column names onto the schema::

    [villages]                 # every key optional; defaults in MAPPING_KEYS
    layer = "villages"         # layer name in a multi-layer file
    id = "VID"
    name = "NAME"
    population = "POP"
    county = "XZQDM"           # county code; counties.csv gets one row per code
    county_name = "XZQMC"
    poor = "PKC"               # 1/0, true/false, yes/no, 是/否
    terrain = "DX"             # plain | hills | mountain | plateau
    [roads]
    class = "DLDJ"             # the column holding the road class
    class_map = { "县道" = "secondary", "乡道" = "tertiary", "村道" = "unclassified" }
    default_class = "unclassified"
    [backbone]
    id = "POP_ID"
    [towers]
    id = "TOWER_ID"

Every problem is an :class:`~allocator.errors.InputError` naming the file,
the layer, the feature (1-based, in layer order) and a fix; what was repaired
(invalid polygons made valid, one-point multipoints) is a warning in the
import report.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import TERRAINS
from .assemble import ImportReport, PointLayer, assemble
from .gisdeps import require_gis
from .roadcosts import read_road_costs
from .roads import RoadLines

#: mapping table -> allowed keys and their default column names (None: no default)
MAPPING_KEYS = {
    "villages": {"layer": None, "crs": None, "id": "village_id", "name": "name", "population": "population",
                 "county": "county_id", "county_name": "county_name", "poor": "poor", "terrain": "terrain",
                 "school": "school", "clinic": "clinic", "lon": "lon", "lat": "lat"},
    "roads": {"layer": None, "crs": None, "class": "highway", "class_map": None, "default_class": "unclassified",
              "terrain": "terrain", "lon": None, "lat": None},
    "backbone": {"layer": None, "crs": None, "id": "id", "name": "name", "lon": "lon", "lat": "lat"},
    "towers": {"layer": None, "crs": None, "id": "id", "lon": "lon", "lat": "lat"},
    "counties": {"layer": None, "crs": None, "id": "county_id", "name": "name"},
}
REQUIRED = {"villages": ("id", "population")}
SHOWN = 10
TRUE = {"1", "true", "yes", "y", "t", "是", "x"}
FALSE = {"0", "false", "no", "n", "f", "否", ""}


def read_mapping(path) -> dict:
    """The mapping TOML, every key checked; tables absent take the defaults."""
    from ..io.tomlsource import read_toml

    data = {}
    if path is not None:
        data, _, _ = read_toml(Path(path), what="mapping")
    for table, value in data.items():
        if table not in MAPPING_KEYS:
            raise InputError(f"unknown table [{table}]", file=path, column=table,
                             fix=f"use one of {', '.join('[' + t + ']' for t in MAPPING_KEYS)}")
        for key in value:
            if key not in MAPPING_KEYS[table]:
                raise InputError(f"unknown key '{key}' in [{table}]", file=path, column=f"{table}.{key}",
                                 fix=f"use one of {', '.join(MAPPING_KEYS[table])}")
    return {t: {**MAPPING_KEYS[t], **data.get(t, {})} for t in MAPPING_KEYS} | {"_file": str(path) if path else None}


def _where(path, layer) -> str:
    return f"{path}" + (f" (layer '{layer}')" if layer else "")


def read_layer(path, *, what: str, spec: dict | None = None, report: ImportReport | None = None):
    """A layer as a GeoDataFrame in EPSG:4326; CSV without geometry: points from the lon/lat columns."""
    require_gis(f"reading the {what} layer")
    import geopandas as gpd
    import pyogrio

    spec = spec or {}
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path, fix=f"give the path of the {what} layer")
    layer = spec.get("layer")
    try:
        layers = pyogrio.list_layers(path)
    except Exception as err:  # noqa: BLE001 - pyogrio raises several DataSourceError kinds
        raise InputError(f"OGR cannot open the {what} layer: {err}", file=path,
                         fix="give a GeoPackage, Shapefile, GeoJSON, FlatGeobuf or CSV file") from None
    names = [str(x) for x in layers[:, 0]]
    if layer is None and len(names) > 1:
        raise InputError(f"the file has {len(names)} layers ({', '.join(names[:8])}); which is the {what} layer?",
                         file=path, fix=f"set layer = \"...\" under [{what}] in the mapping TOML")
    if layer is not None and layer not in names:
        raise InputError(f"no layer '{layer}' (layers: {', '.join(names)})", file=path,
                         fix=f"correct layer under [{what}] in the mapping TOML")
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as err:  # noqa: BLE001
        raise InputError(f"cannot read the {what} layer: {err}", file=_where(path, layer)) from None
    where = _where(path, layer)
    if "geometry" not in gdf or gdf.geometry.isna().all() and path.suffix.lower() == ".csv":
        lon, lat = spec.get("lon") or "lon", spec.get("lat") or "lat"
        if lon not in gdf.columns or lat not in gdf.columns:
            raise InputError(f"the {what} table has no geometry and no '{lon}'/'{lat}' columns", file=where,
                             fix=f"add lon and lat columns (degrees), or set lon/lat under [{what}] in the mapping")
        x = pd.to_numeric(gdf[lon], errors="coerce")
        y = pd.to_numeric(gdf[lat], errors="coerce")
        bad = np.flatnonzero((x.isna() | y.isna()).to_numpy())
        if len(bad):
            raise InputError(f"feature {bad[0] + 1}: '{lon}'/'{lat}' is not a number", file=where,
                             line=int(bad[0]) + 2, fix="fill in the coordinates in degrees")
        gdf = gpd.GeoDataFrame(gdf.drop(columns=[c for c in ("geometry",) if c in gdf]),
                               geometry=gpd.points_from_xy(x, y), crs=spec.get("crs") or "EPSG:4326")
        if report is not None and not spec.get("crs"):
            report.assumptions.append(f"{where}: lon/lat read as WGS84 (EPSG:4326); set crs under [{what}] otherwise")
    if gdf.crs is None:
        if spec.get("crs"):
            gdf = gdf.set_crs(spec["crs"])
        else:
            raise InputError(f"the {what} layer has no coordinate reference system (CRS)", file=where,
                             fix=f"assign it in QGIS (Layer > Set CRS) and save, or set crs = \"EPSG:4326\" "
                                 f"(its real CRS) under [{what}] in the mapping TOML")
    gdf = _check_geometries(gdf, what=what, where=where, report=report)
    return gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf


_FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
           "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}
_EXPECTED = {"villages": "point", "backbone": "point", "towers": "point", "roads": "line", "counties": "polygon",
             "boundary": "polygon"}


def _check_geometries(gdf, *, what: str, where: str, report: ImportReport | None):
    import shapely

    geoms = gdf.geometry.values
    empty = np.flatnonzero(gdf.geometry.isna().to_numpy() | shapely.is_empty(geoms))
    if len(empty):
        rows = ", ".join(str(i + 1) for i in empty[:SHOWN])
        raise InputError(f"{len(empty)} feature(s) with an empty or missing geometry: feature(s) {rows}",
                         file=where, fix="delete these features or draw their geometry")
    types = gdf.geometry.geom_type.to_numpy()
    families = np.array([_FAMILY.get(t, t) for t in types])
    expected = _EXPECTED[what]
    odd = np.flatnonzero(families != expected)
    if len(odd):
        kinds = sorted(set(types.tolist()))
        raise InputError(f"mixed geometry types ({', '.join(kinds)}): the {what} layer must hold only "
                         f"{expected}s; feature {odd[0] + 1} is a {types[odd[0]]}", file=where,
                         fix=f"keep only {expected} features in this layer (split it in QGIS by geometry type)")
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        fixed = shapely.make_valid(geoms[invalid])
        broken = [int(i) for i, g in zip(invalid, fixed) if shapely.is_empty(g)
                  or _FAMILY.get(shapely.get_type_id(g) and g.geom_type, "") != expected]
        if broken:
            reason = shapely.is_valid_reason(geoms[broken[0]])
            raise InputError(f"feature {broken[0] + 1} has an invalid geometry that cannot be repaired ({reason})",
                             file=where, fix="fix it in QGIS (Vector > Geometry Tools > Check Validity)")
        gdf = gdf.copy()
        gdf.loc[gdf.index[invalid], gdf.geometry.name] = fixed
        if report is not None:
            report.warnings.append(f"{where}: {len(invalid)} invalid geometr(y/ies) repaired with make_valid "
                                   f"(features {', '.join(str(i + 1) for i in invalid[:SHOWN])})")
    if expected == "point":
        multi = np.flatnonzero(types == "MultiPoint")
        if len(multi):
            counts = shapely.get_num_geometries(gdf.geometry.values[multi])
            if (counts > 1).any():
                i = int(multi[np.flatnonzero(counts > 1)[0]])
                raise InputError(f"feature {i + 1} is a MultiPoint with several points", file=where,
                                 fix="split it into one point per feature (QGIS: Multipart to singleparts)")
            gdf = gdf.copy()
            gdf.loc[gdf.index[multi], gdf.geometry.name] = shapely.get_geometry(gdf.geometry.values[multi], 0)
            if report is not None:
                report.warnings.append(f"{where}: {len(multi)} one-point MultiPoint(s) read as Point")
    return gdf


def _column(gdf, table: str, key: str, spec: dict, where: str, mapping_file, *, required: bool):
    col = spec.get(key)
    if col is not None and col in gdf.columns:
        return gdf[col]
    explicit = col is not None and col != MAPPING_KEYS[table].get(key)
    if required or explicit:
        have = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(f"{'mapped' if explicit else 'required'} column '{col}' ({table}.{key}) not in the layer "
                         f"(columns: {have})", file=where, column=col,
                         fix=f"set {key} = \"<your column>\" under [{table}] in the mapping TOML"
                             + (f" ({mapping_file})" if mapping_file else " (--mapping FILE)"))
    return None


def _ids(series, where: str, what: str) -> list:
    ids = [str(int(x)) if isinstance(x, float) and x.is_integer() else str(x).strip() for x in series]
    empty = [i for i, x in enumerate(ids) if x in ("", "nan", "None")]
    if empty:
        raise InputError(f"feature {empty[0] + 1}: empty {what} id", file=where, fix="give every feature an id")
    seen: dict = {}
    dups = []
    for i, x in enumerate(ids):
        if x in seen:
            dups.append((x, seen[x] + 1, i + 1))
        seen.setdefault(x, i)
    if dups:
        listed = "; ".join(f"'{x}' (features {a} and {b})" for x, a, b in dups[:SHOWN])
        raise InputError(f"{len(dups)} duplicate {what} id(s): {listed}", file=where,
                         fix="make the ids unique (or map another column as the id)")
    return ids


def _bools(series, where: str, column: str) -> list:
    out = []
    for i, x in enumerate(series):
        s = str(x).strip().lower() if not (isinstance(x, float) and math.isnan(x)) else ""
        if isinstance(x, (bool, np.bool_)):
            out.append(bool(x))
        elif s in TRUE or s.replace(".0", "") in TRUE:
            out.append(True)
        elif s in FALSE or s.replace(".0", "") in FALSE:
            out.append(False)
        else:
            raise InputError(f"feature {i + 1}: '{x}' is not yes/no", file=where, column=column,
                             fix="write 1/0, true/false, yes/no or 是/否")
    return out


def read_points(path, *, what: str, id_field: str | None, spec: dict | None = None,
                report: ImportReport | None = None) -> pd.DataFrame:
    """A point layer as a table id, lon, lat (+ name and terrain when the layer has them)."""
    spec = dict(spec or MAPPING_KEYS.get(what, MAPPING_KEYS["backbone"]))
    if id_field:
        spec["id"] = id_field
    gdf = read_layer(path, what=what, spec=spec, report=report)
    where = _where(path, spec.get("layer"))
    col = spec.get("id")
    ids = _ids(gdf[col], where, what) if col in gdf.columns else [str(i + 1) for i in range(len(gdf))]
    out = pd.DataFrame({"id": ids, "lon": gdf.geometry.x.to_numpy(), "lat": gdf.geometry.y.to_numpy()})
    if spec.get("name") in gdf.columns:
        out["name"] = gdf[spec["name"]].astype(str).to_numpy()
    return out


def read_polygons(path, *, id_field: str | None, name_field: str | None) -> pd.DataFrame:
    """County polygons: county_id, name, geometry (shapely, WGS84)."""
    spec = dict(MAPPING_KEYS["counties"])
    spec["id"] = id_field or spec["id"]
    spec["name"] = name_field or spec["name"]
    gdf = read_layer(path, what="counties", spec=spec)
    where = _where(path, None)
    if spec["id"] not in gdf.columns:
        raise InputError(f"no column '{spec['id']}' for the county id", file=where, column=spec["id"],
                         fix="name the id column with --county-id-field")
    ids = _ids(gdf[spec["id"]], where, "county")
    names = gdf[spec["name"]].astype(str).tolist() if spec["name"] in gdf.columns else ids
    return pd.DataFrame({"county_id": ids, "name": names, "geometry": list(gdf.geometry.values)})


def node_crossings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines cut wherever they cross or touch (GEOS noding, ``shapely.node``), each piece
    with the index of the line it came from. GIS road layers are often digitised without a
    vertex where two roads cross; OpenStreetMap is not noded this way (a bridge has no
    shared node)."""
    import shapely

    pieces = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    (pi, src) = shapely.STRtree(geoms).query_nearest(mid, all_matches=False)
    source = np.empty(len(pieces), np.int64)
    source[pi] = src
    return pieces, source


def road_lines(gdf, spec: dict, where: str, costs, terrain_default: str, report: ImportReport,
               *, crossings: bool = True) -> RoadLines:
    """Road features -> flat line arrays priced by class and terrain (multi-lines exploded;
    cut at crossings when ``crossings``)."""
    import shapely

    classes = (gdf[spec["class"]].astype(str).tolist() if spec.get("class") in gdf.columns
               else [spec["default_class"]] * len(gdf))
    class_map = spec.get("class_map") or {}
    classes = [class_map.get(c, c) for c in classes]
    if spec.get("class") not in gdf.columns:
        report.assumptions.append(f"{where}: no road class column '{spec.get('class')}': every road is "
                                  f"'{spec['default_class']}'")
    unknown = sorted({c for c in classes if c not in costs.factor})
    if unknown:
        raise InputError(f"road class(es) not priced by the cost model's [roads] table: {', '.join(unknown[:SHOWN])}",
                         file=where, column=spec.get("class"),
                         fix="map them onto priced classes with class_map = { \"...\" = \"tertiary\" } under [roads] "
                             f"in the mapping TOML (priced: {', '.join(sorted(costs.factor))})")
    terr = (gdf[spec["terrain"]].astype(str).tolist() if spec.get("terrain") in gdf.columns
            else [terrain_default] * len(gdf))
    bad = [i for i, t in enumerate(terr) if t not in TERRAINS]
    if bad:
        raise InputError(f"feature {bad[0] + 1}: unknown terrain '{terr[bad[0]]}'", file=where,
                         column=spec.get("terrain"), fix=f"use one of {', '.join(TERRAINS)}")
    parts, index = shapely.get_parts(gdf.geometry.values, return_index=True)
    if crossings and len(parts):
        n_before = len(parts)
        parts, source = node_crossings(parts)
        index = index[source]
        report.counts["road_pieces_after_noding"] = int(len(parts))
        report.counts["road_parts_before_noding"] = int(n_before)
    coords, counts = [], []
    for g in parts:
        c = shapely.get_coordinates(g)
        coords.append(c)
        counts.append(len(c))
    names = sorted(set(classes))
    code = {c: i for i, c in enumerate(names)}
    tnames = list(TERRAINS)
    rates = np.array([costs.rate(classes[i], terr[i]) for i in index], float)
    return RoadLines(coords=np.vstack(coords) if coords else np.zeros((0, 2)),
                     offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), rate_per_km=rates,
                     road_class=np.array([code[classes[i]] for i in index], np.int64), class_names=names,
                     terrain=np.array([tnames.index(terr[i]) for i in index], np.int64), terrain_names=tnames)


def import_gis(directory, *, villages, roads, backbone, towers=None, mapping=None, costs=None, policy=None,
               max_drop_km=2.0, far="error", terrain="plain", province="imported", name=None,
               crossings: bool = True):
    """Read the layers, build and write the instance; returns (directory, ImportReport)."""
    from .common import write_imported

    spec = read_mapping(mapping)
    mfile = spec["_file"]
    report = ImportReport()
    road_costs = read_road_costs(costs)
    vs = spec["villages"]
    vg = read_layer(villages, what="villages", spec=vs, report=report)
    vwhere = _where(villages, vs.get("layer"))
    ids = _ids(_column(vg, "villages", "id", vs, vwhere, mfile, required=True), vwhere, "village")
    pop = pd.to_numeric(_column(vg, "villages", "population", vs, vwhere, mfile, required=True), errors="coerce")
    badpop = np.flatnonzero((pop.isna() | (pop < 0)).to_numpy())
    if len(badpop):
        raise InputError(f"feature {badpop[0] + 1}: population '{vg[vs['population']].iloc[badpop[0]]}' is not a "
                         f"number >= 0", file=vwhere, column=vs["population"], fix="fill in the residents")
    names = _column(vg, "villages", "name", vs, vwhere, mfile, required=False)
    county = _column(vg, "villages", "county", vs, vwhere, mfile, required=False)
    county_ids = ([str(int(x)) if isinstance(x, float) and x.is_integer() else str(x) for x in county]
                  if county is not None else ["c1"] * len(vg))
    poor = _column(vg, "villages", "poor", vs, vwhere, mfile, required=False)
    terr = _column(vg, "villages", "terrain", vs, vwhere, mfile, required=False)
    vt = pd.DataFrame({"village_id": ids, "county_id": county_ids,
                       "name": names.astype(str).tolist() if names is not None else "",
                       "lon": vg.geometry.x.to_numpy(), "lat": vg.geometry.y.to_numpy(),
                       "population": pop.to_numpy(float),
                       "poor": _bools(poor, vwhere, vs["poor"]) if poor is not None else True,
                       "terrain": terr.astype(str).tolist() if terr is not None else terrain})
    badt = np.flatnonzero(~vt["terrain"].isin(TERRAINS).to_numpy())
    if len(badt):
        raise InputError(f"feature {badt[0] + 1}: unknown terrain '{vt['terrain'].iloc[badt[0]]}'", file=vwhere,
                         column=vs["terrain"], fix=f"use one of {', '.join(TERRAINS)}")
    for flag in ("school", "clinic"):
        col = _column(vg, "villages", flag, vs, vwhere, mfile, required=False)
        if col is not None:
            vt[flag] = _bools(col, vwhere, vs[flag])
    if poor is None:
        report.assumptions.append("no 'poor' column: every village is a registered poor village")
    cname = _column(vg, "villages", "county_name", vs, vwhere, mfile, required=False)
    cnames = dict(zip(county_ids, cname.astype(str))) if cname is not None else {}
    codes = sorted(set(county_ids))
    counties = pd.DataFrame({"county_id": codes, "name": [cnames.get(c, c) for c in codes], "province": province,
                             "adcode": [c if len(c) == 6 and c.isdigit() else "" for c in codes]})

    rs = spec["roads"]
    rg = read_layer(roads, what="roads", spec=rs, report=report)
    lines = road_lines(rg, rs, _where(roads, rs.get("layer")), road_costs, terrain, report, crossings=crossings)
    bt = read_points(backbone, what="backbone", id_field=None, spec=spec["backbone"], report=report)
    tt = (read_points(towers, what="towers", id_field=None, spec=spec["towers"], report=report)
          if towers is not None else None)
    for points in (bt, tt):  # the connector of a point of presence or tower is priced at --terrain
        if points is not None:
            points["terrain"] = terrain
    tables, report = assemble(
        name=name or Path(directory).name,
        description=f"Imported from GIS layers ({Path(villages).name}, {Path(roads).name}) by `allocator import gis`",
        lines=lines, villages=PointLayer(vt, vwhere, vs["id"]), backbone=PointLayer(bt, str(backbone), "id"),
        towers=PointLayer(tt, str(towers), "id") if tt is not None else None, counties=counties,
        costs=road_costs, max_drop_km=max_drop_km, far=far,
        cost_model=None if costs is None else str(Path(costs).resolve()),
        policy_model=None if policy is None else str(Path(policy).resolve()), report=report)
    text = json.dumps({"sources": [str(villages), str(roads), str(backbone)] + ([str(towers)] if towers else []),
                       "counts": report.counts, "assumptions": report.assumptions, "warnings": report.warnings,
                       "villages_without_node": [{"village_id": v, "why": w} for v, w in report.unconnected]},
                      indent=2, ensure_ascii=False, default=float) + "\n"
    return write_imported(tables, directory, extra_files={"import-report.json": text}), report
