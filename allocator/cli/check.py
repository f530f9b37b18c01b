"""``allocator check DIR``: load and validate an instance, print one line of counts."""
from __future__ import annotations

from .options import add_common_options


def run(args) -> int:
    from ..io import load_instance

    inst = load_instance(args.instance)
    if args.quiet:
        return 0
    v = inst.villages
    print(f"OK {inst.name}: {len(inst.counties)} counties, {len(v)} villages "
          f"({int(v['poor'].sum())} poor, {int(v['existing'].ne('none').sum())} already connected), "
          f"{len(inst.nodes)} nodes, {len(inst.edges)} edges, {len(inst.sites)} sites, "
          f"{len(inst.coverage)} site-village pairs, {len(inst.beams)} beams; "
          f"budget {'unlimited' if inst.budget is None else f'{inst.budget:,.0f}'} {inst.currency} "
          f"({inst.budget_measure.value}); content {inst.content_hash[:12]}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("check", help="load and validate an instance directory",
                                   description="Load and validate an instance; exit 2 naming the file, line "
                                               "and column of the first problem.")
    parser.add_argument("instance", metavar="DIR", help="instance directory (holding instance.toml)")
    add_common_options(parser, quiet_help="print nothing when the instance is valid")
    parser.set_defaults(func=run)
