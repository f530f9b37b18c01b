"""``allocator export DIR PLAN_DIR -o plan.gpkg``: a plan as GIS layers (GeoPackage or GeoJSON)."""
from __future__ import annotations

import sys

from .options import Output, add_common_options


def register(sub) -> None:
    p = sub.add_parser("export", help="write a plan as GIS layers: GeoPackage (QGIS) or GeoJSON (web)",
                       description="Write a verified plan as GIS layers in WGS84: villages with their technology, "
                                   "trenches built along the real roads (when the instance carries road "
                                   "geometry), opened 4G sites and their reach, and the points of presence, road "
                                   "network and county outlines when the instance has them. Needs the gis extra. "
                                   "See docs/importers.md.")
    p.add_argument("instance", metavar="DIR", help="instance directory (the base, for a what-if plan)")
    p.add_argument("plan", metavar="PLAN_DIR", help="plan directory")
    p.add_argument("--format", choices=("gpkg", "geojson"), help="default: from the output name (.gpkg or not)")
    add_common_options(p, output=Output(
        "gis layers", "a .gpkg file, or for --format geojson a folder of .geojson files (replaced only if "
                      "allocator wrote it)", metavar="FILE", required=True, inputs=("instance", "plan"),
        file=None))
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import VerificationError
    from ..importers.gisdeps import require_gis
    from ..io import load_instance
    from ..plan_io import read_plan
    from ..reports.export import export_plan
    from ..verify import verify
    from ..analysis.whatif import read_scenario_record

    require_gis("allocator export")
    record = read_scenario_record(args.plan)
    instance = load_instance(args.instance, overrides=(record or {}).get("overrides") or None)
    plan = read_plan(args.plan, instance)
    report = verify(instance, plan.decision, summary=plan.summary)
    if not report.ok:
        raise VerificationError(report.violations)
    for path in export_plan(instance, plan, args.output, fmt=args.format):
        if not args.quiet:
            print(f"written: {path}", file=sys.stderr)
    return 0
