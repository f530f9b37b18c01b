"""Solver-independent checks of a multi-year rollout.

:func:`check_rollout` takes the cumulative :class:`~allocator.decision.Decision`
of each year (the state at the end of the year) and checks, from the instance
alone (no code shared with :mod:`allocator.formulation`):

- each year's state passes :func:`allocator.verify.verify` against that
  year's rules (floors of the milestone in force, schools/clinics/forced
  villages from the due year, every budget so far as the money available);
- nothing is un-built and nothing is built twice: a village connected in one
  year keeps its technology in every later year (a switch would pay a second
  connection), a dug trench stays dug, an opened site stays open with the
  same backhaul;
- each year's new spending (what is in its state and not in the previous
  year's) is within its budget, plus what earlier years left unspent when
  money carries over;
- the milestones: in each year every group with a floor covers at least that
  share of its registered poor villages;
- the stated people-years (or rollout cost) match the recomputed ones.

The per-year figures it computes are the rollout table (rollout.csv).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from ..decision import Decision
from ..errors import VerificationError
from .rollout_spec import RolloutSpec, floors_by_year, year_instance
from ..schema import NO_TECHNOLOGY, Objective
from ..technologies import terminal_columns
from ..verify import ABS_TOL, OBJECTIVE_RTOL, REL_TOL, SHARE_TOL, VerificationReport, verify


@dataclass
class RolloutReport:
    """ok: no violation. table: one row per year (see :func:`check_rollout`).
    years: the :class:`~allocator.verify.VerificationReport` of each year's state."""

    ok: bool
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    years: dict = field(default_factory=dict)

    def raise_if_failed(self) -> "RolloutReport":
        if not self.ok:
            raise VerificationError(self.violations)
        return self


def _within(value: float, limit: float | None) -> bool:
    return limit is None or value <= limit + REL_TOL * abs(limit) + ABS_TOL


def _money(x: float, currency: str) -> str:
    return f"{float(x):,.2f} {currency}"


def check_rollout(instance, spec: RolloutSpec, decisions: Mapping[int, Decision], *,
                  summary: dict | None = None, year_summaries: Mapping[int, dict] | None = None) -> RolloutReport:
    """Check a rollout and tabulate it year by year.

    Parameters
    ----------
    instance : the instance the rollout was made for.
    spec : years, budgets, carry-over and due year of the rollout.
    decisions : year -> cumulative decision at the end of that year.
    summary : the rollout's summary; its ``objective`` (people-years for
        max-coverage and lexicographic, the rollout's cost for min-cost) and
        ``cost_objective`` are checked when present.
    year_summaries : year -> summary of that year's plan, handed to :func:`verify`.

    Returns
    -------
    RolloutReport
        ``table`` columns: new_fiber, new_4g, new_satellite (villages newly
        connected), new_edges, new_trench_km, new_sites, spend (new spending),
        budget, carried_in, available (budget + carried_in; NaN: no limit),
        cumulative_spend, villages_covered, coverage (objective weight x
        quality), and per group with a floor in some year and registered
        poor villages ``<group>_share`` and ``<group>_floor`` (NaN: no floor that year).
    """
    inst, cur = instance, instance.currency
    floors = floors_by_year(inst.policy, spec.years)
    violations: list[str] = []
    warnings: list[str] = []
    year_summaries = year_summaries or {}
    villages, edges, sites = inst.villages, inst.edges, inst.sites
    reg = inst.costs.technologies
    new_techs = reg.access
    village_cost = {t: inst.cost(villages["fiber_capex"].astype(float), villages["fiber_opex"].astype(float))
                    for t in reg.names_of("network")}
    for t in reg.names_of("terminal"):
        capex_col, opex_col = terminal_columns(t)
        village_cost[t] = inst.cost(villages[capex_col].astype(float), villages[opex_col].astype(float))
    edge_cost = inst.cost(edges["capex"].astype(float), edges["opex"].astype(float))
    site_cost = inst.cost(sites["capex"].astype(float), sites["opex"].astype(float))
    microwave_cost = inst.cost(sites["backhaul_capex"].astype(float), sites["backhaul_opex"].astype(float))
    poor = villages["poor"].astype(bool)
    members_of = {}  # registered poor villages of each group with a floor in some year (none: not tabulated)
    for g in sorted({g for fl in floors.values() for g in fl}):
        members = inst.group_members(g)
        members = members[poor.reindex(members).to_numpy(dtype=bool)]
        if len(members):
            members_of[g] = members

    prev_year, prev = None, Decision.empty([])
    carry, cumulative = 0.0, 0.0
    rows, reports = [], {}
    for k, year in enumerate(spec.years):
        dec = decisions.get(year)
        if dec is None:
            violations.append(f"{year}: the rollout has no plan for this year")
            continue
        tech = {v: str(t) for v, t in dec.technology.items()}
        before = {v: str(t) for v, t in prev.technology.items()}
        # --- nothing un-built, nothing built twice
        for v in sorted(before, key=str):
            old, new = before[v], tech.get(v, NO_TECHNOLOGY)
            if old != NO_TECHNOLOGY and new != old:
                what = "loses its connection" if new == NO_TECHNOLOGY else f"switches to {new} (built twice)"
                violations.append(f"{year}: village {v} was connected by {old} in {prev_year} but {what}")
        for e in sorted(set(prev.built_edges) - set(dec.built_edges), key=str):
            violations.append(f"{year}: edge {e} was built by {prev_year} but is missing (nothing is un-built)")
        for s, b in sorted(prev.opened_sites.items(), key=lambda kv: str(kv[0])):
            now = dec.opened_sites.get(s)
            if now is None:
                violations.append(f"{year}: site {s} was opened by {prev_year} but is closed")
            elif str(now) != str(b):
                violations.append(f"{year}: site {s} had {b} backhaul in {prev_year} and {now} in {year} "
                                  f"(its backhaul built twice)")
        new_v = {v: t for v, t in tech.items() if t in new_techs and before.get(v, NO_TECHNOLOGY) == NO_TECHNOLOGY
                 and v in villages.index}
        new_e = sorted(e for e in set(dec.built_edges) - set(prev.built_edges) if e in edges.index)
        new_s = {s: str(b) for s, b in dec.opened_sites.items() if s not in prev.opened_sites and s in sites.index}

        # --- money of the year
        spend = float(sum(village_cost[t][v] for v, t in new_v.items() if t in village_cost))
        spend += float(edge_cost.loc[new_e].sum())
        spend += float(sum(site_cost[s] + (microwave_cost[s] if b == "microwave" else 0.0) for s, b in new_s.items()))
        budget = spec.budgets[k]
        carried_in = carry if spec.carry_over else 0.0
        available = None if budget is None or carried_in is None else budget + carried_in
        if not _within(spend, available):
            violations.append(f"{year}: new spending {_money(spend, cur)} exceeds the money of the year, "
                              f"{_money(available, cur)} (budget {_money(budget, cur)}"
                              + (f" + {_money(carried_in, cur)} carried over)" if spec.carry_over else ")"))
        carry = None if available is None else max(available - spend, 0.0)
        cumulative += spend

        # --- the year's state against the year's rules
        view = year_instance(inst, spec, year, floors[year])
        stated = {key: v for key, v in (year_summaries.get(year) or {}).items() if key != "budget"}
        rep: VerificationReport = verify(view, dec, summary=stated)  # the money comes from ``spec``
        reports[year] = rep
        violations += [f"{year}: {m}" for m in rep.violations]
        warnings += [f"{year}: {m}" for m in rep.warnings]
        total = rep.recomputed.get("total_cost", math.nan)
        if abs(total - cumulative) > OBJECTIVE_RTOL * max(1.0, abs(total)):
            violations.append(f"{year}: the state costs {_money(total, cur)} but the spending of the years so far "
                              f"adds up to {_money(cumulative, cur)}")

        # --- milestones
        covered = pd.Series({v: t in new_techs for v, t in tech.items()}, dtype=bool).reindex(villages.index)
        covered = covered.fillna(False).astype(bool) | (villages["existing"].astype(str) != "none")
        row = {"year": year, **{f"new_{t}": sum(1 for x in new_v.values() if x == t) for t in new_techs},
               "new_edges": len(new_e), "new_trench_km": float(edges.loc[new_e, "length_km"].astype(float).sum()),
               "new_sites": len(new_s), "spend": spend, "budget": budget, "carried_in": carried_in,
               "available": available, "cumulative_spend": cumulative,
               "villages_covered": int(covered.sum()), "coverage": rep.recomputed.get("coverage")}
        for g, members in members_of.items():
            share = float(covered.reindex(members).mean())
            floor = floors[year].get(g)
            row[f"{g}_share"], row[f"{g}_floor"] = share, floor
            if floor is not None and share < floor - SHARE_TOL:
                violations.append(f"{year}: milestone missed: group {g} has {share:.2%} of its registered poor "
                                  f"villages covered, the floor in force is {floor:.2%}")
        rows.append(row)
        prev_year, prev = year, dec

    table = pd.DataFrame(rows).set_index("year") if rows else pd.DataFrame()
    if summary and rows and len(rows) == len(spec.years):
        _check_stated(summary, table, reports, spec, violations)
    return RolloutReport(ok=not violations, violations=violations, warnings=warnings, table=table, years=reports)


def _check_stated(summary: dict, table: pd.DataFrame, reports: dict, spec: RolloutSpec, violations: list) -> None:
    try:
        kind = Objective(summary.get("objective_kind") or Objective.MAX_COVERAGE.value)
    except ValueError:
        violations.append(f"summary objective_kind '{summary.get('objective_kind')}' is unknown")
        return
    people_years = float(table["coverage"].sum())
    cost = float(reports[spec.years[-1]].recomputed["total_cost"])
    checks = [("objective", "rollout cost" if kind is Objective.MIN_COST else "people-years",
               cost if kind is Objective.MIN_COST else people_years)]
    if kind is Objective.LEXICOGRAPHIC:
        checks.append(("cost_objective", "rollout cost", cost))
    for key, label, value in checks:
        stated = summary.get(key)
        if stated is None or isinstance(stated, bool):
            continue
        if abs(float(stated) - value) > OBJECTIVE_RTOL * max(1.0, abs(value)):
            violations.append(f"{key} mismatch: the rollout states {float(stated):,.6g} but recomputing the "
                              f"{label} from the yearly plans gives {value:,.6g}")
