"""Bounds of the *exact* problem for the county decomposition (allocator/solve/decompose/run.py).

The decomposition's status, bound and gap are for the problem the user posed
(allocator/solve/exact_bound.py). This module gives that bound. Each *provider* is a
function ``provider(ctx: BoundContext) -> ExactBound | None``; every provider
registered runs, and the tightest valid bound wins (a proof of infeasibility
beats any bound). The default provider is the safe LP bound of the exact model
built per part (aggregated flows) with the coupling rows; a stronger bound
(Lagrangian, column generation) plugs in with :func:`register` and needs no
change in the decomposition itself.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from ..exact_bound import ExactBound

EXACT_PARTS_LP = "LP relaxation of the exact model (aggregated flows per part) with the coupling rows"


@dataclass
class BoundContext:
    """What the decomposition knows when it asks for a bound of the exact problem.

    mode: routing of the part models ('restricted' or 'exact').
    kind: objective of the bound ('max-coverage' or 'min-cost'); sense: 'max' or 'min'.
    blocks / subs / parts: the part models (in ``mode``), their sub-instances and parts.
    own: the decomposition's own LP result (in ``mode``); own_bound: its bound (None: none).
    pool: the worker pool (``pool.run(fn, tasks, sizes=...)``); deadline: time.time() deadline or None.
    """

    instance: Any
    mode: str
    kind: str
    sense: str
    budget: float | None
    reqs: list
    blocks: list
    subs: list
    parts: list
    backend: Any
    seed: int
    deadline: float | None
    pool: Any
    own: Any = None
    own_bound: float | None = None

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - time.time(), 0.0)


Provider = Callable[[BoundContext], "ExactBound | None"]
PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider (usable as a decorator); providers run in the order registered."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def exact_bound(ctx: BoundContext) -> ExactBound:
    """The tightest bound of the exact problem every provider gives."""
    best = ExactBound(None, "none computed")
    for provider in PROVIDERS:
        found = provider(ctx)
        if found is not None:
            best = best.better(found, ctx.sense)
    return best


@register
def exact_parts_lp(ctx: BoundContext) -> ExactBound | None:
    """In exact mode the decomposition's own LP is already the exact model's; in restricted mode the
    exact model is built per part (one aggregated flow per branch: the smallest exact model) and its
    stacked LP solved. Its safe dual bound bounds every plan of the exact problem; its infeasibility
    proves the problem infeasible."""
    from ...backends.base import Status

    t0 = time.perf_counter()
    if ctx.mode == "exact":
        if ctx.own is not None and ctx.own.status is Status.INFEASIBLE:
            return ExactBound(None, EXACT_PARTS_LP, proven_infeasible=True)
        return ExactBound(ctx.own_bound, EXACT_PARTS_LP if len(ctx.blocks) != 1 else
                          "the exact model's bound (one part: its MIP had the coupling rows)")
    left = ctx.seconds_left()
    if left is not None and left < 0.5:
        return ExactBound(None, "none: no time left for the exact model's LP")
    lp, _blocks = exact_parts_relaxation(ctx)
    took = time.perf_counter() - t0
    if lp is None:
        return ExactBound(None, "none: the exact model's LP did not finish", seconds=took)
    if lp.status is Status.INFEASIBLE:
        return ExactBound(None, EXACT_PARTS_LP, proven_infeasible=True, seconds=took)
    if lp.bound is None:
        return ExactBound(None, f"none: the exact model's LP did not finish ({lp.raw_status})", seconds=took)
    return ExactBound(float(lp.bound), EXACT_PARTS_LP, seconds=took)


def exact_parts_relaxation(ctx: BoundContext, *, budget="same"):
    """(LP result, exact blocks): the exact model per part, stacked with the coupling rows, LP solved
    with HiGHS (safe dual bound). ``budget`` replaces the context's (None: no budget)."""
    from .lp import lp_algorithm, solve_lp, stack

    blocks = ctx.pool.run(build_exact_task, [(sub, ctx.kind, ctx.backend.requires_integer_columns) for sub in ctx.subs],
                          sizes=[len(p.villages) for p in ctx.parts])
    for b, p in zip(blocks, ctx.parts):
        b.key, b.counties = p.key, p.counties
    model, _offsets = stack(blocks, budget=ctx.budget if budget == "same" else budget, reqs=ctx.reqs,
                            beams=ctx.instance.beams)
    left = ctx.seconds_left()
    lp = solve_lp(ctx.backend, model, algorithm=lp_algorithm(model, "exact", ctx.backend),
                  time_limit=None if left is None else max(left, 0.5), seed=ctx.seed)
    return lp, blocks


def build_exact_task(task):
    """One part's exact model (aggregated flows): a worker task."""
    from .parts import build_part_model

    sub, kind, integer_only = task
    block = build_part_model(sub, mode="exact", objective_kind=kind, mcf_limit=0, integer_only=integer_only)
    block.columns = block.network = None  # only its LP is used
    return block
