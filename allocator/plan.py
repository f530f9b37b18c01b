"""A plan: the decision plus every derived table a user reads.

Built by :func:`assemble` from an instance and a :class:`Decision` (so a plan
read back from files, or edited by hand, is rebuilt the same way).
Tables (pandas, index = id):

- ``villages`` (village_id): county_id, province, prefecture, poor, population, existing,
  technology ('fiber'|'4g'|'satellite'|'none'), covered (bool: existing or new), site_id
  ('' unless 4g), route (fiber villages: node ids from a backbone node to the village's
  node joined by '>'), capex, opex, cost (budget measure), weight (objective weight),
  groups (';'-joined).
- ``edges`` (edge_id): built trenches: u, v, length_km, capex, opex, cost.
- ``sites`` (site_id): opened sites: backhaul ('fiber'|'microwave'), villages (count
  served), capex, opex, backhaul_capex, backhaul_opex, cost.
- ``beams`` (beam_id): villages, used_mbps, capacity_mbps.
- ``groups`` (group): poor_villages, covered, share, floor, met.
- ``summary``: dict with at least status, objective, objective_kind, bound, gap,
  total_cost, total_capex, total_tco, budget, budget_measure, solver, solver_version,
  mode, build_seconds, solve_seconds, content_hash, instance, options, verified,
  villages_covered, villages_total, by_technology, model_size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .decision import Decision


@dataclass
class Plan:
    decision: Decision
    villages: pd.DataFrame
    edges: pd.DataFrame
    sites: pd.DataFrame
    beams: pd.DataFrame
    groups: pd.DataFrame
    summary: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.summary.get("status", "")

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")

    @property
    def bound(self) -> float | None:
        return self.summary.get("bound")

    @property
    def gap(self) -> float | None:
        return self.summary.get("gap")

    @property
    def total_cost(self) -> float:
        return float(self.summary.get("total_cost", 0.0))
