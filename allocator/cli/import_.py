"""``allocator import {stp,scp} FILE -o DIR``: turn a published benchmark file
into an instance directory whose ``allocator solve`` reproduces its optimum."""
from __future__ import annotations

import argparse
import sys

from .options import Output, add_common_options

_FORMATS = {
    "stp": "SteinLib/DIMACS Steiner problem (.stp), plain or prize-collecting (RootP/TP)",
    "scp": "OR-Library set-covering problem (scp*.txt)",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import", help="import a published benchmark file, an OpenStreetMap extract or GIS layers as an instance",
        description="Import a published benchmark file (stp, scp: objective minimum cost, every village "
                    "covered), or real data (osm, gis). See docs/importers.md.")
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    formats.required = True
    for fmt, help_text in _FORMATS.items():
        sub = formats.add_parser(fmt, help=help_text, description=help_text)
        sub.add_argument("file", metavar="FILE", help="the file to import")
        add_common_options(sub, quiet_help="print nothing on success", output=Output(
            "instance", "instance folder to write (an existing one is replaced only if allocator wrote it)",
            required=True, inputs=("file",)))
        sub.set_defaults(func=run)
    from .import_real import register_real  # osm, gis: real data (docs/importers.md)
    register_real(formats)


def run(args: argparse.Namespace) -> int:
    from ..importers import IMPORTERS  # imported here: the CLI loads every subcommand module

    directory = IMPORTERS[args.format](args.file, args.output)
    if not args.quiet:
        print(f"imported {args.file} -> {directory}", file=sys.stderr)
    return 0
