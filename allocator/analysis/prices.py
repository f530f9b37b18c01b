"""Prices of policy, computed by re-solving, never read off LP duals.

- **Price of a floor**: the least cost of meeting every floor (min-cost, no
  budget), against the least cost with that one floor moved down (and up) by
  ``step``. "What the last 1% of the 三区三州 floor costs" is the first
  difference; "what the next 1% would cost" the second. A floor binds on whole
  villages (ceil(floor x poor villages)), so the table also says how many
  villages the step adds.
- **Price of the budget**: weighted coverage at the budget, at budget +
  ``budget_step`` and at budget - ``budget_step`` (max-coverage each): the
  coverage one more unit of money buys, and the coverage the last unit bought.

The duals of a MIP's LP relaxation are not prices of the MIP (the integer
optimum moves in steps), so none are reported. Each price is an interval built
from the solves' proven bounds; when every solve is optimal the interval is a
single number. A solve with no plan (a floor that cannot be met at any cost)
makes that price infinite, with the reason.
"""
from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from ..errors import AllocatorError, InfeasibleError, OptionsError


def _with_floor(instance, group: str, floor: float):
    groups = dict(instance.policy.groups)
    groups[group] = replace(groups[group], floor=floor)
    return instance.with_changes(policy=replace(instance.policy, groups=groups))


def _solve(instance, *, objective: str, budget, options: dict, solve_fn=None) -> dict:
    """{value, bound, status, message}: the objective and the proven bound of one solve."""
    if solve_fn is not None:
        return solve_fn(instance, objective, budget, options)
    from ..solve.api import solve

    try:
        # the budget goes into the instance (not solve's budget=) so the verifier checks the same budget
        plan = solve(instance.with_changes(budget=budget), objective=objective, **options)
    except InfeasibleError as err:
        return {"value": None, "bound": None, "status": "infeasible", "message": str(err).splitlines()[0]}
    except AllocatorError as err:  # solver trouble, or a plan failing verification
        return {"value": None, "bound": None, "status": "error", "message": " ".join(str(err).split())[:300]}
    s = plan.summary
    bound = s.get("bound")
    return {"value": float(s["objective"]), "bound": float(bound) if bound is not None else None,
            "status": str(s.get("status")), "message": ""}


def _interval_min(hi: dict, lo: dict) -> tuple[float, float]:
    """Range of (optimal cost of ``hi``) - (optimal cost of ``lo``) for two min-cost solves.

    A min solve's optimum lies in [bound, value]."""
    if hi["value"] is None:
        return math.inf, math.inf
    if lo["value"] is None:
        return -math.inf, -math.inf
    hb = hi["bound"] if hi["bound"] is not None else -math.inf
    lb = lo["bound"] if lo["bound"] is not None else -math.inf
    return hb - lo["value"], hi["value"] - lb


def _interval_max(hi: dict, lo: dict) -> tuple[float, float]:
    """Range of (optimum of ``hi``) - (optimum of ``lo``) for two max solves (optimum in [value, bound])."""
    if hi["value"] is None or lo["value"] is None:
        return math.nan, math.nan
    hb = hi["bound"] if hi["bound"] is not None else math.inf
    lb = lo["bound"] if lo["bound"] is not None else math.inf
    return hi["value"] - lb, hb - lo["value"]


def _mid(lo: float, hi: float) -> float:
    if math.isinf(lo) and lo == hi:
        return lo
    return (lo + hi) / 2 if math.isfinite(lo) and math.isfinite(hi) else math.nan


def _poor_members(instance, group: str) -> set:
    v = instance.villages.loc[instance.group_members(group)]
    return set(v.index[v["poor"].astype(bool)])


def _why_free(instance, group: str, floors: dict, asked: int, moved: int, which: str) -> str:
    """Why the ``which`` step of ``group``'s floor costs nothing: the step moves no village, or
    another floor already requires at least ``asked`` of this group's poor villages (that floor
    binds), or the least-cost plan covers them for other reasons."""
    if moved == 0:
        return f"the {which} step costs 0: it moves no village (the floor asks for {asked} either way)"
    mine = _poor_members(instance, group)
    binding = []
    for other, f in sorted(floors.items()):
        if other == group:
            continue
        theirs = _poor_members(instance, other)
        required = math.ceil(float(f) * len(theirs) - 1e-9)
        # the other floor's villages outside this group cannot supply more than len(theirs - mine)
        forced = required - len(theirs - mine)
        if forced >= asked:
            binding.append(f"'{other}' ({float(f):.0%}) requires at least {forced} of them")
    if binding:
        return (f"the {which} step costs 0: this floor does not bind, a stricter floor does: "
                + "; ".join(binding) + f" (this floor's {which} step asks for {asked})")
    return (f"the {which} step costs 0: the least-cost plan already covers more of this group's poor villages "
            f"than {asked} (required schools or clinics, existing connections, or cheap coverage)")


def floor_prices(instance, *, step: float = 0.01, groups=None, solve_fn=None, **solve_options) -> pd.DataFrame:
    """Cost of the last and of the next ``step`` of each floor (min-cost re-solves, no budget).

    Returns one row per floored group: group, floor, poor_villages, villages_at_floor,
    villages_at_floor_minus, villages_at_floor_plus, min_cost, cost_last_step (low, high),
    cost_next_step (low, high), proven (every solve optimal), note.

    Raises
    ------
    OptionsError
        ``step`` not in (0, 1), or an unknown group.
    """
    if not (0 < step < 1):
        raise OptionsError(f"floor step {step!r} must be in (0, 1)", column="--step", fix="use e.g. --step 0.01 (1%)")
    floors = instance.policy.floors()
    names = sorted(floors) if groups is None else list(groups)
    for g in names:
        if g not in floors:
            raise OptionsError(f"group '{g}' has no floor", column="--group",
                               fix=f"use one of: {', '.join(sorted(floors)) or '(no group has a floor)'}")
    base = _solve(instance, objective="min-cost", budget=None, options=solve_options, solve_fn=solve_fn)
    rows = []
    for g in names:
        f = float(floors[g])
        poor = int(instance.villages.loc[instance.group_members(g), "poor"].astype(bool).sum())
        need = lambda x: math.ceil(x * poor - 1e-9)  # noqa: E731  villages a floor asks for
        row = {"group": g, "floor": f, "poor_villages": poor, "villages_at_floor": need(f),
               "min_cost": base["value"], "min_cost_status": base["status"]}
        solves = [base]
        notes = []
        down = max(f - step, 0.0)
        if down < f:
            r = _solve(_with_floor(instance, g, down), objective="min-cost", budget=None, options=solve_options,
                       solve_fn=solve_fn)
            solves.append(r)
            row["villages_at_floor_minus"] = need(down)
            row["cost_last_step_low"], row["cost_last_step_high"] = _interval_min(base, r)
        else:
            notes.append("floor is 0: no last step")
        up = min(f + step, 1.0)
        if up > f:
            r = _solve(_with_floor(instance, g, up), objective="min-cost", budget=None, options=solve_options,
                       solve_fn=solve_fn)
            solves.append(r)
            row["villages_at_floor_plus"] = need(up)
            row["cost_next_step_low"], row["cost_next_step_high"] = _interval_min(r, base)
            if r["value"] is None:
                notes.append(f"floor {up:.1%}: {r['message'] or r['status']}")
        else:
            notes.append("floor is 100%: no next step")
        for key, minus in (("cost_last_step", True), ("cost_next_step", False)):
            lo, hi = row.get(f"{key}_low"), row.get(f"{key}_high")
            if lo is not None and hi is not None and abs(lo) < 0.5 and abs(hi) < 0.5:
                moved = abs(row["villages_at_floor"] - row[f"villages_at_floor_{'minus' if minus else 'plus'}"])
                notes.append(_why_free(instance, g, floors, need(down if minus else up), moved,
                                       "last" if minus else "next"))
        if base["value"] is None:
            notes.insert(0, f"the floors cannot be met at any cost: {base['message']}")
        row["proven"] = all(s["status"] == "optimal" for s in solves)
        row["note"] = "; ".join(notes)
        rows.append(row)
    cols = ["group", "floor", "poor_villages", "villages_at_floor_minus", "villages_at_floor",
            "villages_at_floor_plus", "min_cost", "min_cost_status", "cost_last_step_low", "cost_last_step_high",
            "cost_next_step_low", "cost_next_step_high", "proven", "note"]
    out = pd.DataFrame(rows)
    for c in cols:
        if c not in out:
            out[c] = math.nan
    out = out[cols]
    out["cost_last_step"] = [_mid(a, b) for a, b in zip(out["cost_last_step_low"], out["cost_last_step_high"])]
    out["cost_next_step"] = [_mid(a, b) for a, b in zip(out["cost_next_step_low"], out["cost_next_step_high"])]
    return out


def budget_price(instance, *, budget: float | None = None, budget_step: float | None = None, solve_fn=None,
                 **solve_options) -> dict:
    """Weighted coverage bought by the last and by the next ``budget_step`` of money (max-coverage re-solves).

    ``budget`` defaults to the instance's; ``budget_step`` to 1% of it. Returns a dict with
    budget, step, coverage (at budget - step, budget, budget + step), the gains
    (low, high) and per million of currency, and whether every solve was optimal.
    """
    budget = instance.budget if budget is None else budget
    if budget is None or not math.isfinite(budget) or budget <= 0:
        raise OptionsError("the budget price needs a positive budget", column="--budget",
                           fix="give the instance a budget or pass --budget")
    step = budget_step if budget_step is not None else 0.01 * budget
    if not (step > 0):
        raise OptionsError(f"budget step {step!r} must be positive", column="--budget-step", fix="e.g. 1e7")
    at = {}
    for b in (max(budget - step, 0.0), budget, budget + step):
        at[b] = _solve(instance, objective="max-coverage", budget=b, options=solve_options, solve_fn=solve_fn)
    lo_b, mid_b, hi_b = sorted(at)
    last = _interval_max(at[mid_b], at[lo_b])
    nxt = _interval_max(at[hi_b], at[mid_b])
    per = 1e6 / step
    return {
        "budget": mid_b, "step": step,
        "coverage_minus": at[lo_b]["value"], "coverage": at[mid_b]["value"], "coverage_plus": at[hi_b]["value"],
        "gain_last_step_low": last[0], "gain_last_step_high": last[1],
        "gain_next_step_low": nxt[0], "gain_next_step_high": nxt[1],
        "gain_last_per_million": _mid(*last) * per if math.isfinite(_mid(*last)) else math.nan,
        "gain_next_per_million": _mid(*nxt) * per if math.isfinite(_mid(*nxt)) else math.nan,
        "proven": all(r["status"] == "optimal" for r in at.values()),
        "statuses": {f"{b:.0f}": r["status"] for b, r in at.items()},
    }


def render_prices(floors: pd.DataFrame, budget: dict | None, currency: str) -> str:
    """Plain text for the terminal."""
    lines = []
    for _, r in floors.iterrows():
        head = f"floor of {r['group']}: {r['floor']:.1%} ({r['villages_at_floor']} of {r['poor_villages']} poor villages)"
        lines.append(head)
        if r["min_cost"] is not None and not pd.isna(r["min_cost"]):
            lines.append(f"  least cost meeting every floor: {r['min_cost']:,.0f} {currency}")
        for key, word, villages in (("cost_last_step", "the last", "villages_at_floor_minus"),
                                    ("cost_next_step", "the next", "villages_at_floor_plus")):
            lo, hi = r[f"{key}_low"], r[f"{key}_high"]
            if pd.isna(lo):
                continue
            n = r[villages]
            moved = abs(int(r["villages_at_floor"]) - int(n)) if not pd.isna(n) else 0
            if math.isinf(lo):
                lines.append(f"  {word} step: cannot be met at any cost")
                continue
            lo, hi = (0.0 if abs(x) < 0.5 else x for x in (lo, hi))  # no "-0"
            amount = f"{lo:,.0f}" if abs(hi - lo) < 0.5 else f"{lo:,.0f} .. {hi:,.0f} (not proven optimal)"
            lines.append(f"  {word} step ({moved} village{'s' if moved != 1 else ''}): {amount} {currency}")
        if r["note"]:
            lines.append(f"  note: {r['note']}")
    if budget:
        lines.append(f"budget {budget['budget']:,.0f} {currency}, step {budget['step']:,.0f}: weighted coverage "
                     f"{_f(budget['coverage_minus'])} / {_f(budget['coverage'])} / {_f(budget['coverage_plus'])}")
        lines.append(f"  the last step bought {_f(budget['gain_last_per_million'])} per million {currency}; "
                     f"the next would buy {_f(budget['gain_next_per_million'])} per million"
                     + ("" if budget["proven"] else " (not every solve proven optimal: see the intervals)"))
    return "\n".join(lines)


def _f(x) -> str:
    from ..reports.numbers import number
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else number(x)
