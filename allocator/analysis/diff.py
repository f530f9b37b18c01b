"""Which villages changed technology between two plans, and why.

:func:`diff_plans` lists every village whose technology differs between plan A
and plan B, with the factors that changed for that village between the two
instances and one ``reason`` taken from them by a fixed precedence:

=========  =====================================================================
reason     the village's situation changed this way from A to B
=========  =====================================================================
rule       the technologies it may use differ (a force/forbid rule, or its
           ``technologies`` column)
floor      the floor of one of its groups differs and the village was gained or
           lost (a floor counts covered villages, so it cannot explain a
           switch between two technologies that both cover the village)
priority   its objective weight differs (group priority or non-poor weight)
cost       the standalone cost of one of its options differs (a cost override:
           its drop, its terminal, a trench on its cheapest path, a site covering it)
budget     nothing about the village itself differs, but the budget does
other      none of the above: the plans differ through neighbours (a shared
           trench or site now built for others), an equally good alternative,
           or a different solve of the same question (mode, gap, time limit)
=========  =====================================================================

The precedence runs from the most direct cause to the least: a rule decides the
village outright; a floor or a weight changes what its group is asked for; a
cost changes its price; the budget changes every village at once. ``factors``
lists every factor that applies, so the choice of one is never hiding another.
Without instances only ``floor`` (from the plans' group tables), ``priority``
(from the plans' weights) and ``budget`` can be told.
"""
from __future__ import annotations

import math

import pandas as pd

REASONS = ("rule", "floor", "priority", "cost", "budget", "other")
_REL = 1e-9


def _changed(a, b) -> bool:
    a, b = float(a), float(b)
    if math.isnan(a) and math.isnan(b):
        return False
    if math.isnan(a) or math.isnan(b):
        return True
    return abs(a - b) > _REL * max(1.0, abs(a), abs(b))


def _group_floors(plan, instance) -> dict[str, float]:
    if instance is not None:
        return {g: float(f) for g, f in instance.policy.floors().items()}
    groups = plan.groups
    if groups is None or "floor" not in groups:
        return {}
    return {str(g): float(f) for g, f in groups["floor"].items() if pd.notna(f)}


def _village_groups(plan, instance) -> pd.Series:
    if instance is not None:
        return instance.villages["groups"].map(lambda gs: tuple(sorted(gs)))
    return plan.villages["groups"].fillna("").astype(str).map(lambda s: tuple(x for x in s.split(";") if x))


def _budget(plan, instance) -> float | None:
    """The plan's budget rounded to a yuan (None or infinite: no budget)."""
    b = plan.summary.get("budget")
    if b is None and instance is not None:
        b = instance.budget
    if b is None or not math.isfinite(float(b)):
        return None
    return round(float(b))


def diff_plans(plan_a, plan_b, *, instance_a=None, instance_b=None) -> pd.DataFrame:
    """Villages whose technology differs between ``plan_a`` and ``plan_b``.

    Parameters
    ----------
    plan_a, plan_b : :class:`~allocator.plan.Plan` over the same villages.
    instance_a, instance_b : the instances the plans were solved on (tell ``rule`` and
        ``cost`` apart); when one is missing those two factors are not examined.

    Returns
    -------
    DataFrame with columns village_id, village, county_id, province, tech_a, tech_b,
    cost_a, cost_b, weight_a, weight_b, reason, factors; sorted by province, county, village.
    """
    va, vb = plan_a.villages, plan_b.villages
    common = va.index.intersection(vb.index)
    if len(common) != len(va.index) or len(common) != len(vb.index):
        only = sorted(set(va.index) ^ set(vb.index))[:5]
        from ..errors import InputError
        raise InputError(f"the two plans are over different villages (e.g. {', '.join(map(str, only))})",
                         fix="diff two plans of the same base instance (scenarios only change overrides)")
    ta = va.loc[common, "technology"].astype(str)
    tb = vb.loc[common, "technology"].astype(str)
    changed = common[(ta != tb).to_numpy()]

    have_instances = instance_a is not None and instance_b is not None
    floors_a, floors_b = _group_floors(plan_a, instance_a), _group_floors(plan_b, instance_b)
    floor_groups = {g for g in set(floors_a) | set(floors_b)
                    if _changed(floors_a.get(g, math.nan), floors_b.get(g, math.nan))}
    groups_of = _village_groups(plan_a, instance_a)
    budget_changed = _budget(plan_a, instance_a) != _budget(plan_b, instance_b)

    rule_changed = cost_changed = pd.Series(False, index=changed)
    if have_instances and len(changed):
        from ..reports.ledger import allowed_technologies
        allowed_a = allowed_technologies(instance_a).reindex(changed)
        allowed_b = allowed_technologies(instance_b).reindex(changed)
        rule_changed = pd.Series([a != b for a, b in zip(allowed_a, allowed_b)], index=changed)
        # compare raw option prices, before allowed technologies blank them out
        ca = _raw_option_costs(instance_a).reindex(changed)
        cb = _raw_option_costs(instance_b).reindex(changed)
        cost_changed = pd.Series([any(_changed(x, y) for x, y in zip(ra, rb))
                                  for ra, rb in zip(ca.to_numpy(), cb.to_numpy())], index=changed)

    rows = []
    for vid in changed:
        factors = []
        if rule_changed.get(vid, False):
            factors.append("rule")
        # a floor counts coverage, not technology: it can only explain a village gained or lost
        if floor_groups & set(groups_of.get(vid, ())) and bool(va.at[vid, "covered"]) != bool(vb.at[vid, "covered"]):
            factors.append("floor")
        if _changed(va.at[vid, "weight"], vb.at[vid, "weight"]):
            factors.append("priority")
        if cost_changed.get(vid, False):
            factors.append("cost")
        if budget_changed:
            factors.append("budget")
        reason = factors[0] if factors else "other"
        rows.append({
            "village_id": str(vid),
            "village": str(instance_a.villages.at[vid, "name"]) if instance_a is not None else "",
            "county_id": str(va.at[vid, "county_id"]),
            "province": str(va.at[vid, "province"]),
            "tech_a": str(ta[vid]), "tech_b": str(tb[vid]),
            "cost_a": _village_cost(va, vid), "cost_b": _village_cost(vb, vid),
            "weight_a": float(va.at[vid, "weight"]), "weight_b": float(vb.at[vid, "weight"]),
            "reason": reason, "factors": ";".join(factors) if factors else "other",
        })
    columns = ["village_id", "village", "county_id", "province", "tech_a", "tech_b", "cost_a", "cost_b",
               "weight_a", "weight_b", "reason", "factors"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["province", "county_id", "village_id"], kind="stable").reset_index(drop=True)


def _village_cost(villages, vid) -> float:
    """Own cost plus its share of trenches and sites (what the village costs in that plan)."""
    shared = villages.at[vid, "shared_cost"] if "shared_cost" in villages else 0.0
    return float(villages.at[vid, "cost"]) + float(shared)


def _raw_option_costs(instance) -> pd.DataFrame:
    """Standalone option prices with every technology allowed (a rule change is not a cost change)."""
    from ..reports.ledger import option_costs

    open_instance = instance.with_changes(policy=_no_rules(instance.policy))
    table = option_costs(open_instance)
    # option_costs still blanks technologies the village's own column forbids; that is a rule too
    return table[list(instance.costs.technologies.access)].fillna(-1.0)


def _no_rules(policy):
    from dataclasses import replace
    return replace(policy, rules=())


def transitions(diff: pd.DataFrame) -> pd.DataFrame:
    """Counts of villages per (tech_a, tech_b, reason)."""
    if diff.empty:
        return pd.DataFrame(columns=["tech_a", "tech_b", "reason", "villages"])
    return (diff.groupby(["tech_a", "tech_b", "reason"], sort=True).size()
            .rename("villages").reset_index())


def render_diff(diff: pd.DataFrame, *, limit: int | None = 50) -> str:
    """Plain-text listing for the terminal: transition counts, then the villages."""
    if diff.empty:
        return "no village changed technology"
    lines = [f"{len(diff)} villages changed technology", "", "from -> to  (reason): villages"]
    for _, r in transitions(diff).iterrows():
        lines.append(f"  {r['tech_a']:>9} -> {r['tech_b']:<9} ({r['reason']}): {r['villages']}")
    lines.append("")
    shown = diff if limit is None else diff.head(limit)
    lines.append(shown[["village_id", "village", "county_id", "province", "tech_a", "tech_b", "cost_a", "cost_b",
                        "reason", "factors"]].to_string(index=False, float_format=lambda x: f"{x:,.0f}"))
    if limit is not None and len(diff) > limit:
        lines.append(f"... {len(diff) - limit} more (write them all with -o FILE.csv)")
    return "\n".join(lines)


__all__ = ["REASONS", "diff_plans", "transitions", "render_diff"]
