"""Options every command shares, declared once: -q/--quiet, --debug, -o/--output with --force,
and --seed where a command has randomness; argparse types that reject bad numbers (exit 2).

``add_common_options`` also records, on the parser, what the output is (a folder of which
kind, or a file) and which arguments are the command's inputs, so that ``allocator.cli.main``
checks the output before any work starts and never lets it replace an input
(allocator.io.atomic).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

#: solvers take a 32-bit signed seed (HiGHS random_seed, SCIP randomseedshift, CP-SAT random_seed)
SEED_MAX = 2**31 - 1


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r} ({what})") from None


def positive_int(text: str) -> int:
    """An integer >= 1 (--jobs, --threads, --max-solves)."""
    value = _integer(text, "e.g. 2")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0 (--limit)."""
    value = _integer(text, "e.g. 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def seed(text: str) -> int:
    """A random seed in [0, 2^31 - 1]."""
    value = _integer(text, "e.g. 1")
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be between 0 and {SEED_MAX}, got {value}")
    return value


@dataclass(frozen=True)
class Output:
    """What a command writes with -o: a folder of ``kind`` (plan, report, ...) or, with
    ``file=True``, one file; ``inputs`` names the argparse dests holding the paths it reads."""

    kind: str
    help: str
    metavar: str = "DIR"
    required: bool = False
    inputs: tuple[str, ...] = ()
    file: bool = False
    preserve: tuple[str, ...] = ()  # files of the old folder carried over (allocator.io.atomic)


def add_common_options(parser: argparse.ArgumentParser, *, output: Output | None = None,
                       seed_default: int | None = None, quiet_help: str = "no progress messages") -> None:
    """-q/--quiet and --debug on every command; -o/--output and --force when it writes
    (``output``); --seed when it has randomness (``seed_default`` not None)."""
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an internal error (also: ALLOCATOR_DEBUG=1)")
    if seed_default is not None:
        parser.add_argument("--seed", type=seed, default=seed_default, metavar="N",
                            help=f"random seed, 0 to {SEED_MAX} (default {seed_default})")
    if output is not None:
        parser.add_argument("-o", "--output", metavar=output.metavar, required=output.required, help=output.help)
        parser.add_argument("--force", action="store_true",
                            help="replace the output even if allocator did not write it (never the current "
                                 "directory, an input or a parent of an input)")
        parser.set_defaults(output_spec=output)


def input_paths(args: argparse.Namespace) -> list[str]:
    """The paths the command reads (by the dests its Output names)."""
    spec = getattr(args, "output_spec", None)
    found = []
    for dest in spec.inputs if spec else ():
        value = getattr(args, dest, None)
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v:
                found.append(str(v))
    return found


def check_output(args: argparse.Namespace) -> None:
    """Refuse a bad -o before any work is done (the writer checks again when it writes)."""
    from ..io.atomic import check_output_dir, check_output_file

    spec = getattr(args, "output_spec", None)
    target = getattr(args, "output", None)
    if spec is None or not target:
        return
    if spec.file:
        check_output_file(target, force=True)  # whether an existing file is ours is judged when writing
    elif not getattr(args, "no_overwrite", False):
        check_output_dir(target, kind=spec.kind, preserve=spec.preserve)
