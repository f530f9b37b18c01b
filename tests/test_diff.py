"""Village-level diff of two plans and its reason rule (rule > floor > priority > cost > budget > other)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from allocator.decision import Decision
from allocator.analysis.diff import diff_plans, render_diff, transitions
from allocator.plan_build import assemble
try:  # tests/ as a plain folder on sys.path, or as a package
    from whatif_tiny import write_tiny
except ImportError:  # pragma: no cover
    from tests.whatif_tiny import write_tiny

ALL_SAT = {f"v{i}": "satellite" for i in range(1, 11)}
ALL_SAT.update({"v7": "none", "v10": "none"})  # v7, v10 are already connected


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from allocator.io import load_instance

    path = write_tiny(tmp_path_factory.mktemp("diff") / "tiny")
    return path, load_instance(path)


def _plan(instance, technology, **summary):
    return assemble(instance, Decision(technology=technology), {"status": "optimal", **summary})


def _load(path, overrides):
    from allocator.io import load_instance
    return load_instance(path, overrides=overrides)


def test_identical_plans_have_no_difference(tiny):
    _, inst = tiny
    d = diff_plans(_plan(inst, ALL_SAT), _plan(inst, ALL_SAT), instance_a=inst, instance_b=inst)
    assert d.empty
    assert render_diff(d) == "no village changed technology"


def test_only_changed_villages_are_listed_with_both_technologies(tiny):
    _, inst = tiny
    b = {**ALL_SAT, "v1": "none", "v6": "none"}
    d = diff_plans(_plan(inst, ALL_SAT), _plan(inst, b), instance_a=inst, instance_b=inst)
    assert list(d["village_id"]) == ["v6", "v1"]  # sorted by province (乙 < 甲), county, village
    assert set(zip(d["tech_a"], d["tech_b"])) == {("satellite", "none")}
    assert (d["reason"] == "other").all()  # same instance: nothing about the villages changed
    assert d.set_index("village_id").at["v1", "cost_a"] == pytest.approx(7000.0)
    assert d.set_index("village_id").at["v1", "cost_b"] == 0.0


def test_reason_cost_when_an_option_of_the_village_got_dearer(tiny):
    path, inst = tiny
    dearer = _load(path, {"costs": {"satellite": {"terminal_capex": 9000.0}}})
    b = {**ALL_SAT, "v1": "fiber", "v2": "fiber"}
    d = diff_plans(_plan(inst, ALL_SAT), _plan(dearer, b), instance_a=inst, instance_b=dearer)
    assert list(d["reason"]) == ["cost", "cost"]


def test_reason_floor_beats_cost_and_factors_list_both(tiny):
    path, inst = tiny
    other = _load(path, {"costs": {"satellite": {"terminal_capex": 9000.0}},
                         "policy": {"groups": {"deep-poverty": {"floor": 0.8}}}})
    # v1 is in deep-poverty (floor moved) and its satellite price moved; v6 (乙省, no group floor) only its price
    b = {**ALL_SAT, "v1": "none", "v6": "none"}
    d = diff_plans(_plan(inst, ALL_SAT), _plan(other, b), instance_a=inst, instance_b=other).set_index("village_id")
    assert d.at["v1", "reason"] == "floor" and d.at["v1", "factors"] == "floor;cost"
    assert d.at["v6", "reason"] == "cost" and d.at["v6", "factors"] == "cost"


def test_reason_priority_when_the_weight_changed(tiny):
    path, inst = tiny
    heavier = _load(path, {"policy": {"groups": {"yanshan-taihang": {"priority": 5.0}}}})
    b = {**ALL_SAT, "v8": "none", "v6": "none"}
    d = diff_plans(_plan(inst, ALL_SAT), _plan(heavier, b), instance_a=inst, instance_b=heavier)
    d = d.set_index("village_id")
    assert d.at["v8", "reason"] == "priority"
    assert d.at["v8", "weight_b"] == pytest.approx(650 * 5.0)
    assert d.at["v6", "reason"] == "other"


def test_reason_rule_first_when_a_technology_is_forced(tiny):
    path, inst = tiny
    forced = _load(path, {"budget": 1e5, "policy": {"rules": [
        {"scope": "prefecture", "value": "怒江傈僳族自治州", "technology": "satellite", "action": "force"}]}})
    a = {**ALL_SAT, "v1": "fiber", "v2": "fiber"}
    d = diff_plans(_plan(inst, a), _plan(forced, ALL_SAT), instance_a=inst, instance_b=forced)
    assert list(d["reason"]) == ["rule", "rule"]
    assert list(d["factors"]) == ["rule;budget", "rule;budget"]


def test_reason_budget_when_only_the_budget_moved(tiny):
    path, inst = tiny
    richer = _load(path, {"budget": 1e5})
    b = {**ALL_SAT, "v1": "fiber"}
    d = diff_plans(_plan(inst, ALL_SAT), _plan(richer, b), instance_a=inst, instance_b=richer)
    assert list(d["reason"]) == ["budget"]
    assert transitions(d).to_dict("records") == [{"tech_a": "satellite", "tech_b": "fiber", "reason": "budget",
                                                  "villages": 1}]


def test_without_instances_floor_and_priority_come_from_the_plans(tiny):
    path, inst = tiny
    other = _load(path, {"policy": {"groups": {"deep-poverty": {"floor": 0.8}}}})
    b = {**ALL_SAT, "v1": "none", "v6": "none"}
    d = diff_plans(_plan(inst, ALL_SAT), _plan(other, b)).set_index("village_id")
    assert d.at["v1", "reason"] == "floor"
    assert d.at["v6", "reason"] == "other"


def test_plans_over_different_villages_are_refused(tiny):
    _, inst = tiny
    from allocator.errors import InputError

    pa = _plan(inst, ALL_SAT)
    pb = _plan(inst, ALL_SAT)
    pb = replace(pb, villages=pb.villages.drop(index="v1"))
    with pytest.raises(InputError, match="different villages"):
        diff_plans(pa, pb)


def test_whatif_then_diff_from_the_command_line(tiny, tmp_path, capsys):
    """Solve the base and a forced-satellite scenario, then diff them by their plan folders alone."""
    from allocator.cli import main

    path, _ = tiny
    scen = tmp_path / "nujiang.toml"
    scen.write_text('name = "nujiang-sat"\n[[force]]\nscope = "prefecture"\nvalue = "怒江傈僳族自治州"\n'
                    'technology = "satellite"\n', encoding="utf-8")
    cheaper = tmp_path / "cheap-fiber.toml"
    cheaper.write_text('name = "cheap-fiber"\n[costs.scale]\n"fiber.per_km" = 0.1\n"fiber.drop_capex" = 0.1\n',
                       encoding="utf-8")
    out = tmp_path / "whatif"
    # lexicographic: the tiny instance's qualities are all 1, so under max-coverage alone fiber, 4G and
    # satellite tie and which one a plan uses is the solver's choice; the cheapest of equal coverage is not
    assert main(["whatif", str(path), str(scen), str(cheaper), "-o", str(out), "-q", "--jobs", "1",
                 "--objective", "lexicographic"]) == 0
    table = capsys.readouterr().out
    assert "nujiang-sat" in table and "coverage deep-poverty" in table
    record = json.loads((out / "nujiang-sat" / "scenario.json").read_text(encoding="utf-8"))
    assert record["overrides"]["policy"]["rules"][0]["technology"] == "satellite"

    assert main(["diff", str(out / "base"), str(out / "nujiang-sat"), "-o", str(tmp_path / "d.csv")]) == 0
    text = capsys.readouterr().out
    import pandas as pd
    d = pd.read_csv(tmp_path / "d.csv")
    nujiang = {"v1", "v2", "v3", "v4", "v5"}
    # every village that changed in Nujiang changed to satellite because of the rule
    changed = d[d["village_id"].isin(nujiang)]
    assert (changed["tech_b"].isin(["satellite", "none"])).all()
    assert (changed["reason"] == "rule").all()
    assert "(rule)" in text

    assert main(["diff", str(out / "base"), str(out / "cheap-fiber"), "-o", str(tmp_path / "c.csv")]) == 0
    c = pd.read_csv(tmp_path / "c.csv")
    assert len(c) and (c["tech_b"] == "fiber").any()
    assert set(c.loc[c["tech_b"] == "fiber", "reason"]) == {"cost"}


def test_whatif_reports_a_scenario_without_plan_and_still_solves_the_others(tiny, tmp_path):
    from allocator.analysis.scenario import parse_scenario
    from allocator.analysis.whatif import run_whatif

    path, _ = tiny
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "all-4g"\n[[force]]\nscope = "province"\nvalue = "甲省"\ntechnology = "4g"\n',
                   encoding="utf-8")
    poorer = tmp_path / "poorer.toml"
    poorer.write_text('name = "poorer"\nbudget = 20000\n', encoding="utf-8")
    table = run_whatif(path, [parse_scenario(bad), parse_scenario(poorer)], tmp_path / "out", workers=1)
    assert list(table.columns) == ["base", "all-4g", "poorer"]
    assert table.at["status", "all-4g"] == "infeasible"
    assert "4g" in table.at["note", "all-4g"]
    assert table.at["status", "poorer"] == "optimal" and table.at["budget", "poorer"] == "20,000"
    # less money never buys more
    assert float(table.at["objective", "poorer"].replace(",", "")) <= float(table.at["objective", "base"].replace(",", ""))
    assert (tmp_path / "out" / "all-4g" / "scenario.json").exists()
    assert "| status | optimal | infeasible | optimal |" in (tmp_path / "out" / "comparison.md").read_text(encoding="utf-8")


def test_whatif_refuses_two_scenarios_with_one_name_before_solving(tiny, tmp_path):
    from allocator.errors import InputError
    from allocator.analysis.scenario import parse_scenario
    from allocator.analysis.whatif import run_whatif

    path, _ = tiny
    a = tmp_path / "a.toml"
    a.write_text('name = "same"\nbudget = 1\n', encoding="utf-8")
    b = tmp_path / "b.toml"
    b.write_text('name = "same"\nbudget = 2\n', encoding="utf-8")
    with pytest.raises(InputError, match="two scenarios are named 'same'"):
        run_whatif(path, [parse_scenario(a), parse_scenario(b)], tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()
