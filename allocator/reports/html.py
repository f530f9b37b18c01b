"""The report as one self-contained HTML page: summary, charts, tables.

Charts are drawn with matplotlib as inline SVG (no CDN, no script, nothing
fetched). Text in the SVG stays text (``svg.fonttype = none``), so Chinese
province and county names are drawn by the browser's own fonts.
"""
from __future__ import annotations

import html
import io
import math
from pathlib import Path

import pandas as pd

from . import palette
from .fonts import font_family, quiet_missing_glyphs
from .numbers import money, number, share
from .tables import ReportTable, format_cell

MAX_ROWS = 300  # longer tables are cut in the page (the workbook has them whole)

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


def chart_groups(instance, plan) -> str:
    """Coverage of each group's registered poor villages, before and after, against its floor."""
    plt = _pyplot()
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
            label="before the plan")
    ax.barh([i - 0.2 for i in y], g["share"] * 100, height=0.38, color="#305496", label="after the plan")
    for i, (name, row) in enumerate(g.iterrows()):
        if pd.notna(row["floor"]):
            ax.plot([row["floor"] * 100] * 2, [i - 0.45, i + 0.45], color="#c0392b", lw=2.5,
                    label="floor" if i == 0 or "floor" not in ax.get_legend_handles_labels()[1] else None)
        ax.text(row["share"] * 100 + 1.5, i - 0.2, f"{row['share']:.1%}", va="center", fontsize=8)
    ax.set_yticks(list(y))
    ax.set_yticklabels(list(g.index))
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.set_xlabel("registered poor villages with broadband (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32 if len(g) < 3 else -0.18), ncol=3, fontsize=8,
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Coverage by group against the floors")
    return _svg(fig)


def chart_technology(instance, plan) -> str:
    """Villages and cost per technology."""
    plt = _pyplot()
    v = plan.villages
    techs = list(palette.technologies(instance))
    colours = palette.colours(instance)
    counts = [int((v["technology"] == t).sum()) for t in techs]
    existing = int(((v["technology"] == "none") & v["covered"]).sum())
    left = int((~v["covered"]).sum())
    costs = [float((v.loc[v["technology"] == t, "cost"] + v.loc[v["technology"] == t, "shared_cost"]).sum())
             for t in techs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    labels = techs + ["existing", "not covered"]
    values = counts + [existing, left]
    colors = [colours[t] for t in techs] + [colours["existing"], colours["none"]]
    bars = a1.bar(labels, values, color=colors)
    a1.bar_label(bars, fontsize=8)
    a1.set_title("Villages by technology")
    a1.tick_params(axis="x", labelrotation=20, labelsize=8)
    scale, unit = (1e9, "bn") if max(costs + [0]) >= 1e9 else (1e6, "million") if max(costs + [0]) >= 1e6 else (1, "")
    bars = a2.bar(techs, [c / scale for c in costs], color=[colours[t] for t in techs])
    a2.bar_label(bars, labels=[f"{c / scale:,.3g}" if scale > 1 else f"{c:,.0f}" for c in costs], fontsize=8)
    a2.set_title(f"Cost by technology ({unit} {instance.currency})".replace("( ", "("))
    for ax in (a1, a2):
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _svg(fig)


def chart_ranking(ranking: pd.DataFrame) -> str:
    """Province shares before and after, in ranking order."""
    plt = _pyplot()
    r = ranking[ranking["rank"].notna()]
    fig, ax = plt.subplots(figsize=(8, max(2.2, 0.32 * len(r) + 1.0)), dpi=100)
    y = range(len(r))
    ax.barh(list(y), r["share_after"] * 100, color="#305496", label="after")
    ax.barh(list(y), r["share_before"] * 100, color="#c8d3e6", label="before")
    ax.set_yticks(list(y))
    ax.set_yticklabels([f"{int(k)}. {p}" for k, p in zip(r["rank"], r["province"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("registered poor villages with broadband (%)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Ranking (plan 十七)")
    return _svg(fig)


def chart_frontier(frontier, currency: str) -> str:
    plt = _pyplot()
    from ..analysis.frontier import draw_frontier

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    draw_frontier(ax, frontier, currency=currency)
    ax.set_title("Budget frontier: weighted coverage against budget")
    return _svg(fig)


# --------------------------------------------------------------------------- page
def table_html(table: ReportTable, *, max_rows: int = MAX_ROWS) -> str:
    cols = list(table.frame.columns)
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    if table.frame.empty:
        return (f'<h2 id="{_anchor(table.key)}">{html.escape(table.title)}</h2>{note}'
                f'<p class="note"><b>None.</b></p>')
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for row in table.frame.head(max_rows).itertuples(index=False):
        cells = []
        for col, value in zip(cols, row):
            fmt = table.formats.get(col, "text")
            text = html.escape(format_cell(value, fmt))
            cls = ' class="num"' if fmt != "text" else (' class="bad"' if text == "NO" else "")
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(table.frame) > max_rows:
        more = (f'<p class="note">First {max_rows} of {len(table.frame):,} rows; report.xlsx, sheet '
                f'"{html.escape(table.key)}", has them all.</p>')
    return (f'<h2 id="{_anchor(table.key)}">{html.escape(table.title)}</h2>{note}'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}")


def _anchor(key: str) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in key.lower())


def _kpis(instance, plan) -> str:
    s = plan.summary
    v = plan.villages
    poor = v[v["poor"].astype(bool)]
    items = [
        (money(s.get("total_cost", 0)), f"total cost ({instance.currency}, {instance.budget_measure.value})"),
        ("none" if s.get("budget") is None else money(s["budget"]), f"budget ({instance.currency})"),
        (f"{number(v['covered'].sum(), 0)} / {number(len(v), 0)}", "villages covered"),
        (share(poor["covered"].mean()) if len(poor) else "-", "registered poor villages covered"),
        (number(s.get("villages_new", 0), 0), "villages newly connected"),
        (str(s.get("status", "")) + ("" if s.get("gap") is None else f", gap {share(s['gap'], 3)}"), "solve status"),
    ]
    return '<div class="kpis">' + "".join(f"<div class='kpi'><b>{html.escape(a)}</b><span>{html.escape(b)}</span></div>"
                                          for a, b in items) + "</div>"


def write_html_report(instance, plan, tables: list[ReportTable], path: str | Path, *, frontier=None,
                      title: str | None = None) -> Path:
    """Write the self-contained HTML report and return its path."""
    from .ranking import province_ranking

    title = title or f"Broadband plan report: {instance.name}"
    ranking = province_ranking(instance, plan)
    if len(ranking) == 1 and instance.villages["prefecture"].nunique() > 1:
        ranking = province_ranking(instance, plan, level="prefecture")  # one province: chart its prefectures
    with quiet_missing_glyphs():  # no CJK font installed: the browser still draws the names (SVG text)
        charts = [chart_groups(instance, plan), chart_technology(instance, plan), chart_ranking(ranking)]
        if frontier is not None:
            charts.append(chart_frontier(frontier, instance.currency))
    nav = "".join(f'<a href="#{_anchor(t.key)}">{html.escape(t.key)}</a>' for t in tables)
    parts = [
        "<!DOCTYPE html><html lang='zh-Hans'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>{html.escape(instance.description or '')}</p>",
        _kpis(instance, plan),
        f"<nav>{nav}</nav>",
        "<h2 id='charts'>Charts</h2><div class='charts'>",
        *[f"<div class='chart'>{c}</div>" for c in charts],
        "</div>",
        *[table_html(t) for t in tables],
        "<p class='note'>Written by allocator. Costs are in the instance's budget measure; shared trench and "
        "site costs are split equally among the villages using them.</p>",
        "</body></html>",
    ]
    path = Path(path)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
