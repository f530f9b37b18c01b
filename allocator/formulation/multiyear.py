"""The multi-year rollout as one MIP: a block of the allocation constraints per
year (:func:`.builder.add_allocation`), linked so that what is built stays built.

Per year ``y`` the block holds the state at the end of that year (villages
connected, sites open, trenches dug, cumulatively). Links between consecutive
years ``p < y``:

- monotone decisions: ``x^t_v[y] >= x^t_v[p]`` (a connected village keeps its
  technology: with at most one technology per village it cannot switch),
  ``o_j[y] >= o_j[p]`` per backhaul, ``y_a[y] >= y_a[p]`` per arc;
- money: the budget row of year ``y`` charges only what is new,
  ``cost(state_y) - cost(state_p) <= b_y``; with carry-over the rows are
  cumulative, ``cost(state_y) <= b_1 + ... + b_y``.

Two single-year simplifications are not valid for a rollout with separate
yearly budgets (no carry-over), where a year may dig a trench that serves
nothing until a later year extends it:

- the arborescence rows of :mod:`.fiber` (a built arc leads to a lit
  terminal) hold only in the last year; earlier years keep the flow rows, and
  monotonicity bounds their arcs by the last year's tree;
- a chain of degree-2 pass-through nodes must not be contracted into one
  trench (a year may afford half of it), so the network is not reduced.

With carry-over (or no yearly limits) delaying any construction until it is
used never breaks a cumulative budget, so both simplifications are kept.
FORMULATION.md (section "Multi-year rollout") has the mathematics.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from ..graph import FiberNetwork, build_network
from . import builder, coupling, eligibility, objective
from .coupling import cost_vector
from .fiber import MCF_COLUMN_LIMIT
from ..backends.linear import LinearModel


@dataclass
class MultiYearFormulation:
    model: LinearModel
    network: FiberNetwork
    years: list[int]
    blocks: list[builder.Allocation]         # one per year, in year order
    floors: dict                             # year -> {group: floor} in force
    prebuild: bool                           # trenches may be dug before they serve anything
    stats: dict = field(default_factory=dict)

    def year_formulation(self, k: int) -> builder.Formulation:
        """The block of the ``k``-th year as a single-year :class:`~.builder.Formulation`, for decoding."""
        b = self.blocks[k]
        return builder.Formulation(self.model, b.columns, self.network, b.eligibility, b.floors, self.stats)


def build(instance, *, years: Sequence[int], budgets: Sequence[float | None], carry_over: bool,
          floors: Mapping[int, Mapping[str, float]], due_year: int, objective_kind: str,
          mode: str = "exact", integer_only: bool = False, reductions: bool = True) -> MultiYearFormulation:
    """One model for the whole rollout.

    Parameters
    ----------
    years : strictly increasing years.
    budgets : money of each year in the instance's budget measure (None: no limit that year).
    carry_over : unspent money moves on to the next year.
    floors : year -> group floors in force that year.
    due_year : schools, clinics and forced villages must be covered from this year on.
    objective_kind : 'max-coverage' (weighted coverage summed over the years: people-years)
        or 'min-cost' (cost of the whole rollout, i.e. of the last year's state).
    reductions : False leaves out every network reduction and arborescence row in every
        year (the plain model; the same optimum, a weaker bound: for tests of their validity).
    """
    t0 = time.perf_counter()
    years = list(years)
    prebuild = (not carry_over) and len(years) > 1 and any(b is not None for b in budgets)
    if prebuild or not reductions:
        edge_cost = instance.cost(instance.edges["capex"].to_numpy(float), instance.edges["opex"].to_numpy(float))
        network = build_network(instance, builder.terminal_nodes(instance), edge_cost, reduce=False)
    else:
        network = builder.default_network(instance)
    base = eligibility.compute(instance, network)
    n = len(base.candidates)

    model = LinearModel()
    blocks = []
    for k, year in enumerate(years):
        due = year >= due_year
        elig = replace(base, required=base.required.copy() if due else np.zeros(n, dtype=bool),
                       why_required=base.why_required.copy() if due else np.full(n, "", dtype=object),
                       problems=list(base.problems) if due else [])
        first_col, first_row = model.num_vars, model.num_rows
        last = k == len(years) - 1
        block = builder.add_allocation(model, instance, network, elig, floors=dict(floors[year]), budget=None,
                                       mode=mode, integer_only=integer_only,
                                       mcf_limit=MCF_COLUMN_LIMIT // len(years),
                                       strengthen=reductions and (last or not prebuild))
        _prefix(model, first_col, first_row, f"{year}:")
        if blocks:
            _link(model, blocks[-1].columns, block.columns, year)
        blocks.append(block)
    _budget_rows(model, blocks, years, budgets, carry_over)

    if objective_kind == "max-coverage":
        model.sense = "max"
        c = np.zeros(model.num_vars)
        for b in blocks:
            c += objective.coverage_vector(model, instance, b.columns)
        model.obj = c.tolist()
    elif objective_kind == "min-cost":
        model.sense = "min"
        model.obj = cost_vector(model, blocks[-1].columns).tolist()
    else:
        raise ValueError(objective_kind)
    stats = {"fiber": [b.fiber_stats for b in blocks], "build_seconds": time.perf_counter() - t0,
             "prebuild": prebuild, "network_reduced": reductions and not prebuild, **model.stats()}
    return MultiYearFormulation(model, network, years, blocks, {y: dict(floors[y]) for y in years}, prebuild, stats)


def _prefix(model: LinearModel, first_col: int, first_row: int, prefix: str) -> None:
    """Name a block's columns and rows after its year (every block has the same names otherwise)."""
    model.names[first_col:] = [prefix + n for n in model.names[first_col:]]
    model.row_names[first_row:] = [prefix + n for n in model.row_names[first_row:]]


def _pairs(before: np.ndarray, after: np.ndarray):
    both = (before >= 0) & (after >= 0)
    return before[both], after[both]


def _link(model: LinearModel, prev, cur, year: int) -> None:
    """``prev_col - cur_col <= 0`` for every decision column of both years."""
    if not (prev.candidates.equals(cur.candidates) and prev.site_ids.equals(cur.site_ids)
            and len(prev.arc) == len(cur.arc)):
        raise AssertionError("year blocks differ in shape")  # same instance, network and eligibility
    olds, news = [], []
    pairs = [(prev.tech[t], cur.tech[t]) for t in prev.tech]
    for a, b in pairs + [(prev.site_fiber, cur.site_fiber), (prev.site_micro, cur.site_micro), (prev.arc, cur.arc)]:
        o, n = _pairs(a, b)
        olds.append(o)
        news.append(n)
    old, new = np.concatenate(olds), np.concatenate(news)
    if not len(old):
        return
    rows = np.arange(len(old))
    model.add_rows(np.concatenate([rows, rows]), np.concatenate([old, new]),
                   np.concatenate([np.ones(len(old)), -np.ones(len(old))]), -np.inf, np.zeros(len(old)),
                   names=[f"{year}:keep[{model.names[j]}]" for j in old])


def _budget_rows(model: LinearModel, blocks, years, budgets, carry_over: bool) -> None:
    """Per year: new spending <= budget, or (carry-over) cumulative spending <= cumulative budget,
    scaled like every budget row (:func:`.coupling.budget_row`)."""
    total = 0.0
    for k, (year, budget) in enumerate(zip(years, budgets)):
        total = np.inf if budget is None else total + budget
        limit = total if carry_over else budget
        if limit is None or not np.isfinite(limit):
            continue
        c = cost_vector(model, blocks[k].columns)
        if k > 0 and not carry_over:
            c -= cost_vector(model, blocks[k - 1].columns)
        coupling.add_rows(model, [coupling.budget_row(c, limit, name=f"{year}:budget")])
