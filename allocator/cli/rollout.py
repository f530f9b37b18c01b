"""``allocator rollout DIR -o OUT``: plan several years in one solve, verify every year, write them."""
from __future__ import annotations

import argparse
import math
import sys
import time

from .options import Output, add_common_options, positive_int


def register(sub) -> None:
    p = sub.add_parser("rollout", help="plan a multi-year rollout (budget and milestone floors per year)",
                       description="Plan several years at once: each year has its own budget and the floors of "
                                   "the policy milestone in force; what one year builds serves the next. "
                                   "Years and budgets default to the instance's [rollout] table "
                                   "(docs/rollout.md). Every year's plan is verified before anything is written.")
    p.add_argument("instance", metavar="DIR", help="instance directory")
    p.add_argument("--check", metavar="OUT",
                   help="do not solve: re-check a rollout directory written before (exit 5 on a violation)")
    p.add_argument("--years", type=_years, metavar="Y1,Y2,..", help="e.g. 2018,2019,2020")
    p.add_argument("--budgets", type=_budgets, default=argparse.SUPPRESS, metavar="B1,B2,..",
                   help="one budget per year, e.g. 5e8,5e8,5e8 ('none': no limit that year)")
    carry = p.add_mutually_exclusive_group()
    carry.add_argument("--carry-over", dest="carry_over", action="store_true", default=None,
                       help="unspent money moves to the next year")
    carry.add_argument("--no-carry-over", dest="carry_over", action="store_false",
                       help="each year spends at most its own budget (the default)")
    p.add_argument("--required-by", type=int, metavar="YEAR",
                   help="schools, clinics and forced villages covered from this year (default: the last)")
    p.add_argument("--objective", choices=["max-coverage", "min-cost", "lexicographic"],
                   help="max-coverage counts people-years; default: the instance's own objective")
    p.add_argument("--solver", default="highs", help="highs (default), cbc, scip or cpsat")
    p.add_argument("--mode", default="exact", choices=["exact", "restricted"],
                   help="exact: routes over the whole trench graph (default); restricted: shortest-path tree")
    p.add_argument("--time-limit", type=float, metavar="S", help="wall-clock seconds for the whole solve")
    p.add_argument("--gap", type=float, default=0.0, metavar="G", help="stop at this relative gap (default 0: prove)")
    p.add_argument("--threads", type=positive_int, metavar="N", help="solver threads")
    add_common_options(p, seed_default=0, output=Output(
        "rollout", "write OUT/<year>/ plan directories, OUT/rollout.csv and OUT/summary.json",
        metavar="OUT", inputs=("instance", "check")))
    p.set_defaults(func=run)


def _years(text: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of years: {text!r} (e.g. 2018,2019,2020)") from None


def _budgets(text: str):
    out = []
    for t in text.split(","):
        t = t.strip()
        if t.lower() in ("none", "unlimited"):
            out.append(None)
            continue
        try:
            out.append(float(t))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a budget: {t!r} (e.g. 5e8, or 'none')") from None
    return out


def run(args) -> int:
    from ..io import load_instance
    from ..analysis.rollout import solve_rollout, write_rollout
    from ..solve import KEEP

    t0 = time.perf_counter()
    progress = None if args.quiet else (lambda m: print(f"[{time.perf_counter() - t0:7.2f}s] {m}", file=sys.stderr))
    instance = load_instance(args.instance)
    if args.check:
        return _check(instance, args.check, quiet=args.quiet)
    rollout = solve_rollout(instance, years=args.years, budgets=getattr(args, "budgets", KEEP),
                            carry_over=args.carry_over, required_by=args.required_by, objective=args.objective,
                            solver=args.solver, mode=args.mode, time_limit=args.time_limit, gap=args.gap,
                            threads=args.threads, seed=args.seed, progress=progress)
    if args.output:
        write_rollout(rollout, args.output)
    print(human_summary(rollout, instance, args.output))
    return 0


def _check(instance, directory, *, quiet: bool) -> int:
    from ..errors import VerificationError
    from ..analysis.rollout import check_written_rollout

    report = check_written_rollout(directory, instance)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not report.ok:
        raise VerificationError(report.violations)
    if not quiet:
        years = report.table.index.tolist()
        print(f"OK: rollout {directory} ({years[0]}-{years[-1]}) keeps every rule of instance {instance.name!r} "
              f"in every year")
    return 0


def _money(x) -> str:
    return "no limit" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f}"


def human_summary(rollout, instance, output) -> str:
    s = rollout.summary
    gap = s.get("gap")
    lines = [f"{instance.name}: rollout {s['years'][0]}-{s['years'][-1]} {s['status'].upper()} "
             f"({s['solver']} {s['solver_version']}, mode {s['mode']})",
             f"  {s['objective_meaning']}: {s['objective']:,.2f}   bound "
             f"{'n/a' if s.get('bound') is None else format(s['bound'], ',.2f')}   "
             f"gap {'n/a' if gap is None else f'{gap:.4%}'}",
             f"  money in {instance.currency} ({s['budget_measure']}), "
             f"{'unspent money carries over' if s['carry_over'] else 'no carry-over'}"]
    t = rollout.table
    groups = [c[:-len("_share")] for c in t.columns if c.endswith("_share")]
    for year, row in t.iterrows():
        new = ", ".join(f"{k[4:]} {int(row[k])}" for k in ("new_fiber", "new_4g", "new_satellite"))
        text = (f"  {year}: new {new}; {row['new_trench_km']:,.1f} km trench, {int(row['new_sites'])} sites; "
                f"spent {_money(row['spend'])} of {_money(row['available'])}; "
                f"{int(row['villages_covered'])} villages covered")
        floors = [f"{g} {row[g + '_share']:.1%} (floor {row[g + '_floor']:.0%})" for g in groups
                  if row[g + "_floor"] == row[g + "_floor"] and row[g + "_share"] == row[g + "_share"]]
        if floors:
            text += "; " + ", ".join(floors)
        lines.append(text)
    lines.append(f"  built in {s['build_seconds']:.2f}s, solved in {s['solve_seconds']:.2f}s; every year verified")
    if output:
        lines.append(f"  written to {output}")
    return "\n".join(lines)
