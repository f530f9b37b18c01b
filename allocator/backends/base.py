"""The one interface every solver backend implements, and the one status vocabulary.

A backend solves a :class:`~allocator.backends.linear.LinearModel` and
returns a :class:`SolveResult`. The status is derived from the solver's own
incumbent and bound by :func:`status_from_numbers`, never from a wrapper's
label (PuLP, for instance, reports a HiGHS time-limit stop as "Optimal").
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from ..errors import CrossedBoundError
from .linear import LinearModel

#: relative gap under which a solution counts as proven optimal
PROOF_GAP = 1e-6
#: how far (relative to max(1, |objective|)) a bound may lie on the wrong side of an objective
#: before it is an engine error: the verifier's objective tolerance (verify.OBJECTIVE_RTOL)
CROSSING_TOL = 1e-6
#: a MIP given ``SolveOptions.stop_at`` stops when its incumbent is within this relative
#: distance of it (well inside PROOF_GAP, so the combined gap still proves optimality)
STOP_AT_RTOL = 1e-8


class Status(str, Enum):
    OPTIMAL = "optimal"              # incumbent whose gap to the solver's bound is <= PROOF_GAP
    FEASIBLE = "feasible"            # incumbent with a larger (stated) gap
    INFEASIBLE = "infeasible"        # the solver proved there is no solution
    NO_SOLUTION = "time_limit"       # stopped (time limit) before finding any solution
    ERROR = "error"                  # crash, unbounded, numerical trouble

    def __str__(self) -> str:  # pragma: no cover
        return self.value


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend honours the same way.

    time_limit: wall-clock seconds (a deadline that is kept; None = no limit).
    gap: relative gap at which the solver may stop (0 = prove optimality).
    threads: solver threads (None = solver default).
    seed: random seed handed to the solver (determinism).
    heuristic_effort: share of a MIP search given to primal heuristics, for the
    backends that take it (HiGHS ``mip_heuristic_effort``; None = the solver's
    default, others ignore it).
    progress: called now and then during a MIP solve with a dict of ``seconds``,
    ``objective`` (incumbent, None before one), ``bound`` and ``gap`` (None when not
    known), by the backends that can report it (HiGHS); the caller throttles.
    stop_at: a valid bound known from elsewhere (dual ascent, the root phase's cut LP):
    a MIP may stop once its incumbent reaches it (within STOP_AT_RTOL), since no plan
    is better; backends that cannot stop early ignore it.
    """

    time_limit: float | None = None
    gap: float = 0.0
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    heuristic_effort: float | None = None
    progress: Callable[[dict], None] | None = field(default=None, compare=False, repr=False)
    stop_at: float | None = None


@dataclass
class SolveResult:
    status: Status
    x: np.ndarray | None            # values of every column, None without a solution
    objective: float | None         # incumbent objective (including the model's offset)
    bound: float | None             # solver's proven dual bound (including offset)
    gap: float | None               # relative gap, see relative_gap()
    solver: str
    version: str
    seconds: float
    raw_status: str = ""            # the solver's own words, for the record
    message: str = ""
    extra: dict = field(default_factory=dict)


def relative_gap(objective: float | None, bound: float | None, sense: str, *, where: str = "") -> float | None:
    """|objective - bound| / max(|objective|, 1e-9); 0 when equal; None without both.

    A bound on the wrong side of the objective by at most :data:`CROSSING_TOL`
    (relative to max(1, |objective|)) is solver noise: gap 0. Beyond that, one of
    the two numbers is wrong and :class:`~allocator.errors.CrossedBoundError` is
    raised (exit 1 with both numbers): never a gap of 0 that would read as a proof."""
    if objective is None or bound is None or not math.isfinite(objective):
        return None
    if not math.isfinite(bound):  # no bound yet (solvers differ in the sign of "none")
        return math.inf
    diff = (objective - bound) if sense == "min" else (bound - objective)
    if diff < 0.0:
        if -diff > CROSSING_TOL * max(1.0, abs(objective)):
            raise CrossedBoundError(objective, bound, sense, where=where)
        return 0.0
    if diff == 0.0:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def status_from_numbers(has_solution: bool, gap: float | None, proven_infeasible: bool = False,
                        error: bool = False) -> Status:
    if error:
        return Status.ERROR
    if has_solution:
        return Status.OPTIMAL if gap is not None and gap <= PROOF_GAP else Status.FEASIBLE
    if proven_infeasible:
        return Status.INFEASIBLE
    return Status.NO_SOLUTION


class Backend(ABC):
    """A MIP solver behind the common interface."""

    name: str = ""
    #: accepts a starting solution
    supports_warm_start: bool = False
    #: takes integer columns only (the formulation then declares its flows integer)
    requires_integer_columns: bool = False

    @classmethod
    @abstractmethod
    def available(cls) -> bool:
        """True when the solver can be imported and used here."""

    @classmethod
    @abstractmethod
    def version(cls) -> str:
        """Solver version string."""

    @abstractmethod
    def solve(self, model: LinearModel, options: SolveOptions, warm_start: np.ndarray | None = None) -> SolveResult:
        """Solve ``model``; never raise for solver trouble: return Status.ERROR with a message."""
