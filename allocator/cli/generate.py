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
    parser.add_argument("--cost-model", metavar="NAME", default=None,
                        help="cost model the instance names: a shipped one (china-2018, china-2026) or a path to "
                             "a model file (default: china-2018)")
    add_common_options(parser, seed_default=1, quiet_help="print nothing on success", output=Output(
        "instance", "instance folder to write (an existing one is replaced only if allocator wrote it)",
        required=True))
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..errors import OptionsError
    from ..generator import cost_model_ref, generate, get_preset
    from ..io.models import find_model_file
    from pathlib import Path

    preset = get_preset(args.preset)
    ref = cost_model_ref(args.cost_model)
    if args.cost_model and find_model_file(ref, Path.cwd()) is None:
        from ..io.models import shipped_models
        raise OptionsError(f"--cost-model {args.cost_model}: no such cost model",
                           fix="name a shipped one (" + ", ".join(Path(m).stem for m in shipped_models()
                                                                 if m.startswith("models/costs/"))
                               + ") or give the path of a model file")
    start = time.perf_counter()
    try:
        path = generate(preset, seed=args.seed, directory=args.output, overwrite=not args.no_overwrite,
                        cost_model=ref if args.cost_model else None)
    except FileExistsError:
        raise OptionsError(f"{args.output} exists", fix="choose another directory, or drop --no-overwrite") from None
    if not args.quiet:
        print(f"wrote {path} ({preset.name}, seed {args.seed}) in {time.perf_counter() - start:.1f} s; "
              f"see it with: allocator describe {path}", file=sys.stdout)
    return 0
