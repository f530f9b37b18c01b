"""``allocator solve DIR [-o PLAN_DIR]``: solve an instance, verify, write the plan."""
from __future__ import annotations

import argparse
import sys
import time

from .options import Output, add_common_options, positive_int


def register(sub) -> None:
    p = sub.add_parser("solve", help="solve an instance and write a verified plan",
                       description="Solve an instance directory; the plan is verified before it is written.")
    p.add_argument("instance", metavar="DIR", help="instance directory")
    p.add_argument("--objective", choices=["max-coverage", "min-cost", "lexicographic"],
                   help="default: the instance's own")
    p.add_argument("--budget", type=_budget, default=argparse.SUPPRESS, help="budget in the instance's currency; 'none' for no budget")
    p.add_argument("--solver", default="highs", help="highs (default), cbc, scip or cpsat")
    p.add_argument("--mode", default="exact", choices=["exact", "restricted", "decomposed", "decomposed-exact"],
                   help="exact: routes over the whole trench graph (default); restricted: shortest-path tree; "
                        "decomposed[-exact]: county MIPs in parallel (--threads processes) with an LP bound, "
                        "for national scale (docs/scale.md)")
    p.add_argument("--time-limit", type=float, metavar="S", help="wall-clock seconds for the whole solve")
    p.add_argument("--gap", type=float, default=0.0, metavar="G", help="stop at this relative gap (default 0: prove)")
    p.add_argument("--threads", type=positive_int, metavar="N",
                   help="solver threads (decomposed modes: worker processes)")
    p.add_argument("--no-warm-start", action="store_true",
                   help="do not start the solver from a heuristic plan (LP support, restricted mode or greedy)")
    p.add_argument("--no-cuts", action="store_true",
                   help="exact mode: skip the root phase (directed cuts on the LP, LP-support start; "
                        "docs/solving.md)")
    add_common_options(p, seed_default=0, output=Output(
        "plan", "write the plan here (CSV tables + summary.json); an existing folder is replaced only "
                "if allocator wrote it (see --force)", metavar="PLAN_DIR", inputs=("instance",)))
    p.set_defaults(func=run)


def _budget(text: str):
    if text.lower() in ("none", "unlimited"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} (e.g. 1.2e9, or 'none')") from None


def run(args) -> int:
    from ..io import load_instance
    from ..plan_io import write_plan
    from ..solve import KEEP, solve

    t0 = time.perf_counter()
    progress = None if args.quiet else (lambda m: print(f"[{time.perf_counter() - t0:7.2f}s] {m}", file=sys.stderr))
    instance = load_instance(args.instance)
    if progress:
        progress(f"loaded {instance.name}: {len(instance.villages)} villages, {len(instance.edges)} trench edges, "
                 f"{len(instance.sites)} sites")
    budget = getattr(args, "budget", KEEP)
    plan = solve(instance, objective=args.objective, budget=budget, solver=args.solver, mode=args.mode,
                 time_limit=args.time_limit, gap=args.gap, threads=args.threads, seed=args.seed,
                 warm_start=not args.no_warm_start, cuts=not args.no_cuts, progress=progress)
    if args.output:
        write_plan(plan, args.output)
    print(human_summary(plan, instance, args.output))
    return 0


def human_summary(plan, instance, output) -> str:
    """A few lines for the terminal: status, objective and proof, cost against the budget,
    what is covered by what, each floor, timings, and anything the verifier noted."""
    s = plan.summary
    cur = instance.currency
    lines = [f"{instance.name}: {s['status'].upper()} ({s['solver']} {s['solver_version']}, mode {s['mode']})"]
    lines.append(f"  objective {s['objective_kind']}: {s['objective']:,.2f}   bound {_num(s.get('bound'))}   "
                 f"gap {_gap(s.get('gap'))}")
    if s.get("cost_objective") is not None:  # lexicographic: the second stage
        lines.append(f"  then least cost at that coverage: {s['cost_objective']:,.2f}   "
                     f"bound {_num(s.get('cost_bound'))}   gap {_gap(s.get('cost_gap'))}")
    budget = s.get("budget")
    lines.append(f"  cost ({s['budget_measure']}): {s['total_cost']:,.0f} {cur}"
                 + (f" of budget {budget:,.0f} {cur}" if budget is not None else " (no budget)"))
    by = s.get("by_technology", {})
    mix = ", ".join(f"{t} {d.get('villages', 0)}" for t, d in sorted(by.items()) if d.get("villages", 0))
    covered, total, new = s.get("villages_covered"), s.get("villages_total"), s.get("villages_new")
    already = covered - new if isinstance(covered, int) and isinstance(new, int) else None
    lines.append(f"  villages covered {covered} of {total}"
                 + (f" ({already} already connected)" if already else "")
                 + f"; new: {mix or 'none'}")
    for g, row in plan.groups.iterrows():
        floor = row.get("floor")
        if floor is None or floor != floor or not row.get("poor_villages"):
            continue  # no floor, or no registered poor village in the group: nothing to meet
        lines.append(f"  group {g}: {row['share']:.1%} of {int(row['poor_villages'])} registered poor villages "
                     f"covered (floor {_share(floor)}{'' if row.get('met') else ', NOT MET'})")
    lines.append(f"  built in {s['build_seconds']:.2f}s, solved in {s['solve_seconds']:.2f}s; verified")
    for note in s.get("verifier_warnings") or []:
        lines.append(f"  note: {note}")
    if output:
        lines.append(f"  plan written to {output}")
    return "\n".join(lines)


def _gap(gap) -> str:
    return "n/a" if gap is None else f"{gap:.4%}"


def _share(x: float) -> str:
    return f"{x * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _num(v) -> str:
    return "n/a" if v is None else f"{v:,.2f}"
