"""``allocator generate PRESET --seed N -o DIR``: write a synthetic instance."""
from __future__ import annotations

import sys
import time

from .options import Output, add_common_options


def register(subparsers) -> None:
    from ..generator.presets import PRESETS

    lines = [f"  {name:<11} {p.description}" for name, p in PRESETS.items()]
    parser = subparsers.add_parser(
        "generate", help="write a synthetic instance (tiny, county, prefecture, province, national)",
        description="Write a synthetic instance shaped like the 2018-2020 programme: real county seats, "
                    "clustered villages, a road-like trench graph, 4G sites, schools, clinics and the "
                    "2016 starting coverage. Same preset and seed: byte-identical files.",
        epilog="presets:\n" + "\n".join(lines),
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    parser.add_argument("preset", metavar="PRESET", help=", ".join(PRESETS))
    parser.add_argument("--no-overwrite", action="store_true", help="fail if DIR exists")
    add_common_options(parser, seed_default=1, quiet_help="print nothing on success", output=Output(
        "instance", "instance folder to write (an existing one is replaced only if allocator wrote it)",
        required=True))
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..errors import OptionsError
    from ..generator import generate, get_preset

    preset = get_preset(args.preset)
    start = time.perf_counter()
    try:
        path = generate(preset, seed=args.seed, directory=args.output, overwrite=not args.no_overwrite)
    except FileExistsError:
        raise OptionsError(f"{args.output} exists", fix="choose another directory, or drop --no-overwrite") from None
    if not args.quiet:
        print(f"wrote {path} ({preset.name}, seed {args.seed}) in {time.perf_counter() - start:.1f} s; "
              f"see it with: allocator describe {path}", file=sys.stdout)
    return 0
