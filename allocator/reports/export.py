"""A plan as GIS layers QGIS opens: a GeoPackage (one file, several layers) or
GeoJSON files (one per layer, for the web), written with geopandas + pyogrio.

Layers (WGS84, EPSG:4326; field names are the plan's own column names):

- ``villages``      points: technology, status (new / existing / not covered), cost ...
- ``trenches``      lines: every trench built, along the road it follows
                    (the instance's edge geometry), else straight
- ``sites``         points: every 4G site opened, with its radius_km
- ``site_reach``    polygons: the geodesic circle of each opened site's radius
- ``backbone``, ``roads``, ``counties``: context, when the instance has them

The layers are the ones ``allocator report`` writes as GeoJSON
(:func:`allocator.reports.geo.build_layers`), so both agree.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..importers.gisdeps import require_gis
from ..io.atomic import atomic_output_dir
from .geo import CONTEXT_LAYERS, build_layers

FORMATS = {"gpkg": "GPKG", "geojson": "GeoJSON"}
#: layer name in the export -> name in build_layers
EXPORT_LAYERS = {"villages": "villages", "trenches": "fiber_routes", "sites": "sites"}
REACH_VERTICES = 72


def reach_polygon(lon: float, lat: float, radius_km: float) -> list:
    """A geodesic circle (ring of lon/lat points) of ``radius_km`` around a point."""
    from pyproj import Geod

    az = np.linspace(0.0, 360.0, REACH_VERTICES, endpoint=False)
    lons, lats, _ = Geod(ellps="WGS84").fwd(np.full(len(az), lon), np.full(len(az), lat), az,
                                            np.full(len(az), radius_km * 1000.0))
    ring = [[float(x), float(y)] for x, y in zip(lons, lats)]
    return ring + [ring[0]]


def export_layers(instance, plan) -> dict:
    """Layer name -> list of GeoJSON features (empty layers left out, except the three plan layers)."""
    layers = build_layers(instance, plan)
    out = {name: layers.features.get(src, []) for name, src in EXPORT_LAYERS.items()}
    reach = []
    for f in out["sites"]:
        r = f["properties"].get("radius_km")
        if r:
            lon, lat = f["geometry"]["coordinates"]
            reach.append({"type": "Feature", "properties": dict(f["properties"]),
                          "geometry": {"type": "Polygon", "coordinates": [reach_polygon(lon, lat, r)]}})
    out["site_reach"] = reach
    for name in CONTEXT_LAYERS:
        if layers.features.get(name):
            out[name] = layers.features[name]
    return out


def _frame(features: list, kind: str):
    import geopandas as gpd

    if features:
        return gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    return gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


_KINDS = {"villages": "Point", "trenches": "LineString", "sites": "Point", "site_reach": "Polygon",
          "backbone": "Point", "roads": "LineString", "counties": "MultiPolygon"}


def export_plan(instance, plan, output, *, fmt: str | None = None) -> list[Path]:
    """Write the layers to ``output`` (a .gpkg file, or a directory of .geojson files); returns the paths."""
    require_gis("allocator export", ("geopandas", "pyogrio", "shapely", "pyproj"))
    output = Path(output)
    fmt = fmt or ("geojson" if output.suffix.lower() in (".geojson", ".json", "") else "gpkg")
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'", column="--format", fix=f"use one of {', '.join(FORMATS)}")
    layers = export_layers(instance, plan)
    if fmt == "gpkg":
        if output.exists() and output.is_dir():
            raise InputError("output is a directory", file=output, fix="give a file name ending in .gpkg")
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".gpkg", dir=output.parent)
        os.close(fd)
        os.unlink(tmp)  # GDAL creates the file itself
        try:
            for name, feats in layers.items():
                _frame(feats, _KINDS[name]).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
            os.replace(tmp, output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return [output]
    paths = []
    with atomic_output_dir(output) as tmp_dir:
        for name, feats in layers.items():
            _frame(feats, _KINDS[name]).to_file(tmp_dir / f"{name}.geojson", driver="GeoJSON", engine="pyogrio")
            paths.append(output / f"{name}.geojson")
    return paths
