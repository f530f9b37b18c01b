"""Benchmark harness of the allocator engine (run outside pytest).

``allocator bench`` / ``python -m benchmarks`` run a suite (see
:mod:`benchmarks.suites`) and write results; ``bench compare`` checks a run
against the committed baseline; ``bench report`` redraws tables and plots from
a results file. How to run it and what every column means: benchmarks/README.md.

Exit codes: 0 done / no regression; 1 an engine run claimed optimality with an
objective different from the published optimum (a bug); 2 bad input or option;
5 an engine plan failed verification; 6 ``bench compare`` found a regression;
130 interrupted (the runs finished so far are written).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_WRONG_OPTIMUM = 1
EXIT_VERIFICATION = 5
EXIT_REGRESSION = 6


def _solver_list(text: str) -> list[str]:
    return [s for s in text.replace(",", " ").split() if s]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``bench`` options and its ``compare`` / ``report`` subcommands to ``parser``."""
    from allocator.cli.options import Output, add_common_options, positive_int

    from .suites import SUITES

    parser.add_argument("--suite", choices=list(SUITES), default="smoke",
                        help="which suite (default: smoke, < 2 min; standard < 30 min; full: long)")
    parser.add_argument("--solvers", nargs="+", metavar="NAME",
                        help="engine backends to run (default: the suite's, i.e. every installed one; "
                             "'highs cbc' or 'highs,cbc')")
    parser.add_argument("--time-limit", type=float, metavar="S", help="seconds per solve (default: the suite's)")
    parser.add_argument("--gap", type=float, metavar="G", help="relative gap every solver may stop at (default 0)")
    parser.add_argument("--cases", metavar="REGEX", help="only cases whose name or family matches")
    parser.add_argument("--baselines", nargs="*", metavar="NAME",
                        help="baselines to run (default: greedy fixed-tree fixed-formulation restricted; give none to skip them)")
    parser.add_argument("--threads", type=positive_int, metavar="N", help="solver threads (default: each solver's own)")
    parser.add_argument("--max-minutes", type=float, metavar="M",
                        help="stop starting runs after M minutes (the rest are recorded as skipped)")
    parser.add_argument("--keep-instances", metavar="DIR", help="keep the generated/imported instances here")
    parser.add_argument("--no-plots", action="store_true", help="skip the matplotlib plots")
    add_common_options(parser, quiet_help="no live table or progress line", output=Output(
        "bench results", "results directory (default: out/bench/<suite>); replaced as a whole if allocator "
                         "wrote it, except a README.md in it, which is kept",
        inputs=("keep_instances",), preserve=("README.md",)))
    parser.set_defaults(func=run_command)

    sub = parser.add_subparsers(dest="bench_command", metavar="{compare,report}")
    cmp_ = sub.add_parser("compare", help="flag regressions of RESULTS against BASELINE (exit 6)",
                          description="Compare a results file with the committed baseline; exit 6 when a run "
                                      "got slower (by more than --time-ratio), lost optimality, or its gap or "
                                      "objective got worse.")
    cmp_.add_argument("baseline", help="baseline results.jsonl, or a directory with results.jsonl or <suite>.jsonl")
    cmp_.add_argument("results", help="results.jsonl of the run to check, or its directory")
    cmp_.add_argument("--time-ratio", type=float, default=1.5,
                      help="flag a run whose time grew by more than this factor (default 1.5)")
    cmp_.add_argument("--min-seconds", type=float, default=1.0,
                      help="never flag a run taking less wall time than this (default 1.0)")
    cmp_.add_argument("--gap-tol", type=float, default=1e-6, help="tolerated growth of the gap (default 1e-6)")
    cmp_.add_argument("--objective-tol", type=float, default=1e-6,
                      help="tolerated relative worsening of the objective (default 1e-6)")
    cmp_.add_argument("--allow-missing", action="store_true",
                      help="a run in the baseline but missing from the results is only listed (default: it is a "
                           "regression); for comparing a deliberate subset of a suite")
    cmp_.add_argument("--require-all", action="store_true", help=argparse.SUPPRESS)  # the default now
    cmp_.set_defaults(func=compare_command)
    rep = sub.add_parser("report", help="recompute the derived fields (ratios, agreement with optima) of a "
                                        "results directory and rewrite results.md and its plots")
    rep.add_argument("directory", help="a directory written by bench")
    rep.add_argument("--no-plots", action="store_true")
    rep.set_defaults(func=report_command)


def run_command(args) -> int:
    from allocator.io.atomic import check_output_dir

    from .runner import run_suite, select_cases
    from .suites import get_suite

    suite = select_cases(get_suite(args.suite), args.cases)
    solvers = [s for item in (args.solvers or []) for s in _solver_list(item)] or None
    out = Path(args.output or Path("out") / "bench" / suite.name)
    check_output_dir(out, kind="bench results", preserve=("README.md",))  # the default too, before the runs
    try:
        meta = run_suite(suite, out, solvers=solvers, time_limit=args.time_limit, gap=args.gap,
                         threads=args.threads,
                         baselines=tuple(args.baselines) if args.baselines is not None else None,
                         max_minutes=args.max_minutes, keep_instances=args.keep_instances,
                         plots=not args.no_plots, quiet=args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted: the runs finished so far are in {out}", file=sys.stderr)
        return 130
    print(f"{meta['runs_done']} runs in {meta['wall_seconds']:.0f} s; results in {out} "
          f"(results.jsonl, results.md, machine.json, plots/)", file=sys.stderr)
    return _exit_code(out)


def _exit_code(out: Path) -> int:
    from .runner import read_results

    rows = [r for r in read_results(out) if r.get("role") == "engine"]
    wrong = [r for r in rows if r.get("status") == "optimal" and r.get("matches_optimum") is False]
    rejected = [r for r in rows if r.get("verified") is False]
    for r in wrong:
        print(f"WRONG OPTIMUM: {r['case']} / {r['solver']}: claims optimal {r.get('objective')}, "
              f"published optimum {r.get('known_optimum')}", file=sys.stderr)
    for r in rejected:
        print(f"VERIFICATION FAILED: {r['case']} / {r['solver']}: {r.get('message')}", file=sys.stderr)
    if wrong:
        return EXIT_WRONG_OPTIMUM
    return EXIT_VERIFICATION if rejected else 0


def compare_command(args) -> int:
    from .compare import Thresholds, compare_files

    th = Thresholds(time_ratio=args.time_ratio, min_seconds=args.min_seconds, gap_tol=args.gap_tol,
                    objective_rtol=args.objective_tol)
    result = compare_files(args.baseline, args.results, thresholds=th, allow_missing=args.allow_missing)
    print(result.text())
    return result.exit_code


def report_command(args) -> int:
    import json

    from allocator.errors import InputError

    from .report import write_report
    from .runner import _clean, read_results, score_rows_by_case

    directory = Path(args.directory)
    if not (directory / "results.jsonl").exists():
        raise InputError("no results.jsonl here", file=directory, fix="pass the directory bench -o wrote")
    meta_path = directory / "machine.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    # the fields comparing runs are derived: recompute them with this version of the harness
    ref = meta.get("reference_seconds_used") or meta.get("machine", {}).get("reference_solve_seconds")
    rows = [_clean(r) for r in score_rows_by_case(read_results(directory), ref)]
    with (directory / "results.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    write_report(directory, rows, meta, plots=not args.no_plots)
    print(f"rescored {directory / 'results.jsonl'}; wrote {directory / 'results.md'}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    from allocator.errors import AllocatorError

    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Benchmark the allocator engine against published optima "
                                                 "and peer-style baselines.")
    configure_parser(parser)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AllocatorError as err:
        print(f"bench: {err}", file=sys.stderr)
        return err.exit_code


__all__ = ["configure_parser", "main", "EXIT_REGRESSION"]
