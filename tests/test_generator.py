"""The synthetic instance generator and ``allocator describe``.

Every preset but ``national`` is generated, loaded back and checked against
what the preset promises; ``national`` is checked through its county selection
and village totals (its full generation is measured, not run here). Programme
figures are read from docs/sources.md.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.cli import main
from allocator.analysis.describe import describe
from allocator.generator import generate
from allocator.generator.build import _villages_per_county
from allocator.generator.geography import county_groups, county_seats, select_counties
from allocator.generator.presets import DEEP_POVERTY, DESIGNATED, NATIONAL_QUOTAS, PRESETS, YANSHAN_TAIHANG
from allocator.generator.reference import reference_plans
from allocator.io import load_instance
from allocator.io.writer import write_instance
from allocator.verify import verify

REPO = Path(__file__).resolve().parents[1]
PROGRAMME = REPO / "docs" / "sources.md"  # the programme's figures, with their source
DEMO = REPO / "instances" / "county-demo"
TABLE_FILES = ("counties.csv", "villages.csv", "network_nodes.csv", "network_edges.csv", "sites.csv")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Generate each small preset once (seed 1) and load it."""
    cache = {}

    def get(name: str):
        if name not in cache:
            d = tmp_path_factory.mktemp(name) / name
            generate(name, seed=1, directory=d)
            cache[name] = (d, load_instance(d))
        return cache[name]
    return get


def _poor_existing_share(inst, deep: bool) -> float:
    v = inst.villages
    in_deep = v["groups"].map(lambda gs: DEEP_POVERTY in gs).to_numpy(bool)
    m = v["poor"].to_numpy(bool) & (in_deep if deep else ~in_deep)
    return float((v.loc[m, "existing"] != "none").mean())


# --------------------------------------------------------------------------- tiny
def test_tiny_is_the_documented_layout(made):
    _, inst = made("tiny")
    v = inst.villages
    assert len(v) == 6 and int(v["poor"].sum()) == 5
    assert list(inst.counties.index) == ["513429"] and inst.counties.loc["513429", "groups"] == (DEEP_POVERTY,)
    assert v["existing"].tolist() == ["4g", "none", "none", "none", "none", "none"]
    assert set(map(tuple, inst.coverage[["site_id", "village_id"]].to_numpy())) == {
        ("513429-H1-4G", "513429-V4"), ("513429-H1-4G", "513429-V5")}
    # covering everything: every trench but the one to V1 (already connected) plus five drops
    e = inst.edges
    not_v1 = ~((e["u"] == "513429-V1") | (e["v"] == "513429-V1")).to_numpy()
    trenches = float(np.sum(inst.cost(e["capex"].to_numpy(), e["opex"].to_numpy())[not_v1]))
    cand = v[v["existing"] == "none"]
    drops = float(np.sum(inst.cost(cand["fiber_capex"].to_numpy(), cand["fiber_opex"].to_numpy())))
    ref = reference_plans(inst).costs
    assert ref.cover_everything == pytest.approx(trenches + drops, rel=1e-12)
    share = PRESETS["tiny"].params.budget_share
    expected = max(share * ref.cover_everything, ref.policy_plan)
    assert inst.budget == math.ceil(expected / 1000) * 1000


def test_tiny_budget_is_feasible_for_the_solver(made):
    from allocator.solve import solve

    _, inst = made("tiny")
    plan = solve(inst)
    assert plan.status == "optimal"
    assert plan.total_cost <= inst.budget * (1 + 1e-9)
    # the budget binds: fiber everywhere (the best quality) does not fit
    assert len(plan.decision.villages_with("fiber")) < 5


# --------------------------------------------------------------------------- small presets
@pytest.mark.parametrize("name", ["county", "prefecture"])
def test_small_presets_match_their_intent(made, name):
    preset = PRESETS[name]
    _, inst = made(name)
    v = inst.villages
    p = preset.params
    assert len(v) == preset.villages
    assert int(v["poor"].sum()) == round(preset.villages * preset.poor_share)
    assert len(inst.counties) == preset.counties
    assert inst.counties.index.str.startswith(preset.adcode_prefix).all()
    # both presets lie wholly in 三区三州 (Liangshan)
    assert inst.counties["groups"].map(lambda gs: DEEP_POVERTY in gs).all()
    assert _poor_existing_share(inst, deep=True) == pytest.approx(p.existing_deep, abs=0.01)
    assert v["school"].mean() == pytest.approx(p.school_share, abs=0.08)
    assert v["clinic"].mean() == pytest.approx(p.clinic_share, abs=0.08)
    assert set(v["existing"]) == {"none", "fiber", "4g"}
    assert 2.4 <= 2 * len(inst.edges) / len(inst.nodes) <= 3.5  # road-like, not complete
    assert (inst.edges["length_km"] > 0).all()
    assert len(inst.sites) and len(inst.coverage)


@pytest.mark.parametrize("name", ["county", "prefecture"])
def test_each_county_is_its_own_component_with_a_backbone(made, name):
    _, inst = made(name)
    g = nx.Graph()
    g.add_nodes_from(inst.nodes.index)
    g.add_edges_from(zip(inst.edges["u"], inst.edges["v"]))
    backbone = set(inst.backbone_nodes)
    for comp in nx.connected_components(g):
        assert len({n.split("-")[0] for n in comp}) == 1, "a component spans two counties"
        assert comp & backbone, "a component without backbone"


def test_province_is_sichuan_with_its_groups(made):
    preset = PRESETS["province"]
    _, inst = made("province")
    c = inst.counties
    assert len(c) == preset.counties and c.index.str.startswith("51").all()
    assert len(inst.villages) == preset.villages
    deep = c["groups"].map(lambda gs: DEEP_POVERTY in gs)
    assert set(c.index[deep].str[:4]) == {"5132", "5133", "5134"}
    assert deep.sum() >= 40  # 三区三州 counties are nearly all poverty counties
    assert {"511321", "511304"} <= set(c.index[c["groups"].map(lambda gs: DESIGNATED in gs)])
    p = preset.params
    assert _poor_existing_share(inst, deep=True) == pytest.approx(p.existing_deep, abs=0.01)
    assert _poor_existing_share(inst, deep=False) == pytest.approx(p.existing_other, abs=0.01)
    # plateau on the Tibetan prefectures, none elsewhere in Sichuan
    v = inst.villages
    plateau_counties = set(v.loc[v["terrain"] == "plateau", "county_id"])
    assert plateau_counties
    assert all(c[:4] in ("5132", "5133") or c == "513422" for c in plateau_counties)


# --------------------------------------------------------------------------- national, without the geometry
def _programme_figures():
    text = PROGRAMME.read_text(encoding="utf-8")
    total = int(re.search(r"registered poor villages[^|]*national \| ([\d,]+)", text).group(1).replace(",", ""))
    line = next(ln for ln in text.splitlines() if ln.startswith("Sichuan "))
    names = {"Sichuan": "51", "Guizhou": "52", "Yunnan": "53", "Shanxi": "14", "Gansu": "62",
             "Xinjiang": "65", "Qinghai": "63"}
    provinces = {}
    for name, villages, counties in re.findall(r"(\w+) ([\d,]+) \((\d+)(?: counties)?\)", line):
        provinces[names[name]] = (int(villages.replace(",", "")), int(counties))
    rates = re.search(r"poor villages (\d+)% broadband, 三区三州 (\d+)%", text)
    return total, provinces, int(rates.group(1)) / 100, int(rates.group(2)) / 100


def test_national_quotas_follow_the_programme():
    total, provinces, _, _ = _programme_figures()
    preset = PRESETS["national"]
    assert preset.villages == total
    exact = {q.code: q for q in NATIONAL_QUOTAS if q.exact}
    assert set(exact) == set(provinces)
    for code, (villages, counties) in provinces.items():
        assert exact[code].villages == villages
        if counties > 100:  # Shanxi's "(2014)" is a year, not a county count
            continue
        assert exact[code].counties == counties


def test_national_county_selection_and_totals():
    total, provinces, rate_all, rate_deep = _programme_figures()
    preset = PRESETS["national"]
    rng = np.random.default_rng(1)
    counties = select_counties(preset, rng)
    poor, other = _villages_per_county(preset, counties, rng)
    assert len(counties) == sum(q.counties for q in NATIONAL_QUOTAS)
    assert counties.index.is_unique and not other.any() and (poor >= 5).all()
    assert int(poor.sum()) == total
    per_province = {}
    for code, n in zip(counties["adcode"].str[:2], poor):
        per_province[code] = per_province.get(code, 0) + int(n)
    for code, (villages, _) in provinces.items():
        assert per_province[code] == villages
    groups = counties["groups"]
    # every listed Yanshan-Taihang and MIIT-paired county with a seat point is chosen
    seats = county_seats()
    listed_yt = sum(YANSHAN_TAIHANG in g for g in seats["groups"])
    assert sum(YANSHAN_TAIHANG in g for g in groups) == listed_yt == 33
    assert sum(DESIGNATED in g for g in groups) == 4
    # all of Tibet is 三区三州, and the 2016 starting rates come out as the programme reports
    assert all(DEEP_POVERTY in g for a, g in zip(counties["adcode"], groups) if a.startswith("54"))
    deep = np.array([DEEP_POVERTY in g for g in groups])
    p = preset.params
    expected = (p.existing_deep * poor[deep].sum() + p.existing_other * poor[~deep].sum()) / total
    assert expected == pytest.approx(rate_all, abs=0.005)
    assert p.existing_deep == rate_deep


def test_county_groups_from_adcodes():
    assert county_groups("513422") == (DEEP_POVERTY,)          # Muli: Tibetan area and Liangshan
    assert county_groups("540102") == (DEEP_POVERTY,)          # Tibet
    assert county_groups("130823") == (YANSHAN_TAIHANG,)       # Pingquan, 2016 code
    assert county_groups("141030") == (DESIGNATED,)
    assert county_groups("510104") == ()


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes_other_seed_other_instance(tmp_path):
    a = generate("county", seed=5, directory=tmp_path / "a")
    b = generate("county", seed=5, directory=tmp_path / "b")
    c = generate("county", seed=6, directory=tmp_path / "c")
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "villages.csv").read_bytes() != (c / "villages.csv").read_bytes()


# --------------------------------------------------------------------------- reference plans and budget
@pytest.mark.parametrize("name", ["tiny", "county", "prefecture"])
def test_reference_plans_verify_and_bracket_the_budget(made, name):
    _, inst = made(name)
    ref = reference_plans(inst)
    report = verify(inst, ref.policy_plan)
    assert report.ok, report.violations[:5]
    assert report.recomputed["total_cost"] == pytest.approx(ref.costs.policy_plan, rel=1e-9)
    everything = verify(inst, ref.cover_everything)
    assert everything.recomputed["villages_covered"] == len(inst.villages)
    assert everything.recomputed["total_cost"] == pytest.approx(ref.costs.cover_everything, rel=1e-9)
    # covering everything along the tree does not fit: only the budget is broken
    assert [m for m in everything.violations if not m.startswith("budget exceeded")] == []
    assert ref.costs.policy_plan <= inst.budget < ref.costs.cover_everything


# --------------------------------------------------------------------------- CLI
def test_cli_generate_and_describe(tmp_path, capsys):
    out = tmp_path / "tiny"
    assert main(["generate", "tiny", "--seed", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["describe", str(out), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["counts"]["villages"] == 6 and stats["counts"]["poor_villages"] == 5
    assert stats["counts"]["schools"] == 1 and stats["counts"]["clinics"] == 1
    assert stats["existing"] == {"4g": 1, "none": 5}
    groups = {g["group"]: g for g in stats["groups"]}
    assert groups["all-poor"]["poor"] == 5 and groups["all-poor"]["existing_share_poor"] == pytest.approx(0.2)
    assert groups[DEEP_POVERTY]["villages"] == 6
    assert [p["province"] for p in stats["provinces"]] == ["四川省"]
    ref = stats["reference"]
    assert ref["policy_plan"] <= stats["instance"]["budget"] < ref["cover_everything"]
    per_km = stats["prices"]["edge_capex_per_km"]
    assert per_km["mountain"]["min"] > per_km["hills"]["min"]
    assert main(["describe", str(out)]) == 0
    text = capsys.readouterr().out
    assert "villages per province" in text and "deep-poverty" in text and "cover everything" in text


def test_cli_unknown_preset_is_bad_input(tmp_path, capsys):
    assert main(["generate", "planet", "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'planet'" in err and "tiny" in err
    assert not (tmp_path / "x").exists()


def test_cli_no_overwrite(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["generate", "tiny", "-o", str(out)]) == 0
    assert main(["generate", "tiny", "-o", str(out), "--no-overwrite"]) == 2
    assert "exists" in capsys.readouterr().err


# --------------------------------------------------------------------------- the shipped demo
def test_shipped_county_demo_is_the_generators(tmp_path):
    if not DEMO.is_dir():
        pytest.skip("instances/county-demo is not in this tree")
    fresh = generate("county", seed=1, directory=tmp_path / "demo")
    for f in TABLE_FILES:
        assert (DEMO / f).read_bytes() == (fresh / f).read_bytes(), \
            f"{f} differs: regenerate with `allocator generate county --seed 1 -o instances/county-demo`"
    inst = load_instance(DEMO)
    ref = reference_plans(inst).costs
    assert ref.policy_plan <= inst.budget < ref.cover_everything


# --------------------------------------------------------------------------- properties
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_any_seed_gives_a_valid_instance_with_an_affordable_policy(tmp_path_factory, seed):
    d = generate("county", seed=seed, directory=tmp_path_factory.mktemp("s") / "c")
    inst = load_instance(d)
    preset = PRESETS["county"]
    assert len(inst.villages) == preset.villages
    assert _poor_existing_share(inst, deep=True) == pytest.approx(preset.params.existing_deep, abs=0.01)
    ref = reference_plans(inst)
    assert verify(inst, ref.policy_plan).ok
    assert ref.costs.policy_plan <= inst.budget < ref.costs.cover_everything


def test_describe_without_graph_or_sites(tmp_path):
    """Satellite-only villages (no node, no site): the reference plans still work."""

    d = write_instance(
        tmp_path / "sat", meta={"name": "sat", "cost_model": "models/costs/china-2018.toml",
                                "policy_model": "models/policy/miit-2018-2020.toml",
                                "objective": "min-cost", "budget_measure": "capex"},
        counties=pd.DataFrame({"county_id": ["c"], "name": ["c"], "province": ["p"]}),
        villages=pd.DataFrame({"village_id": ["a", "b"], "county_id": ["c", "c"], "population": [100.0, 200.0],
                               "existing": ["none", "fiber"]}))
    inst = load_instance(d)
    stats = describe(inst)
    sat = float(inst.villages.loc["a", "satellite_capex"])
    assert stats["reference"]["cover_everything"] == pytest.approx(sat)
    assert stats["reference"]["policy_plan"] == pytest.approx(sat)
    assert stats["counts"]["edges"] == 0 and stats["groups"][0]["existing_share_poor"] == pytest.approx(0.5)
