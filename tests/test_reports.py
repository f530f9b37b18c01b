"""Reports of a plan: province ranking, ledger (台账), cost tables, workbook, HTML, GIS layers, map."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from allocator.decision import Decision
from allocator.plan_build import assemble
from allocator.reports.ledger import allowed_technologies, ledger, ledger_by_county, option_costs
from allocator.reports.ranking import province_ranking

try:  # tests/ as a plain folder on sys.path, or as a package
    from whatif_tiny import write_tiny
except ImportError:  # pragma: no cover
    from tests.whatif_tiny import write_tiny

# v1, v2 by fiber over trenches 0 (B-j1), 1 (j1-n1), 2 (j1-n2); v4, v5 by site S1 on microwave;
# v6 satellite; v3, v8, v9 left without broadband; v7 and v10 were connected before
DECISION = Decision(
    technology={"v1": "fiber", "v2": "fiber", "v3": "none", "v4": "4g", "v5": "4g", "v6": "satellite",
                "v7": "none", "v8": "none", "v9": "none", "v10": "none"},
    site_of={"v4": "S1", "v5": "S1"}, built_edges=frozenset({0, 1, 2}), opened_sites={"S1": "microwave"})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from allocator.io import load_instance

    path = write_tiny(tmp_path_factory.mktemp("reports") / "tiny")
    inst = load_instance(path)
    plan = assemble(inst, DECISION, {"status": "optimal", "objective": 1.0, "bound": 1.0, "gap": 0.0})
    return path, inst, plan


# --------------------------------------------------------------------------- ranking
def test_province_ranking_before_and_after(tiny):
    _, inst, plan = tiny
    r = province_ranking(inst, plan).set_index("province")
    # 甲省: poor v1-v4, none connected before; v1, v2, v4 after. 乙省: poor v6-v9, v7 before; v6, v7 after
    assert r.loc["甲省", ["poor_villages", "covered_before", "covered_after"]].tolist() == [4, 0, 3]
    assert r.loc["乙省", ["poor_villages", "covered_before", "covered_after"]].tolist() == [4, 1, 2]
    assert r.loc["甲省", "rank"] == 1 and r.loc["乙省", "rank"] == 2
    assert r.loc["甲省", "rank_before"] == 2 and r.loc["乙省", "rank_before"] == 1
    assert r.loc["甲省", "change_pp"] == pytest.approx(75.0)


def test_equal_shares_share_a_rank(tiny):
    _, inst, _ = tiny
    tech = dict(DECISION.technology, v4="none", v5="none", v6="satellite", v8="satellite")
    plan = assemble(inst, Decision(technology=tech, built_edges=DECISION.built_edges), {})
    r = province_ranking(inst, plan)
    by = r.set_index("province")
    assert by.loc["甲省", "covered_after"] == 2 and by.loc["乙省", "covered_after"] == 3
    tech = dict(tech, v8="none")  # now 2 of 4 each
    plan = assemble(inst, Decision(technology=tech, built_edges=DECISION.built_edges), {})
    r = province_ranking(inst, plan)
    assert r["rank"].tolist() == [1, 1]
    assert r["province"].tolist() == sorted(r["province"])  # ties in name order


# --------------------------------------------------------------------------- ledger
def test_ledger_lists_uncovered_villages_with_their_cheapest_option(tiny):
    _, inst, plan = tiny
    led = ledger(inst, plan).set_index("village_id")
    assert sorted(led.index) == ["v3", "v8", "v9"]
    # v3: fiber over the built trench j1 (free) + plateau trench j1-n3 2 km x 2,500 + drop 2,000 = 7,000;
    # satellite 7,000 too: equal, the first (fiber) is named
    assert led.at["v3", "fiber"] == pytest.approx(7000.0) and led.at["v3", "satellite"] == pytest.approx(7000.0)
    assert led.at["v3", "cheapest_cost"] == pytest.approx(7000.0)
    # v8: site S2 (9,000) with microwave (3,000) = 12,000 against satellite 7,000
    assert led.at["v8", "4g"] == pytest.approx(12000.0) and led.at["v8", "cheapest"] == "satellite"
    assert pd.isna(led.at["v8", "fiber"])  # no fiber node
    assert led.at["v8", "county"] == "阜平县" and led.at["v8", "province"] == "乙省"
    by_county = ledger_by_county(ledger(inst, plan)).set_index("county_id")
    assert by_county.at["c4", "villages"] == 2 and by_county.at["c4", "cheapest_total"] == pytest.approx(14000.0)


def test_ledger_before_any_plan_and_free_shared_infrastructure(tiny):
    _, inst, plan = tiny
    before = ledger(inst)
    assert len(before) == 8  # every village without an existing connection
    opts = option_costs(inst, plan)
    assert opts.at["v4", "4g"] == 0.0  # S1 is open in the plan
    assert option_costs(inst).at["v4", "4g"] == pytest.approx(9000.0 + 3000.0)
    # v1 alone: trenches B-j1 (4 km) + j1-n1 (1 km) on mountain (2,000/km) + drop 2,000
    assert option_costs(inst).at["v1", "fiber"] == pytest.approx(12000.0)


def test_forbidden_technology_is_no_option(tiny):
    path, _, _ = tiny
    from allocator.io import load_instance

    inst = load_instance(path, overrides={"policy": {"rules": [
        {"scope": "province", "value": "乙省", "technology": "satellite", "action": "forbid"},
        {"scope": "county", "value": "c1", "technology": "fiber", "action": "force"}]}})
    allowed = allowed_technologies(inst)
    assert allowed["v8"] == ("fiber", "4g") and allowed["v1"] == ("fiber",)  # allowed, not necessarily possible
    opts = option_costs(inst)
    assert pd.isna(opts.at["v8", "satellite"]) and opts.at["v8", "cheapest"] == "4g"
    assert pd.isna(opts.at["v1", "satellite"]) and opts.at["v1", "cheapest"] == "fiber"


# --------------------------------------------------------------------------- tables and files
def test_tables_add_up(tiny):
    from allocator.reports.tables import report_tables

    _, inst, plan = tiny
    tables = {t.key: t for t in report_tables(inst, plan)}
    tech = tables["Technology"].frame.set_index("technology")
    assert tech.loc[["fiber", "4g", "satellite"], "villages"].tolist() == [2, 2, 1]
    assert tech.loc[["fiber", "4g", "satellite"], "cost"].sum() == pytest.approx(plan.summary["total_cost"])
    assert tech.at["not covered", "villages"] == 3 and tech.at["existing (before the plan)", "villages"] == 2
    prov = tables["Provinces"].frame
    assert prov["cost"].sum() == pytest.approx(plan.summary["total_cost"])
    assert prov["villages"].sum() == 10


def test_workbook_has_one_printable_sheet_per_table(tiny, tmp_path):
    from openpyxl import load_workbook

    from allocator.reports.excel import write_workbook
    from allocator.reports.tables import report_tables

    _, inst, plan = tiny
    tables = report_tables(inst, plan)
    path = write_workbook(tables, tmp_path / "r.xlsx", title="t")
    wb = load_workbook(path)
    assert wb.sheetnames == [t.key for t in tables]
    ws = wb["Ranking"]
    assert ws["A1"].value.startswith("Province ranking")
    header = [c.value for c in ws[4]]
    assert header[:3] == ["rank", "province", "poor villages"]
    assert ws["E5"].number_format == "0.0%" and ws["E5"].value == pytest.approx(0.0)
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$4:$4" and ws.freeze_panes == "A5"
    led = wb["Ledger"]
    assert led["D4"].value == "village id"
    ids = [led.cell(row=r, column=4).value for r in range(5, led.max_row + 1)]
    assert sorted(ids) == ["v3", "v8", "v9"]


def test_geojson_layers_and_map(tiny, tmp_path):
    from allocator.reports.geo import build_layers, write_geojson
    from allocator.reports.map import write_map

    _, inst, plan = tiny
    layers = build_layers(inst, plan)
    paths = write_geojson(layers, tmp_path / "layers")
    data = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in paths}
    # the instance has a point of presence with coordinates: the backbone context layer comes too
    assert set(data) == {"villages", "fiber_routes", "sites", "backbone"}
    assert [f["properties"]["node_id"] for f in data["backbone"]["features"]] == \
        inst.nodes.index[inst.nodes["kind"].eq("backbone")].tolist()
    v = {f["id"]: f for f in data["villages"]["features"]}
    assert len(v) == 10 and v["v1"]["geometry"] == {"type": "Point", "coordinates": [98.6, 27.9]}
    assert v["v1"]["properties"]["technology"] == "fiber" and v["v8"]["properties"]["status"] == "not covered"
    routes = data["fiber_routes"]["features"]
    assert sorted(int(f["id"]) for f in routes) == [0, 1, 2]
    assert {tuple(map(tuple, f["geometry"]["coordinates"])) for f in routes if f["id"] == "0"} == \
        {((98.5, 27.7), (98.58, 27.88))}
    assert [f["id"] for f in data["sites"]["features"]] == ["S1"]

    html = write_map(inst, plan, tmp_path / "map.html").read_text(encoding="utf-8")
    assert "<canvas" in html and "丙中洛村" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html), "the map must not fetch anything"
    payload = json.loads(re.search(r"const DATA = (\{.*?\});\n", html, re.S).group(1))
    assert len(payload["villages"]["rows"]) == 10 and len(payload["routes"]["rows"]) == 3


def test_report_command_writes_every_file(tmp_path, capsys):
    """A real solve, then `allocator report`: every file is there and self-contained."""
    from allocator.cli import main

    inst_dir = write_tiny(tmp_path / "tiny")
    assert main(["solve", str(inst_dir), "-o", str(tmp_path / "plan"), "-q"]) == 0
    out = tmp_path / "rep"
    assert main(["report", str(inst_dir), str(tmp_path / "plan"), "-o", str(out)]) == 0
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"report.xlsx", "report.html", "map.html", "layers/villages.geojson", "layers/fiber_routes.geojson",
            "layers/sites.geojson"} <= names
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3
    assert "甲省" in html and "台账" in html and "十七" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html), "the report must not fetch anything"


def test_prefecture_ranking_one_level_down(tiny):
    from allocator.reports.tables import ranking_table

    _, inst, plan = tiny
    t = ranking_table(inst, plan, level="prefecture")
    frame = t.frame.set_index("prefecture")
    # 怒江: poor v1-v4, three covered after; 石家庄市: v6, v7 both covered; 保定市: v8, v9 none
    assert frame.loc["怒江傈僳族自治州", "covered after"] == 3
    assert frame.loc["石家庄市", "share after"] == 1.0 and frame.loc["石家庄市", "rank"] == 1
    assert frame.loc["保定市", "rank"] == 3
    assert frame.loc["全国 (total)", "poor villages"] == 8


# --------------------------------------------------------------------------- numbers and fonts for officials
def test_summary_and_ledger_read_as_officials_expect(tiny, tmp_path):
    """Large figures with separators and units, never 5.5921e+06, in the workbook and the HTML
    report; the ledger says "no" for a village that is not registered poor (not a blank)."""
    from openpyxl import load_workbook

    from allocator.reports.excel import write_workbook
    from allocator.reports.html import write_html_report
    from allocator.reports.tables import report_tables

    from dataclasses import replace

    _, inst, _ = tiny
    # v5 (not registered poor) left out, so the ledger lists a non-poor village
    decision = replace(DECISION, technology={**DECISION.technology, "v5": "none"}, site_of={"v4": "S1"})
    plan = assemble(inst, decision, {"status": "optimal", "objective": 5592100.0, "bound": 5328130.4, "gap": 0.0})
    tables = report_tables(inst, plan)
    wb = load_workbook(write_workbook(tables, tmp_path / "r.xlsx"))
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=4) if r[0].value}
    assert summary["objective"].endswith("5,592,100 (weighted coverage)")
    assert summary["proven bound"] == "5,328,130 (weighted coverage)"
    assert summary["total cost"].endswith(f"{inst.currency} ({inst.budget_measure.value})")
    html = write_html_report(inst, plan, tables, tmp_path / "r.html").read_text(encoding="utf-8")
    text = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)  # chart internals (path data) aside
    assert not re.search(r"\d\.\d+e[+-]\d", text) and "5,592,100" in text
    led = wb["Ledger"]
    header = [c.value for c in led[4]]
    poor = [led.cell(row=r, column=header.index("poor") + 1).value for r in range(5, led.max_row + 1)]
    assert sorted(poor) == ["no", "yes", "yes", "yes"]


def test_report_without_a_cjk_font_is_quiet(tiny, tmp_path, capfd, monkeypatch):
    """A machine without a CJK font: the charts fall back to DejaVu Sans without a findfont line
    or a missing-glyph warning per Chinese character on stderr."""
    import logging
    import warnings

    from matplotlib import font_manager

    from allocator.reports import fonts
    from allocator.reports.html import write_html_report
    from allocator.reports.tables import report_tables

    _, inst, plan = tiny
    no_cjk = [f for f in font_manager.fontManager.ttflist if f.name not in fonts.CJK_CANDIDATES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", no_cjk)
    font_manager.fontManager._findfont_cached.cache_clear()  # matplotlib memoises lookups
    fonts.cjk_font.cache_clear()
    logging.getLogger("matplotlib.font_manager").addHandler(handler := logging.StreamHandler())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a glyph warning would fail the report
            html = write_html_report(inst, plan, report_tables(inst, plan), tmp_path / "r.html")
    finally:
        logging.getLogger("matplotlib.font_manager").removeHandler(handler)
        font_manager.fontManager._findfont_cached.cache_clear()
        fonts.cjk_font.cache_clear()
    assert "甲省" in html.read_text(encoding="utf-8")
    err = capfd.readouterr().err
    assert "findfont" not in err and "missing from" not in err
    assert fonts.font_family() != ["Noto Sans CJK SC"]
