"""The ``allocator`` command.

Every module in this package that defines ``register(subparsers)`` adds one
subcommand; ``register`` sets ``func(args) -> int`` on its parser. Errors of
the :class:`~allocator.errors.AllocatorError` family become a message on
stderr and the exit code documented in :mod:`allocator.errors`.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ..errors import AllocatorError, show_warnings_as_lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="allocator",
        description="Exact, verified allocation of rural broadband money (fiber, 4G, satellite).",
        epilog="exit codes: 0 solved, 1 internal error, 2 bad input, 3 infeasible, 4 solver failure, "
               "5 verification failed, 6 benchmark regression",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    show_warnings_as_lines(f"allocator {args.command}")
    try:
        return int(args.func(args) or 0)
    except AllocatorError as err:
        print(f"allocator {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
