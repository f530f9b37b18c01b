"""The report as one self-contained HTML page: summary, charts, tables.

Charts are drawn with matplotlib as inline SVG (no CDN, no script, nothing
fetched). Text in the SVG stays text (``svg.fonttype = none``), so Chinese
province and county names are drawn by the browser's own fonts.
"""
from __future__ import annotations

import html
import io
import math
import re
from pathlib import Path

import pandas as pd

from . import palette
from .fonts import font_family, quiet_missing_glyphs
from .numbers import money, number, share
from .tables import ReportTable, format_cell

MAX_ROWS = 300  # longer tables are cut in the page (the workbook has them whole)
LANGUAGES = ("en", "zh")
# the page's own words (the tables' come from allocator.reports.chinese)
PAGE_WORDS = {
    "en": {"before": "before the plan", "after": "after the plan", "floor": "floor",
           "poor_axis": "registered poor villages with broadband (%)", "groups_title": "Coverage by group against the floors",
           "existing": "existing", "not_covered": "not covered", "by_tech": "Villages by technology",
           "cost_tech": "Cost by technology ({unit})", "after_short": "after", "before_short": "before",
           "ranking_title": "Ranking (plan 十七)", "frontier_title": "Budget frontier: weighted coverage against budget",
           "none": "None.", "more": 'First {n} of {m} rows; report.xlsx, sheet "{key}", has them all.',
           "total_cost": "total cost ({currency}, {measure})", "budget": "budget ({currency})", "no_budget": "none",
           "villages": "villages covered", "poor": "registered poor villages covered",
           "new": "villages newly connected", "status": "solve status", "gap": "gap",
           "charts": "Charts", "title": "Broadband plan report: {name}",
           "footer": "Written by allocator. Costs are in the instance's budget measure; shared trench and "
                     "site costs are split equally among the villages using them."},
    "zh": {"before": "规划前", "after": "规划后", "floor": "底线", "poor_axis": "建档立卡贫困村通宽带比例（%）",
           "groups_title": "各政策组覆盖与底线", "existing": "已通", "not_covered": "未覆盖",
           "by_tech": "各技术覆盖的行政村", "cost_tech": "各技术费用（{unit}）", "after_short": "规划后",
           "before_short": "规划前", "ranking_title": "分省排名（规划第十七节）", "frontier_title": "预算前沿：加权覆盖与预算",
           "none": "无。", "more": "仅列前 {n} 行（共 {m} 行）；report.xlsx 的“{key}”表中为全部。",
           "total_cost": "总费用（{currency}，{measure}）", "budget": "预算（{currency}）", "no_budget": "不限",
           "villages": "覆盖行政村", "poor": "已覆盖的建档立卡贫困村", "new": "新接入行政村", "status": "求解结论",
           "gap": "间隙", "charts": "图表", "title": "宽带规划报告：{name}",
           "footer": "由 allocator 生成。费用按算例的预算口径计；共用的沟槽与基站费用由使用它们的行政村平均分摊。"},
}
TECH_WORDS = {"en": {"fiber": "fiber", "4g": "4g", "satellite": "satellite"},
              "zh": {"fiber": "光纤", "4g": "4G", "satellite": "卫星"}}


def tech_word(instance, tech: str, lang: str) -> str:
    """A technology's name on a chart: the three of 2018 as before, any other by the cost model's label."""
    if tech in TECH_WORDS[lang]:
        return TECH_WORDS[lang][tech]
    label = palette.labels_zh(instance) if lang == "zh" else palette.labels(instance, suffix="")
    return label.get(tech, tech)

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",Arial,sans-serif;margin:24px auto;
max-width:1100px;color:#222;line-height:1.4}
h1{font-size:24px;margin-bottom:2px} h2{font-size:18px;border-bottom:2px solid #305496;padding-bottom:3px;
margin-top:32px} .sub{color:#666;margin-top:0}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.kpi{background:#f3f6fb;border-left:4px solid #305496;padding:8px 14px;min-width:150px}
.kpi b{display:block;font-size:20px} .kpi span{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:6px 0 4px} th{background:#305496;color:#fff;
padding:4px 8px;text-align:center} td{padding:3px 8px;border-bottom:1px solid #ddd}
td.num{text-align:right;font-variant-numeric:tabular-nums} tr:nth-child(even) td{background:#f7f9fc}
.note{font-size:12px;color:#555;margin:2px 0 10px} .bad{color:#c0392b;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:18px} .chart svg{max-width:100%;height:auto}
nav a{margin-right:12px;font-size:13px}
@media print{nav{display:none} h2{page-break-before:auto} table{page-break-inside:auto}}
"""


# --------------------------------------------------------------------------- charts
def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg"):]  # drop the XML prolog and doctype: inline SVG


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["font.family"] = font_family()  # installed fonts only: no findfont flood
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def chart_groups(instance, plan, lang: str = "en") -> str:
    """Coverage of each group's registered poor villages, before and after, against its floor."""
    plt, w = _pyplot(), PAGE_WORDS[lang]
    g = plan.groups[plan.groups["poor_villages"] > 0]
    v = instance.villages
    before = {}
    for name in g.index:
        members = instance.group_members(name)
        poor = v.loc[members][v.loc[members, "poor"].astype(bool)]
        before[name] = float((poor["existing"].astype(str) != "none").mean()) if len(poor) else math.nan
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(g) + 1.2), dpi=100)
    y = range(len(g))
    ax.barh([i + 0.2 for i in y], [before[n] * 100 for n in g.index], height=0.38, color="#c8d3e6",
            label=w["before"])
    ax.barh([i - 0.2 for i in y], g["share"] * 100, height=0.38, color="#305496", label=w["after"])
    for i, (name, row) in enumerate(g.iterrows()):
        if pd.notna(row["floor"]):
            ax.plot([row["floor"] * 100] * 2, [i - 0.45, i + 0.45], color="#c0392b", lw=2.5,
                    label=w["floor"] if i == 0 or w["floor"] not in ax.get_legend_handles_labels()[1] else None)
        ax.text(row["share"] * 100 + 1.5, i - 0.2, f"{row['share']:.1%}", va="center", fontsize=8)
    ax.set_yticks(list(y))
    if lang == "zh":  # the group's Chinese label, its id when it has none
        from .chinese import label_zh
        labels = {name: gp.label for name, gp in instance.policy.groups.items()}
        names = [label_zh(labels.get(n) or n) for n in g.index]
        ax.set_yticklabels([n if re.search(r"[\u4e00-\u9fff]", n) else k for n, k in zip(names, g.index)])
    else:
        ax.set_yticklabels(list(g.index))
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.set_xlabel(w["poor_axis"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32 if len(g) < 3 else -0.18), ncol=3, fontsize=8,
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(w["groups_title"])
    return _svg(fig)


def chart_technology(instance, plan, lang: str = "en") -> str:
    """Villages and cost per technology."""
    plt, w = _pyplot(), PAGE_WORDS[lang]
    v = plan.villages
    techs = list(palette.technologies(instance))
    colours = palette.colours(instance)
    counts = [int((v["technology"] == t).sum()) for t in techs]
    existing = int(((v["technology"] == "none") & v["covered"]).sum())
    left = int((~v["covered"]).sum())
    costs = [float((v.loc[v["technology"] == t, "cost"] + v.loc[v["technology"] == t, "shared_cost"]).sum())
             for t in techs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    labels = [tech_word(instance, t, lang) for t in techs] + [w["existing"], w["not_covered"]]
    values = counts + [existing, left]
    colors = [colours[t] for t in techs] + [colours["existing"], colours["none"]]
    bars = a1.bar(labels, values, color=colors)
    a1.bar_label(bars, fontsize=8)
    a1.set_title(w["by_tech"])
    a1.tick_params(axis="x", labelrotation=20, labelsize=8)
    top = max(costs + [0])
    if lang == "zh" and instance.currency == "CNY":
        scale, unit = (1e8, "亿元") if top >= 1e8 else (1e4, "万元") if top >= 1e4 else (1, "元")
    else:
        scale, unit = (1e9, "bn") if top >= 1e9 else (1e6, "million") if top >= 1e6 else (1, "")
        unit = f"{unit} {instance.currency}".strip()
    bars = a2.bar([tech_word(instance, t, lang) for t in techs], [c / scale for c in costs], color=[colours[t] for t in techs])
    a2.bar_label(bars, labels=[number(c / scale, 1 if c / scale < 100 else 0) if scale > 1 else f"{c:,.0f}" for c in costs], fontsize=8)
    a2.set_title(w["cost_tech"].format(unit=unit))
    for ax in (a1, a2):
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def chart_ranking(ranking: pd.DataFrame, lang: str = "en") -> str:
    """Province shares before and after, in ranking order."""
    plt, w = _pyplot(), PAGE_WORDS[lang]
    r = ranking[ranking["rank"].notna()]
    fig, ax = plt.subplots(figsize=(8, max(2.2, 0.32 * len(r) + 1.0)), dpi=100)
    y = range(len(r))
    ax.barh(list(y), r["share_after"] * 100, color="#305496", label=w["after_short"])
    ax.barh(list(y), r["share_before"] * 100, color="#c8d3e6", label=w["before_short"])
    ax.set_yticks(list(y))
    ax.set_yticklabels([f"{int(k)}. {p}" for k, p in zip(r["rank"], r["province"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(w["poor_axis"])
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(w["ranking_title"])
    return _svg(fig)


def chart_frontier(frontier, currency: str, lang: str = "en") -> str:
    plt = _pyplot()
    from ..analysis.frontier import draw_frontier

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    draw_frontier(ax, frontier, currency=currency)
    ax.set_title(PAGE_WORDS[lang]["frontier_title"])
    return _svg(fig)


# --------------------------------------------------------------------------- page
def table_html(table: ReportTable, *, max_rows: int = MAX_ROWS, lang: str = "en") -> str:
    cols = list(table.frame.columns)
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    if table.frame.empty:
        return (f'<h2 id="{_anchor(table.key)}">{html.escape(table.title)}</h2>{note}'
                f'<p class="note"><b>{PAGE_WORDS[lang]["none"]}</b></p>')
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for row in table.frame.head(max_rows).itertuples(index=False):
        cells = []
        for col, value in zip(cols, row):
            fmt = table.formats.get(col, "text")
            text = html.escape(format_cell(value, fmt))
            cls = ' class="num"' if fmt != "text" else (' class="bad"' if text in ("NO", "否") and col in ("met", "达标") else "")
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(table.frame) > max_rows:
        more = '<p class="note">' + html.escape(PAGE_WORDS[lang]["more"].format(
            n=max_rows, m=f"{len(table.frame):,}", key=table.key)) + "</p>"
    return (f'<h2 id="{_anchor(table.key)}">{html.escape(table.title)}</h2>{note}'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}")


def _anchor(key: str) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in key.lower())


def _kpis(instance, plan, lang: str = "en") -> str:
    from .chinese import MEASURES, STATUSES, money_zh

    s = plan.summary
    v = plan.villages
    w = PAGE_WORDS[lang]
    poor = v[v["poor"].astype(bool)]
    zh = lang == "zh"
    amount = (lambda x: money_zh(x, instance.currency)) if zh else money
    measure = MEASURES.get(instance.budget_measure.value, "") if zh else instance.budget_measure.value
    currency = ("元" if instance.currency == "CNY" else instance.currency) if zh else instance.currency
    status = str(s.get("status", ""))
    items = [
        (amount(s.get("total_cost", 0)), w["total_cost"].format(currency=currency, measure=measure)),
        (w["no_budget"] if s.get("budget") is None else amount(s["budget"]), w["budget"].format(currency=currency)),
        (f"{number(v['covered'].sum(), 0)} / {number(len(v), 0)}", w["villages"]),
        (share(poor["covered"].mean()) if len(poor) else "-", w["poor"]),
        (number(s.get("villages_new", 0), 0), w["new"]),
        ((STATUSES.get(status, status) if zh else status)
         + ("" if s.get("gap") is None else f"{'，' if zh else ', '}{w['gap']} {share(s['gap'], 3)}"), w["status"]),
    ]
    return '<div class="kpis">' + "".join(f"<div class='kpi'><b>{html.escape(a)}</b><span>{html.escape(b)}</span></div>"
                                          for a, b in items) + "</div>"


def write_html_report(instance, plan, tables: list[ReportTable], path: str | Path, *, frontier=None,
                      title: str | None = None, lang: str = "en") -> Path:
    """Write the self-contained HTML report and return its path; ``lang`` zh: every text of the page in
    Chinese (the tables through allocator.reports.chinese, amounts in the headline in 万元/亿元)."""
    from .chinese import SHEETS, summary_zh, table_zh
    from .ranking import province_ranking

    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    w = PAGE_WORDS[lang]
    title = title or w["title"].format(name=instance.name)
    if lang == "zh":
        labels = {name: g.label for name, g in instance.policy.groups.items()}
        tables = [summary_zh(instance, plan) if t.key == "Summary" else table_zh(t, labels) for t in tables]
    ranking = province_ranking(instance, plan)
    if len(ranking) == 1 and instance.villages["prefecture"].nunique() > 1:
        ranking = province_ranking(instance, plan, level="prefecture")  # one province: chart its prefectures
    with quiet_missing_glyphs():  # no CJK font installed: the browser still draws the names (SVG text)
        charts = [chart_groups(instance, plan, lang), chart_technology(instance, plan, lang),
                  chart_ranking(ranking, lang)]
        if frontier is not None:
            charts.append(chart_frontier(frontier, instance.currency, lang))
    names = SHEETS if lang == "zh" else {}
    nav = "".join(f'<a href="#{_anchor(t.key)}">{html.escape(names.get(t.key, t.key))}</a>' for t in tables)
    parts = [
        f"<!DOCTYPE html><html lang='{'zh-Hans' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>{html.escape(instance.description or '')}</p>",
        _kpis(instance, plan, lang),
        f"<nav>{nav}</nav>",
        f"<h2 id='charts'>{w['charts']}</h2><div class='charts'>",
        *[f"<div class='chart'>{c}</div>" for c in charts],
        "</div>",
        *[table_html(t, lang=lang) for t in tables],
        f"<p class='note'>{html.escape(w['footer'])}</p>",
        "</body></html>",
    ]
    path = Path(path)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
