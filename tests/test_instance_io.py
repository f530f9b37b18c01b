"""Reading and writing instances: round trips, prices, derived columns, hash, models, docs."""
from __future__ import annotations

import re
import shutil
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.errors import InputError, InputWarning
from allocator.io import load_instance, write_instance
from allocator.io.tomlwrite import dumps
from allocator.schema import ALL_POOR, TABLES, Technology
try:  # tests/ as a plain directory or as a package
    from builders import base_tables, make_instance_dir, replace_in_file, write_csv_text
except ImportError:
    from tests.builders import base_tables, make_instance_dir, replace_in_file, write_csv_text

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ round trips
def test_chinese_names_round_trip_through_writer(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path))
    assert inst.counties.loc["c1", "name"] == "甘孜县"
    assert list(inst.villages["name"]) == [v["name"] for v in base_tables()["villages"]]
    assert inst.villages.loc["v5", "province"] == "河北"


@pytest.mark.parametrize("bom", [False, True])
def test_chinese_names_with_and_without_bom(tmp_path, bom):
    d = make_instance_dir(tmp_path)
    text = (d / "villages.csv").read_text(encoding="utf-8")
    write_csv_text(d, "villages.csv", text, bom=bom)
    write_csv_text(d, "counties.csv", (d / "counties.csv").read_text(encoding="utf-8"), bom=bom)
    assert (d / "villages.csv").read_bytes().startswith(b"\xef\xbb\xbf") == bom
    inst = load_instance(d)
    assert list(inst.villages.columns[:1]) == ["county_id"]  # the BOM did not stick to the first header
    assert inst.villages.index.name == "village_id" and "v1" in inst.villages.index
    assert inst.villages.loc["v4", "name"] == "西柏坡村"
    assert inst.counties.loc["c2", "name"] == "平山县"


def test_loaded_tables_written_back_load_the_same(tmp_path):
    first = load_instance(make_instance_dir(tmp_path))
    meta = {"name": first.name, "cost_model": "models/costs/china-2018.toml",
            "policy_model": "models/policy/miit-2018-2020.toml", "budget": first.budget}
    again = load_instance(write_instance(tmp_path / "again", meta=meta, counties=first.counties,
                                         villages=first.villages, nodes=first.nodes, edges=first.edges,
                                         sites=first.sites, coverage=first.coverage, beams=first.beams))
    for table in ("counties", "villages", "edges", "sites", "coverage", "beams"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(again, table), check_dtype=False,
                                      obj=table)
    # n3 came back as backbone (it was derived from v4's fiber); that is the same network
    assert again.backbone_nodes == first.backbone_nodes


def test_writer_refuses_missing_required_column_and_leaves_nothing(tmp_path):
    tables = {k: pd.DataFrame(v) for k, v in base_tables().items() if v is not None}
    tables["sites"] = tables["sites"].drop(columns="site_id")
    with pytest.raises(InputError, match="sites.csv, column 'site_id'.*lacks required column"):
        write_instance(tmp_path / "x", meta={"name": "x"}, **tables)
    assert not (tmp_path / "x").exists()


def test_writer_refuses_unknown_column_and_keeps_note_columns(tmp_path):
    tables = {k: pd.DataFrame(v) for k, v in base_tables().items() if v is not None}
    tables["villages"]["osm_id"] = "w1"
    with pytest.raises(InputError, match="villages.csv, column 'osm_id': column 'osm_id' is not a column of "
                                         "villages.csv\n  fix: rename it to 'x_osm_id'"):
        write_instance(tmp_path / "x", meta={"name": "x"}, **tables)
    assert not (tmp_path / "x").exists()
    tables["villages"] = tables["villages"].rename(columns={"osm_id": "x_osm_id"})
    d = write_instance(tmp_path / "x", meta={"name": "x", "cost_model": "models/costs/china-2018.toml",
                                             "policy_model": "models/policy/miit-2018-2020.toml"}, **tables)
    with pytest.warns(InputWarning, match="x_osm_id"):
        assert (load_instance(d).villages["x_osm_id"] == "w1").all()


def test_writer_overwrite_flag(tmp_path):
    d = make_instance_dir(tmp_path)
    tables = {k: pd.DataFrame(v) for k, v in base_tables().items() if v is not None}
    with pytest.raises(FileExistsError):
        write_instance(d, meta={"name": "again"}, overwrite=False, **tables)
    assert 'name = "mini"' in (d / "instance.toml").read_text(encoding="utf-8")
    write_instance(d, meta={"name": "again", "cost_model": "models/costs/china-2018.toml",
                            "policy_model": "models/policy/miit-2018-2020.toml"}, **tables)
    assert load_instance(d).name == "again"


def test_writer_writes_nested_inline_models(tmp_path):
    d = make_instance_dir(tmp_path, meta={"policy": {"groups": {ALL_POOR: {"floor": 1.0},
                                                                "deep-poverty": {"priority": 5.0}}},
                                          "costs": {"fiber": {"per_km": {"hills": 1.0}}}})
    parsed = tomllib.loads((d / "instance.toml").read_text(encoding="utf-8"))
    assert parsed["policy"]["groups"][ALL_POOR] == {"floor": 1.0}
    inst = load_instance(d)
    assert inst.policy.groups[ALL_POOR].floor == 1.0
    assert inst.policy.groups["deep-poverty"].priority == 5.0
    assert inst.policy.groups["deep-poverty"].floor == 0.90  # the rest of the file's group stays
    assert inst.costs.fiber.per_km["hills"] == 1.0
    assert inst.edges.loc[3, "capex"] == 100000.0            # explicit cost still wins


_key = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=8)
_scalar = st.one_of(st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=10),
                    st.floats(allow_nan=False, allow_infinity=False))
_value = st.recursive(_scalar | st.lists(_scalar, max_size=3),
                      lambda inner: st.dictionaries(_key, inner, max_size=3), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_key, _value, max_size=5),
       st.lists(st.dictionaries(_key, _scalar, min_size=1, max_size=3), min_size=1, max_size=3))
def test_toml_writer_round_trips(data, rules):
    data = dict(data)
    data["rules-x"] = rules
    assert tomllib.loads(dumps(data)) == data


# ------------------------------------------------------------------ prices
def test_pricing_of_edges_sites_villages_by_hand(tmp_path):
    tables = base_tables()
    tables["sites"].append({"site_id": "s2", "node": "j1", "lon": 100.0, "lat": 31.59, "terrain": "hills",
                            "backhaul": "fiber", "capex": 123.0, "radius_km": 0.5, "backhaul_capex": 7.0})
    tables["villages"][0]["fiber_drop_capex"] = 999.0
    tables["villages"][1]["satellite_opex"] = 11.0
    d = make_instance_dir(tmp_path, villages=tables["villages"], sites=tables["sites"])
    costs = {"fiber": {"per_km": {"plain": 1.0, "hills": 2.0, "mountain": 3.0, "plateau": 4.0},
                       "opex_per_km_year": 0.5, "drop_capex": 10.0, "drop_opex_year": 1.5},
             "cellular": {"site_capex": {"plain": 100.0, "hills": 200.0, "mountain": 300.0, "plateau": 400.0},
                          "site_opex_year": 20.0, "radius_km": {"plain": 5.0, "hills": 3.0, "mountain": 2.5,
                                                                "plateau": 4.0},
                          "microwave_capex": 50.0, "microwave_opex_year": 5.0},
             "satellite": {"terminal_capex": 3.0, "fee_year": 4.0}}
    inst = load_instance(d, overrides={"costs": costs})
    e = inst.edges
    # b0-j1: 2 km plateau at 4/km; j1-n2: 3 km plateau; n3-n4: explicit 100000, opex still from its 2.5 km
    assert e.loc[0, "capex"] == 8.0 and e.loc[0, "opex"] == 1.0
    assert e.loc[2, "capex"] == 12.0 and e.loc[2, "opex"] == 1.5
    assert e.loc[3, "capex"] == 100000.0 and e.loc[3, "opex"] == 1.25
    s = inst.sites
    assert (s.loc["s1", "capex"], s.loc["s1", "opex"], s.loc["s1", "radius_km"]) == (300.0, 20.0, 2.5)
    assert (s.loc["s1", "backhaul_capex"], s.loc["s1", "backhaul_opex"]) == (50.0, 5.0)
    assert (s.loc["s2", "capex"], s.loc["s2", "radius_km"], s.loc["s2", "backhaul_capex"]) == (123.0, 0.5, 7.0)
    v = inst.villages
    assert (v.loc["v1", "fiber_capex"], v.loc["v1", "fiber_opex"]) == (999.0, 1.5)
    assert (v.loc["v2", "fiber_capex"], v.loc["v3", "satellite_capex"]) == (10.0, 3.0)
    assert (v.loc["v2", "satellite_opex"], v.loc["v3", "satellite_opex"]) == (11.0, 4.0)
    # tco of edge 0 over 10 years at 5%: 8 + 1.0 * annuity
    annuity = (1 - 1.05 ** -10) / 0.05
    assert inst.cost(e.loc[0, "capex"], e.loc[0, "opex"], "tco") == pytest.approx(8.0 + annuity)


# ------------------------------------------------------------------ derived columns
def test_derived_village_columns(tmp_path):
    tables = base_tables()
    tables["counties"].append({"county_id": "c3", "name": "无码县", "province": "甘肃", "adcode": "",
                               "groups": "yanshan-taihang;deep-poverty"})
    tables["counties"][1]["prefecture"] = "石家庄"
    tables["villages"].append({"village_id": "v6", "county_id": "c3", "population": 10, "poor": "false",
                               "technologies": "Satellite;4G", "beam": "Ka-07"})
    d = make_instance_dir(tmp_path, counties=tables["counties"], villages=tables["villages"],
                          beams=[{"beam_id": "Ka-07", "capacity_mbps": 300.0}, {"beam_id": "unused", "capacity_mbps": 1}])
    inst = load_instance(d)
    v = inst.villages
    assert v.loc["v1", "groups"] == ("deep-poverty", ALL_POOR)
    assert v.loc["v5", "groups"] == (ALL_POOR,)
    assert v.loc["v4", "groups"] == ()                       # not poor, county in no group
    assert v.loc["v6", "groups"] == ("yanshan-taihang", "deep-poverty")
    assert (v.loc["v1", "prefecture"], v.loc["v4", "prefecture"], v.loc["v6", "prefecture"]) == \
        ("5133", "石家庄", "甘肃")                          # adcode[:4], explicit, province
    assert v.loc["v6", "technologies"] == (Technology.CELLULAR, Technology.SATELLITE)
    assert v.loc["v1", "technologies"] == tuple(Technology)
    assert v.loc["v1", "beam"] == "四川" and v.loc["v6", "beam"] == "Ka-07"
    default = inst.costs.satellite.beam_capacity_mbps
    assert inst.beams["capacity_mbps"].to_dict() == {"Ka-07": 300.0, "四川": default, "河北": default}
    assert list(inst.group_members("yanshan-taihang")) == ["v6"]
    assert list(inst.group_members(ALL_POOR)) == ["v1", "v2", "v3", "v5"]


def _haversine(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(h))


def test_coverage_from_radius_matches_brute_force(tmp_path):
    rng = np.random.default_rng(7)
    n, m = 300, 25
    lon, lat = 100 + rng.random(n) * 0.5, 30 + rng.random(n) * 0.5
    villages = pd.DataFrame({"village_id": [f"v{i}" for i in range(n)], "county_id": "c1", "lon": lon, "lat": lat,
                             "population": 1.0, "technologies": "4g;satellite"})
    slon, slat = 100 + rng.random(m) * 0.5, 30 + rng.random(m) * 0.5
    radius = rng.uniform(1.0, 8.0, m)
    sites = pd.DataFrame({"site_id": [f"s{j:02d}" for j in range(m)], "lon": slon, "lat": slat, "radius_km": radius})
    d = make_instance_dir(tmp_path, villages=villages, sites=sites, nodes=None, edges=None)
    got = set(map(tuple, load_instance(d).coverage[["site_id", "village_id"]].to_numpy()))
    dist = _haversine(slon[:, None], slat[:, None], lon[None, :], lat[None, :])
    want = {(f"s{j:02d}", f"v{i}") for j, i in zip(*np.nonzero(dist <= radius[:, None]))}
    assert got == want and len(want) > 50


def test_one_degree_of_latitude_is_about_111_km(tmp_path):
    villages = [{"village_id": "north", "county_id": "c1", "lon": 100.0, "lat": 31.0, "population": 1},
                {"village_id": "south", "county_id": "c1", "lon": 100.0, "lat": 30.0, "population": 1}]
    sites = [{"site_id": "in", "lon": 100.0, "lat": 30.0, "radius_km": 111.3},
             {"site_id": "out", "lon": 100.0, "lat": 30.0, "radius_km": 111.1}]
    d = make_instance_dir(tmp_path, villages=villages, sites=sites, nodes=None, edges=None)
    cov = load_instance(d).coverage
    assert set(cov.loc[cov["village_id"] == "north", "site_id"]) == {"in"}


# ------------------------------------------------------------------ content hash
def test_content_hash_stable_and_sensitive(tmp_path):
    d = make_instance_dir(tmp_path)
    h = load_instance(d).content_hash
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert load_instance(d).content_hash == h
    moved = shutil.copytree(d, tmp_path / "elsewhere" / "copy")
    assert load_instance(moved).content_hash == h           # the place does not matter, the bytes do
    replace_in_file(moved / "villages.csv", "北庄村,114.02,38.31,400", "北庄村,114.02,38.31,401")
    assert load_instance(moved).content_hash != h
    assert load_instance(d, overrides={"budget": 5.0}).content_hash != h
    replace_in_file(d / "instance.toml", "minimal test instance", "minimal test instance!")
    assert load_instance(d).content_hash != h


def test_content_hash_covers_the_model_file(tmp_path):
    models = tmp_path / "models" / "costs"
    models.mkdir(parents=True)
    shutil.copy(REPO / "allocator/models/costs/china-2018.toml", models / "copy.toml")
    d = make_instance_dir(tmp_path, meta={"cost_model": "models/costs/copy.toml"})
    h = load_instance(d).content_hash
    replace_in_file(models / "copy.toml", "drop_capex = 30000.0", "drop_capex = 30001.0")
    inst = load_instance(d)
    assert inst.content_hash != h and inst.costs.fiber.drop_capex == 30001.0
    assert Path(inst.costs.path) == models / "copy.toml"      # found next to the instance, before the repo


# ------------------------------------------------------------------ overrides and milestones
def test_overrides_deep_merge(tmp_path):
    d = make_instance_dir(tmp_path)
    inst = load_instance(d, overrides={"budget": 1e9, "policy": {"groups": {"deep-poverty": {"floor": 0.95}}}})
    assert inst.budget == 1e9
    assert inst.policy.groups["deep-poverty"].floor == 0.95
    assert inst.policy.groups["deep-poverty"].priority == 3.0
    assert inst.policy.groups[ALL_POOR].floor == 0.98
    assert load_instance(d).policy.groups["deep-poverty"].floor == 0.90


def test_milestones_give_the_floors_of_the_base_year(tmp_path):
    d = make_instance_dir(tmp_path, meta={"base_year": 2019})
    inst = load_instance(d)
    assert inst.base_year == 2019
    assert inst.policy.floors() == {ALL_POOR: 0.90}          # 2018 milestone, latest at or before 2019
    assert load_instance(d, overrides={"base_year": 2020}).policy.floors() == \
        {ALL_POOR: 0.98, "deep-poverty": 0.90, "designated": 1.0, "yanshan-taihang": 1.0}
    pinned = load_instance(d, overrides={"policy": {"groups": {"deep-poverty": {"floor": 0.5}}}})
    assert pinned.policy.floors() == {ALL_POOR: 0.90, "deep-poverty": 0.5}   # the instance's own floor wins
    assert load_instance(d, overrides={"base_year": 2017}).policy.floors()[ALL_POOR] == 0.98


def test_inline_models_only(tmp_path):
    inline_costs = tomllib.loads((REPO / "allocator/models/costs/china-2018.toml").read_text(encoding="utf-8"))
    d = make_instance_dir(tmp_path, meta={"cost_model": None, "policy_model": None, "costs": inline_costs,
                                          "policy": {"groups": {ALL_POOR: {"floor": 0.5},
                                                                     "deep-poverty": {"priority": 2.0}}}})
    inst = load_instance(d)
    assert inst.costs.path is None and inst.costs.fiber.mbps == inline_costs["fiber"]["mbps"]
    assert inst.policy.path is None and inst.policy.floors() == {ALL_POOR: 0.5}
    with pytest.raises(InputError, match="counties.csv, line 2, column 'groups'"):  # deep-poverty undefined
        load_instance(make_instance_dir(tmp_path, "x", meta={"cost_model": None, "costs": inline_costs,
                                                             "policy_model": None,
                                                             "policy": {"groups": {}}}))


# ------------------------------------------------------------------ shipped models
_NUMBER = re.compile(r"^\s*[\w\"-]+\s*=\s*[-\d{]")
_CITES = re.compile(r"assumption|derived|\.com|\.cn|chinadaily|xinhua|analysys|\([一二三四五六七八九十]", re.I)


def _uncited_numbers(path: Path) -> list[str]:
    """Number lines (outside [sources]) whose comment (same line, or the comment lines of the
    paragraph above in the same table) neither cites a source nor says assumption/derived."""
    lines = path.read_text(encoding="utf-8").splitlines()
    bad, section = [], ""
    for i, line in enumerate(lines):
        if line.strip().startswith("["):
            section = line.strip()
        if section == "[sources]" or not _NUMBER.match(line):
            continue
        comment = line.split("#", 1)[1] if "#" in line else ""
        j = i - 1
        while j >= 0 and lines[j].strip() and not lines[j].strip().startswith("["):
            if lines[j].strip().startswith("#"):
                comment += lines[j]
            j -= 1
        if not _CITES.search(comment):
            bad.append(line)
    return bad


SHIPPED_MODELS = ["allocator/models/costs/china-2018.toml", "allocator/models/policy/miit-2018-2020.toml"]


@pytest.mark.parametrize("model", SHIPPED_MODELS)
def test_every_shipped_number_cites_a_source(model):
    assert _uncited_numbers(REPO / model) == []


@pytest.mark.parametrize("model", SHIPPED_MODELS)
def test_shipped_models_cite_the_projects_own_sources(model):
    """The sources a model cites ship with the project (docs/sources.md), not a folder beside the
    clone that a user never sees."""
    text = (REPO / model).read_text(encoding="utf-8")
    assert "docs/sources.md" in text
    assert "shared/" not in text and "/work/" not in text
    assert (REPO / "docs" / "sources.md").is_file()


def test_no_runtime_code_or_user_doc_points_outside_the_project():
    """../shared exists only on the developers' machines: nothing a user reads or runs refers to
    its reference notes (the published instances, absent from a clone, are for tests and benchmarks)."""
    files = [*REPO.glob("allocator/**/*.py"), *REPO.glob("allocator/**/*.toml"), *REPO.glob("docs/*.md"),
             REPO / "README.md", *REPO.glob("instances/**/*.toml"), *REPO.glob("instances/*.md")]
    offenders = [str(f.relative_to(REPO)) for f in files if "shared/reference" in f.read_text(encoding="utf-8")]
    assert offenders == []


def test_uncited_number_is_detected(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text("[fiber]\n# Assumption: x\ndrop_capex = 1.0\n\n# a number with no source\nmbps = 3.0\n",
                 encoding="utf-8")
    assert _uncited_numbers(f) == ["mbps = 3.0"]


def test_cost_model_sources_table_covers_every_parameter():
    data = tomllib.loads((REPO / "allocator/models/costs/china-2018.toml").read_text(encoding="utf-8"))
    cited = set(data["sources"])
    for section in ("fiber", "cellular", "satellite"):
        for key in data[section]:
            assert f"{section}.{key}" in cited, f"{section}.{key} has no entry in [sources]"
    assert "quality" in cited


def test_shipped_policy_expresses_the_programme(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path))
    p = inst.policy
    assert p.floors() == {ALL_POOR: 0.98, "deep-poverty": 0.90, "designated": 1.0, "yanshan-taihang": 1.0}
    assert p.milestones[2018] == {ALL_POOR: 0.90}
    assert p.schools_required and p.clinics_required
    assert p.groups["deep-poverty"].priority > p.groups["designated"].priority > p.groups[ALL_POOR].priority
    c = inst.costs
    assert c.currency == "CNY"
    assert c.satellite.beam_capacity_mbps == pytest.approx(20_000 / 26)
    assert c.quality["fiber"] == 1.0 > c.quality["4g"] and c.quality["fiber"] > c.quality["satellite"]
    assert c.cellular.radius_km["plain"] == 5.0


# ------------------------------------------------------------------ docs and tiny instances
def test_format_doc_lists_every_column_and_is_current():
    from allocator.io.docgen import render
    doc = (REPO / "docs/format.md").read_text(encoding="utf-8")
    for name, columns in TABLES.items():
        section = doc.split(f"### `{name}`")[1].split("\n### ")[0]
        for col in columns:
            assert f"| `{col.name}` |" in section, f"{name}: {col.name} missing from docs/format.md"
    assert doc == render(), "docs/format.md is stale: run python -m allocator.io.docgen > docs/format.md"


def _readme_expectations():
    text = (REPO / "instances/README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| tiny-")]
    out = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if cells[0] in out or " " in cells[0] or "," in cells[0]:  # the main table only; variants come later
            continue
        out[cells[0]] = {"objective_kind": cells[1], "objective": float(cells[3]),
                         **{tech: cells[4 + i].split() for i, tech in enumerate(("fiber", "4g", "satellite", "none"))}}
    return out


def test_tiny_instances_load_and_the_readme_names_every_village():
    expected = _readme_expectations()
    dirs = sorted(p.name for p in (REPO / "instances").glob("tiny-*"))
    assert sorted(expected) == dirs and len(dirs) >= 3
    for name in dirs:
        inst = load_instance(REPO / "instances" / name)
        assert inst.objective.value == expected[name]["objective_kind"]
        named = sum((expected[name][t] for t in ("fiber", "4g", "satellite", "none")), [])
        assert sorted(named) == sorted(inst.villages.index), name
        assert 3 <= len(inst.villages) <= 6


# ------------------------------------------------------------------ scale
@pytest.mark.slow
def test_national_scale_instance_loads_well_under_a_minute(tmp_path):
    rng = np.random.default_rng(0)
    nc, nv, ns = 832, 122_900, 20_000
    cid = rng.integers(0, nc, nv)
    counties = pd.DataFrame({"county_id": [f"c{i}" for i in range(nc)], "name": [f"县{i}" for i in range(nc)],
                             "province": [f"省{i % 25}" for i in range(nc)],
                             "adcode": [str(510000 + i) for i in range(nc)],
                             "groups": np.where(np.arange(nc) % 5 == 0, "deep-poverty", "")})
    villages = pd.DataFrame({"village_id": [f"v{i}" for i in range(nv)], "county_id": [f"c{i}" for i in cid],
                             "name": [f"村{i}" for i in range(nv)], "lon": 100 + rng.random(nv) * 10,
                             "lat": 25 + rng.random(nv) * 10, "population": rng.integers(50, 2000, nv),
                             "poor": rng.random(nv) < 0.8, "node": [f"n{i}" for i in range(nv)]})
    nodes = pd.DataFrame({"node_id": [f"b{i}" for i in range(nc)] + [f"n{i}" for i in range(nv)],
                          "kind": ["backbone"] * nc + ["village"] * nv})
    edges = pd.DataFrame({"u": [f"b{c}" for c in cid], "v": [f"n{i}" for i in range(nv)],
                          "length_km": rng.random(nv) * 5, "terrain": "hills"})
    sites = pd.DataFrame({"site_id": [f"s{i}" for i in range(ns)], "lon": 100 + rng.random(ns) * 10,
                          "lat": 25 + rng.random(ns) * 10})
    d = write_instance(tmp_path / "national", meta={"name": "national", "cost_model": "models/costs/china-2018.toml",
                                                    "policy_model": "models/policy/miit-2018-2020.toml"},
                       counties=counties, villages=villages, nodes=nodes, edges=edges, sites=sites)
    start = time.perf_counter()
    inst = load_instance(d)
    seconds = time.perf_counter() - start
    assert len(inst.villages) == nv and len(inst.coverage) > 0
    assert seconds < 60, f"loading took {seconds:.1f} s"
