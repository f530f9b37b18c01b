"""The coupling rows: the budget, the group floors and the satellite beams
(shared capacity pools). They are the only rows that tie villages of different
counties together, and this module is the one place that writes them: for the
monolithic model (:mod:`.builder`), the multi-year model (:mod:`.multiyear`),
the decomposition's LP (the part models stacked side by side) and each part's
own MIP (its share of each row). All of them scale and filter the rows alike.

A row is data (:class:`Row`: name, columns, coefficients, bounds) before it
goes into a :class:`~.linear.LinearModel`, so a caller can shift its columns
(the decomposition stacks part models) and a test can compare the rows of two
models. What the rows need to know about one model's columns is a
:class:`CouplingColumns`, built once by :func:`coupling_columns`.

- budget: ``sum_j cost_j x_j <= B``, written in thousandths of ``B``
  (:data:`BUDGET_UNITS`): coefficients near 1..100 instead of 1e5..1e9, which
  solvers warn about, while a solver's feasibility tolerance on the row (~1e-7)
  stays below 1e-10 of the budget, inside the verifier's tolerance. As a plain
  share of the budget (right-hand side 1) a national plan overshot by 2.6e-7.
- floor of group ``g``: the coverage columns of its registered poor candidates
  sum to at least ``need_g`` (a village takes one technology at most, so the
  sum counts covered members). Written only when ``need_g > 0``.
- beam ``b``: ``sum demand_v x_v(satellite) <= capacity_b``, written only when
  the beam's total demand exceeds its capacity (otherwise it cannot bind).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from ..technologies import pool_id

#: the budget row is written in this many units of the budget (see the module docstring)
BUDGET_UNITS = 1000.0
#: Mbit/s of total demand above a beam's capacity from which its row can bind
BEAM_SLACK = 1e-9

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Row:
    """``lo <= sum_k coefs[k] * x[cols[k]] <= hi``."""

    name: str
    cols: np.ndarray
    coefs: np.ndarray
    lo: float
    hi: float

    def shifted(self, offset: int) -> Row:
        """The same row over columns ``offset`` further on (a block inside a larger model)."""
        return Row(self.name, self.cols + int(offset), self.coefs, self.lo, self.hi)


@dataclass
class CouplingColumns:
    """What the coupling rows need to know about one model's columns.

    ``cost``: each column's cost in the budget measure; ``floor_cols``: floor
    group -> coverage columns of its registered poor candidates;
    ``floor_reachable``: group -> those candidates with any coverage column;
    ``sat_cols``/``sat_demand``/``sat_beam``: the satellite columns, their
    village's demand (Mbit/s) and beam id.
    """

    cost: np.ndarray
    floor_cols: dict
    floor_reachable: dict
    sat_cols: np.ndarray
    sat_demand: np.ndarray
    sat_beam: np.ndarray


def cost_vector(model, columns) -> np.ndarray:
    """Each column's cost in the instance's budget measure (0 for columns that cost nothing)."""
    c = np.zeros(model.num_vars)
    for j, v in columns.cost.items():
        c[j] = v
    return c


def coupling_columns(model, instance, columns, reqs: Iterable[dict]) -> CouplingColumns:
    """The :class:`CouplingColumns` of ``columns`` (a :class:`~.variables.Columns` in ``model``);
    ``reqs``: the floor requirements (:func:`.floors.requirements`)."""
    pos = {vid: i for i, vid in enumerate(columns.candidates)}
    floor_cols, reachable = {}, {}
    for req in reqs:
        idx = [pos[v] for v in req["members"] if v in pos]
        floor_cols[req["group"]] = np.array([c for i in idx for c in columns.coverage_cols(i)], dtype=np.int64)
        reachable[req["group"]] = sum(1 for i in idx if columns.coverage_cols(i))
    # every terminal technology's columns with the capacity pool each draws on (pool_id)
    reg = instance.costs.technologies
    sat_cols, sat_demand, sat_beam = [_EMPTY], [np.zeros(0)], [np.zeros(0, dtype=object)]
    for name, arr in columns.of_kind("terminal").items():
        on = arr >= 0
        sat = instance.villages.loc[columns.candidates[on]]
        sat_cols.append(arr[on].astype(np.int64))
        sat_demand.append(sat["demand_mbps"].to_numpy(float))
        sat_beam.append(np.array([pool_id(reg, name, b) for b in sat["beam"].astype(str)], dtype=object))
    return CouplingColumns(cost=cost_vector(model, columns), floor_cols=floor_cols, floor_reachable=reachable,
                           sat_cols=np.concatenate(sat_cols), sat_demand=np.concatenate(sat_demand),
                           sat_beam=np.concatenate(sat_beam))


def beam_capacities(beams) -> dict:
    """Beam id -> capacity (Mbit/s) from an instance's ``beams`` table."""
    return {str(b): float(c) for b, c in beams["capacity_mbps"].items()}


def budget_row(cost: np.ndarray, limit: float | None, *, name: str = "budget") -> Row | None:
    """``cost . x <= limit`` in thousandths of ``limit``; None without a limit."""
    if limit is None:
        return None
    cost = np.asarray(cost, dtype=float)
    nz = np.flatnonzero(cost)
    scale = float(limit) / BUDGET_UNITS if limit > 0 else 1.0
    return Row(name, nz.astype(np.int64), cost[nz] / scale, -np.inf, float(limit) / scale)


def floor_rows(floor_cols: Mapping[str, np.ndarray], needs: Mapping[str, float], *,
               name: str = "floor") -> list[Row]:
    """One row per group with a positive need: its coverage columns sum to the need at least.
    A group no column reaches gets an empty row (infeasible: the need cannot be met)."""
    rows = []
    for group, need in sorted(needs.items()):
        if need > 0:
            cols = np.asarray(floor_cols.get(group, _EMPTY), dtype=np.int64)
            rows.append(Row(f"{name}[{group}]", cols, np.ones(len(cols)), float(need), np.inf))
    return rows


def binding_beams(sat_demand: np.ndarray, sat_beam: np.ndarray, capacity: Mapping[str, float]) -> dict:
    """Beam -> capacity, for the beams of ``sat_beam`` whose total demand can exceed their capacity.
    A beam ``capacity`` leaves out gets no row (a part's targets may name only some beams)."""
    out = {}
    for beam in sorted(set(np.asarray(sat_beam).tolist())):
        if beam not in capacity:
            continue
        cap = float(capacity[beam])
        if float(np.asarray(sat_demand)[np.asarray(sat_beam) == beam].sum()) > cap + BEAM_SLACK:
            out[beam] = cap
    return out


def beam_rows(sat_cols: np.ndarray, sat_demand: np.ndarray, sat_beam: np.ndarray,
              capacity: Mapping[str, float], *, name: str = "beam") -> list[Row]:
    """One row per beam that can bind: the demand of its satellite villages within ``capacity[beam]``."""
    sat_cols, sat_demand, sat_beam = np.asarray(sat_cols, dtype=np.int64), np.asarray(sat_demand), np.asarray(sat_beam)
    rows = []
    for beam, cap in binding_beams(sat_demand, sat_beam, capacity).items():
        on = sat_beam == beam
        rows.append(Row(f"{name}[{beam}]", sat_cols[on], sat_demand[on].astype(float), -np.inf, cap))
    return rows


def add_rows(model, rows: Iterable[Row | None]) -> None:
    """Append ``rows`` (None entries skipped) to ``model``."""
    for r in rows:
        if r is not None:
            model.add_row(r.cols, r.coefs, r.lo, r.hi, name=r.name)
