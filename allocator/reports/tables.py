"""Every table of a plan report, ready for Excel and HTML alike.

Each :class:`ReportTable` carries display column names and a format per
column (money, share, int, float, pp, text), so the workbook and the HTML page
show the same numbers the same way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..plan_build import totals
from . import palette
from .ledger import ledger, ledger_by_county
from .numbers import money, number, points, share
from .ranking import national_row, province_ranking

FORMATS = ("money", "share", "int", "float", "pp", "text")


@dataclass
class ReportTable:
    key: str                 # short id: sheet name and HTML anchor
    title: str
    frame: pd.DataFrame      # display columns, no index
    formats: dict = field(default_factory=dict)   # column -> one of FORMATS (default text)
    note: str = ""


def _money_unit(instance) -> str:
    return f"{instance.currency} ({instance.budget_measure.value})"


def summary_table(instance, plan) -> ReportTable:
    s = plan.summary
    rows = [
        ("instance", s.get("instance", instance.name)),
        ("status", s.get("status", "")),
        ("objective", f"{s.get('objective_kind', '')}: {_objective(s.get('objective'), s, instance)}"),
        ("proven bound", _objective(s.get("bound"), s, instance)),
        ("gap", "" if s.get("gap") is None else share(s["gap"], 4)),
        ("total cost", money(s.get("total_cost"), _money_unit(instance))),
        ("budget", "none" if s.get("budget") is None else money(s.get("budget"), instance.currency)),
        ("capex / opex per year", f"{money(s.get('total_capex'))} / {money(s.get('total_opex'))} "
                                  f"{instance.currency}"),
        ("villages covered", f"{s.get('villages_covered', 0):,} of {s.get('villages_total', 0):,} "
                             f"({s.get('villages_new', 0):,} newly connected)"),
        ("solver", f"{s.get('solver', '')} {s.get('solver_version', '')}, mode {s.get('mode', '')}"),
        ("verified", str(s.get("verified", ""))),
    ]
    frame = pd.DataFrame(rows, columns=["item", "value"])
    return ReportTable("Summary", "Plan summary", frame)


def _objective(x, s: dict, instance) -> str:
    """An objective value with its unit: money for min-cost, weighted coverage otherwise."""
    if s.get("objective_kind") == "min-cost":
        return money(x, _money_unit(instance))
    text = number(x)
    return f"{text} (weighted coverage)" if text else ""


def ranking_table(instance, plan, *, level: str = "province") -> ReportTable:
    t = province_ranking(instance, plan, level=level)
    total = national_row(t)
    t = pd.concat([t, pd.DataFrame([{**total, "rank": None, "rank_before": None}])], ignore_index=True)
    formats = {"rank": "int", "poor villages": "int", "covered before": "int", "share before": "share",
               "rank before": "int", "covered after": "int", "share after": "share", "change (pp)": "pp"}
    frame = t.rename(columns={"rank": "rank", "province": "province", "poor_villages": "poor villages",
                              "covered_before": "covered before", "share_before": "share before",
                              "rank_before": "rank before", "covered_after": "covered after",
                              "share_after": "share after", "change_pp": "change (pp)"})
    if level != "province":
        frame = frame.rename(columns={"province": level})
        return ReportTable("Ranking by prefecture", "Prefecture ranking of registered poor villages with "
                                                    "broadband (the plan 十七 table one level down)",
                           frame, formats, "The instance covers one province: its prefectures ranked the "
                                           "same way as the programme ranks provinces.")
    return ReportTable("Ranking", "Province ranking of registered poor villages with broadband (plan 十七)",
                       frame, formats,
                       "Share of registered poor villages (建档立卡贫困村) with broadband before the plan "
                       "(existing connections) and after it; equal shares share a rank.")


def groups_table(instance, plan) -> ReportTable:
    g = plan.groups.reset_index()
    labels = {name: gp.label for name, gp in instance.policy.groups.items()}
    frame = pd.DataFrame({
        "group": g["group"], "label": g["group"].map(labels).fillna(""),
        "villages": g["villages"], "poor villages": g["poor_villages"], "poor covered": g["covered"],
        "share": g["share"], "floor": g["floor"],
        "met": g["met"].map(lambda m: "yes" if m else "NO"),
    })
    return ReportTable("Floors", "Coverage of each policy group against its floor", frame,
                       {"villages": "int", "poor villages": "int", "poor covered": "int", "share": "share",
                        "floor": "share"},
                       "Share = covered registered poor villages / registered poor villages of the group.")


def technology_table(instance, plan) -> ReportTable:
    v = plan.villages
    rows = []
    for tech in palette.technologies(instance):
        sel = v[v["technology"] == tech]
        cost = float((sel["cost"] + sel["shared_cost"]).sum())
        rows.append({"technology": tech, "villages": len(sel), "poor villages": int(sel["poor"].sum()),
                     "people": float(sel["population"].sum()), "cost": cost,
                     "cost per village": cost / len(sel) if len(sel) else math.nan,
                     "cost per person": cost / sel["population"].sum() if sel["population"].sum() else math.nan})
    existing = v[(v["technology"] == "none") & v["covered"]]
    left = v[~v["covered"]]
    rows.append({"technology": "existing (before the plan)", "villages": len(existing),
                 "poor villages": int(existing["poor"].sum()), "people": float(existing["population"].sum()),
                 "cost": 0.0, "cost per village": math.nan, "cost per person": math.nan})
    rows.append({"technology": "not covered", "villages": len(left), "poor villages": int(left["poor"].sum()),
                 "people": float(left["population"].sum()), "cost": math.nan, "cost per village": math.nan,
                 "cost per person": math.nan})
    unattributed = float(plan.summary.get("unattributed_cost", 0.0) or 0.0)
    if abs(unattributed) > 1e-6:
        rows.append({"technology": "(trenches/sites serving no village)", "villages": 0, "poor villages": 0,
                     "people": 0.0, "cost": unattributed, "cost per village": math.nan, "cost per person": math.nan})
    frame = pd.DataFrame(rows)
    return ReportTable("Technology", f"Villages and people reached, and cost, per technology "
                                     f"({_money_unit(instance)})", frame,
                       {"villages": "int", "poor villages": "int", "people": "int", "cost": "money",
                        "cost per village": "money", "cost per person": "money"},
                       "Cost includes each village's share of the trenches and sites it uses.")


def _totals_frame(plan, by: str, label: str) -> pd.DataFrame:
    t = totals(plan, by).reset_index()
    t = t.rename(columns={t.columns[0]: label, "covered_share": "covered share", "people_covered": "people covered",
                          "new": "newly connected"})
    return t[[label, "villages", "covered", "covered share", "newly connected", "people", "people covered", "cost"]]


TOTAL_FORMATS = {"villages": "int", "covered": "int", "covered share": "share", "newly connected": "int",
                 "people": "int", "people covered": "int", "cost": "money"}


def province_cost_table(instance, plan) -> ReportTable:
    return ReportTable("Provinces", f"Coverage and cost by province ({_money_unit(instance)})",
                       _totals_frame(plan, "province", "province"), dict(TOTAL_FORMATS))


def group_cost_table(instance, plan) -> ReportTable:
    return ReportTable("Groups", f"Coverage and cost by policy group ({_money_unit(instance)})",
                       _totals_frame(plan, "group", "group"), dict(TOTAL_FORMATS),
                       "Groups overlap (a village can be in several), so the rows do not add up to the total.")


def county_cost_table(instance, plan) -> ReportTable:
    t = _totals_frame(plan, "county", "county_id")
    names = instance.counties["name"].astype(str)
    provinces = instance.counties["province"].astype(str)
    t.insert(1, "county", t["county_id"].map(names).fillna(""))
    t.insert(0, "province", t["county_id"].map(provinces).fillna(""))
    t = t.sort_values(["province", "county_id"], kind="stable")
    return ReportTable("Counties", f"Coverage and cost by county ({_money_unit(instance)})", t,
                       dict(TOTAL_FORMATS))


def ledger_tables(instance, plan) -> tuple[ReportTable, ReportTable]:
    villages = ledger(instance, plan)
    by_county = ledger_by_county(villages)
    money = _money_unit(instance)
    county = ReportTable("Ledger by county", f"Ledger (台账): villages still without broadband, by county", by_county.rename(
        columns={"county_id": "county id", "poor_villages": "poor villages", "cheapest_total": "cheapest total"}),
        {"villages": "int", "poor villages": "int", "population": "int", "cheapest total": "money"},
        f"Cheapest total: sum of each village's cheapest standalone option ({money}).")
    techs = palette.technologies(instance)
    frame = villages.drop(columns=["prefecture"]).rename(columns={
        "county_id": "county id", "village_id": "village id", "cheapest_cost": "cheapest cost",
        **{t: f"{t} cost" for t in techs}})
    frame["poor"] = frame["poor"].map(lambda p: "yes" if p else "no")
    detail = ReportTable("Ledger", "Ledger (台账): every village still without broadband, with its cheapest option",
                         frame, {"population": "int", "cheapest cost": "money",
                                 **{f"{t} cost": "money" for t in techs}},
                         f"Standalone cost of each option given what the plan builds ({money}); empty: not "
                         "possible or not allowed. Trench sharing between ledger villages is not counted.")
    return county, detail


def sites_table(instance, plan) -> ReportTable:
    s = plan.sites.reset_index()
    frame = s[["site_id", "backhaul", "villages", "capex", "backhaul_capex", "cost", "shared_cost"]].rename(
        columns={"site_id": "site", "backhaul_capex": "backhaul capex", "shared_cost": "trench share"})
    return ReportTable("Sites", "4G sites opened", frame,
                       {"villages": "int", "capex": "money", "backhaul capex": "money", "cost": "money",
                        "trench share": "money"})


def trenches_table(instance, plan) -> ReportTable:
    e = plan.edges.reset_index()
    frame = e[["edge_id", "u", "v", "length_km", "terrain", "capex", "cost", "served"]].rename(
        columns={"edge_id": "trench", "length_km": "km", "served": "terminals served"})
    return ReportTable("Trenches", "Fiber trenches built", frame,
                       {"trench": "int", "km": "float", "capex": "money", "cost": "money", "terminals served": "int"})


def report_tables(instance, plan) -> list[ReportTable]:
    """All tables of the report, in reading order."""
    county_ledger, village_ledger = ledger_tables(instance, plan)
    rankings = [ranking_table(instance, plan)]
    if instance.villages["province"].nunique() <= 1 and instance.villages["prefecture"].nunique() > 1:
        rankings.append(ranking_table(instance, plan, level="prefecture"))
    return [summary_table(instance, plan), *rankings, groups_table(instance, plan),
            technology_table(instance, plan), province_cost_table(instance, plan), group_cost_table(instance, plan),
            county_cost_table(instance, plan), county_ledger, village_ledger, sites_table(instance, plan),
            trenches_table(instance, plan)]


def format_cell(value, fmt: str) -> str:
    """Text of a cell for HTML and the terminal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if fmt == "money":
        return money(value)
    if fmt == "share":
        return share(value)
    if fmt == "int":
        return number(round(float(value)), 0)
    if fmt == "float":
        return number(value, 2)
    if fmt == "pp":
        return points(value)
    return str(value)
