"""One exception family for everything the engine reports to a user.

Every error carries an exit code for the CLI (documented in README.md):

====  =====================================================
code  meaning
====  =====================================================
0     solved (optimal or feasible with a stated gap)
1     internal error (a bug: please report it; e.g. a bound beyond a verified plan)
2     bad input: a file, a row, a column or an option
3     infeasible: no plan meets the floors under the budget
4     solver failure (crash, or time limit with no solution)
5     verification failed: a plan breaks a constraint
====  =====================================================
"""
from __future__ import annotations

import errno
from pathlib import Path


class AllocatorError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1


class InputError(AllocatorError):
    """Bad input: names the file, the line, the column and what would fix it."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.problem = message
        self.fix = fix
        super().__init__(self._render())

    def __reduce__(self):  # survive a trip through a worker process intact
        return (_rebuild_input_error, (type(self), self.problem, self.file, self.line, self.column, self.fix))

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = (": ".join([", ".join(where), self.problem]) if where else self.problem)
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class OptionsError(InputError):
    """A bad option (objective, solver name, time limit, gap ...)."""


class InfeasibleError(AllocatorError):
    """No plan satisfies the floors, required facilities and budget together.

    ``explanation`` is written for a budget officer: which floors conflict,
    and the smallest budget that meets them when that could be computed.
    """

    exit_code = 3

    def __init__(self, message: str, *, explanation: str | None = None,
                 min_budget: float | None = None) -> None:
        self.explanation = explanation
        self.min_budget = min_budget
        self.message = message
        super().__init__(message + (f"\n{explanation}" if explanation else ""))

    def __reduce__(self):
        return (_rebuild, (type(self), (self.message,), {"explanation": self.explanation, "min_budget": self.min_budget}))


class CrossedBoundError(AllocatorError):
    """A proven bound lies on the wrong side of a plan's objective (beyond tolerance): one of
    the two is wrong, so the engine has a bug. Exit 1 with both numbers, never a gap of 0."""

    exit_code = 1

    def __init__(self, objective: float, bound: float, sense: str, *, where: str = "") -> None:
        self.objective, self.bound, self.sense, self.where = float(objective), float(bound), sense, where
        side = "above" if sense == "min" else "below"
        super().__init__(
            f"internal error{' in ' + where if where else ''}: the bound {self.bound:,.10g} lies {side} the "
            f"objective {self.objective:,.10g} of a plan ({'minimising' if sense == 'min' else 'maximising'}); "
            f"a bound can never be beaten, so one of the two numbers is wrong. Please report this "
            f"with the instance.")

    def __reduce__(self):
        return (_rebuild, (type(self), (self.objective, self.bound, self.sense), {"where": self.where}))


class SolverError(AllocatorError):
    """The solver crashed, is not installed, or stopped with no solution."""

    exit_code = 4


class VerificationError(AllocatorError):
    """A plan breaks at least one constraint; ``violations`` lists them all."""

    exit_code = 5

    def __init__(self, violations: list[str]) -> None:
        self.violations = list(violations)
        shown = "\n  - ".join(self.violations[:20])
        more = f"\n  ... and {len(self.violations) - 20} more" if len(self.violations) > 20 else ""
        super().__init__(f"plan fails verification ({len(self.violations)} violations):\n  - {shown}{more}")

    def __reduce__(self):
        return (type(self), (self.violations,))


class AllocatorWarning(UserWarning):
    """Base of the warnings the engine gives on purpose: the input is accepted, but the user should
    know something about it. The CLI prints them as one ``warning:`` line each."""


class InputWarning(AllocatorWarning):
    """Input that loads but deserves a word (note columns the model ignores, an empty coverage.csv)."""


def show_warnings_as_lines(prefix: str) -> None:
    """Print every :class:`AllocatorWarning` as one ``PREFIX: warning: ...`` line on stderr (the CLI's
    form), instead of Python's ``file:line: Category: ...`` with a source line; other warnings as usual."""
    import sys
    import warnings

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, AllocatorWarning):
            print(f"{prefix}: warning: {message}", file=file or sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


#: an operating-system error on a file the user named, as (problem, fix); see :func:`file_error`
FILE_ERRORS = {
    errno.ENOENT: ("not found", "check the path"),
    errno.EISDIR: ("is a folder where a file is expected", "give the path of the file"),
    errno.ENOTDIR: ("is not a folder (a file is on the path)", "check the path"),
    errno.EACCES: ("permission denied", "make it readable (and its folder writable, for an output), or use a copy"),
    errno.EPERM: ("operation not permitted", "check its permissions"),
    errno.EROFS: ("is on a read-only file system", "write the output elsewhere"),
    errno.ENOSPC: ("the disk is full", "free some space, or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, or write elsewhere"),
    errno.ENAMETOOLONG: ("the name is too long", "use a shorter path"),
    errno.ELOOP: ("too many levels of symbolic links", "check the path"),
    errno.EEXIST: ("already exists", "choose another path"),
    errno.ENOTEMPTY: ("is a folder that is not empty", "choose another path"),
}


def file_error(err: OSError, path: str | Path | None = None) -> InputError | None:
    """The InputError (exit 2) for an OS error on a file, or None if it is not about a file."""
    if err.errno not in FILE_ERRORS:
        return None
    problem, fix = FILE_ERRORS[err.errno]
    name = path if path is not None else err.filename
    return InputError(problem if name is not None else f"{problem} ({err})", file=name, fix=fix)


def _rebuild_input_error(cls, problem, file, line, column, fix):
    return cls(problem, file=file, line=line, column=column, fix=fix)


def _rebuild(cls, args, kwargs):
    return cls(*args, **kwargs)
