"""``allocator diff PLAN_A PLAN_B``: villages whose technology changed, and why."""
from __future__ import annotations

from .options import Output, add_common_options, non_negative_int


def register(sub) -> None:
    p = sub.add_parser("diff", help="list the villages whose technology differs between two plans, with the reason",
                       description="Compare two plan directories village by village. The reason column says what "
                                   "changed for the village between the two instances: rule, floor, priority, "
                                   "cost, budget, or other (see docs/whatif.md). Plans written by `allocator "
                                   "whatif` know their instance; other plans need --instance.")
    p.add_argument("plan_a", metavar="PLAN_A", help="first plan directory")
    p.add_argument("plan_b", metavar="PLAN_B", help="second plan directory")
    p.add_argument("--instance", metavar="DIR", help="instance directory of PLAN_A (and of PLAN_B unless "
                                                     "--instance-b)")
    p.add_argument("--instance-b", metavar="DIR", help="instance directory of PLAN_B")
    p.add_argument("--limit", type=non_negative_int, default=50, help="villages listed on screen (default 50; 0: all)")
    add_common_options(p, output=Output("file", "write every changed village to this CSV", metavar="FILE.csv",
                                        inputs=("plan_a", "plan_b", "instance", "instance_b"), file=True))
    p.set_defaults(func=run)


def _instance_for(plan_dir: str, explicit: str | None):
    """(instance, how it was found) for a plan directory."""
    from ..errors import InputError
    from ..io import load_instance
    from ..analysis.whatif import read_scenario_record

    if explicit:
        return load_instance(explicit), explicit
    record = read_scenario_record(plan_dir)
    if record is None:
        raise InputError("cannot tell which instance this plan is for", file=plan_dir,
                         fix="pass --instance DIR (plans written by `allocator whatif` carry scenario.json)")
    return load_instance(record["base"], overrides=record.get("overrides") or None), \
        f"{record['base']} + scenario '{record.get('name', '')}'"


def run(args) -> int:
    from ..analysis.diff import diff_plans, render_diff
    from ..io.csv_output import write_csv
    from ..plan_io import read_plan

    inst_a, how_a = _instance_for(args.plan_a, args.instance)
    inst_b, how_b = _instance_for(args.plan_b, args.instance_b or args.instance)
    plan_a = read_plan(args.plan_a, inst_a)
    plan_b = read_plan(args.plan_b, inst_b)
    table = diff_plans(plan_a, plan_b, instance_a=inst_a, instance_b=inst_b)
    print(f"A: {args.plan_a} ({how_a})\nB: {args.plan_b} ({how_b})")
    sa, sb = plan_a.summary, plan_b.summary
    print(f"cost {sa.get('total_cost', 0):,.0f} -> {sb.get('total_cost', 0):,.0f} {inst_a.currency}; "
          f"villages covered {sa.get('villages_covered')} -> {sb.get('villages_covered')}\n")
    print(render_diff(table, limit=args.limit or None))
    if args.output:
        write_csv(table, args.output)
        print(f"\nwritten: {args.output} ({len(table)} villages)")
    return 0
