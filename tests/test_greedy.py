"""The greedy heuristic: always within budget, capacity and connectivity, never
better than the brute-force optimum, honest about unmet requirements, deterministic."""
from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings

from allocator.errors import InfeasibleError
from allocator.heuristics.greedy import greedy, run_greedy
from allocator.verify import verify

from .oracle import brute_force, check_decision, evaluate
from .strategies import instances
from .test_oracle import backhaul_sharing, beam_and_floor, edge_pairs, shared_trench, weighted

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------- by hand
def test_greedy_grows_shortest_paths_and_misses_the_steiner_tree():
    """Budget 16 (see test_oracle). Greedy takes x first (tie with y broken by id)
    over its direct trench B-X (12, cheaper than B-J-X 13); y then costs 6 more
    from the tree (X-J-Y), 18 > 16, so greedy stops at coverage 100 where the
    optimum is 200."""
    inst = shared_trench(16)
    result = run_greedy(inst)
    assert result.feasible
    assert result.decision.technology == {"x": "fiber", "y": "none"}
    assert edge_pairs(inst, result.decision.built_edges) == {frozenset("BX")}
    assert (result.coverage, result.cost) == pytest.approx((100.0, 12.0))
    assert brute_force(inst)[0] == pytest.approx(200.0)


def test_greedy_fiber_backhaul_rides_on_the_trench_it_built():
    """Schools first, cheapest per village: a's fiber (35, ratio 1/35) beats
    opening s0 (40 + microwave 25 = 65, ratio 1/65); with S now on the tree, s0's
    fiber backhaul is free, so s0 opens for 40 with fiber. Total 75 = optimum."""
    inst = backhaul_sharing()
    result = run_greedy(inst)
    assert result.feasible
    assert result.cost == pytest.approx(75.0)
    assert dict(result.decision.opened_sites) == {"s0": "fiber"}
    assert result.cost == pytest.approx(brute_force(inst)[0])


def test_no_budget_gives_every_village_its_best_technology():
    """No budget, max-coverage: u gets fiber (quality 1), w 4g (0.8) through the
    cheaper site s1: coverage 380, the optimum, at cost 55."""
    result = run_greedy(weighted(None), objective="max-coverage")
    assert result.decision.technology == {"u": "fiber", "w": "4g"}
    assert dict(result.decision.opened_sites) == {"s1": "microwave"}
    assert (result.coverage, result.cost) == pytest.approx((380.0, 55.0))


def test_unmet_floor_is_reported_or_raised():
    """Three satellite-only poor villages on a 30 Mbit/s beam, 20 Mbit/s each,
    floor 100%: only one fits, two stay uncovered."""
    inst = beam_and_floor(1.0, satellite_only=True)
    result = run_greedy(inst)
    assert not result.feasible
    assert result.unmet == ("group all-poor: floor needs 2 more poor village(s) covered",)
    assert check_decision(inst, result.decision, requirements=False) == []
    with pytest.raises(InfeasibleError, match="greedy heuristic found no plan meeting every requirement") as err:
        greedy(inst)
    assert "group all-poor: floor needs 2 more" in str(err.value)


def test_budget_too_small_for_the_schools():
    """Budget 50: a's fiber (35) fits, then s0 (40 more) does not, so school b
    stays uncovered and the plan stays within budget."""
    inst = backhaul_sharing(budget=50.0)
    result = run_greedy(inst)
    assert not result.feasible
    assert result.unmet == ("village b must be covered (forced technology, school or clinic) but is not",)
    assert result.cost == pytest.approx(35.0)
    assert check_decision(inst, result.decision, requirements=False) == []


def test_min_cost_covers_only_what_the_floor_needs():
    """Floor 0.6 on p, q, r (see test_oracle): greedy needs 2 villages; cheapest
    per village first: p by satellite (10), then q's satellite (15) no longer
    fits the beam, so q by fiber (35). Total 45 = optimum."""
    inst = beam_and_floor(0.6)
    result = run_greedy(inst)
    assert result.feasible
    assert result.decision.technology == {"p": "satellite", "q": "fiber", "r": "none"}
    assert result.cost == pytest.approx(45.0)


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, **SETTINGS)
@given(inst=instances())
def test_greedy_is_feasible_and_never_beats_the_oracle(inst):
    result = run_greedy(inst)
    decision = result.decision
    # budget, beams, allowed technologies and connectivity always hold ...
    assert check_decision(inst, decision, requirements=False) == []
    # ... requirements hold exactly when the greedy says so
    assert (check_decision(inst, decision) == []) == result.feasible, result.unmet
    assert evaluate(inst, decision) == pytest.approx((result.coverage, result.cost), rel=1e-9, abs=1e-9)
    best, _ = brute_force(inst)
    if best is None:
        assert not result.feasible
        return
    if not result.feasible:
        return
    assert verify(inst, decision).ok
    kind = inst.objective.value
    if kind == "max-coverage":
        assert result.coverage <= best + 1e-9 * max(1.0, best)
    elif kind == "min-cost":
        assert result.cost >= best - 1e-9 * max(1.0, best)
    else:
        cov, cost = best
        assert result.coverage <= cov + 1e-9 * max(1.0, cov)
        if result.coverage >= cov - 1e-9 * max(1.0, cov):
            assert result.cost >= cost - 1e-9 * max(1.0, cost)


@settings(max_examples=30, **SETTINGS)
@given(inst=instances(feasible=True, objective="max-coverage", beam_mbps=1000.0))
def test_without_budget_coverage_is_optimal_when_capacity_is_ample(inst):
    """No budget and a beam big enough for everyone (9 x 40 Mbit/s < 1000): each
    village can take its best technology independently, so greedy must reach the optimum."""
    result = run_greedy(inst)
    best, _ = brute_force(inst)
    assert result.coverage == pytest.approx(best, rel=1e-9, abs=1e-9)


@settings(max_examples=30, **SETTINGS)
@given(inst=instances())
def test_greedy_is_deterministic_and_ignores_row_order(inst):
    first = run_greedy(inst)
    assert run_greedy(inst) == first
    shuffled = inst.with_changes(villages=inst.villages.iloc[::-1], sites=inst.sites.iloc[::-1],
                                 edges=inst.edges.iloc[::-1], nodes=inst.nodes.iloc[::-1],
                                 coverage=inst.coverage.iloc[::-1])
    assert run_greedy(shuffled).decision == first.decision


@settings(max_examples=20, **SETTINGS)
@given(inst=instances(budget=True))
def test_budget_override(inst):
    """budget= overrides the instance's; math.inf means none."""
    for budget in (0.0, inst.budget / 2, math.inf):
        result = run_greedy(inst, budget=budget)
        assert check_decision(inst, result.decision, budget=budget, requirements=False) == []
    assert run_greedy(inst, budget=0.0).cost <= 1e-9  # only free options fit


# --------------------------------------------------------------------------- generated instances
generator = pytest.importorskip("allocator.generator", reason="instance generator not available")


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["county", "prefecture"])
def test_greedy_on_generated_instances(preset, tmp_path):
    from allocator.io import load_instance
    path = generator.generate(preset, seed=1, directory=tmp_path / preset)
    inst = load_instance(path)
    start = time.process_time()
    result = run_greedy(inst)
    seconds = time.process_time() - start
    report = verify(inst, result.decision)
    # whatever it leaves unmet, it is only ever a requirement it reports itself
    assert all(v.startswith(("group ", "village ")) for v in report.violations), report.violations
    assert report.ok == result.feasible
    assert check_decision(inst, result.decision, requirements=False) == []
    assert seconds < 30, f"greedy took {seconds:.1f} s of CPU on {len(inst.villages)} villages"


@settings(max_examples=30, **SETTINGS)
@given(inst=instances(feasible=True))
def test_greedy_meets_requirements_when_money_is_no_object(inst):
    """Feasible by construction with no budget (every required village can take
    fiber over a connected graph): greedy must meet every requirement, whatever
    the objective."""
    result = run_greedy(inst)
    assert result.feasible, result.unmet
    assert check_decision(inst, result.decision) == []
