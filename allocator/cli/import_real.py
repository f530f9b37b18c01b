"""``allocator import osm`` and ``allocator import gis``: instances from real data
(OpenStreetMap extracts, GIS layers). Registered under ``allocator import`` by
:mod:`allocator.cli.import_`; see docs/importers.md."""
from __future__ import annotations

import argparse
import sys

from ..errors import OptionsError


def _bbox(text: str) -> tuple:
    try:
        w, s, e, n = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("write W,S,E,N in degrees, e.g. 101.0,27.5,101.6,28.1") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise argparse.ArgumentTypeError("need W < E within [-180, 180] and S < N within [-90, 90]")
    return (w, s, e, n)


def _names(text: str) -> tuple:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _common(sub) -> None:
    sub.add_argument("-o", "--output", metavar="DIR", required=True,
                     help="instance directory to write (replaced if it is an instance already)")
    sub.add_argument("--costs", metavar="TOML", help="cost model (default models/costs/china-2018.toml); its "
                                                     "[roads] table prices trenches by road class")
    sub.add_argument("--policy", metavar="TOML", help="policy model (default models/policy/miit-2018-2020.toml)")
    sub.add_argument("--terrain", default="plain", help="terrain class of roads and villages that carry none "
                                                        "(plain, hills, mountain, plateau; default plain)")
    sub.add_argument("--name", help="instance name (default: the output directory's name)")


def register_real(formats) -> None:
    osm = formats.add_parser(
        "osm", help="OpenStreetMap extract (.osm.pbf) -> instance on its real roads",
        description="Build an instance from an OpenStreetMap extract: villages from place=* nodes, points of "
                    "presence from towns/cities (or a layer), trenches along highway=* ways, 4G sites at "
                    "villages. Needs the gis extra. See docs/importers.md.")
    osm.add_argument("file", metavar="FILE", help="the .osm.pbf extract")
    area = osm.add_mutually_exclusive_group()
    area.add_argument("--bbox", type=_bbox, metavar="W,S,E,N", help="keep only this box (degrees)")
    area.add_argument("--boundary", metavar="POLYGON_FILE", help="keep only what lies in this polygon layer")
    osm.add_argument("--village-places", type=_names, default=("village", "hamlet", "isolated_dwelling"),
                     metavar="A,B", help="place=* values that are villages (default village,hamlet,isolated_dwelling)")
    osm.add_argument("--backbone-places", type=_names, default=("town", "city"), metavar="A,B",
                     help="place=* values that are fiber points of presence (default town,city)")
    osm.add_argument("--backbone", metavar="POINTS_FILE", help="points of presence from a layer instead")
    osm.add_argument("--counties", metavar="POLYGON_FILE", help="county polygons (instead of the OSM boundaries)")
    osm.add_argument("--county-id-field", metavar="COLUMN", help="id column of --counties (default county_id)")
    osm.add_argument("--county-name-field", metavar="COLUMN", help="name column of --counties (default name)")
    osm.add_argument("--admin-level", type=int, default=6, metavar="N",
                     help="admin_level of the boundary=administrative areas that are counties (default 6, "
                          "China's county level)")
    osm.add_argument("--province", default="", help="province name written into counties.csv")
    osm.add_argument("--max-drop-km", type=float, default=5.0, metavar="KM",
                     help="farthest a village may be from a road to get a fiber drop (default 5)")
    osm.add_argument("--far", choices=("keep", "error"), default="keep",
                     help="a village farther than --max-drop-km: keep it without fiber (default), or stop")
    _common(osm)
    osm.set_defaults(func=run_osm)

    gis = formats.add_parser(
        "gis", help="GIS layers (GeoPackage, Shapefile, GeoJSON, CSV ...) -> instance",
        description="Build an instance from GIS layers OGR reads: village points, road lines, points of presence "
                    "and optional existing towers; --mapping maps your column names. Needs the gis extra. "
                    "See docs/importers.md.")
    gis.add_argument("--villages", metavar="V", required=True, help="village points")
    gis.add_argument("--roads", metavar="R", required=True, help="road lines")
    gis.add_argument("--backbone", metavar="B", required=True, help="fiber points of presence")
    gis.add_argument("--towers", metavar="T", help="existing cell towers (extra candidate 4G sites)")
    gis.add_argument("--mapping", metavar="TOML", help="column mapping (docs/importers.md)")
    gis.add_argument("--province", default="imported", help="province name written into counties.csv")
    gis.add_argument("--no-node-crossings", dest="crossings", action="store_false",
                     help="join roads only where they share a vertex (default: also where they cross, since "
                          "road layers are often digitised without a vertex there)")
    gis.add_argument("--max-drop-km", type=float, default=2.0, metavar="KM",
                     help="farthest a village may be from a road (default 2); farther ones are listed")
    gis.add_argument("--far", choices=("error", "keep"), default="error",
                     help="a village farther than --max-drop-km: stop and list them (default), or keep it "
                          "without fiber")
    _common(gis)
    gis.set_defaults(func=run_gis)


def _check(args) -> None:
    if not args.max_drop_km > 0:
        raise OptionsError(f"--max-drop-km must be > 0, got {args.max_drop_km:g}", column="--max-drop-km",
                           fix="give a distance in km, e.g. --max-drop-km 2")


def _print(directory, report) -> None:
    for text in report.assumptions:
        print(f"assumption: {text}", file=sys.stderr)
    for text in report.warnings:
        print(f"warning: {text}", file=sys.stderr)
    c = report.counts
    print(f"imported -> {directory}: {c.get('villages', 0)} villages ({c.get('villages_with_node', 0)} on the "
          f"network), {c.get('backbone_points', 0)} points of presence, {c.get('network_nodes', 0)} nodes, "
          f"{c.get('network_edges', 0)} edges, {c.get('trench_km', 0):.1f} km of candidate trench "
          f"(details in {directory}/import-report.json)", file=sys.stderr)


def run_osm(args) -> int:
    from ..importers.osm import import_osm

    _check(args)
    directory, report = import_osm(
        args.file, args.output, bbox=args.bbox, boundary=args.boundary, village_places=args.village_places,
        backbone_places=args.backbone_places, backbone_file=args.backbone, counties_file=args.counties,
        county_id_field=args.county_id_field, county_name_field=args.county_name_field,
        admin_level=args.admin_level, province=args.province, terrain=args.terrain, costs=args.costs,
        policy=args.policy, max_drop_km=args.max_drop_km, far=args.far, name=args.name)
    _print(directory, report)
    return 0


def run_gis(args) -> int:
    from ..importers.gis import import_gis

    _check(args)
    directory, report = import_gis(
        args.output, villages=args.villages, roads=args.roads, backbone=args.backbone, towers=args.towers,
        mapping=args.mapping, costs=args.costs, policy=args.policy, max_drop_km=args.max_drop_km, far=args.far,
        terrain=args.terrain, province=args.province, name=args.name, crossings=args.crossings)
    _print(directory, report)
    return 0
