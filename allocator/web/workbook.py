"""The plan's Excel workbook in Chinese, for the page's download in Chinese.

``allocator report`` writes the workbook in English (the CLI's language). The Chinese copy is
the same workbook (same cells, numbers and formats) with its sheet names, titles, notes, column
headers and the summary's item names put in Chinese from the glossary below; a text the glossary
lacks stays as written. Made once per run, kept in the server's cache folder.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

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
    "mountain": "山区", "plateau": "高原",
}

# the cell values put in Chinese outside the summary (never a name: a county called "plain" stays)
VALUE_WORDS = {"fiber", "4g", "satellite", "none", "existing", "yes", "no", "microwave", "plain", "hills",
               "mountain", "plateau", "None."}
_lock = threading.Lock()


def _text(value: str) -> str:
    for en, zh in TEXTS:
        if "{unit}" not in en:
            if value == en:
                return zh
            continue
        head, tail = en.split("{unit}")
        if value.startswith(head) and value.endswith(tail) and len(value) > len(head) + len(tail):
            return zh.replace("{unit}", value[len(head):len(value) - len(tail)])
    return value


def _word(value):
    return WORDS.get(value, value) if isinstance(value, str) else value


def chinese_workbook(source: Path, target: Path) -> Path:
    """``target``: ``source`` with its sheet names, titles, notes and headers in Chinese (made once)."""
    from openpyxl import load_workbook

    with _lock:
        if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return target
        wb = load_workbook(source)
        for ws in wb.worksheets:
            key = ws.title
            header = None
            for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 6)):
                first = row[0]
                if isinstance(first.value, str) and len(row) > 1 and all(
                        isinstance(c.value, str) for c in row if c.value is not None) and \
                        sum(c.value is not None for c in row) >= 2:
                    header = first.row  # the first row with two or more text cells: the column headers
                    break
            for row in ws.iter_rows(min_row=1, max_row=(header or 2) - 1):
                for c in row:
                    if isinstance(c.value, str):
                        c.value = _text(c.value)
            if header is not None:
                for c in ws[header]:
                    c.value = _word(c.value)
                if key == "Summary":  # item names and word values
                    for row in ws.iter_rows(min_row=header + 1):
                        for c in row:
                            c.value = _word(c.value)
                else:
                    for row in ws.iter_rows(min_row=header + 1):
                        for c in row:
                            if isinstance(c.value, str) and c.value in VALUE_WORDS:
                                c.value = WORDS.get(c.value) or _text(c.value)
            if key in SHEETS:
                ws.title = SHEETS[key]
            ws.oddHeader.center.text = _text(ws.oddHeader.center.text or "")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        wb.save(tmp)
        os.replace(tmp, target)
        return target
