"""The solver-independent verifier: one test per violation kind, asserting the message,
and a property test against the brute-force oracle's own checker (tests/oracle.py).

The tiny instance (written as files with an inline cost model of round prices, and loaded):

    B (backbone) --0-- J --1-- N1 (V1)
                       |--2-- N2 (V2) --3-- N3 (V3, school)
                       |--4-- NS (site S1)
                 N3 --5-- X (dead end)

V4 and V6 have no node; V5 already has 4G. S1 (fiber or microwave) reaches V2 and V4,
S2 (microwave only, no node) reaches V4 and V6. Beams P1 (100 Mbit/s) and P2 (40 Mbit/s).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

try:  # tests/ as a plain directory or as a package
    from builders import make_instance_dir
    from oracle import Rules, backhaul_options, check_decision, evaluate, village_options
    from strategies import instances
except ImportError:
    from tests.builders import make_instance_dir
    from tests.oracle import Rules, backhaul_options, check_decision, evaluate, village_options
    from tests.strategies import instances
from allocator.decision import Decision
from allocator.errors import VerificationError
from allocator.instance import GroupPolicy
from allocator.io import load_instance
from allocator.schema import ALL_POOR
from allocator.plan_build import assemble
from allocator.verify import verify
try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

TERRAINS = ("plain", "hills", "mountain", "plateau")


def flat(value: float) -> dict:
    """The same price on every terrain."""
    return {t: value for t in TERRAINS}


#: every price a round number, so the tests can add them up by hand
TINY_COSTS = {
    "name": "tiny", "currency": "CNY",
    "fiber": {"per_km": flat(10.0), "opex_per_km_year": 1.0, "drop_capex": 5.0, "drop_opex_year": 0.5,
              "mbps": 100.0},
    "cellular": {"site_capex": flat(20.0), "site_opex_year": 2.0, "radius_km": flat(5.0),
                 "microwave_capex": 4.0, "microwave_opex_year": 0.4, "mbps": 30.0},
    "satellite": {"terminal_capex": 3.0, "fee_year": 1.0, "beam_capacity_mbps": 100.0, "mbps": 12.0},
    "quality": {"fiber": 1.0, "4g": 0.8, "satellite": 0.5},
}
TINY_POLICY = {
    "name": "tiny",
    "groups": {ALL_POOR: {"floor": 0.5}, "deep-poverty": {"priority": 2.0}},
    "schools": {"required": True, "min_mbps": 10.0},
    "clinics": {"required": False},
    "weights": {"non_poor": 1.0},
}
TINY_META = {"name": "tiny", "cost_model": None, "policy_model": None, "costs": TINY_COSTS, "policy": TINY_POLICY,
             "budget": None, "budget_measure": "capex", "objective": "min-cost", "horizon_years": 10,
             "discount_rate": 0.0}


def tiny_tables() -> dict:
    def village(vid, county, node, poor, population, existing="none", school=False, clinic=False, demand=20.0,
                technologies="", beam="P1"):
        return {"village_id": vid, "county_id": county, "name": "村" + vid, "population": population,
                "poor": str(poor).lower(), "node": node, "terrain": "plain", "existing": existing,
                "school": str(school).lower(), "clinic": str(clinic).lower(), "demand_mbps": demand,
                "technologies": technologies, "beam": beam}
    return {
        "counties": [{"county_id": "C1", "name": "一县", "province": "P1", "prefecture": "F1", "groups": "deep-poverty"},
                     {"county_id": "C2", "name": "二县", "province": "P2", "prefecture": "F2", "groups": ""}],
        "villages": [village("V1", "C1", "N1", True, 100.0),
                     village("V2", "C1", "N2", True, 200.0),
                     village("V3", "C1", "N3", True, 150.0, school=True),
                     village("V4", "C2", "", False, 80.0, clinic=True, beam="P2"),
                     village("V5", "C2", "", True, 50.0, existing="4g", beam="P2"),
                     village("V6", "C2", "", True, 60.0, demand=30.0, technologies="4g;satellite", beam="P2")],
        "nodes": [{"node_id": n, "kind": k} for n, k in (("B", "backbone"), ("J", "junction"), ("N1", "village"),
                                                       ("N2", "village"), ("N3", "village"), ("NS", "site"),
                                                       ("X", "junction"))],
        "edges": [{"u": u, "v": v, "length_km": 1.0, "terrain": "plain"}
                  for u, v in (("B", "J"), ("J", "N1"), ("J", "N2"), ("N2", "N3"), ("J", "NS"), ("N3", "X"))],
        "sites": [{"site_id": "S1", "node": "NS", "terrain": "plain", "backhaul": "any"},
                  {"site_id": "S2", "node": "", "terrain": "plain", "backhaul": "microwave"}],
        "coverage": [{"site_id": s, "village_id": v} for s, v in (("S1", "V2"), ("S1", "V4"), ("S2", "V4"),
                                                                  ("S2", "V6"))],
        "beams": [{"beam_id": "P1", "capacity_mbps": 100.0}, {"beam_id": "P2", "capacity_mbps": 40.0}],
    }


def make_tiny_dir(directory, name: str = "tiny", **tables) -> Path:
    """The tiny instance written as files; keyword arguments replace whole tables."""
    data = tiny_tables()
    data.update(tables)
    return make_instance_dir(directory, name, meta=TINY_META, **data)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return make_tiny_dir(tmp_path_factory.mktemp("verify"))


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return load_instance(tiny_dir)


def valid_decision(**changes) -> Decision:
    """V1-V3 fiber over edges 0-3, V4 4G from S2 by microwave, V6 satellite, V5 already connected."""
    d = dict(technology={"V1": "fiber", "V2": "fiber", "V3": "fiber", "V4": "4g", "V5": "none", "V6": "satellite"},
             site_of={"V4": "S2"}, built_edges=frozenset({0, 1, 2, 3}), opened_sites={"S2": "microwave"})
    d.update(changes)
    return Decision(**d)


def tech(**override) -> dict:
    base = dict(valid_decision().technology)
    base.update(override)
    return base


def only_violation(report, text: str) -> None:
    """Exactly one violation, and it is ``text``."""
    assert not report.ok
    assert report.violations == [text], report.violations


# --------------------------------------------------------------------------- the valid plan
def test_valid_plan_passes_and_totals_are_recomputed(tiny_dir):
    inst = load_instance(tiny_dir, overrides={"budget": 82.0})
    report = verify(inst, valid_decision())
    assert report.ok, report.violations
    assert report.warnings == []
    r = report.recomputed
    v, e, s = inst.villages, inst.edges, inst.sites
    capex = (v.loc[["V1", "V2", "V3"], "fiber_capex"].sum() + e.loc[[0, 1, 2, 3], "capex"].sum()
             + s.at["S2", "capex"] + s.at["S2", "backhaul_capex"] + v.at["V6", "satellite_capex"])
    opex = (v.loc[["V1", "V2", "V3"], "fiber_opex"].sum() + e.loc[[0, 1, 2, 3], "opex"].sum()
            + s.at["S2", "opex"] + s.at["S2", "backhaul_opex"] + v.at["V6", "satellite_opex"])
    assert capex == pytest.approx(3 * 5 + 4 * 10 + 20 + 4 + 3)  # the tiny prices, added by hand
    assert r["total_capex"] == pytest.approx(capex)
    assert r["total_opex"] == pytest.approx(opex)
    assert r["total_cost"] == pytest.approx(capex)  # budget measure is capex
    assert r["total_tco"] == pytest.approx(capex + 10 * opex)  # 10 years, no discounting
    assert r["objective"] == pytest.approx(capex)
    assert r["villages_covered"] == 6 and r["villages_total"] == 6
    assert r["by_technology"] == {"fiber": 3, "4g": 1, "satellite": 1}
    assert r["groups"] == {ALL_POOR: 1.0}
    assert report.raise_if_failed() is report


def test_coverage_objective_weights_priority_quality_and_non_poor(tiny_dir):
    overrides = {"objective": "max-coverage", "policy": {"weights": {"non_poor": 0.5}}}
    r = verify(load_instance(tiny_dir, overrides=overrides), valid_decision()).recomputed
    # V1-V3 are in deep-poverty (priority 2) with fiber (quality 1); V4 is not poor (x0.5) on 4g (0.8);
    # V6 is poor, all-poor priority 1, satellite (0.5); V5 was already connected and counts nothing.
    expected = (100 + 200 + 150) * 2 * 1.0 + 80 * 0.5 * 0.8 + 60 * 1 * 0.5
    assert r["objective"] == pytest.approx(expected)
    assert r["objective_kind"] == "max-coverage"
    lex = verify(load_instance(tiny_dir, overrides={**overrides, "objective": "lexicographic"}),
                 valid_decision()).recomputed
    assert lex["objective"] == pytest.approx(expected) and lex["total_cost"] == pytest.approx(r["total_cost"])
    # lexicographic: the second stage's cost is checked too
    report = verify(load_instance(tiny_dir, overrides={**overrides, "objective": "lexicographic"}), valid_decision(),
                    summary={"objective": expected, "cost_objective": 80.0})
    assert report.violations == ["cost_objective mismatch: the plan states 80 but recomputing the total cost from "
                                 "the decision gives 82"]


# --------------------------------------------------------------------------- one test per violation
def test_disconnected_fiber_village(tiny):
    report = verify(tiny, valid_decision(built_edges=frozenset({0, 1, 3})))
    assert report.violations == [
        "village V2: fiber, but node N2 is not connected to any backbone node through built edges",
        "village V3: fiber, but node N3 is not connected to any backbone node through built edges"]
    with pytest.raises(VerificationError, match="2 violations") as err:
        report.raise_if_failed()
    assert err.value.violations == report.violations
    assert err.value.exit_code == 5


def test_fiber_village_without_node(tiny):
    d = valid_decision(technology=tech(V4="fiber"), site_of={}, opened_sites={})
    only_violation(verify(tiny, d), "village V4: fiber, but it has no network node (fiber is impossible there)")


def test_4g_village_outside_reach(tiny):
    d = valid_decision(technology=tech(V1="4g"), site_of={"V1": "S2", "V4": "S2"})
    only_violation(verify(tiny, d),
                   "village V1: 4g served by site S2, but the village is outside the site's reach "
                   "(not in its coverage)")


def test_4g_village_with_unopened_site(tiny):
    report = verify(tiny, valid_decision(site_of={"V4": "S1"}))
    only_violation(report, "village V4: 4g served by site S1, which is not opened")
    assert report.warnings == ["1 opened sites serve no village (money spent for nothing): S2"]


def test_4g_village_without_site_or_with_unknown_site(tiny):
    only_violation(verify(tiny, valid_decision(site_of={})), "village V4: 4g, but no site is named to serve it")
    only_violation(verify(tiny, valid_decision(site_of={"V4": "S9"})),
                   "village V4: 4g served by site S9, which is not in the instance")


def test_site_backhaul_not_allowed(tiny, tmp_path):
    d = valid_decision(opened_sites={"S2": "fiber"})
    only_violation(verify(tiny, d), "site S2: fiber backhaul, but the site allows only microwave backhaul")
    sites = tiny_tables()["sites"]
    sites[0]["backhaul"] = "fiber"
    inst = load_instance(make_tiny_dir(tmp_path, sites=sites))
    d = valid_decision(site_of={"V4": "S1"}, opened_sites={"S1": "microwave"})
    only_violation(verify(inst, d), "site S1: microwave backhaul, but the site allows only fiber backhaul")


def test_site_fiber_backhaul_needs_connected_node(tiny):
    d = valid_decision(site_of={"V4": "S1"}, opened_sites={"S1": "fiber"})
    only_violation(verify(tiny, d),
                   "site S1: fiber backhaul, but node NS is not connected to any backbone node through built edges")
    ok = valid_decision(site_of={"V4": "S1"}, opened_sites={"S1": "fiber"}, built_edges=frozenset({0, 1, 2, 3, 4}))
    assert verify(tiny, ok).ok


def test_beam_over_capacity(tiny):
    d = valid_decision(technology=tech(V4="satellite"), site_of={}, opened_sites={})
    only_violation(verify(tiny, d),
                   "beam P2: 50 Mbit/s demanded by 2 satellite villages exceeds its capacity of 40 Mbit/s")


def test_budget_exceeded_and_tolerance(tiny_dir):
    only_violation(verify(load_instance(tiny_dir, overrides={"budget": 81.0}), valid_decision()),
                   "budget exceeded: the plan costs 82.00 CNY (capex) but the budget is 81.00 CNY (over by 1.00 CNY)")
    # within the absolute tolerance of 1e-6
    assert verify(load_instance(tiny_dir, overrides={"budget": 82.0 - 1e-7}), valid_decision()).ok
    tco = load_instance(tiny_dir, overrides={"budget": 100.0, "budget_measure": "tco"})
    # TCO = 82 capex + 10 years x 8.9 opex per year
    only_violation(verify(tco, valid_decision()),
                   "budget exceeded: the plan costs 171.00 CNY (tco) but the budget is 100.00 CNY (over by 71.00 CNY)")


def test_budget_stated_by_the_plan_wins_with_a_warning(tiny_dir):
    """`allocator solve --budget` records the budget it used; the plan is checked against that one."""
    inst = load_instance(tiny_dir, overrides={"budget": 100.0})
    report = verify(inst, valid_decision(), summary={"budget": 81.0})
    assert report.violations == [
        "budget exceeded: the plan costs 82.00 CNY (capex) but the budget is 81.00 CNY (over by 1.00 CNY)"]
    assert report.warnings == ["the plan was made with a budget of 81.00 CNY, the instance has a budget of "
                               "100.00 CNY; checked against the plan's"]
    report = verify(load_instance(tiny_dir, overrides={"budget": 50.0}), valid_decision(), summary={"budget": None})
    assert report.ok and report.recomputed["budget"] is None
    assert report.warnings == ["the plan was made with no budget, the instance has a budget of 50.00 CNY; "
                               "checked against the plan's"]


def test_floor_missed(tiny_dir):
    inst = load_instance(tiny_dir, overrides={"policy": {"groups": {ALL_POOR: {"floor": 0.9}}}})
    d = valid_decision(technology=tech(V1="none", V6="none"))
    only_violation(verify(inst, d),
                   "group all-poor: 3 of 5 registered poor villages covered (60.00%), below its floor of 90.00%")


def test_floor_of_group_without_poor_villages_does_not_bind(tiny):
    # the loader refuses such a floor; a policy built in code may still carry one
    groups = {**tiny.policy.groups, "empty": GroupPolicy("empty", floor=1.0)}
    inst = tiny.with_changes(policy=replace(tiny.policy, groups=groups))
    report = verify(inst, valid_decision())
    assert report.ok and report.recomputed["groups"]["empty"] is None


def test_school_without_enough_bandwidth(tiny):
    d = valid_decision(technology=tech(V3="satellite", V6="none"), built_edges=frozenset({0, 1, 2}))
    only_violation(verify(tiny, d),
                   "village V3: its school needs 20 Mbit/s (the larger of its demand 20 and the policy minimum 10), "
                   "but satellite delivers 12 Mbit/s")


def test_school_and_clinic_not_covered(tiny, tiny_dir):
    d = valid_decision(technology=tech(V3="none"), built_edges=frozenset({0, 1, 2}))
    only_violation(verify(tiny, d), "village V3: has a school but is not covered")
    inst = load_instance(tiny_dir, overrides={"policy": {"clinics": {"required": True}}})
    d = valid_decision(technology=tech(V4="none"), site_of={}, opened_sites={})
    only_violation(verify(inst, d), "village V4: has a clinic but is not covered")
    assert verify(tiny, d).ok  # clinics not required


def rules(*rows) -> dict:
    return {"policy": {"rules": [dict(zip(("scope", "value", "technology", "action"), r)) for r in rows]}}


def test_forbidden_technology(tiny_dir):
    report = verify(load_instance(tiny_dir, overrides=rules(("province", "P1", "fiber", "forbid"))), valid_decision())
    assert report.violations == [f"village V{i}: uses fiber, which the policy forbids in province P1"
                                 for i in (1, 2, 3)]


def test_forced_technology_not_used(tiny_dir):
    inst = load_instance(tiny_dir, overrides=rules(("county", "C2", "satellite", "force")))
    # V5 is already connected: the rule does not apply to it
    only_violation(verify(inst, valid_decision()),
                   "village V4: the policy forces satellite in county C2, but the plan gives it 4g")
    inst = load_instance(tiny_dir, overrides=rules(("group", "deep-poverty", "fiber", "force")))
    assert verify(inst, valid_decision()).ok
    d = valid_decision(technology=tech(V2="4g"), site_of={"V2": "S1", "V4": "S2"},
                       opened_sites={"S1": "microwave", "S2": "microwave"})
    assert verify(inst, d).violations[0] == (
        "village V2: the policy forces fiber in group deep-poverty, but the plan gives it 4g")


def test_technology_not_in_village_list(tiny):
    assert verify(tiny, valid_decision(technology=tech(V6="fiber"))).violations == [
        "village V6: fiber is not among its allowed technologies (4g;satellite)",
        "village V6: fiber, but it has no network node (fiber is impossible there)"]


def test_existing_village_given_new_technology(tiny):
    d = valid_decision(technology=tech(V5="satellite", V6="4g"), site_of={"V4": "S2", "V6": "S2"})
    only_violation(verify(tiny, d),
                   "village V5: already has an existing 4g connection, but the plan gives it satellite "
                   "(a connected village gets 'none')")


def test_objective_and_total_cost_mismatch(tiny):
    only_violation(verify(tiny, valid_decision(), summary={"objective": 80.0}),
                   "objective mismatch: the plan states 80 but recomputing the min-cost objective from the decision "
                   "gives 82")
    assert verify(tiny, valid_decision(), summary={"objective": 82.0 * (1 + 1e-8)}).ok
    only_violation(verify(tiny, valid_decision(), summary={"objective": 82.0, "total_cost": 90.0}),
                   "total_cost mismatch: the plan states 90 but recomputing the total cost from the decision gives 82")
    # the summary's objective kind wins over the instance's
    report = verify(tiny, valid_decision(), summary={"objective": 82.0, "objective_kind": "max-coverage"})
    assert report.violations[0].startswith("objective mismatch: the plan states 82 but recomputing the max-coverage")


def test_unknown_ids_and_technologies(tiny):
    d = Decision(technology={**tech(V1="laser"), "V99": "fiber"}, site_of={"V4": "S2"},
                 built_edges=frozenset({0, 1, 2, 3, 42}), opened_sites={"S2": "microwave", "S7": "fiber"})
    assert sorted(verify(tiny, d).violations) == sorted([
        "village V99: in the plan but not in the instance",
        "village V1: unknown technology 'laser' (expected fiber, 4g, satellite or none)",
        "edge 42: built, but there is no such edge in the instance",
        "site S7: opened, but there is no such site in the instance"])


# --------------------------------------------------------------------------- warnings, not violations
def test_waste_is_a_warning(tiny):
    d = valid_decision(built_edges=frozenset({0, 1, 2, 3, 4, 5}), opened_sites={"S2": "microwave", "S1": "microwave"})
    report = verify(tiny, d)
    assert report.ok
    assert report.warnings == [
        "1 opened sites serve no village (money spent for nothing): S1",
        "2 built edges lead to no fiber village or fiber-backhauled site (waste of 20.00 CNY): 4, 5"]


def test_content_hash_mismatch_is_a_warning(tiny):
    report = verify(tiny, valid_decision(), summary={"content_hash": "other"})
    assert report.ok
    assert report.warnings == [f"the plan was made for an instance with content hash other, but this instance has "
                               f"{tiny.content_hash}"]


def test_backbone_village_node_is_connected_without_edges(tmp_path):
    lenient = {"schools": {"required": False}, "groups": {ALL_POOR: {"floor": 0.0}}}
    d = valid_decision(technology=tech(V2="none", V3="none", V6="none"), built_edges=frozenset())
    inst = load_instance(make_tiny_dir(tmp_path), overrides={"policy": lenient})
    assert verify(inst, d).violations == [
        "village V1: fiber, but node N1 is not connected to any backbone node through built edges"]
    nodes = tiny_tables()["nodes"]
    nodes[2]["kind"] = "backbone"
    inst = load_instance(make_tiny_dir(tmp_path, "backbone", nodes=nodes), overrides={"policy": lenient})
    assert verify(inst, d).ok


# --------------------------------------------------------------------------- against the independent oracle
@st.composite
def instance_and_decision(draw):
    """A small random instance, and a decision drawn among each village's legal options
    (sometimes an illegal one), with a random set of trenches and sites."""
    inst = draw(instances(feasible=draw(st.booleans())))
    rules = Rules(inst)
    technology, site_of = {}, {}
    for v in inst.villages.index:
        options = village_options(inst, v, rules) if v in rules.new else [("none", None)]
        if draw(st.integers(0, 9)) == 0:  # now and then, any technology at all
            options = [("fiber", None), ("satellite", None), ("none", None)]
        tech, site = draw(st.sampled_from(options))
        technology[v] = tech
        if site is not None:
            site_of[v] = site
    edges = list(inst.edges.index)
    built = edges if draw(st.booleans()) else draw(st.lists(st.sampled_from(edges), unique=True))
    opened = {}
    for s in sorted(set(site_of.values()) | set(draw(st.lists(st.sampled_from(list(inst.sites.index)), unique=True))
                                               if len(inst.sites) else set())):
        opened[s] = draw(st.sampled_from(backhaul_options(inst, s) + ["fiber"]))
    return inst, Decision(technology=technology, site_of=site_of, built_edges=frozenset(built),
                          opened_sites=opened)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=instance_and_decision())
def test_verifier_agrees_with_the_independent_oracle(case):
    inst, decision = case
    report = verify(inst, decision)
    oracle_violations = check_decision(inst, decision)
    event("feasible" if report.ok else "infeasible")
    assert report.ok == (not oracle_violations), (report.violations, oracle_violations)
    coverage, cost = evaluate(inst, decision)
    assert report.recomputed["total_cost"] == pytest.approx(cost, rel=1e-9, abs=1e-9)
    assert report.recomputed["coverage"] == pytest.approx(coverage, rel=1e-9, abs=1e-9)
    # the plan tables price the same decision the same way
    plan = assemble(inst, decision, {})
    assert plan.summary["total_cost"] == pytest.approx(cost, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- what-if plans (scenario.json)
@pytest.fixture(scope="module")
def whatif_plans(tmp_path_factory):
    """Two what-if plans on the tiny what-if instance: cheaper fiber, and Nujiang forced to satellite."""
    from allocator.analysis.scenario import parse_scenario
    from allocator.analysis.whatif import run_whatif
    try:
        from whatif_tiny import write_tiny
    except ImportError:  # pragma: no cover
        from tests.whatif_tiny import write_tiny

    root = tmp_path_factory.mktemp("whatif-verify")
    base = write_tiny(root / "tiny")
    cheap = root / "cheap.toml"
    cheap.write_text('name = "cheap-fiber"\n[costs.scale]\n"fiber.per_km" = 0.1\n"fiber.drop_capex" = 0.1\n',
                     encoding="utf-8")
    sat = root / "sat.toml"
    sat.write_text('name = "nujiang-sat"\ndescription = "Nujiang on satellite"\n[[force]]\nscope = "prefecture"\n'
                   'value = "怒江傈僳族自治州"\ntechnology = "satellite"\n', encoding="utf-8")
    run_whatif(base, [parse_scenario(cheap), parse_scenario(sat)], root / "out", include_base=False, workers=1,
               objective="lexicographic")
    return base, root / "out"


def test_whatif_plan_verifies_under_its_scenario(whatif_plans, capsys):
    """Priced under the scenario's cheaper fiber, the plan keeps every rule; under the base prices its
    stated cost is wrong (exit 5), which is what `verify` said of every what-if plan before."""
    from allocator.cli import main

    base, out = whatif_plans
    assert main(["verify", str(base), str(out / "cheap-fiber")]) == 0
    text = capsys.readouterr().out
    assert "keeps every rule of instance 'tiny-whatif' under scenario 'cheap-fiber'" in text
    assert f"scenario 'cheap-fiber' applied (from {out / 'cheap-fiber' / 'scenario.json'})" in text
    assert main(["verify", str(base), str(out / "cheap-fiber"), "--ignore-scenario"]) == 5
    assert "cost_objective mismatch" in capsys.readouterr().err


def test_whatif_plan_breaking_the_scenario_rule_fails_naming_it(whatif_plans, tmp_path, capsys):
    import shutil

    from allocator.cli import main
    try:
        from builders import replace_in_file
    except ImportError:  # pragma: no cover
        from tests.builders import replace_in_file

    base, out = whatif_plans
    plan = shutil.copytree(out / "nujiang-sat", tmp_path / "edited")
    replace_in_file(plan / "villages.csv", "v1,丙中洛村,c1,甲省,怒江傈僳族自治州,True,800.0,none,satellite",
                    "v1,丙中洛村,c1,甲省,怒江傈僳族自治州,True,800.0,none,none")
    assert main(["verify", str(base), str(plan)]) == 5
    err = capsys.readouterr().err
    assert "village v1: the policy forces satellite in prefecture 怒江傈僳族自治州, but the plan gives it none" in err
    assert "scenario 'nujiang-sat' applied" in err
    # the base has no such rule: without the scenario, the rule goes unchecked
    assert main(["verify", str(base), str(plan), "--ignore-scenario"]) == 5
    assert "forces satellite" not in capsys.readouterr().err


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must hold one JSON object"),
    ('{"name": "x", "overrides": {}}', "'base' must be the path of the base instance"),
    ('{"name": "x", "base": "b", "overrides": [1]}', "'overrides' must be a JSON object"),
    ('{"name": "x", "base": "b", "status": "infeasible", "message": "floors cannot be met\\nmore"}',
     "scenario 'x' ended infeasible and has no plan: floors cannot be met"),
])
def test_bad_scenario_record_is_input_error(whatif_plans, tmp_path, capsys, text, problem):
    from allocator.cli import main

    base, _ = whatif_plans
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "scenario.json").write_text(text, encoding="utf-8")
    assert main(["verify", str(base), str(plan)]) == 2
    err = capsys.readouterr().err
    assert str(plan / "scenario.json") in err and problem in err and "fix:" in err
