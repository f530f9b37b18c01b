"""``allocator verify DIR PLAN_DIR``: re-check any plan directory against its instance.

Exit 0 and the recomputed totals when the plan keeps every rule; exit 5 with
every violation otherwise; exit 2 on a bad instance or plan file. A plan written
by `allocator whatif` is checked against DIR with its recorded scenario applied
(PLAN_DIR/scenario.json), the instance it was solved on.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import VerificationError
from .options import add_common_options


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="check a plan directory against its instance (exit 5 on a violation)",
        description="Recompute, independently of the solver, every rule a plan must keep (budget, floors, "
                    "fiber connectivity, 4G reach and backhaul, satellite capacity, schools, clinics, "
                    "policy rules) and the plan's stated objective. Works on hand-edited plans.")
    parser.add_argument("instance", metavar="DIR", help="instance directory")
    parser.add_argument("plan", metavar="PLAN_DIR", help="plan directory (written by `allocator solve -o`)")
    add_common_options(parser, quiet_help="print nothing when the plan is valid")
    parser.add_argument("--ignore-scenario", action="store_true",
                        help="check a what-if plan against DIR as it is, not under the scenario recorded in "
                             "PLAN_DIR/scenario.json (which is applied by default)")
    parser.set_defaults(func=run)


def _money(x, currency: str) -> str:
    return "none" if x is None else f"{float(x):,.2f} {currency}".rstrip()


def _scenario_line(record: dict, plan_dir) -> str:
    from ..analysis.whatif import SCENARIO_FILE

    what = record.get("description") or "no description"
    return f"scenario {record.get('name', '')!r} applied (from {Path(plan_dir) / SCENARIO_FILE}): {what}"


def run(args) -> int:
    from ..plan_io import read_plan
    from ..verify import verify
    from ..analysis.whatif import instance_for_plan

    instance, record = instance_for_plan(args.instance, args.plan, ignore_scenario=args.ignore_scenario)
    plan = read_plan(args.plan, instance)
    report = verify(instance, plan.decision, summary=plan.summary)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not report.ok:
        if record is not None:  # the violations are those of the scenario's rules: say which instance
            print(f"allocator verify: {_scenario_line(record, args.plan)}", file=sys.stderr)
        raise VerificationError(report.violations)
    if not args.quiet:
        r, cur = report.recomputed, instance.currency
        techs = ", ".join(f"{t} {n:,}" for t, n in r["by_technology"].items())
        under = f" under scenario {record.get('name', '')!r}" if record is not None else ""
        print(f"OK: plan {args.plan} keeps every rule of instance {instance.name!r}{under}")
        if record is not None:
            print(f"  {_scenario_line(record, args.plan)}")
        print(f"  objective ({r['objective_kind']}): {r['objective']:,.6g}")
        print(f"  total cost ({r['budget_measure']}): {_money(r['total_cost'], cur)}  budget: "
              f"{_money(r['budget'], cur)}")
        print(f"  capex {_money(r['total_capex'], cur)}, opex {_money(r['total_opex'], cur)}/year, "
              f"TCO {_money(r['total_tco'], cur)}")
        print(f"  villages covered: {r['villages_covered']:,} of {r['villages_total']:,} (new: {techs})")
        for group, share in r["groups"].items():
            floor = instance.policy.floors()[group]
            shown = "no registered poor village" if share is None else f"{100 * share:.2f}%"
            print(f"  group {group}: {shown} covered (floor {100 * floor:.2f}%)")
    return 0
