"""Province ranking of registered-poor-village broadband coverage (plan section 十七).

The programme publishes, province by province, the share of registered poor
villages (建档立卡贫困村) with broadband. This table gives it before the plan
(existing connections) and after it (existing or newly connected), ranked by
the share after; ties share a rank ("1224" competition ranking) so that no
province is ranked above another with the same share.
"""
from __future__ import annotations

import pandas as pd


LEVELS = ("province", "prefecture", "county_id")


def province_ranking(instance, plan=None, *, level: str = "province") -> pd.DataFrame:
    """One row per province (or prefecture, or county) with registered poor villages.

    Columns: rank (after), province (the ``level``'s name, under the column name
    ``province`` whatever the level), poor_villages, covered_before, share_before,
    rank_before, covered_after, share_after, change_pp (percentage points).
    Without a ``plan`` the "after" columns equal "before". ``level="prefecture"``
    gives the same table one level down, for an instance of one province.
    """
    if level not in LEVELS:
        raise ValueError(f"ranking level '{level}': expected one of {', '.join(LEVELS)}")
    v = instance.villages
    poor = v[v["poor"].astype(bool)]
    before = poor["existing"].astype(str) != "none"
    if plan is not None:
        after = plan.villages["covered"].reindex(poor.index).fillna(False).astype(bool)
    else:
        after = before
    df = pd.DataFrame({"province": poor[level].astype(str).to_numpy(), "before": before.to_numpy(),
                       "after": after.to_numpy()})
    g = df.groupby("province", sort=True)
    table = pd.DataFrame({
        "poor_villages": g.size(),
        "covered_before": g["before"].sum().astype(int),
        "covered_after": g["after"].sum().astype(int),
    })
    table["share_before"] = table["covered_before"] / table["poor_villages"]
    table["share_after"] = table["covered_after"] / table["poor_villages"]
    table["change_pp"] = 100.0 * (table["share_after"] - table["share_before"])
    # rank on shares rounded to 1e-12 so equal fractions (3/4 and 6/8) tie
    table["rank_before"] = table["share_before"].round(12).rank(method="min", ascending=False).astype(int)
    table["rank"] = table["share_after"].round(12).rank(method="min", ascending=False).astype(int)
    table = table.reset_index().sort_values(["rank", "province"], kind="stable")
    return table[["rank", "province", "poor_villages", "covered_before", "share_before", "rank_before",
                  "covered_after", "share_after", "change_pp"]].reset_index(drop=True)


def national_row(table: pd.DataFrame) -> dict:
    """Totals over all provinces of a :func:`province_ranking` table."""
    n = int(table["poor_villages"].sum())
    b = int(table["covered_before"].sum())
    a = int(table["covered_after"].sum())
    return {"province": "全国 (total)", "poor_villages": n, "covered_before": b,
            "share_before": b / n if n else float("nan"), "covered_after": a,
            "share_after": a / n if n else float("nan"),
            "change_pp": 100.0 * (a - b) / n if n else float("nan")}
