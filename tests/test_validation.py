"""Every kind of bad input gives an InputError naming file, line, column and a fix."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from allocator.errors import InputError
from allocator.io import load_instance
try:  # tests/ as a plain directory or as a package
    from builders import base_tables, line_of, make_instance_dir, replace_in_file, write_csv_text
except ImportError:
    from tests.builders import base_tables, line_of, make_instance_dir, replace_in_file, write_csv_text


def load_error(directory, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        load_instance(directory, **kw)
    return info.value


def assert_error(err: InputError, *, file: str, line: int | None, column: str | None, problem: str, fix: str):
    assert err.file is not None and Path(err.file).name == file, str(err)
    assert err.line == line, str(err)
    assert err.column == column, str(err)
    assert problem in err.problem, str(err)
    assert err.fix and fix in err.fix, str(err)
    text = str(err)  # the rendered message carries all of it
    assert file in text and problem in text and "fix:" in text
    if line is not None:
        assert f"line {line}" in text
    if column is not None:
        assert f"column '{column}'" in text


@pytest.fixture
def inst(tmp_path):
    return make_instance_dir(tmp_path)


def test_minimal_instance_is_valid(inst):
    assert len(load_instance(inst).villages) == 5


# ------------------------------------------------------------------ files and columns
def test_missing_file(inst):
    (inst / "counties.csv").unlink()
    err = load_error(inst)
    assert_error(err, file="counties.csv", line=None, column=None, problem="file not found",
                 fix="create counties.csv with the header county_id,name,province")


def test_missing_instance_toml(inst):
    (inst / "instance.toml").unlink()
    assert_error(load_error(inst), file="instance.toml", line=None, column=None, problem="file not found",
                 fix="create")


def test_missing_column(inst):
    import pandas as pd
    table = pd.read_csv(inst / "villages.csv", dtype=str, keep_default_na=False)
    table.drop(columns="population").to_csv(inst / "villages.csv", index=False)
    assert_error(load_error(inst), file="villages.csv", line=1, column="population",
                 problem="required column 'population' is missing", fix="add a column 'population'")


def test_misspelt_column_gets_a_rename_hint(inst):
    replace_in_file(inst / "villages.csv", "population", "Population")
    assert_error(load_error(inst), file="villages.csv", line=1, column="population",
                 problem="missing", fix="rename column 'Population' to 'population'")


def test_wrong_type_names_the_line(inst):
    replace_in_file(inst / "villages.csv", "仁果村,100.3,31.8,150", "仁果村,100.3,31.8,1,50")
    # the row now has one cell too many: a parse error with the line
    err = load_error(inst)
    assert err.file == "villages.csv" and err.line == line_of(inst / "villages.csv", "仁果村")
    replace_in_file(inst / "villages.csv", "仁果村,100.3,31.8,1,50", "仁果村,100.3,31.8,1百50")
    assert_error(load_error(inst), file="villages.csv", line=4, column="population",
                 problem="'1百50' is not a number", fix="write 'population' as a plain number")


def test_thousands_separator_hint(tmp_path):
    d = make_instance_dir(tmp_path)
    replace_in_file(d / "villages.csv", "仁果村,100.3,31.8,150", '仁果村,100.3,31.8,"1,500"')
    assert_error(load_error(d), file="villages.csv", line=4, column="population",
                 problem="'1,500' is not a number", fix="without thousands separators")


@pytest.mark.parametrize("cell, shown", [("", "empty"), ("NaN", "'NaN' (a missing value)")])
def test_empty_or_nan_in_required_field(inst, cell, shown):
    replace_in_file(inst / "villages.csv", "来马村,100.02,31.61,200", f"来马村,100.02,31.61,{cell}")
    assert_error(load_error(inst), file="villages.csv", line=3, column="population",
                 problem=f"required value is {shown}", fix="fill in 'population'")


def test_empty_required_id(inst):
    replace_in_file(inst / "counties.csv", "c2,平山县", ",平山县")
    assert_error(load_error(inst), file="counties.csv", line=3, column="county_id",
                 problem="required value is empty", fix="fill in 'county_id'")


def test_negative_population(inst):
    replace_in_file(inst / "villages.csv", "北庄村,114.02,38.31,400", "北庄村,114.02,38.31,-400")
    assert_error(load_error(inst), file="villages.csv", line=6, column="population",
                 problem="-400 is below the minimum 0", fix="write a value >= 0")


def test_negative_cost(inst):
    replace_in_file(inst / "network_edges.csv", "n3,n4,2.5,hills,100000", "n3,n4,2.5,hills,-100000")
    assert_error(load_error(inst), file="network_edges.csv", line=5, column="cost",
                 problem="below the minimum 0", fix="leave the cell empty to use the model's price")


@pytest.mark.parametrize("table, old, new, line, column", [
    ("villages.csv", "扎科村,100,31.6,300", "扎科村,100,31.6,inf", 2, "population"),
    ("network_edges.csv", "n3,n4,2.5,hills,100000", "n3,n4,2.5,hills,-inf", 5, "cost"),
])
def test_non_finite_number(inst, table, old, new, line, column):
    replace_in_file(inst / table, old, new)
    assert_error(load_error(inst), file=table, line=line, column=column,
                 problem="is not a finite number", fix=f"write a finite '{column}'")


def test_bad_choice_and_bad_bool(inst):
    replace_in_file(inst / "villages.csv", "hills,none", "swamp,none")
    assert_error(load_error(inst), file="villages.csv", line=6, column="terrain",
                 problem="'swamp' is not an allowed value", fix="plain, hills, mountain, plateau")
    replace_in_file(inst / "villages.csv", "swamp,none", "hills,none")
    replace_in_file(inst / "villages.csv", "300,true", "300,maybe")
    assert_error(load_error(inst), file="villages.csv", line=2, column="poor",
                 problem="'maybe' is not true or false", fix="write true or false")


def test_bad_technology_item(tmp_path):
    villages = base_tables()["villages"]
    villages[2]["technologies"] = "4g;5g"
    d = make_instance_dir(tmp_path, villages=villages)
    assert_error(load_error(d), file="villages.csv", line=4, column="technologies",
                 problem="'5g' is not an allowed value", fix="fiber, 4g, satellite")


def test_not_utf8(inst):
    text = (inst / "counties.csv").read_text(encoding="utf-8")
    (inst / "counties.csv").write_bytes(text.encode("gbk"))
    err = load_error(inst)
    assert_error(err, file="counties.csv", line=2, column=None, problem="not UTF-8", fix="CSV UTF-8")


def test_line_numbers_count_blank_lines_and_multiline_cells(inst):
    write_csv_text(inst, "counties.csv",
                   'county_id,name,province,adcode,groups\n'
                   'c1,"甘孜县\n(Garzê)",四川,513328,deep-poverty\n'
                   '\n'
                   'c2,平山县,河北,130131,nonexistent-group\n', bom=True)
    assert_error(load_error(inst), file="counties.csv", line=5, column="groups",
                 problem="group 'nonexistent-group' is not defined", fix="known groups: all-poor, deep-poverty")


# ------------------------------------------------------------------ ids and references
def test_duplicate_ids(inst):
    replace_in_file(inst / "villages.csv", "v3,c1", "v2,c1")
    assert_error(load_error(inst), file="villages.csv", line=4, column="village_id",
                 problem="duplicate village_id 'v2' (first on line 3)", fix="unique village_id")


def test_duplicate_node(inst):
    replace_in_file(inst / "network_nodes.csv", "j1,junction", "b0,junction")
    assert_error(load_error(inst), file="network_nodes.csv", line=3, column="node_id",
                 problem="duplicate node_id 'b0' (first on line 2)", fix="delete the repeated row")


def test_unknown_county(inst):
    replace_in_file(inst / "villages.csv", "v5,c2", "v5,c9")
    assert_error(load_error(inst), file="villages.csv", line=6, column="county_id",
                 problem="unknown county 'c9' (not in counties.csv)", fix="add 'c9' to counties.csv")


def test_unknown_node_of_village_and_edge(inst):
    replace_in_file(inst / "villages.csv", ",n4,", ",n44,")
    assert_error(load_error(inst), file="villages.csv", line=6, column="node",
                 problem="unknown node 'n44' (not in network_nodes.csv)", fix="correct the id")
    replace_in_file(inst / "villages.csv", ",n44,", ",n4,")
    replace_in_file(inst / "network_edges.csv", "j1,n2", "j1,x2")
    assert_error(load_error(inst), file="network_edges.csv", line=4, column="v",
                 problem="unknown v 'x2' (not in network_nodes.csv)", fix="add 'x2' to network_nodes.csv")


def test_edge_without_nodes_file(inst):
    (inst / "network_nodes.csv").unlink()
    assert_error(load_error(inst), file="network_edges.csv", line=2, column="u",
                 problem="(network_nodes.csv is absent)", fix="add 'b0' to network_nodes.csv")


def test_unknown_site_and_village_in_coverage(inst):
    write_csv_text(inst, "coverage.csv", "site_id,village_id\ns1,v3\ns2,v3\n")
    assert_error(load_error(inst), file="coverage.csv", line=3, column="site_id",
                 problem="unknown site 's2' (not in sites.csv)", fix="add 's2' to sites.csv")
    write_csv_text(inst, "coverage.csv", "site_id,village_id\ns1,v3\ns1,v7\n")
    assert_error(load_error(inst), file="coverage.csv", line=3, column="village_id",
                 problem="unknown village 'v7' (not in villages.csv)", fix="add 'v7' to villages.csv")


def test_unknown_site_node(inst):
    replace_in_file(inst / "sites.csv", "s1,,", "s1,zz,")
    assert_error(load_error(inst), file="sites.csv", line=2, column="node",
                 problem="unknown node 'zz'", fix="or leave the cell empty")


def test_edge_to_itself(inst):
    replace_in_file(inst / "network_edges.csv", "j1,n1", "n1,n1")
    assert_error(load_error(inst), file="network_edges.csv", line=3, column="v",
                 problem="edge from node 'n1' to itself", fix="an edge joins two different nodes")


def test_edge_without_length_or_cost(inst):
    replace_in_file(inst / "network_edges.csv", "j1,n1,1,plateau", "j1,n1,,plateau")
    assert_error(load_error(inst), file="network_edges.csv", line=3, column="length_km",
                 problem="neither length_km nor cost", fix="fill in length_km")


def test_site_without_coordinates_or_coverage(inst):
    replace_in_file(inst / "sites.csv", "100.29,31.79", ",31.79")
    assert_error(load_error(inst), file="sites.csv", line=2, column="lon",
                 problem="site has no coordinates", fix="list the villages it covers in coverage.csv")
    write_csv_text(inst, "coverage.csv", "site_id,village_id\ns1,v3\n")
    assert len(load_instance(inst).coverage) == 1


def test_village_that_cannot_be_covered(tmp_path):
    tables = base_tables()
    tables["villages"][1]["technologies"] = "fiber"           # v2 on n2
    tables["edges"] = [e for e in tables["edges"] if e["v"] != "n2"]  # n2 now isolated
    d = make_instance_dir(tmp_path, **{k: v for k, v in tables.items() if k in ("villages", "edges")})
    assert_error(load_error(d), file="villages.csv", line=3, column="node",
                 problem="village 'v2' cannot be covered: its node 'n2' cannot reach any backbone node",
                 fix="link the node to a backbone node in network_edges.csv")
    # satellite as a way out makes it valid again
    tables["villages"][1]["technologies"] = "fiber;satellite"
    d = make_instance_dir(tmp_path, **{k: v for k, v in tables.items() if k in ("villages", "edges")})
    assert "v2" in load_instance(d).villages.index


def test_village_with_4g_only_needs_a_usable_site(tmp_path):
    tables = base_tables()
    tables["villages"][2]["technologies"] = "4g"              # v3: covered by s1 (radius 2 km, mountain)
    d = make_instance_dir(tmp_path, villages=tables["villages"])
    assert ("s1", "v3") in set(map(tuple, load_instance(d).coverage.to_numpy()))
    tables["sites"][0]["radius_km"] = 0.5                      # now too far
    d = make_instance_dir(tmp_path, villages=tables["villages"], sites=tables["sites"])
    assert_error(load_error(d), file="villages.csv", line=4, column="technologies",
                 problem="it has no network node (no fiber possible) and no usable 4G site covers it",
                 fix="add a 4G site that covers the village")


def test_existing_fiber_village_makes_its_node_backbone(tmp_path):
    # n3 is kind 'village' in the file but v4 already has fiber there, so n4 (v5) reaches it
    tables = base_tables()
    tables["villages"][4]["technologies"] = "fiber"
    d = make_instance_dir(tmp_path, villages=tables["villages"])
    assert load_instance(d).nodes.loc["n3", "kind"] == "backbone"
    tables["villages"][3]["existing"] = "4g"
    d = make_instance_dir(tmp_path, villages=tables["villages"])
    assert_error(load_error(d), file="villages.csv", line=6, column="node",
                 problem="village 'v5' cannot be covered", fix="mark a node kind=backbone")


# ------------------------------------------------------------------ policy and models
def test_unknown_group_in_counties(inst):
    replace_in_file(inst / "counties.csv", "513328,deep-poverty", "513328,deep-povety")
    assert_error(load_error(inst), file="counties.csv", line=2, column="groups",
                 problem="group 'deep-povety' is not defined by the policy model 'miit-2018-2020'",
                 fix="correct the spelling")


def test_inline_floor_on_group_nobody_belongs_to(tmp_path):
    d = make_instance_dir(tmp_path, meta={"policy": {"groups": {"designated": {"floor": 1.0}}}})
    err = load_error(d)
    assert_error(err, file="instance.toml", line=line_of(d / "instance.toml", "[policy.groups.designated]") + 1,
                 column="groups.designated.floor",
                 problem="floor names group 'designated', but no village belongs to it",
                 fix="add 'designated' to the groups column of the counties it covers in counties.csv")
    # the shared model file's groups with no member do not bind and are fine
    assert load_instance(make_instance_dir(tmp_path, "ok")).policy.groups["designated"].floor == 1.0


def test_inline_rule_and_milestone_on_empty_group(tmp_path):
    rule = {"scope": "group", "value": "yanshan-taihang", "technology": "satellite", "action": "forbid"}
    d = make_instance_dir(tmp_path, meta={"policy": {"rules": [rule]}})
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", "[[policy.rules]]"),
                 column="rules", problem="rule 1 names group 'yanshan-taihang', but no village belongs to it",
                 fix="remove this rule")
    d = make_instance_dir(tmp_path, meta={"policy": {"milestones": {"2019": {"designated": 0.5}}}})
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", "designated = 0.5"),
                 column="milestones.2019.designated", problem="milestone 2019 names group 'designated'",
                 fix="counties.csv")


def test_inline_rule_on_unknown_county(tmp_path):
    rule = {"scope": "county", "value": "c7", "technology": "fiber", "action": "forbid"}
    d = make_instance_dir(tmp_path, meta={"policy": {"rules": [rule]}})
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", "[[policy.rules]]"),
                 column="rules", problem="rule 1 names county 'c7'", fix="correct the county")


@pytest.mark.parametrize("floor", [1.2, -0.1])
def test_floor_outside_0_1_inline(tmp_path, floor):
    d = make_instance_dir(tmp_path, meta={"policy": {"groups": {"deep-poverty": {"floor": floor}}}})
    err = load_error(d)
    assert_error(err, file="instance.toml", line=line_of(d / "instance.toml", f"floor = {floor}"),
                 column="groups.deep-poverty.floor", problem="'groups.deep-poverty.floor' must be",
                 fix="between 0 and 1" if floor > 1 else "non-negative")


def test_floor_above_one_in_a_model_file_copy(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    models = tmp_path / "models" / "policy"
    models.mkdir(parents=True)
    text = (repo / "allocator/models/policy/miit-2018-2020.toml").read_text(encoding="utf-8")
    text = text.replace("deep-poverty = 0.90", "deep-poverty = 1.5")
    (models / "edited.toml").write_text(text, encoding="utf-8")
    d = make_instance_dir(tmp_path, meta={"policy_model": "models/policy/edited.toml"})
    err = load_error(d)
    assert_error(err, file="edited.toml", line=line_of(models / "edited.toml", "deep-poverty = 1.5"),
                 column="milestones.2020.deep-poverty", problem="must be at most 1",
                 fix="write a number between 0 and 1")


def test_floor_above_one_from_overrides(inst):
    err = load_error(inst, overrides={"policy": {"groups": {"deep-poverty": {"floor": 1.01}}}})
    assert_error(err, file="overrides", line=None, column="groups.deep-poverty.floor",
                 problem="must be at most 1", fix="between 0 and 1")


def test_model_path_that_does_not_exist(tmp_path):
    d = make_instance_dir(tmp_path, meta={"cost_model": "models/costs/china-2019.toml"})
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", "cost_model"),
                 column="cost_model", problem="cost model 'models/costs/china-2019.toml' does not exist",
                 fix="models/costs/china-2018.toml")


def test_no_model_at_all(tmp_path):
    d = make_instance_dir(tmp_path, meta={"policy_model": None})
    assert_error(load_error(d), file="instance.toml", line=None, column="policy_model",
                 problem="no policy model", fix="or give an inline [policy] table")


def test_bad_cost_model_value(tmp_path):
    d = make_instance_dir(tmp_path, meta={"costs": {"fiber": {"per_km": {"hills": -1.0}}}})
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", "hills = -1.0"),
                 column="fiber.per_km.hills", problem="must be >= 0", fix="non-negative")
    d = make_instance_dir(tmp_path, meta={"costs": {"satellite": {"fee_yaer": 1.0}}})
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", "fee_yaer"),
                 column="satellite.fee_yaer", problem="unknown key 'fee_yaer'", fix="fee_year")


@pytest.mark.parametrize("meta, column, problem, fix", [
    ({"budget": -1.0}, "budget", "budget must be >= 0", "unlimited budget"),
    ({"objective": "max-cover"}, "objective", "unknown objective 'max-cover'", "lexicographic"),
    ({"budget_measure": "npv"}, "budget_measure", "unknown budget_measure 'npv'", "capex, tco"),
    ({"discount_rate": 5.0}, "discount_rate", "discount_rate must be in [0, 1)", "0.05 for 5%"),
    ({"budjet": 3.0}, "budjet", "unknown key 'budjet'", "correct the spelling"),
    ({"currency": "USD"}, "currency", "differs from the cost model's CNY", 'currency = "CNY"'),
])
def test_bad_instance_toml_values(tmp_path, meta, column, problem, fix):
    d = make_instance_dir(tmp_path, meta=meta)
    key = next(iter(meta))
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", f"{key} ="),
                 column=column, problem=problem, fix=fix)


def test_toml_syntax_error(inst):
    replace_in_file(inst / "instance.toml", 'name = "mini"', "name = mini")
    assert_error(load_error(inst), file="instance.toml", line=line_of(inst / "instance.toml", "name = mini"),
                 column=None, problem="not valid TOML", fix="strings need quotes")


# ------------------------------------------------------------------ CLI
def test_cli_check_ok_and_bad_input(inst, tmp_path, capsys):
    from allocator.cli import main
    assert main(["check", str(inst)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK mini: 2 counties, 5 villages (4 poor, 1 already connected)")
    replace_in_file(inst / "villages.csv", "v5,c2", "v5,c9")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    assert main(["check", str(inst)]) == 2
    captured = capsys.readouterr()
    assert "villages.csv, line 6, column 'county_id': unknown county 'c9'" in captured.err
    assert "fix: add 'c9' to counties.csv" in captured.err
    assert captured.out == ""
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before  # wrote nothing


def test_cli_exit_code_2_as_a_process(inst):
    replace_in_file(inst / "network_edges.csv", "j1,n1", "n1,n1")
    bad = subprocess.run([sys.executable, "-m", "allocator", "check", str(inst)], capture_output=True, text=True)
    assert bad.returncode == 2 and "edge from node 'n1' to itself" in bad.stderr
