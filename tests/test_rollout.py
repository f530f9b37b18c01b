"""Multi-year rollout: hand-worked plans, the consistency of every rollout
(nothing built twice or un-built, each year's spending within its money,
milestones met), and how a rollout relates to single-year solves."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allocator.backends import get_backend
from allocator.backends.base import SolveOptions
from allocator.cli import main
from allocator.formulation import multiyear
from allocator.errors import InfeasibleError, InputError, OptionsError
from allocator.io import load_instance, write_instance
from allocator.plan_io import read_plan
from allocator.analysis.rollout import resolve_spec, solve_rollout
from allocator.analysis.rollout_spec import RolloutSpec, floors_by_year, year_instance
from allocator.analysis.rollout_verify import check_rollout
from allocator.schema import ALL_POOR
from allocator.solve import solve
from allocator.verify import verify

from .builders import make_instance_dir
from .strategies import cost_model, instances, small_instance
try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
YEARS = [2018, 2019, 2020]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def fiber_only(vid: str, node: str, **extra) -> dict:
    return {"village_id": vid, "node": node, "technologies": ("fiber",), **extra}


def sat_only(vid: str, price: float, **extra) -> dict:
    return {"village_id": vid, "technologies": ("satellite",), "satellite_capex": price, **extra}


@pytest.fixture(scope="module")
def junction():
    """Backbone b -- junction j (trench 8), j -- n1 and j -- n2 (trench 3 each); fiber-only
    villages v1 at n1 and v2 at n2, 100 people each (weight 100)."""
    return small_instance(villages=[fiber_only("v1", "n1"), fiber_only("v2", "n2")],
                          nodes={"b": "backbone", "j": "junction", "n1": "village", "n2": "village"},
                          edges=[("b", "j", 8), ("j", "n1", 3), ("j", "n2", 3)])


# --------------------------------------------------------------------------- worked by hand
def test_year_one_digs_to_the_junction_and_year_two_pays_only_the_extension(junction):
    # 2018's 8 buy the trench to the junction and reach no village (each needs 8 + 3);
    # 2019's 6 buy both branches: both villages are connected in 2019 over the 2018 trench
    r = solve_rollout(junction, years=[2018, 2019], budgets=[8, 6])
    assert r.status == "optimal"
    assert r.objective == pytest.approx(200.0)  # 0 people in 2018 + 200 in 2019
    assert r.decisions[2018].built_edges == {0}
    assert r.decisions[2018].villages_with("fiber") == []
    assert r.decisions[2019].built_edges == {0, 1, 2}
    assert r.decisions[2019].villages_with("fiber") == ["v1", "v2"]
    t = r.table
    assert t["spend"].tolist() == pytest.approx([8.0, 6.0])
    assert t["new_edges"].tolist() == [1, 2]
    assert t["new_fiber"].tolist() == [0, 2]
    assert t["cumulative_spend"].tolist() == pytest.approx([8.0, 14.0])
    assert t["coverage"].tolist() == pytest.approx([0.0, 200.0])
    # each year's plan is the cumulative state; 2018's trench serves nothing yet (a warning, not a violation)
    assert r.plans[2019].summary["total_cost"] == pytest.approx(14.0)
    assert r.plans[2018].summary["total_cost"] == pytest.approx(8.0)
    assert any("lead to no fiber village" in w for w in r.plans[2018].summary["verifier_warnings"])
    assert r.summary["trenches_ahead_of_use_allowed"] is True


def test_a_trench_not_yet_joined_to_the_backbone_may_be_dug_first():
    # b -- m costs 6, m -- n1 costs 4 (m a pass-through junction: not contracted in a rollout).
    # 2018 has 4: only the far half fits; 2019's 6 joins it to the backbone.
    inst = small_instance(villages=[fiber_only("v1", "n1")], nodes={"b": "backbone", "m": "junction", "n1": "village"},
                          edges=[("b", "m", 6), ("m", "n1", 4)])
    for mode in ("exact", "restricted"):
        r = solve_rollout(inst, years=[2018, 2019], budgets=[4, 6], mode=mode)
        assert r.objective == pytest.approx(100.0), mode
        assert r.decisions[2018].built_edges == {1}
        assert r.decisions[2019].built_edges == {0, 1}
    # the money the other way round: 2018 digs the half next to the backbone, 2019 the rest
    r = solve_rollout(inst, years=[2018, 2019], budgets=[6, 4])
    assert r.objective == pytest.approx(100.0)
    assert r.decisions[2018].built_edges == {0}


def test_carry_over_moves_unspent_money_on(junction):
    r = solve_rollout(junction, years=[2018, 2019], budgets=[8, 6], carry_over=True)
    assert r.objective == pytest.approx(200.0)
    t = r.table
    # with carry-over nothing needs building before it serves: all 14 is spent in 2019
    assert t["spend"].tolist() == pytest.approx([0.0, 14.0])
    assert t["carried_in"].tolist() == pytest.approx([0.0, 8.0])
    assert t["available"].tolist() == pytest.approx([8.0, 14.0])
    assert r.summary["trenches_ahead_of_use_allowed"] is False
    # 5 then 9 without carry-over: 2018 digs one branch (both cost 6), 2019 the trench to the junction
    # and has 1 left: one village
    r = solve_rollout(junction, years=[2018, 2019], budgets=[5, 9])
    assert r.objective == pytest.approx(100.0)
    assert len(r.decisions[2018].built_edges) == 1 and r.table["spend"].tolist() == pytest.approx([3.0, 8.0])
    # with carry-over 2019 has 14: both
    r = solve_rollout(junction, years=[2018, 2019], budgets=[5, 9], carry_over=True)
    assert r.objective == pytest.approx(200.0)


def test_earlier_connection_counts_more_people_years(junction):
    # 11 in 2018 connects one village (trench 8 + 3), 3 in 2019 the other: 100 + 200 people-years
    r = solve_rollout(junction, years=[2018, 2019], budgets=[11, 3])
    assert r.objective == pytest.approx(300.0)
    assert len(r.decisions[2018].villages_with("fiber")) == 1
    assert r.table["new_fiber"].tolist() == [1, 1]


#: a backbone node and one trench leading nowhere: instances served by satellite alone
NO_FIBER = ({"b": "backbone", "x": "junction"}, [("b", "x", 1)])
MILESTONES = {"2018": {ALL_POOR: 0.5}, "2020": {ALL_POOR: 1.0}}


@pytest.fixture(scope="module")
def milestones():
    """Two poor satellite-only villages costing 10 and 20; policy milestones 2018: half, 2020: all."""
    return small_instance(villages=[sat_only("v1", 10), sat_only("v2", 20)], nodes=NO_FIBER[0], edges=NO_FIBER[1],
                          objective="min-cost", policy={"milestones": MILESTONES})


def test_floors_follow_the_milestone_in_force(milestones):
    assert floors_by_year(milestones.policy, [2017, 2018, 2019, 2020, 2021]) == {
        2017: {}, 2018: {ALL_POOR: 0.5}, 2019: {ALL_POOR: 0.5}, 2020: {ALL_POOR: 1.0}, 2021: {ALL_POOR: 1.0}}
    # no milestones: the groups' own floors, in the last year only
    plain = replace(milestones.policy, milestones={})
    plain = replace(plain, groups={**plain.groups, ALL_POOR: replace(plain.groups[ALL_POOR], floor=0.75)})
    assert floors_by_year(plain, YEARS) == {2018: {}, 2019: {}, 2020: {ALL_POOR: 0.75}}


def test_min_cost_rollout_meets_each_milestone(milestones):
    r = solve_rollout(milestones, years=YEARS, budgets=[10, 0, 20])
    assert r.status == "optimal"
    assert r.objective == pytest.approx(30.0)  # the rollout's cost
    assert r.decisions[2018].villages_with("satellite") == ["v1"]
    assert r.decisions[2020].villages_with("satellite") == ["v1", "v2"]
    t = r.table
    assert t[f"{ALL_POOR}_floor"].tolist() == [0.5, 0.5, 1.0]
    assert t[f"{ALL_POOR}_share"].tolist() == [0.5, 0.5, 1.0]
    assert t["spend"].tolist() == pytest.approx([10.0, 0.0, 20.0])
    assert r.plans[2018].groups.loc[ALL_POOR, "floor"] == 0.5


def test_a_milestone_beyond_the_money_so_far_is_explained(milestones):
    with pytest.raises(InfeasibleError) as err:
        solve_rollout(milestones, years=YEARS, budgets=[5, 0, 30])
    text = str(err.value)
    assert "By the end of 2018 the floors and required facilities cost at least 10" in text
    assert "the money of 2018 adds up to 5 CNY" in text


def test_money_that_comes_too_late_without_carry_over_is_explained(milestones):
    # 30 in all is enough by 2020, but v2's 20 never fits one year's money
    with pytest.raises(InfeasibleError) as err:
        solve_rollout(milestones, years=YEARS, budgets=[10, 15, 5])
    assert "not with the money of each year as it comes" in str(err.value)
    r = solve_rollout(milestones, years=YEARS, budgets=[10, 15, 5], carry_over=True)
    assert r.objective == pytest.approx(30.0)
    assert r.table["carried_in"].tolist() == pytest.approx([0.0, 0.0, 15.0])


def test_schools_are_due_by_the_required_year():
    inst = small_instance(villages=[sat_only("v1", 10, school=True, demand_mbps=5.0)], nodes=NO_FIBER[0],
                          edges=NO_FIBER[1], policy={"schools": {"required": True, "min_mbps": 0.0}})
    r = solve_rollout(inst, years=[2018, 2019], budgets=[0, 10])  # due in 2019 (the last year)
    assert r.decisions[2019].villages_with("satellite") == ["v1"]
    with pytest.raises(InfeasibleError):
        solve_rollout(inst, years=[2018, 2019], budgets=[0, 10], required_by=2018)
    r = solve_rollout(inst, years=[2018, 2019], budgets=[10, 0], required_by=2018)
    assert r.decisions[2018].villages_with("satellite") == ["v1"]


def test_a_school_no_technology_can_serve_is_named_with_the_years_it_is_due():
    inst = small_instance(villages=[sat_only("v1", 10, school=True, demand_mbps=50.0)], nodes=NO_FIBER[0],
                          edges=NO_FIBER[1], policy={"schools": {"required": True, "min_mbps": 20.0}})
    with pytest.raises(InfeasibleError) as err:
        solve_rollout(inst, years=YEARS, budgets=[1e3] * 3, required_by=2019)
    assert "- 2019, 2020: village v1 has a school and must be covered, but none of its technologies" in str(err.value)


def test_lexicographic_keeps_people_years_then_saves(junction):
    # with unlimited money both villages are connected in 2018 (200 people x 2 years) at the least cost, 14
    r = solve_rollout(junction, years=[2018, 2019], budgets=None, objective="lexicographic")
    assert r.objective == pytest.approx(400.0)
    assert r.summary["cost_objective"] == pytest.approx(14.0)


# --------------------------------------------------------------------------- the checker
def test_the_checker_catches_every_kind_of_inconsistency(junction):
    r = solve_rollout(junction, years=[2018, 2019], budgets=[8, 6])
    spec = r.spec
    assert check_rollout(junction, spec, r.decisions).ok
    d18, d19 = r.decisions[2018], r.decisions[2019]

    unbuilt = {2018: d18, 2019: replace(d19, built_edges=frozenset({1, 2}))}
    report = check_rollout(junction, spec, unbuilt)
    assert any("edge 0 was built by 2018 but is missing" in v for v in report.violations)

    switched = {2018: replace(d18, technology={"v1": "satellite", "v2": "none"}), 2019: d19}
    report = check_rollout(junction, spec, switched)
    assert any("village v1 was connected by satellite in 2018 but switches to fiber (built twice)" in v
               for v in report.violations)

    tight = RolloutSpec(spec.years, (8.0, 5.0))
    report = check_rollout(junction, tight, r.decisions)
    assert any(v.startswith("2019: new spending 6.00 CNY exceeds the money of the year, 5.00 CNY")
               for v in report.violations)

    stated = dict(r.summary, objective=r.objective + 1.0)
    report = check_rollout(junction, spec, r.decisions, summary=stated)
    assert any("objective mismatch" in v for v in report.violations)


def test_the_checker_reports_a_missed_milestone(milestones):
    r = solve_rollout(milestones, years=YEARS, budgets=[10, 0, 20])
    late = dict(r.decisions)
    late[2018] = late[2019] = replace(r.decisions[2018], technology={"v1": "none", "v2": "none"})
    report = check_rollout(milestones, r.spec, late)
    assert any(v.startswith("2018: milestone missed: group all-poor has 0.00%") for v in report.violations)
    assert any("2019: group all-poor: 0 of 2 registered poor villages covered" in v for v in report.violations)


# --------------------------------------------------------------------------- properties
@st.composite
def fiber_trees(draw):
    """Fiber-only villages on a small random trench graph (pass-through junctions included),
    with yearly budgets smaller than most routes: trenches are worth digging ahead of use."""
    n = draw(st.integers(3, 7))
    nodes = {"b": "backbone", **{f"n{i}": "junction" for i in range(1, n)}}
    names = list(nodes)
    edges = [(names[draw(st.integers(0, i - 1))], names[i], draw(st.integers(1, 9))) for i in range(1, n)]
    for _ in range(draw(st.integers(0, 2))):
        i, j = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
        edges.append((names[i], names[j], draw(st.integers(1, 9))))
    at = draw(st.lists(st.sampled_from(names[1:]), min_size=1, max_size=4, unique=True))
    villages = [fiber_only(f"v{k}", node, population=float(draw(st.integers(1, 5)) * 100))
                for k, node in enumerate(at)]
    inst = small_instance(villages=villages, nodes=nodes, edges=edges)
    return inst, YEARS, [float(draw(st.integers(0, 12))) for _ in YEARS], draw(st.booleans())


@st.composite
def rollout_cases(draw):
    """(instance, years, budgets, carry_over): a fiber tree, or any small instance over 2-3 years."""
    if draw(st.booleans()):
        return draw(fiber_trees())
    years = YEARS[-draw(st.integers(2, 3)):]
    return draw(instances()), years, [float(draw(st.integers(0, 120))) for _ in years], draw(st.booleans())


@settings(max_examples=examples(25), **SETTINGS)
@given(case=rollout_cases())
def test_every_rollout_is_consistent(case):
    inst, years, budgets, carry = case
    try:
        r = solve_rollout(inst, years=years, budgets=budgets, carry_over=carry)
    except InfeasibleError:
        event("infeasible")
        return
    event(f"trenches dug before use: {any('lead to no fiber' in w for w in r.summary['verifier_warnings'])}")
    assert r.summary["verified"]
    assert check_rollout(inst, r.spec, r.decisions, summary=r.summary).ok
    carried, spent = 0.0, 0.0
    for k, year in enumerate(years):
        d = r.decisions[year]
        if k:
            before = r.decisions[years[k - 1]]
            assert before.built_edges <= d.built_edges
            assert all(d.technology[v] == t for v, t in before.technology.items() if t != "none")
            assert all(d.opened_sites.get(s) == b for s, b in before.opened_sites.items())
        spend = r.plans[year].summary["total_cost"] - spent  # the plans' costs come from plan_build
        assert spend == pytest.approx(r.table.loc[year, "spend"], abs=1e-6)
        assert spend <= budgets[k] + carried + 1e-6
        carried = budgets[k] + carried - spend if carry else 0.0
        spent += spend
        assert verify(year_instance(inst, r.spec, year, r.summary["floors"][str(year)]), d).ok
    # one model, one status: the yearly plans repeat the rollout's
    assert {p.summary["status"] for p in r.plans.values()} == {r.status}


@settings(max_examples=examples(15), **SETTINGS)
@given(inst=instances(budget=True))
def test_a_single_year_rollout_is_the_single_year_solve(inst):
    try:
        single = solve(inst)
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            solve_rollout(inst, years=[2020], budgets=[inst.budget])
        return
    r = solve_rollout(inst, years=[2020], budgets=[inst.budget])
    assert r.status == single.status == "optimal"
    assert close(r.objective, single.objective)
    if single.summary["objective_kind"] == "lexicographic":
        assert close(r.summary["cost_objective"], single.summary["cost_objective"])
    assert r.plans[2020].summary["total_cost"] <= inst.budget + 1e-6


@settings(max_examples=examples(12), **SETTINGS)
@given(inst=instances(objective="max-coverage", budget=True))
def test_all_money_in_the_first_year_repeats_the_single_year_optimum(inst):
    # every year's state costs at most B and grows: the best is the single-year optimum, kept 3 years
    try:
        single = solve(inst)
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            solve_rollout(inst, years=YEARS, budgets=[inst.budget, 0.0, 0.0])
        return
    r = solve_rollout(inst, years=YEARS, budgets=[inst.budget, 0.0, 0.0])
    assert close(r.objective, 3 * single.objective)
    assert close(r.table.loc[2020, "coverage"], single.objective)


@settings(max_examples=examples(12), **SETTINGS)
@given(inst=instances(objective="max-coverage", budget=False), data=st.data())
def test_carry_over_never_hurts_and_the_last_year_never_beats_one_pooled_budget(inst, data):
    budgets = [float(data.draw(st.integers(0, 120))) for _ in YEARS]
    try:
        strict = solve_rollout(inst, years=YEARS, budgets=budgets)
    except InfeasibleError:
        strict = None
    try:
        pooled = solve_rollout(inst, years=YEARS, budgets=budgets, carry_over=True)
    except InfeasibleError:
        assert strict is None  # carry-over only relaxes the yearly limits
        return
    if strict is not None:
        assert pooled.objective >= strict.objective - 1e-6 * max(1.0, strict.objective)
    # the last year's state is a plan within the pooled money (floors of the last year = the instance's)
    single = solve(inst, budget=sum(budgets))
    assert pooled.table.loc[2020, "coverage"] <= single.objective + 1e-6 * max(1.0, single.objective)


@settings(max_examples=examples(30), **SETTINGS)
@given(case=rollout_cases())
def test_reductions_and_arborescence_rows_keep_the_rollout_optimum(case):
    # they are valid for a rollout only as multiyear.py restricts them (last year only, no path
    # contraction without carry-over): the plain model must reach the same optimum
    inst, years, budgets, carry = case
    kind = "min-cost" if inst.objective.value == "min-cost" else "max-coverage"
    floors = floors_by_year(inst.policy, years)
    values = []
    for reductions in (True, False):
        form = multiyear.build(inst, years=years, budgets=budgets, carry_over=carry, floors=floors,
                               due_year=years[-1], objective_kind=kind, reductions=reductions)
        if form.model.num_vars == 0:  # nothing to decide
            return
        result = get_backend("highs").solve(form.model, SolveOptions())
        values.append(None if result.x is None else result.objective)
        assert result.status.value in ("optimal", "infeasible")
    event(f"feasible: {values[0] is not None}; separate yearly budgets: {form.prebuild}")
    assert (values[0] is None) == (values[1] is None)
    if values[0] is not None:
        assert close(values[0], values[1]), values


# --------------------------------------------------------------------------- instance.toml and options
def _rollout_dir(tmp_path, rollout: dict, name: str = "inst"):
    return make_instance_dir(tmp_path, name, meta={"rollout": rollout, "budget": None})


def test_the_rollout_table_is_read_with_the_instance(tmp_path):
    d = _rollout_dir(tmp_path, {"years": YEARS, "budgets": [1e6, 2e6, 3e6], "carry_over": True})
    inst = load_instance(d)
    assert inst.rollout == RolloutSpec((2018, 2019, 2020), (1e6, 2e6, 3e6), True, None)
    spec = resolve_spec(inst)
    assert spec == inst.rollout and spec.due_year == 2020
    assert resolve_spec(inst, budgets=[1.0, None, 2.0]).budgets == (1.0, None, 2.0)
    with pytest.raises(OptionsError, match="no budgets for the years 2019, 2020"):
        resolve_spec(inst, years=[2019, 2020])
    assert load_instance(make_instance_dir(tmp_path, "plain")).rollout is None
    with pytest.raises(OptionsError, match="no rollout years"):
        resolve_spec(load_instance(make_instance_dir(tmp_path, "plain2")))


@pytest.mark.parametrize("table, column, problem", [
    ({"years": YEARS, "budgets": [1e6, 2e6]}, "rollout.budgets", "2 budgets for 3 years (2018, 2019, 2020)"),
    ({"years": [2019, 2018], "budgets": [1.0, 1.0]}, "rollout.years", "must increase strictly"),
    ({"years": YEARS, "budget": [1.0, 1.0, 1.0]}, "rollout.budget", "unknown key 'budget' in [rollout]"),
    ({"years": YEARS, "budgets": [1.0, -1.0, 1.0]}, "rollout.budgets",
     "the budget of 2019 must be a finite number >= 0"),
    ({"years": YEARS, "carry_over": "yes"}, "rollout.carry_over", "must be true or false"),
    ({"years": YEARS, "required_by": 2021}, "rollout.required_by", "must be a year from 2018 to 2020"),
])
def test_a_bad_rollout_table_names_its_line(tmp_path, table, column, problem):
    d = _rollout_dir(tmp_path, table)
    with pytest.raises(InputError) as err:
        load_instance(d)
    e = err.value
    assert e.file == "instance.toml" and e.column == column
    assert problem in e.problem
    key = column.split(".")[1]
    lines = (d / "instance.toml").read_text(encoding="utf-8").splitlines()
    assert e.line == next(i for i, text in enumerate(lines, start=1) if text.startswith(f"{key} ="))


def _write_hand_dir(tmp_path, rollout: dict | None):
    """The junction instance as a directory (for the command line)."""
    villages = pd.DataFrame([{"village_id": v, "county_id": "c1", "population": 100.0, "poor": True, "node": n,
                              "existing": "none", "school": False, "clinic": False, "demand_mbps": 10.0,
                              "technologies": ("fiber",), "fiber_drop_capex": 0.0, "satellite_capex": 1000.0}
                             for v, n in (("v1", "n1"), ("v2", "n2"))])
    meta = {"name": "junction", "currency": "CNY", "objective": "max-coverage", "budget_measure": "capex",
            "horizon_years": 5, "discount_rate": 0.0, "costs": cost_model(),
            "policy": {"name": "p", "schools": {"required": False}, "clinics": {"required": False},
                       "groups": {ALL_POOR: {"floor": 0.5}}, "milestones": {"2019": {ALL_POOR: 0.5}}},
            "rollout": rollout}
    return write_instance(
        tmp_path / "junction", meta=meta,
        counties=pd.DataFrame({"county_id": ["c1"], "name": ["一县"], "province": ["P"], "prefecture": ["A"],
                               "groups": [""]}),
        villages=villages,
        nodes=pd.DataFrame({"node_id": ["b", "j", "n1", "n2"], "kind": ["backbone", "junction", "village", "village"]}),
        edges=pd.DataFrame([{"u": u, "v": v, "length_km": 1.0, "cost": c}
                            for u, v, c in (("b", "j", 8.0), ("j", "n1", 3.0), ("j", "n2", 3.0))]),
        beams=pd.DataFrame({"beam_id": ["P"], "capacity_mbps": [1000.0]}))


def test_rollout_command_writes_every_year(tmp_path, capsys):
    d = _write_hand_dir(tmp_path, {"years": [2018, 2019], "budgets": [8.0, 6.0]})
    out = tmp_path / "out"
    assert main(["rollout", str(d), "-o", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "rollout 2018-2019 OPTIMAL" in text
    assert "2019: new fiber 2, 4g 0, satellite 0; 2.0 km trench, 0 sites; spent 6 of 6" in text
    assert sorted(p.name for p in out.iterdir()) == [".allocator-output", "2018", "2019", "rollout.csv", "summary.json"]
    table = pd.read_csv(out / "rollout.csv", index_col="year")
    assert table.loc[2019, "all-poor_floor"] == 0.5 and math.isnan(table.loc[2018, "all-poor_floor"])
    assert table["spend"].tolist() == [8.0, 6.0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(200.0) and summary["verified"]
    inst = load_instance(d)
    spec = inst.rollout
    for year in (2018, 2019):  # each year's directory is an ordinary plan, verified against that year's rules
        plan = read_plan(out / str(year), inst)
        view = year_instance(inst, spec, year, floors_by_year(inst.policy, spec.years)[year])
        assert verify(view, plan.decision, summary=plan.summary).ok
    assert plan.summary["total_cost"] == pytest.approx(14.0)
    # the written rollout re-checks; a trench removed from 2019 (dug in 2018) does not
    assert main(["rollout", str(d), "--check", str(out)]) == 0
    assert "keeps every rule of instance 'junction' in every year" in capsys.readouterr().out
    edges = (out / "2019" / "edges.csv").read_text(encoding="utf-8").splitlines()
    (out / "2019" / "edges.csv").write_text("\n".join(e for e in edges if not e.startswith("0,")) + "\n",
                                            encoding="utf-8")
    assert main(["rollout", str(d), "--check", str(out)]) == 5
    assert "2019: edge 0 was built by 2018 but is missing (nothing is un-built)" in capsys.readouterr().err


def test_rollout_command_options_and_failures(tmp_path, capsys):
    d = _write_hand_dir(tmp_path, None)
    out = tmp_path / "out"
    assert main(["rollout", str(d), "-o", str(out), "-q"]) == 2  # no years anywhere
    assert "no rollout years" in capsys.readouterr().err
    assert main(["rollout", str(d), "-o", str(out), "-q", "--years", "2018,2019"]) == 2
    assert "no budgets for the years 2018, 2019" in capsys.readouterr().err
    # 2019's milestone needs one village (trench 8 + 3); neither 6 nor 5 pays the first 8 ...
    assert main(["rollout", str(d), "-o", str(out), "-q", "--years", "2018,2019", "--budgets", "6,5"]) == 3
    assert "not with the money of each year as it comes" in capsys.readouterr().err
    assert not out.exists()  # nothing half-written
    # ... but 6 + 5 carried over does
    assert main(["rollout", str(d), "-o", str(out), "-q", "--years", "2018,2019", "--budgets", "6,5",
                 "--carry-over"]) == 0
    assert json.loads((out / "summary.json").read_text())["carry_over"] is True
    assert main(["rollout", str(d), "-q", "--years", "2018,2019", "--budgets", "none,none"]) == 0
    assert "2018: new fiber 2" in capsys.readouterr().out


def test_rollout_says_year_stage_and_gap_on_stderr_and_nothing_with_q(tmp_path, capsys):
    """A rollout can run for minutes: stage and years on stderr while it runs, silent with -q."""
    d = _write_hand_dir(tmp_path, {"years": [2018, 2019], "budgets": [8.0, 6.0]})
    assert main(["rollout", str(d), "--objective", "lexicographic"]) == 0
    err = capsys.readouterr().err
    assert "stage 1 of 2 (max-coverage, years 2018-2019): solving" in err
    assert "stage 2 of 2 (min-cost keeping that coverage, years 2018-2019)" in err
    assert "year 2018: decoded" in err and "year 2019: decoded" in err and "gap 0.0000%" in err
    assert main(["rollout", str(d), "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_highs_reports_a_running_mip_solve_and_the_rollout_throttles_it():
    """The solver's state reaches the progress function while HiGHS runs; the rollout passes on
    at most one line per PROGRESS_EVERY seconds of solver time."""
    from allocator.backends import get_backend
    from allocator.backends.base import SolveOptions
    from allocator.analysis.rollout import _solver_progress
    try:
        from test_backends import allocation
    except ImportError:
        from tests.test_backends import allocation

    states = []
    result = get_backend("highs").solve(allocation(villages=120), SolveOptions(progress=states.append))
    assert result.status.value == "optimal" and states
    assert {"seconds", "objective", "bound", "gap"} == set(states[-1])
    assert all(s["seconds"] >= 0 for s in states)
    lines = []
    report = _solver_progress(lines.append, "stage 1 of 1 (max-coverage, years 2018-2020)", every=10.0)
    for s in (0.5, 3.0, 10.2, 12.0, 20.3):
        report({"seconds": s, "objective": None, "bound": 2.0e5, "gap": None})
    assert len(lines) == 2 and lines[0].startswith("stage 1 of 1 (max-coverage, years 2018-2020): 10s")
    assert "best plan none yet, bound 200,000" in lines[0]
    assert _solver_progress(None, "x") is None
