"""``allocator report DIR PLAN_DIR -o OUT``: Excel workbook, HTML report, HTML map and GIS layers of a plan."""
from __future__ import annotations

from .options import Output, add_common_options


def register(sub) -> None:
    p = sub.add_parser("report", help="write report.xlsx, report.html, map.html and layers/ for a plan",
                       description="Reports for any plan: the province ranking of registered poor villages with "
                                   "broadband before and after (plan 十七), the ledger (台账) of villages still "
                                   "without broadband with their cheapest option, cost by technology, province and "
                                   "group, as an Excel workbook, a self-contained HTML report with charts, a "
                                   "pan-and-click HTML map and GeoJSON layers for QGIS.")
    p.add_argument("instance", metavar="DIR", help="instance directory (the base, for a what-if plan)")
    p.add_argument("plan", metavar="PLAN_DIR", help="plan directory")
    p.add_argument("--frontier", metavar="FRONTIER_DIR", help="add the frontier written by `allocator frontier`")
    p.add_argument("--title", help="report title")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of report.html and map.html: en (default) or zh (Chinese, amounts in 万元/亿元)")
    add_common_options(p, output=Output("report", "output folder (replaced as a whole if allocator wrote it)",
                                        metavar="OUT", required=True, inputs=("instance", "plan", "frontier")))
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.frontier import read_frontier
    from ..io import load_instance
    from ..plan_io import read_plan
    from ..reports.bundle import write_report
    from ..analysis.whatif import read_scenario_record

    record = read_scenario_record(args.plan)
    overrides = (record or {}).get("overrides") or None
    instance = load_instance(args.instance, overrides=overrides)
    plan = read_plan(args.plan, instance)
    frontier = read_frontier(args.frontier) if args.frontier else None
    if args.lang == "zh":
        title = args.title or (f"宽带规划报告：{instance.name}" + (f"（情景 {record['name']}）" if record else ""))
    else:
        title = args.title or (f"Broadband plan report: {instance.name}"
                               + (f" (scenario {record['name']})" if record else ""))
    result = write_report(instance, plan, args.output, frontier=frontier, title=title, lang=args.lang)
    for f in result.files:
        print(f"written: {args.output}/{f}")
    for note in result.notes:
        print(f"note: {note}")
    return 0
