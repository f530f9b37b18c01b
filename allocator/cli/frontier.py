"""``allocator frontier DIR --from X --to Y``: weighted coverage against budget, traced and plotted."""
from __future__ import annotations

from .options import Output, positive_int
from .whatif import add_solve_options, progress_printer, solve_options


def register(sub) -> None:
    p = sub.add_parser("frontier", help="trace weighted coverage against budget (table + PNG plot)",
                       description="Solve max-coverage at evenly spaced budgets between --from and --to (or, with "
                                   "--exact, find the exact budgets where coverage steps up) and plot the "
                                   "frontier. Monotone by construction; points not proven optimal keep their "
                                   "bound and gap.")
    p.add_argument("instance", metavar="DIR", help="instance directory")
    p.add_argument("--from", dest="budget_from", type=float, required=True, metavar="X", help="smallest budget")
    p.add_argument("--to", dest="budget_to", type=float, required=True, metavar="Y", help="largest budget")
    p.add_argument("--points", type=positive_int, default=11, help="budgets sampled, ends included (default 11)")
    p.add_argument("--exact", action="store_true",
                   help="find the exact breakpoints (lexicographic solves; about two per breakpoint)")
    p.add_argument("--max-solves", type=positive_int, default=60,
                   help="--exact: give up after this many solves (default 60)")
    add_solve_options(p, output=Output("frontier", "output folder (default: frontier-<instance name>)",
                                       metavar="OUT", inputs=("instance",)), with_scheduler=True)
    p.set_defaults(func=run)


def frontier_table(points, currency: str) -> str:
    """The frontier as a terminal table: money with separators, shares as percentages, no
    scientific notation (allocator.reports.numbers)."""
    from ..reports.numbers import money, number, share

    import pandas as pd

    def cell(fmt):
        return lambda x: "" if x is None or x != x else fmt(x)  # None and NaN: empty

    columns = {f"budget ({currency})": ("budget", money), "weighted coverage": ("objective", number),
               "bound": ("bound", number), "gap": ("gap", lambda x: share(x, 2)), "status": ("status", str),
               f"cost ({currency})": ("cost", money), "poor covered": ("poor_share", share),
               "kind": ("kind", str), "carried from": ("carried_from", money)}
    shown = pd.DataFrame({head: points[key].map(cell(fmt)) for head, (key, fmt) in columns.items()
                          if key in points})
    return shown.to_string(index=False)


def run(args) -> int:
    from ..analysis.frontier import trace_frontier, write_frontier
    from ..io import load_instance
    from ..io.atomic import check_output_dir

    say = progress_printer(args)
    instance = load_instance(args.instance)
    out = args.output or f"frontier-{instance.name}"
    check_output_dir(out, kind="frontier")  # before the solves
    if say:
        say(f"tracing {instance.name} from {args.budget_from:,.0f} to {args.budget_to:,.0f} {instance.currency}"
            + (" (exact breakpoints)" if args.exact else f" at {args.points} budgets"))
    frontier = trace_frontier(instance, budget_from=args.budget_from, budget_to=args.budget_to, points=args.points,
                              exact=args.exact, max_solves=args.max_solves, workers=args.jobs,
                              scheduler=args.scheduler, **solve_options(args))
    write_frontier(frontier, out, title=f"Budget frontier: {instance.name}", currency=instance.currency,
                   meta={"instance": instance.name, "content_hash": instance.content_hash,
                         "from": args.budget_from, "to": args.budget_to})
    print(frontier_table(frontier.points, instance.currency))
    for _, row in frontier.points.iterrows():
        if row["message"]:
            print(f"budget {row['budget']:,.0f}: {row['message']}")
    for note in frontier.notes:
        print(f"note: {note}")
    print(f"\nwritten: {out}/frontier.csv, frontier.png, frontier.json")
    return 0
