"""``allocator bench``: run a benchmark suite, or compare a run with the baseline.

The harness lives in the top-level ``benchmarks`` package (outside the engine);
this module only hands it the subcommand. See benchmarks/README.md.
"""
from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmark the engine (suites, baselines, regression check)",
        description="Run a benchmark suite (every installed solver plus the greedy and fixed-tree baselines) "
                    "and write results.jsonl, results.md, machine.json and plots; 'bench compare BASELINE "
                    "RESULTS' exits 6 on a regression. See benchmarks/README.md.")
    try:
        from benchmarks import configure_parser
    except ImportError:  # installed without the benchmarks package (a wheel, not a checkout)
        parser.set_defaults(func=_missing)
        return
    configure_parser(parser)


def _missing(args) -> int:
    from ..errors import OptionsError

    raise OptionsError("the benchmarks package is not installed",
                       fix="run from a checkout: pip install -e . in the repository")
