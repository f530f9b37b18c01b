"""``allocator whatif BASE SCENARIO... -o DIR``: solve scenarios side by side.

Every scenario file (TOML, see docs/whatif.md) is checked against BASE before
anything is solved; then the base and each scenario are solved in parallel
(one process per core, one solver thread each) and DIR gets one plan folder
per scenario plus comparison.csv and comparison.md.
"""
from __future__ import annotations

import sys
import time

from .options import Output, add_common_options, positive_int


def add_solve_options(p, *, output: Output | None = None, with_scheduler: bool = False) -> None:
    """Solver options shared by whatif, frontier and prices (with the common options;
    ``with_scheduler``: the solves can run on a Dask cluster)."""
    p.add_argument("--solver", default="highs", help="highs (default), cbc, scip or cpsat")
    p.add_argument("--mode", default="exact", choices=["exact", "restricted"],
                   help="exact: routes over the whole trench graph (default); restricted: shortest-path tree")
    p.add_argument("--time-limit", type=float, metavar="S", help="wall-clock seconds per solve")
    p.add_argument("--gap", type=float, default=0.0, metavar="G", help="stop each solve at this relative gap "
                                                                       "(default 0: prove optimality)")
    p.add_argument("--jobs", type=positive_int, metavar="N", help="parallel solves (default: the number of cores)")
    if with_scheduler:
        add_scheduler_option(p, what="the solves")
    add_common_options(p, seed_default=0, output=output)


def add_scheduler_option(p, *, what: str) -> None:
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help=f"run {what} on a Dask cluster, e.g. tcp://HOST:8786 (default: the ALLOCATOR_SCHEDULER "
                        "environment variable, else local processes; docs/scale.md)")


def solve_options(args) -> dict:
    return {"solver": args.solver, "mode": args.mode, "time_limit": args.time_limit, "gap": args.gap,
            "seed": args.seed}


def progress_printer(args):
    t0 = time.perf_counter()
    if getattr(args, "quiet", False):
        return None
    return lambda m: print(f"[{time.perf_counter() - t0:7.2f}s] {m}", file=sys.stderr)


def register(sub) -> None:
    p = sub.add_parser("whatif", help="solve what-if scenarios and compare them side by side",
                       description="Solve the base instance and each scenario (a TOML file of overrides: budget, "
                                   "floors, weights, cost factors, forced/forbidden technologies; see "
                                   "docs/whatif.md) and write a side-by-side comparison.")
    p.add_argument("base", metavar="BASE", help="base instance directory (wins over a scenario's own 'base')")
    p.add_argument("scenarios", metavar="SCENARIO", nargs="+", help="scenario TOML files")
    p.add_argument("--no-base", action="store_true", help="do not solve the base instance as a scenario")
    p.add_argument("--objective", choices=["max-coverage", "min-cost", "lexicographic"],
                   help="objective of every solve (default: the instance's, or the scenario's own)")
    add_solve_options(p, output=Output("whatif", "output folder (replaced as a whole if allocator wrote it)",
                                       required=True, inputs=("base", "scenarios")), with_scheduler=True)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.scenario import parse_scenario
    from ..analysis.whatif import run_whatif

    scenarios = [parse_scenario(path) for path in args.scenarios]
    options = solve_options(args)
    if args.objective:
        options["objective"] = args.objective
    table = run_whatif(args.base, scenarios, args.output, include_base=not args.no_base, workers=args.jobs,
                       scheduler=args.scheduler, progress=progress_printer(args), **options)
    shown = table.copy()
    for column in shown.columns:  # cell by cell: a one-column frame rejects a row assigned as a whole
        note = shown.at["note", column]
        shown.at["note", column] = note if len(note) <= 60 else note[:57] + "..."
    print(shown.to_string())
    print(f"\nwritten: {args.output}/comparison.csv, comparison.md and one plan folder per scenario")
    bad = [c for c in table.columns if table.at["status", c] not in ("optimal", "feasible")]
    if bad:
        print(f"no plan for: {', '.join(bad)} (see the note row and comparison.md)", file=sys.stderr)
    return 0
