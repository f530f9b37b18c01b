"""``solve()``: the one entry point of every solve mode (the modes are in
:mod:`allocator.solve.modes`): validated instance -> formulation -> backend -> decision ->
plan -> verified plan.
"""
from __future__ import annotations

from typing import Callable

from ..plan import Plan
from .modes import mode_function
from .options import KEEP


def solve(instance, *, objective: str | None = None, budget=KEEP, solver: str = "highs",
          mode: str = "exact", time_limit: float | None = None, gap: float = 0.0,
          threads: int | None = None, seed: int = 0, warm_start: bool = True, cuts: bool = True,
          progress: Callable[[str], None] | None = None, scheduler: str | None = None,
          rounds: int | None = None) -> Plan:
    """Solve ``instance`` and return a verified :class:`Plan`.

    Parameters
    ----------
    objective : 'max-coverage' | 'min-cost' | 'lexicographic'; default the instance's.
    budget : a number, None (no budget) or the instance's own (default).
    solver : 'highs' (default) | 'cbc' | 'scip' | 'cpsat'.
    mode : 'exact' (routes over the whole trench graph) | 'restricted' (shortest-path tree) |
        'decomposed' / 'decomposed-exact' (county MIPs in parallel, LP bound: allocator/solve/decompose/run.py;
        ``threads`` is then the number of worker processes). Whatever the mode, the summary's
        status, bound and gap refer to the problem posed (routes over the whole trench graph:
        allocator/solve/exact_bound.py); a smaller model's own figures go to ``restricted_*``.
    time_limit : wall-clock seconds for the whole call, model building included.
    gap : relative gap at which the solver may stop (0: prove optimality).
    warm_start : start the solver from a plan (the LP-support plan of the root phase, else the
        restricted-mode optimum, else greedy).
    cuts : exact mode with fiber: run the root phase first (directed cuts, a start from the LP's
        support, a proof when they meet; allocator/solve/rootphase.py).
    scheduler : decomposed modes: a Dask scheduler (``tcp://HOST:8786``) for the county tasks
        (default: ``ALLOCATOR_SCHEDULER``, else local processes; allocator/solve/executor.py).
    rounds : decomposed modes: rounds of column generation (allocator/solve/decompose/price.py).

    Raises
    ------
    OptionsError, InfeasibleError, SolverError, VerificationError
    """
    return mode_function(mode)(instance, mode=mode, objective=objective, budget=budget, solver=solver,
                               time_limit=time_limit, gap=gap, threads=threads, seed=seed,
                               warm_start=warm_start, cuts=cuts, progress=progress, scheduler=scheduler,
                               rounds=rounds)
