"""``allocator describe DIR [--json]``: summary statistics of an instance."""
from __future__ import annotations

import json

from .options import add_common_options


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "describe", help="summary statistics of an instance",
        description="Load an instance and print villages per province and per policy group, existing "
                    "coverage, people, schools and clinics, network size, price ranges, and the budget "
                    "against the cost of covering everything.")
    parser.add_argument("instance", metavar="DIR", help="instance directory (holding instance.toml)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_common_options(parser, quiet_help="no progress messages (describe has none; accepted for consistency)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.describe import describe, render
    from ..io import load_instance

    stats = describe(load_instance(args.instance))
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print(render(stats))
    return 0
