"""The brute-force oracle on instances solved by hand, and its self-consistency.

Instances are written as files and loaded like any user's (tests/strategies.py).
Every hand-made instance uses capex only; quality fiber 1, 4g 0.8, satellite 0.5;
bandwidth fiber 100, 4g 30, satellite 12 Mbit/s; population 100 and poor unless said.
"""
from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.decision import Decision
from allocator.verify import verify

from .oracle import ROOT, SteinerOracle, brute_force, check_decision, evaluate, money
from .strategies import instances, small_instance

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def edge_pairs(inst, edge_ids) -> set[frozenset]:
    return {frozenset((inst.edges.at[e, "u"], inst.edges.at[e, "v"])) for e in edge_ids}


# --------------------------------------------------------------------------- instances solved by hand
def shared_trench(budget):
    """Two fiber-only villages x (node X), y (node Y); trenches B-J 10, J-X 3, J-Y 3, B-X 12, B-Y 12."""
    return small_instance(
        villages=[{"village_id": "x", "node": "X", "technologies": ("fiber",)},
                  {"village_id": "y", "node": "Y", "technologies": ("fiber",)}],
        nodes={"B": "backbone", "J": "junction", "X": "village", "Y": "village"},
        edges=[("B", "J", 10), ("J", "X", 3), ("J", "Y", 3), ("B", "X", 12), ("B", "Y", 12)],
        budget=budget)


def test_shared_trench_is_an_exact_steiner_tree():
    """Budget 16. One village alone costs 12 (its direct trench). Both: the direct
    trenches cost 24, shortest paths one after the other 12 + 6 = 18, but the
    Steiner tree B-J, J-X, J-Y costs exactly 16. Optimum: both villages,
    coverage 100 + 100 = 200. With budget 15 only one fits: 100."""
    inst = shared_trench(16)
    best, decision = brute_force(inst)
    assert best == pytest.approx(200.0)
    assert decision.villages_with("fiber") == ["x", "y"]
    assert edge_pairs(inst, decision.built_edges) == {frozenset("BJ"), frozenset("JX"), frozenset("JY")}
    assert evaluate(inst, decision) == pytest.approx((200.0, 16.0))
    best, decision = brute_force(shared_trench(15))
    assert best == pytest.approx(100.0)
    assert evaluate(shared_trench(15), decision)[1] == pytest.approx(12.0)


def backhaul_sharing(budget=None):
    """Schools a and b must be covered with >= 25 Mbit/s (satellite's 12 is too slow).
    a (node A) may only take fiber; b (no node) 4g or satellite. Trenches B-S 30,
    S-A 5. Site s0 at node S, backhaul any, capex 40, microwave 25, covers a and b."""
    return small_instance(
        villages=[{"village_id": "a", "node": "A", "school": True, "technologies": ("fiber",)},
                  {"village_id": "b", "school": True, "technologies": ("4g", "satellite")}],
        nodes={"B": "backbone", "S": "site", "A": "village"},
        edges=[("B", "S", 30), ("S", "A", 5)],
        sites=[{"site_id": "s0", "node": "S", "backhaul": "any", "capex": 40.0, "backhaul_capex": 25.0}],
        coverage=[("s0", "a"), ("s0", "b")],
        objective="min-cost", budget=budget,
        policy={"schools": {"required": True, "min_mbps": 25.0}})


def test_fiber_backhaul_shares_the_villages_trench():
    """b forces s0 open (40). a's fiber costs 30 + 5 = 35 and passes through S, so
    s0's fiber backhaul then costs nothing more: 40 + 35 = 75. Choosing the site's
    cheaper backhaul on its own (microwave 25 < fiber 30) would cost 100."""
    inst = backhaul_sharing()
    best, decision = brute_force(inst)
    assert best == pytest.approx(75.0)
    assert dict(decision.opened_sites) == {"s0": "fiber"}
    assert dict(decision.site_of) == {"b": "s0"}
    assert edge_pairs(inst, decision.built_edges) == {frozenset("BS"), frozenset("SA")}


def beam_and_floor(floor, *, satellite_only=False):
    """Poor villages p, q, r, each demanding 20 Mbit/s of a 30 Mbit/s beam (one
    satellite fits). p: satellite only, 10. q: satellite 15 or fiber at node Q
    (drop 5). r: satellite 20 or fiber at node R (drop 2). Trenches B-Q 30,
    Q-R 8, B-R 45. Floor on all-poor."""
    fiber = ("satellite",) if satellite_only else ("fiber", "satellite")
    return small_instance(
        villages=[{"village_id": "p", "technologies": ("satellite",), "satellite_capex": 10.0, "demand_mbps": 20.0},
                  {"village_id": "q", "node": "Q", "technologies": fiber, "satellite_capex": 15.0,
                   "fiber_drop_capex": 5.0, "demand_mbps": 20.0},
                  {"village_id": "r", "node": "R", "technologies": fiber, "satellite_capex": 20.0,
                   "fiber_drop_capex": 2.0, "demand_mbps": 20.0}],
        nodes={"B": "backbone", "Q": "village", "R": "village"},
        edges=[("B", "Q", 30), ("Q", "R", 8), ("B", "R", 45)],
        beam_mbps=30.0, objective="min-cost",
        policy={"groups": {"all-poor": {"floor": floor}}})


def test_beam_capacity_and_floor():
    """Floor 1: all three. Only one satellite fits the beam and p has nothing
    else, so p satellite 10; q and r by fiber: B-Q 30 + Q-R 8 + drops 7 = 45.
    Total 55. Floor 0.6 (2 of 3): p satellite + q fiber = 10 + 35 = 45 (q and r
    by fiber also 45; every plan with a second satellite breaks the beam, and
    the rest cost more). Satellite only for everyone: 60 Mbit/s > 30, infeasible."""
    inst = beam_and_floor(1.0)
    best, decision = brute_force(inst)
    assert best == pytest.approx(55.0)
    assert decision.villages_with("satellite") == ["p"]
    assert edge_pairs(inst, decision.built_edges) == {frozenset("BQ"), frozenset("QR")}
    assert brute_force(beam_and_floor(0.6))[0] == pytest.approx(45.0)
    assert brute_force(beam_and_floor(1.0, satellite_only=True)) == (None, None)


def weighted(budget, **policy):
    """u: county c1 (deep-poverty, priority 3), poor, pop 100, weight 300; fiber
    (B-U 30 + drop 10 = 40) or satellite 15. w: county c2 (no group), not poor,
    pop 200, non-poor factor 0.5, weight 100; satellite 15, or 4g via s0 (20 +
    microwave 5 = 25) or s1 (10 + microwave 5 = 15)."""
    return small_instance(
        villages=[{"village_id": "u", "node": "U", "technologies": ("fiber", "satellite"), "satellite_capex": 15.0,
                   "fiber_drop_capex": 10.0},
                  {"village_id": "w", "county_id": "c2", "population": 200.0, "poor": False,
                   "technologies": ("4g", "satellite"), "satellite_capex": 15.0}],
        nodes={"B": "backbone", "U": "village"},
        edges=[("B", "U", 30)],
        sites=[{"site_id": "s0", "capex": 20.0, "backhaul_capex": 5.0},
               {"site_id": "s1", "capex": 10.0, "backhaul_capex": 5.0}],
        coverage=[("s0", "w"), ("s1", "w")],
        objective="lexicographic", budget=budget,
        policy={"groups": {"deep-poverty": {"priority": 3.0}}, "weights": {"non_poor": 0.5}, **policy})


def test_priorities_weights_and_lexicographic():
    """Budget 70: u fiber (300 x 1) + w 4g (100 x 0.8) = 380, through s1 (55) or s0
    (65); u fiber + w satellite = 350. Lexicographic: (380, 55) with s1.
    Budget 54: anything with u's fiber and w costs >= 55, so u fiber alone 300
    beats u satellite + w 4g (150 + 80 = 230). Min-cost with the all-poor floor
    at 1 (only u is poor): u by satellite, 15."""
    inst = weighted(70)
    best, decision = brute_force(inst)
    assert best == pytest.approx((380.0, 55.0))
    assert dict(decision.opened_sites) == {"s1": "microwave"}
    assert brute_force(inst, objective="max-coverage")[0] == pytest.approx(380.0)
    assert brute_force(inst, objective="max-coverage", budget=54)[0] == pytest.approx(300.0)
    floor = weighted(None, groups={"deep-poverty": {"priority": 3.0}, "all-poor": {"floor": 1.0}})
    best, decision = brute_force(floor, objective="min-cost")
    assert best == pytest.approx(15.0)
    assert decision.technology == {"u": "satellite", "w": "none"}


# --------------------------------------------------------------------------- the plan checker
def test_check_decision_names_what_is_broken():
    inst = weighted(70)
    _, good = brute_force(inst)
    assert check_decision(inst, good) == []
    # u on fiber with no trench built
    no_trench = Decision(technology=good.technology, site_of=good.site_of, opened_sites=good.opened_sites)
    assert any("village u: fiber but node 'U' not connected" in m for m in check_decision(inst, no_trench))
    # w on 4g through a site that is not opened
    closed = Decision(technology=good.technology, site_of={"w": "s0"}, built_edges=good.built_edges,
                      opened_sites=good.opened_sites)
    assert "village w: 4g via s0, which is not opened" in check_decision(inst, closed)
    # both sites opened: u fiber 40 + s0 25 + s1 15 = 80 > budget 60
    costly = Decision(technology=good.technology, site_of=good.site_of, built_edges=good.built_edges,
                      opened_sites={"s0": "microwave", "s1": "microwave"})
    assert check_decision(inst, costly, budget=60) == ["budget: cost 80.0 > 60"]
    # w may not take fiber
    wrong = Decision(technology={"u": "none", "w": "fiber"})
    assert "village w: fiber not allowed" in check_decision(inst, wrong)


def test_check_decision_requirements():
    inst = beam_and_floor(1.0)
    empty = Decision.empty(inst.villages.index)
    assert check_decision(inst, empty) == ["group all-poor: 0/3 covered, floor 1.0"]
    assert check_decision(inst, empty, requirements=False) == []
    sat = Decision(technology={"p": "satellite", "q": "satellite", "r": "none"})
    assert "beam P: 40.0 Mbit/s > 30.0" in check_decision(inst, sat, requirements=False)


# --------------------------------------------------------------------------- properties
@settings(max_examples=40, **SETTINGS)
@given(inst=instances())
def test_oracle_plan_is_feasible_and_its_value_is_recomputed(inst):
    best, decision = brute_force(inst)
    if best is None:
        return
    assert check_decision(inst, decision) == []
    coverage, cost = evaluate(inst, decision)
    expected = {"max-coverage": coverage, "min-cost": cost, "lexicographic": (coverage, cost)}[inst.objective.value]
    assert best == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # the project's own verifier, written separately, agrees
    report = verify(inst, decision)
    assert report.ok, report.violations
    assert report.recomputed["coverage"] == pytest.approx(coverage, rel=1e-9, abs=1e-9)
    assert report.recomputed["total_cost"] == pytest.approx(cost, rel=1e-9, abs=1e-9)


@settings(max_examples=20, **SETTINGS)
@given(inst=instances(budget=True))
def test_objectives_are_consistent(inst):
    """Lexicographic's coverage is max-coverage's optimum; min-cost is never dearer than it."""
    cov, _ = brute_force(inst, objective="max-coverage")
    lex, lex_plan = brute_force(inst, objective="lexicographic")
    cost, _ = brute_force(inst, objective="min-cost")
    if cov is None:
        assert lex is None and cost is None
        return
    assert lex[0] == pytest.approx(cov, rel=1e-9, abs=1e-9)
    assert cost <= lex[1] + 1e-9
    bigger, _ = brute_force(inst, objective="max-coverage", budget=inst.budget + 50)
    assert bigger >= cov - 1e-9


@settings(max_examples=30, **SETTINGS)
@given(inst=instances(), data=st.data())
def test_steiner_tree_within_the_two_approximation(inst, data):
    """The exact tree is never dearer than networkx's 2-approximation, nor cheaper than half of it."""
    oracle = SteinerOracle(inst)
    reachable = sorted(nx.node_connected_component(oracle.h, ROOT) - {ROOT})
    if not reachable:
        return
    terminals = data.draw(st.lists(st.sampled_from(reachable), min_size=1, unique=True))
    cost, edge_ids = oracle.tree(frozenset(terminals))
    approx = nx.approximation.steiner_tree(oracle.h, [ROOT] + terminals, weight="weight")
    approx_cost = approx.size(weight="weight")
    assert cost <= approx_cost + 1e-9
    assert cost >= approx_cost / 2 - 1e-9
    # the edges returned join every terminal to the backbone and cost what is claimed
    built = nx.Graph()
    backbone = set(oracle.backbone)
    for e in edge_ids:
        u, v = inst.edges.at[e, "u"], inst.edges.at[e, "v"]
        built.add_edge(ROOT if u in backbone else u, ROOT if v in backbone else v)
    assert all(built.has_node(t) and nx.has_path(built, ROOT, t) for t in terminals)
    assert sum(money(inst, inst.edges.at[e, "capex"], inst.edges.at[e, "opex"]) for e in edge_ids) \
        == pytest.approx(cost, rel=1e-12, abs=1e-12)
