"""The ``allocator`` command.

Every module in this package that defines ``register(subparsers)`` adds one
subcommand; ``register`` sets ``func(args) -> int`` on its parser and adds the
shared options with :func:`allocator.cli.options.add_common_options`. Errors of
the :class:`~allocator.errors.AllocatorError` family become a message on
stderr and the exit code documented in :mod:`allocator.errors`; an operating
system error on a file (missing, a folder, unreadable, disk full) exits 2
naming it; anything else is a bug: exit 1 with one line asking for a report,
and the traceback only with --debug or ALLOCATOR_DEBUG=1.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback

from ..errors import AllocatorError, file_error, show_warnings_as_lines
from ..io.atomic import output_policy
from .options import check_output, input_paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="allocator",
        description="Exact, verified allocation of rural broadband money (fiber, 4G, satellite).",
        epilog="exit codes: 0 solved, 1 internal error, 2 bad input, 3 infeasible, 4 solver failure, "
               "5 verification failed, 6 benchmark regression",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an internal error (also: ALLOCATOR_DEBUG=1)")
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
    debug = args.debug or os.environ.get("ALLOCATOR_DEBUG", "") not in ("", "0")
    where = f"allocator {args.command}"
    try:
        with output_policy(force=getattr(args, "force", False), inputs=input_paths(args)):
            check_output(args)
            return int(args.func(args) or 0)
    except AllocatorError as err:
        print(f"{where}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `allocator ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:  # a file the user named: missing, a folder, unreadable; or a full disk
        mapped = file_error(err)
        if mapped is None:
            return _internal_error(where, err, debug)
        if debug:
            traceback.print_exception(err, file=sys.stderr)
        print(f"{where}: {mapped}", file=sys.stderr)
        return mapped.exit_code
    except Exception as err:  # noqa: BLE001 - the one place that turns a bug into exit 1
        return _internal_error(where, err, debug)


def _internal_error(where: str, err: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(err, file=sys.stderr)
    message = " ".join(str(err).split())
    message = message if len(message) <= 200 else message[:197] + "..."
    print(f"{where}: internal error ({type(err).__name__}: {message}); this is a bug, please report it"
          + ("" if debug else " with the output of the same command run with --debug"), file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
