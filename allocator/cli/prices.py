"""``allocator prices DIR``: what each floor and the budget cost at the margin (by re-solving)."""
from __future__ import annotations

from .options import Output
from .whatif import add_solve_options, solve_options


def register(sub) -> None:
    p = sub.add_parser("prices", help="marginal cost of each floor and coverage per extra unit of budget",
                       description="Re-solve with each floor moved by --step (min-cost, no budget) and with the "
                                   "budget moved by --budget-step (max-coverage): what the last and the next step "
                                   "cost or buy. No LP duals are used.")
    p.add_argument("instance", metavar="DIR", help="instance directory")
    p.add_argument("--step", type=float, default=0.01, help="floor step as a share (default 0.01 = 1%%)")
    p.add_argument("--group", action="append", help="price only this group's floor (repeatable)")
    p.add_argument("--budget", type=float, help="budget to price at (default: the instance's)")
    p.add_argument("--budget-step", type=float, help="money step (default: 1%% of the budget)")
    p.add_argument("--no-budget-price", action="store_true", help="price the floors only")
    add_solve_options(p, output=Output("file", "write the floor prices to this CSV", metavar="FILE.csv",
                                       inputs=("instance",), file=True))
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io import load_instance
    from ..io.csv_output import write_csv
    from ..analysis.prices import budget_price, floor_prices, render_prices

    instance = load_instance(args.instance)
    options = solve_options(args)
    floors = floor_prices(instance, step=args.step, groups=args.group, **options)
    budget = None
    if not args.no_budget_price and (args.budget is not None or instance.budget is not None):
        budget = budget_price(instance, budget=args.budget, budget_step=args.budget_step, **options)
    print(render_prices(floors, budget, instance.currency))
    if args.output:
        write_csv(floors, args.output)
        print(f"\nwritten: {args.output}")
    return 0
