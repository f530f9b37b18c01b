"""What a multi-year rollout is asked to do: its years, the money of each
year, and the rules in force in each year.

An instance states its rollout in an optional ``[rollout]`` table of
instance.toml (read by :func:`read_rollout_table` when the instance is
loaded)::

    [rollout]
    years = [2018, 2019, 2020]
    budgets = [5e8, 5e8, 5e8]   # per year, in the instance's budget measure
    carry_over = false          # unspent money moves to the next year (default false)
    required_by = 2020          # schools, clinics, forced villages covered from this year (default: the last)

Rules per year (shared by the model and the checker, documented in docs/rollout.md):

- floors: the policy's latest milestone at or before the year; groups that
  milestone does not list have no floor that year, and years before the
  first milestone have none. A policy without milestones: the groups' own
  floors (the programme's end targets) hold in the last year only.
- schools, clinics and forced technologies: every required village is
  covered from ``required_by`` on (the programme gives them no earlier date);
  technology limits (forbid and force rules, school bandwidth) hold every year.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from ..errors import InputError, OptionsError
from ..io.tomlsource import find_line
from ..schema import BUDGET, format_number
from ..spelling import unknown_key_fix

KEYS = ("years", "budgets", "carry_over", "required_by")


@dataclass(frozen=True)
class RolloutSpec:
    """years: strictly increasing; budgets: one per year (None: no limit that year)."""

    years: tuple[int, ...]
    budgets: tuple[float | None, ...]
    carry_over: bool = False
    required_by: int | None = None

    @property
    def due_year(self) -> int:
        """The year from which schools, clinics and forced villages must be covered."""
        return self.years[-1] if self.required_by is None else self.required_by

    def cumulative_budgets(self) -> list[float | None]:
        """Money spent by the end of each year at most, whatever the carry-over rule."""
        out, total = [], 0.0
        for b in self.budgets:
            total = math.inf if b is None else total + b
            out.append(None if math.isinf(total) else total)
        return out


# --------------------------------------------------------------------------- validation
def check_spec(years, budgets, carry_over: bool = False, required_by=None, *, error=None) -> RolloutSpec:
    """A validated :class:`RolloutSpec`; ``error(key, problem, fix)`` builds the exception
    (default: :class:`~allocator.errors.OptionsError`)."""
    if error is None:
        def error(key, problem, fix):
            return OptionsError(f"rollout {key}: {problem}", fix=fix)
    if isinstance(years, (str, bytes)) or not isinstance(years, Sequence) or not years:
        raise error("years", f"must be a non-empty list of years, got {years!r}", "write years = [2018, 2019, 2020]")
    for y in years:
        if isinstance(y, bool) or not isinstance(y, int):
            raise error("years", f"{y!r} is not a year", "write whole years, e.g. years = [2018, 2019, 2020]")
    if any(b <= a for a, b in zip(years, years[1:])):
        raise error("years", f"must increase strictly, got {list(years)}", "list each year once, in order")
    if budgets is None:
        budgets = [None] * len(years)
    if isinstance(budgets, (str, bytes)) or not isinstance(budgets, Sequence):
        raise error("budgets", f"must be a list with one budget per year, got {budgets!r}",
                    f"write budgets = [{', '.join('5e8' for _ in years)}]")
    if len(budgets) != len(years):
        raise error("budgets", f"{len(budgets)} budgets for {len(years)} years ({', '.join(map(str, years))})",
                    "give exactly one budget per year (a single budget is not split across years)")
    clean = []
    for y, b in zip(years, budgets):
        if b is None:
            clean.append(None)
            continue
        if (isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(float(b))
                or not BUDGET.contains(float(b))):
            raise error("budgets", f"the budget of {y} must be a finite number >= 0 and <= "
                                   f"{format_number(BUDGET.high)}, got {b!r} (allowed: {BUDGET.text()})",
                        "write non-negative numbers without quotes, e.g. 5e8")
        clean.append(float(b))
    if not isinstance(carry_over, bool):
        raise error("carry_over", f"must be true or false, got {carry_over!r}", "write carry_over = true")
    if required_by is not None and (isinstance(required_by, bool) or not isinstance(required_by, int)
                                    or not years[0] <= required_by <= years[-1]):
        raise error("required_by", f"must be a year from {years[0]} to {years[-1]}, got {required_by!r}",
                    f"write e.g. required_by = {years[-1]}")
    return RolloutSpec(tuple(int(y) for y in years), tuple(clean), bool(carry_over), required_by)


def read_rollout_table(table, *, toml_text: str | None = None, from_overrides: bool = False) -> RolloutSpec | None:
    """The ``[rollout]`` table of instance.toml as a :class:`RolloutSpec` (None when absent).

    Raises
    ------
    InputError
        naming instance.toml, the line and the key, and what would fix it.
    """
    if table is None:
        return None

    def error(key, problem, fix):
        if from_overrides:
            return InputError(problem, file="overrides", column=f"rollout.{key}", fix=fix)
        return InputError(problem, file="instance.toml", line=find_line(toml_text, ["rollout", key]),
                          column=f"rollout.{key}", fix=fix)

    if not isinstance(table, Mapping):
        raise InputError(f"'rollout' must be a table, got {table!r}", file="instance.toml",
                         line=find_line(toml_text, ["rollout"]), column="rollout",
                         fix="write [rollout] with years = [...] and budgets = [...]")
    for key in table:
        if key not in KEYS:
            raise error(key, f"unknown key '{key}' in [rollout]", unknown_key_fix(key, KEYS))
    if "years" not in table:
        raise error("years", "[rollout] has no years", "write years = [2018, 2019, 2020]")
    return check_spec(table["years"], table.get("budgets"), table.get("carry_over", False),
                      table.get("required_by"), error=error)


# --------------------------------------------------------------------------- rules per year
def floors_by_year(policy, years: Sequence[int]) -> dict[int, dict[str, float]]:
    """Group floors in force in each year (see the module docstring)."""
    years = list(years)
    if not policy.milestones:
        return {y: (dict(policy.floors()) if y == years[-1] else {}) for y in years}
    out = {}
    for y in years:
        past = [m for m in policy.milestones if m <= y]
        out[y] = dict(sorted(policy.milestones[max(past)].items())) if past else {}
    return out


def policy_for_year(policy, floors: Mapping[str, float], *, requirements: bool):
    """``policy`` with ``floors`` as its group floors; without ``requirements``
    (before the due year) schools, clinics and force rules do not bind."""
    from ..instance import GroupPolicy

    groups = {name: GroupPolicy(name=name, label=g.label, priority=g.priority, floor=floors.get(name))
              for name, g in policy.groups.items()}
    for name in sorted(set(floors) - set(groups)):
        groups[name] = GroupPolicy(name=name, floor=floors[name])
    changes = {"groups": groups}
    if not requirements:
        changes.update(schools_required=False, clinics_required=False,
                       rules=tuple(r for r in policy.rules if r.action != "force"))
    return replace(policy, **changes)


def year_instance(instance, spec: RolloutSpec, year: int, floors: Mapping[str, float]):
    """The instance as the plan of ``year`` is checked against: that year's floors and
    requirements, and the money available by its end (every budget so far)."""
    k = spec.years.index(year)
    return instance.with_changes(
        policy=policy_for_year(instance.policy, floors, requirements=year >= spec.due_year),
        budget=spec.cumulative_budgets()[k])
