"""The reports in Chinese: the glossary of the report's own texts (table titles, notes, column headers,
word values) and the words of the HTML report page.

``allocator report`` builds its tables in English (the command line's language). With ``--lang zh``
(and in the workspace's Chinese page) the same tables are shown with these words: a text the
glossary lacks stays as written, so nothing is lost; names (counties, villages, groups) are data
and are never translated. Used by the HTML report (allocator.reports.html), the Excel workbook in
Chinese (allocator.web.workbook) and kept complete by tests/test_web_report_lang.py.
"""
from __future__ import annotations

import math
import re

# sheet (the report's table key) -> its Chinese name (at most 31 characters, no []:*?/\)
SHEETS = {
    "Summary": "概要", "Ranking": "分省排名", "Ranking by prefecture": "分市排名", "Floors": "底线",
    "Technology": "技术", "Provinces": "分省", "Groups": "政策组", "Counties": "分县",
    "Ledger by county": "分县台账", "Ledger": "台账", "Sites": "4G基站", "Trenches": "光纤沟槽",
}

# titles and notes, as templates: {unit} is the part that varies (the money unit, "CNY (tco)"; a name)
TEXTS = [
    ("Broadband plan report: {unit}", "宽带规划报表：{unit}"),
    ("None.", "无。"),
    ("Plan summary", "方案概要"),
    ("Province ranking of registered poor villages with broadband (plan 十七)", "建档立卡贫困村通宽带分省排名（规划第十七节）"),
    ("Prefecture ranking of registered poor villages with broadband (plan 十七)", "建档立卡贫困村通宽带分市排名（规划第十七节）"),
    (("Share of registered poor villages (建档立卡贫困村) with broadband before the plan (existing connections) "
      "and after it; equal shares share a rank."), "建档立卡贫困村通宽带比例：规划前（已有连接）与规划后；比例相同者名次相同。"),
    ("Coverage of each policy group against its floor", "各政策组覆盖与底线"),
    ("Share = covered registered poor villages / registered poor villages of the group.",
     "比例 = 该组已覆盖的建档立卡贫困村 / 该组建档立卡贫困村。"),
    ("Villages and people reached, and cost, per technology ({unit})", "各技术覆盖的行政村、人口与费用（{unit}）"),
    ("Cost includes each village's share of the trenches and sites it uses.", "费用含各村分摊的所用沟槽与基站费用。"),
    ("Coverage and cost by province ({unit})", "分省覆盖与费用（{unit}）"),
    ("Coverage and cost by policy group ({unit})", "分政策组覆盖与费用（{unit}）"),
    ("Groups overlap (a village can be in several), so the rows do not add up to the total.",
     "政策组互有重叠（一个村可属多个组），各行相加不等于合计。"),
    ("Coverage and cost by county ({unit})", "分县覆盖与费用（{unit}）"),
    ("Ledger (台账): villages still without broadband, by county", "台账：仍未通宽带的行政村（分县）"),
    ("Cheapest total: sum of each village's cheapest standalone option ({unit}).",
     "最低合计：各村单独接入的最便宜方案之和（{unit}）。"),
    ("Ledger (台账): every village still without broadband, with its cheapest option", "台账：每个仍未通宽带的行政村及其最便宜方案"),
    (("Standalone cost of each option given what the plan builds ({unit}); empty: not possible or not allowed. "
      "Trench sharing between ledger villages is not counted."),
     "在本方案建设基础上各方案的单独费用（{unit}）；空白：不可行或不允许。台账村之间共用沟槽未计入。"),
    ("4G sites opened", "开通的 4G 基站"),
    (("Prefecture ranking of registered poor villages with broadband (the plan 十七 table one level down)"),
     "建档立卡贫困村通宽带分市排名（规划第十七节的表，下探一级）"),
    ("The instance covers one province: its prefectures ranked the same way as the programme ranks provinces.",
     "算例只含一个省：按规划对各省的排名方法对其各市排名。"),
    ("Fiber trenches built", "新建光纤沟槽"),
]

# column headers and the summary's item names
WORDS = {
    "item": "项目", "value": "数值", "rank": "名次", "province": "省", "prefecture": "市（州）", "county": "县",
    "county_id": "县代码", "county id": "县代码", "village": "行政村", "village id": "村代码", "villages": "行政村数",
    "poor villages": "贫困村数", "poor": "贫困村", "poor covered": "已覆盖贫困村", "covered": "已覆盖",
    "covered before": "规划前已覆盖", "share before": "规划前比例", "rank before": "规划前名次",
    "covered after": "规划后已覆盖", "share after": "规划后比例", "change (pp)": "变化（百分点）",
    "group": "政策组", "label": "名称", "share": "比例", "floor": "底线", "met": "达标", "technology": "技术",
    "people": "人口", "population": "人口", "cost": "费用", "cost per village": "每村费用", "cost per person": "人均费用",
    "covered share": "覆盖比例", "newly connected": "新接入", "people covered": "覆盖人口", "groups": "政策组",
    "cheapest": "最便宜方案", "cheapest cost": "最便宜方案费用", "cheapest total": "最低合计",
    "fiber cost": "光纤费用", "4g cost": "4G 费用", "satellite cost": "卫星费用", "site": "基站", "backhaul": "回传",
    "capex": "建设投资", "backhaul capex": "回传投资", "trench share": "沟槽分摊", "trench": "沟槽", "u": "起点",
    "v": "终点", "km": "公里", "terrain": "地形", "terminals served": "服务终端数",
    # the summary's items
    "instance": "算例", "status": "结论", "objective": "目标值", "objective kind": "目标", "bound": "界", "gap": "间隙",
    "total cost": "总费用", "budget": "预算", "budget measure": "预算口径", "currency": "货币",
    "villages covered": "覆盖行政村", "villages total": "行政村总数", "villages new": "新覆盖行政村",
    "solver": "求解器", "mode": "模式", "verified": "已校验", "seconds": "秒",
    # values that are words
    "fiber": "光纤", "4g": "4G", "satellite": "卫星", "none": "无", "existing": "已通", "yes": "是", "no": "否",
    "optimal": "最优", "feasible": "可行", "microwave": "微波", "plain": "平原", "hills": "丘陵",
    "mountain": "山区", "plateau": "高原", "NO": "否", "existing (before the plan)": "已通（规划前）",
    "total": "合计", "全国 (total)": "全国合计", "not covered": "未覆盖", "(trenches/sites serving no village)": "（不服务任何行政村的沟槽/基站）",
    "proven bound": "已证明的界", "capex / opex per year": "建设投资 / 年运维", "instance name": "算例",
}

# the cell values put in Chinese outside the summary (never a name: a county called "plain" stays)
VALUE_WORDS = {"fiber", "4g", "satellite", "none", "existing", "yes", "no", "microwave", "plain", "hills",
               "mountain", "plateau", "None.", "NO", "existing (before the plan)", "not covered",
               "(trenches/sites serving no village)", "total", "全国 (total)"}
def text_zh(value: str) -> str:
    for en, zh in TEXTS:
        if "{unit}" not in en:
            if value == en:
                return zh
            continue
        head, tail = en.split("{unit}")
        if value.startswith(head) and value.endswith(tail) and len(value) > len(head) + len(tail):
            return zh.replace("{unit}", value[len(head):len(value) - len(tail)])
    return value


def word_zh(value):
    return WORDS.get(value, value) if isinstance(value, str) else value


MODES = {"exact": "精确", "restricted": "受限（只在候选方案中选）"}
MEASURES = {"tco": "全生命周期成本", "capex": "建设投资"}
OBJECTIVES = {"max-coverage": "最大覆盖", "min-cost": "最低费用", "lexicographic": "先覆盖后费用"}
STATUSES = {"optimal": "最优", "feasible": "可行", "infeasible": "不可行", "time_limit": "到达时限",
            "error": "出错", "baseline": "规划前"}


def unit_zh(unit: str) -> str:
    """``CNY (tco)`` -> ``元，全生命周期成本``: the money unit of a title, in Chinese."""
    m = re.fullmatch(r"(\w+)(?: \((\w+)\))?", unit.strip())
    if m is None:
        return unit
    currency = "元" if m.group(1) == "CNY" else m.group(1)
    return currency + (f"，{MEASURES.get(m.group(2), m.group(2))}" if m.group(2) else "")


def money_zh(x, currency: str = "CNY") -> str:
    """An amount as a Chinese official reads it: ``8,624.6 万元``, ``1.25 亿元``, ``9,500 元``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    if currency != "CNY":
        return f"{x:,.0f} {currency}"
    if abs(x) >= 1e8:
        return f"{x / 1e8:,.2f} 亿元"
    if abs(x) >= 1e4:
        return f"{x / 1e4:,.1f} 万元"
    return f"{x:,.0f} 元"


def title_zh(value: str) -> str:
    """A table title or note in Chinese, its money unit too."""
    out = text_zh(value)
    if out is value or out == value:
        return value
    return re.sub(r"（([^（）]*\([^()]*\)|[A-Z]{3})）", lambda m: f"（{unit_zh(m.group(1))}）", out)


def summary_zh(instance, plan):
    """The report's summary table with its items and values in Chinese (amounts in 万元/亿元)."""
    import pandas as pd

    from .numbers import number, share
    from .tables import ReportTable

    s = plan.summary
    cur = instance.currency
    measure = MEASURES.get(instance.budget_measure.value, instance.budget_measure.value)
    kind = s.get("objective_kind", "")

    def objective(x):
        if x is None:
            return ""
        return money_zh(x, cur) if kind == "min-cost" else f"{number(x)}（加权覆盖）"

    rows = [
        ("算例", s.get("instance", instance.name)),
        ("结论", STATUSES.get(str(s.get("status", "")), str(s.get("status", "")))),
        ("目标", f"{OBJECTIVES.get(kind, kind)}：{objective(s.get('objective'))}"),
        ("已证明的界", objective(s.get("bound"))),
        ("间隙", "" if s.get("gap") is None else share(s["gap"], 4)),
        ("总费用", f"{money_zh(s.get('total_cost'), cur)}（{measure}）"),
        ("预算", "不限" if s.get("budget") is None else money_zh(s.get("budget"), cur)),
        ("建设投资 / 年运维", f"{money_zh(s.get('total_capex'), cur)} / {money_zh(s.get('total_opex'), cur)}"),
        ("覆盖行政村", f"{s.get('villages_covered', 0):,} / {s.get('villages_total', 0):,}"
                      f"（新接入 {s.get('villages_new', 0):,}）"),
        ("求解器", f"{s.get('solver', '')} {s.get('solver_version', '')}，模式：{MODES.get(s.get('mode'), s.get('mode', ''))}"),
        ("已独立校验", "是" if s.get("verified") in (True, "True", "true") else "否"),
    ]
    return ReportTable("Summary", "方案概要", pd.DataFrame(rows, columns=["项目", "数值"]))


def table_zh(table, group_labels: dict | None = None):
    """``table`` with its title, note, column headers and word values in Chinese (names stay); a policy
    group's id shown as its Chinese label when ``group_labels`` gives one (the label column then goes)."""
    from dataclasses import replace

    frame = table.frame.copy()
    chinese = {g: label_zh(t) for g, t in (group_labels or {}).items()
               if t and re.search("[\u4e00-\u9fff]", label_zh(t))}
    if "group" in frame.columns and chinese:
        frame["group"] = frame["group"].map(lambda g: chinese.get(g, g))
        frame = frame.drop(columns=["label"], errors="ignore")
    for col in frame.columns:
        if table.formats.get(col, "text") == "text":
            words = frame[col].map(lambda v: WORDS[v] if isinstance(v, str) and v in VALUE_WORDS else v)
            frame[col] = words.map(label_zh) if col == "label" else words
    columns = {c: word_zh(c) for c in frame.columns}
    return replace(table, title=title_zh(table.title), note=title_zh(table.note) if table.note else "",
                   frame=frame.rename(columns=columns),
                   formats={columns.get(c, c): f for c, f in table.formats.items()})


def label_zh(text):
    """A policy group's label, often written "English (中文)" or "中文 (English)" in the policy model:
    its Chinese half (the whole when there is no such half)."""
    if not isinstance(text, str):
        return text
    m = re.fullmatch(r"(.*?)\s*[(（](.*)[)）]", text)
    if m is None:
        return text
    cjk = [bool(re.search(r"[\u4e00-\u9fff]", part)) for part in m.groups()]
    return m.group(1) if cjk == [True, False] else m.group(2) if cjk == [False, True] else text
