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


# ------------------------------------------------------------------ unknown columns, empty tables
def test_misspelt_optional_column_is_an_error_naming_the_nearest(inst):
    """`shcool` for `school` used to be ignored: the schools' requirement silently vanished from the plan."""
    replace_in_file(inst / "villages.csv", "school", "shcool")
    assert_error(load_error(inst), file="villages.csv", line=1, column="shcool",
                 problem="unknown column 'shcool'",
                 fix="did you mean 'school'? Rename the column to 'school', or to 'x_shcool' to keep it as a note")


def test_unknown_columns_are_all_named_and_derived_ones_explained(inst):
    replace_in_file(inst / "network_edges.csv", "u,v,length_km,terrain,cost", "u,v,lenght_km,terrain,cost,colour")
    assert_error(load_error(inst), file="network_edges.csv", line=1, column="lenght_km",
                 problem="unknown column 'lenght_km' (also unknown: colour)", fix="did you mean 'length_km'?")
    d = make_instance_dir(inst.parent, "derived")
    replace_in_file(d / "villages.csv", "village_id,", "province,village_id,")
    for line in range(2, 7):
        text = (d / "villages.csv").read_text(encoding="utf-8").splitlines()
        text[line - 1] = "x," + text[line - 1]
        (d / "villages.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    assert_error(load_error(d), file="villages.csv", line=1, column="province",
                 problem="unknown column 'province'", fix="'province' is computed by the loader")


def test_note_columns_are_kept_with_a_warning(inst):
    from allocator.errors import InputWarning
    replace_in_file(inst / "villages.csv", "village_id,", "x_remark,village_id,")
    text = (inst / "villages.csv").read_text(encoding="utf-8").splitlines()
    text[1:] = ["已通电," + row for row in text[1:]]
    (inst / "villages.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.warns(InputWarning, match="villages.csv: note column.s. x_remark kept as text; the model does not"):
        villages = load_instance(inst).villages
    assert (villages["x_remark"] == "已通电").all()


def test_column_without_a_name(inst):
    write_csv_text(inst, "counties.csv", "county_id,name,province,adcode,groups,\n"
                                         "c1,甘孜县,四川,513328,deep-poverty,\nc2,平山县,河北,130131,,\n")
    assert len(load_instance(inst).counties) == 2  # trailing commas: an empty column is dropped
    write_csv_text(inst, "counties.csv", "county_id,name,province,adcode,groups,\n"
                                         "c1,甘孜县,四川,513328,deep-poverty,\nc2,平山县,河北,130131,,note\n")
    assert_error(load_error(inst), file="counties.csv", line=3, column=None,
                 problem="column 6 has values but no name in the header", fix="name the column in the header")


@pytest.mark.parametrize("table, what", [("villages.csv", "village"), ("counties.csv", "county")])
def test_header_only_required_table_is_an_error(inst, table, what):
    """A header-only villages.csv used to solve to 'optimal, 0 of 0 villages'."""
    header = (inst / table).read_text(encoding="utf-8").splitlines()[0]
    write_csv_text(inst, table, header + "\n\n")
    assert_error(load_error(inst), file=table, line=None, column=None,
                 problem=f"the file has a header but no {what}", fix=f"add one row per {what} below the header")


def test_header_only_optional_tables(inst):
    from allocator.errors import InputWarning
    write_csv_text(inst, "beams.csv", "beam_id,capacity_mbps\n")
    assert len(load_instance(inst).beams) == 2  # the same as no beams.csv: default capacity per beam
    write_csv_text(inst, "coverage.csv", "site_id,village_id\n")
    with pytest.warns(InputWarning, match="coverage.csv has no rows, so none of the 1 sites in sites.csv covers"):
        assert load_instance(inst).coverage.empty


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize("table, old, new, line, column, problem, fix", [
    ("villages.csv", "扎科村,100,31.6,", "扎科村,100,200,", 2, "lat",
     "200 is above the maximum 90: lat must lie in [-90, 90] degrees",
     "write a value >= -90 and <= 90, in degrees; check that lon and lat are not swapped"),
    ("villages.csv", "北庄村,114.02,", "北庄村,-181,", 6, "lon",
     "-181 is below the minimum -180: lon must lie in [-180, 180] degrees", "decimal degrees, WGS84"),
    ("villages.csv", "扎科村,100,31.6,300", "扎科村,100,31.6,1e308", 2, "population",
     "1e308 is above the maximum 1,000,000: population must lie in [0, 1,000,000] people",
     "write a value >= 0 and <= 1,000,000, in people"),
    ("network_edges.csv", "b0,j1,2,", "b0,j1,1e308,", 2, "length_km",
     "1e308 is above the maximum 10,000: length_km must lie in [0, 10,000] km",
     "write a value >= 0 and <= 10,000, in km (check for a typo"),
    ("network_edges.csv", "n3,n4,2.5,hills,100000", "n3,n4,2.5,hills,2e12", 5, "cost",
     "2e12 is above the maximum 1,000,000,000,000", "or leave the cell empty to use the model's price"),
    ("network_nodes.csv", "b0,backbone,99.98,31.58", "b0,backbone,99.98,-95", 2, "lat",
     "-95 is below the minimum -90", "lon and lat are not swapped"),
])
def test_number_outside_its_range(inst, table, old, new, line, column, problem, fix):
    replace_in_file(inst / table, old, new)
    assert_error(load_error(inst), file=table, line=line, column=column, problem=problem, fix=fix)


def test_range_errors_count_the_other_bad_rows(tmp_path):
    villages = base_tables()["villages"]
    for v in villages[1:4]:
        v["population"] = 5e6
    d = make_instance_dir(tmp_path, villages=villages)
    assert_error(load_error(d), file="villages.csv", line=3, column="population",
                 problem="5000000 is above the maximum 1,000,000: population must lie in [0, 1,000,000] people "
                         "(and 2 more rows)", fix="write a value >= 0 and <= 1,000,000")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_numbers_at_their_limits_load_solve_and_verify_without_overflow(tmp_path):
    """The largest value of every range together: no numpy/pandas overflow warning (raised as errors
    here) reaches the user, and the plan is verified."""
    from allocator.schema import LENGTH_KM, MONEY, POPULATION
    from allocator.solve import solve
    tables = base_tables()
    for v in tables["villages"]:
        v["population"] = POPULATION.high
    for e in tables["edges"]:
        e["length_km"] = LENGTH_KM.high
    tables["edges"][3]["cost"] = MONEY.high
    tables["sites"][0]["capex"] = MONEY.high
    d = make_instance_dir(tmp_path, meta={"budget": None}, **{k: tables[k] for k in ("villages", "edges", "sites")})
    plan = solve(load_instance(d))
    assert plan.summary["villages_covered"] == 5


def test_population_of_1e308_is_bad_input_not_a_solver_failure(inst, capsys):
    from allocator.cli import main
    replace_in_file(inst / "villages.csv", "扎科村,100,31.6,300", "扎科村,100,31.6,1e308")
    assert main(["solve", str(inst), "-o", str(inst.parent / "plan")]) == 2
    err = capsys.readouterr().err
    assert "villages.csv, line 2, column 'population': 1e308 is above the maximum" in err
    assert "overflow" not in err and "Warning" not in err
    assert not (inst.parent / "plan").exists()


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


@pytest.mark.parametrize("meta, column, problem, fix", [
    ({"budget": 1e308}, "budget", "budget must be >= 0 and <= 1,000,000,000,000,000, got 1e+308",
     "write a budget in [0, 1,000,000,000,000,000] currency"),
    ({"horizon_years": 1000}, "horizon_years", "horizon_years must be a whole number in [0, 100] years",
     "whole years"),
    ({"budjet": 3.0}, "budjet", "unknown key 'budjet'", "did you mean 'budget'?"),
    ({"polcy_model": "x"}, "polcy_model", "unknown key 'polcy_model'", "did you mean 'policy_model'?"),
])
def test_instance_toml_ranges_and_nearest_key(tmp_path, meta, column, problem, fix):
    d = make_instance_dir(tmp_path, meta=meta)
    key = next(iter(meta))
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", f"{key} ="),
                 column=column, problem=problem, fix=fix)


@pytest.mark.parametrize("meta, needle, column, problem, fix", [
    ({"costs": {"fiber": {"per_km": {"hills": 1e300}}}}, "hills = 1e+300", "fiber.per_km.hills",
     "'fiber.per_km.hills' must be at most 1,000,000,000,000, got 1e+300 (allowed: [0, 1,000,000,000,000] "
     "currency/km)", "write a number between 0 and 1,000,000,000,000 currency/km"),
    ({"costs": {"cellular": {"radius_km": {"plain": 5000.0}}}}, "plain = 5000.0", "cellular.radius_km.plain",
     "must be at most 200", "between 0 and 200 km"),
    ({"costs": {"satellite": {"fee_yaer": 1.0}}}, "fee_yaer", "satellite.fee_yaer",
     "unknown key 'fee_yaer' in [satellite]", "did you mean 'fee_year'?"),
    ({"policy": {"schools": {"requried": True}}}, "requried", "schools.requried",
     "unknown key 'requried' in [schools]", "did you mean 'required'?"),
    ({"policy": {"groups": {"deep-poverty": {"priority": 1e9}}}}, "priority = 1000000000",
     "groups.deep-poverty.priority", "must be at most 1,000,000", "between 0 and 1,000,000"),
    ({"rollout": {"years": [2019, 2020], "budgets": [1e8, 1e8], "cary_over": True}}, "cary_over",
     "rollout.cary_over", "unknown key 'cary_over' in [rollout]", "did you mean 'carry_over'?"),
    ({"rollout": {"years": [2019, 2020], "budgets": [1e8, 1e300]}}, "budgets",
     "rollout.budgets", "the budget of 2020 must be a finite number >= 0 and <= 1,000,000,000,000,000",
     "write non-negative numbers"),
])
def test_model_values_ranges_and_nearest_key(tmp_path, meta, needle, column, problem, fix):
    d = make_instance_dir(tmp_path, meta=meta)
    assert_error(load_error(d), file="instance.toml", line=line_of(d / "instance.toml", needle),
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
