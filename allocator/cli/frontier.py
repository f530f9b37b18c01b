"""``allocator frontier DIR --from X --to Y``: weighted coverage against budget, traced and plotted."""
from __future__ import annotations

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
    p.add_argument("--points", type=int, default=11, help="budgets sampled, ends included (default 11)")
    p.add_argument("--exact", action="store_true",
                   help="find the exact breakpoints (lexicographic solves; about two per breakpoint)")
    p.add_argument("--max-solves", type=int, default=60, help="--exact: give up after this many solves (default 60)")
    p.add_argument("-o", "--output", metavar="OUT", help="output directory (default: frontier-<instance name>)")
    add_solve_options(p, with_scheduler=True)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..frontier import trace_frontier, write_frontier
    from ..io import load_instance

    say = progress_printer(args)
    instance = load_instance(args.instance)
    if say:
        say(f"tracing {instance.name} from {args.budget_from:,.0f} to {args.budget_to:,.0f} {instance.currency}"
            + (" (exact breakpoints)" if args.exact else f" at {args.points} budgets"))
    frontier = trace_frontier(instance, budget_from=args.budget_from, budget_to=args.budget_to, points=args.points,
                              exact=args.exact, max_solves=args.max_solves, workers=args.jobs,
                              scheduler=args.scheduler,
                              **solve_options(args))
    out = args.output or f"frontier-{instance.name}"
    write_frontier(frontier, out, title=f"Budget frontier: {instance.name}", currency=instance.currency,
                   meta={"instance": instance.name, "content_hash": instance.content_hash,
                         "from": args.budget_from, "to": args.budget_to})
    shown = frontier.points[["budget", "objective", "bound", "gap", "status", "cost", "poor_share", "kind",
                             "carried_from"]]
    print(shown.to_string(index=False, float_format=lambda x: f"{x:,.6g}"))
    for _, row in frontier.points.iterrows():
        if row["message"]:
            print(f"budget {row['budget']:,.0f}: {row['message']}")
    for note in frontier.notes:
        print(f"note: {note}")
    print(f"\nwritten: {out}/frontier.csv, frontier.png, frontier.json")
    return 0
