"""County decomposition (allocator/solve/decompose/run.py): every plan verified, never
above its LP bound, the bound never below the true optimum, the monolithic
optimum reached when the budget does not bind, and the same plan every run."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings

from allocator.solve.decompose.run import solve_decomposed
from allocator.solve.decompose.parts import floor_target, partition
from allocator.solve.decompose.repair import repair
from allocator.decision import Decision
from allocator.errors import InfeasibleError, OptionsError, SolverError
from allocator.io import load_instance
from allocator.schema import Objective
from allocator.solve import solve
from allocator.verify import verify

from .builders import base_tables, make_instance_dir
from .oracle import brute_force
from .strategies import instances, multipart_instances
try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOL = 1e-6


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def parts_of(inst) -> list[tuple]:
    return [p.counties for p in partition(inst)]


# --------------------------------------------------------------------------- partition
def test_counties_split_at_the_backbone(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path))
    # c1's villages hang off b0; c2's village off n3 (backbone: v4 has fiber already)
    assert parts_of(inst) == [("c1",), ("c2",)]


def test_a_trench_between_counties_joins_them(tmp_path):
    edges = base_tables()["edges"] + [{"u": "n2", "v": "n4", "length_km": 9.0, "terrain": "hills"}]
    inst = load_instance(make_instance_dir(tmp_path, edges=edges))
    assert parts_of(inst) == [("c1", "c2")]


def test_a_site_covering_two_counties_joins_them(tmp_path):
    sites = base_tables()["sites"]
    coverage = [{"site_id": "s1", "village_id": "v3"}, {"site_id": "s1", "village_id": "v5"}]
    inst = load_instance(make_instance_dir(tmp_path, sites=sites, coverage=coverage))
    assert parts_of(inst) == [("c1", "c2")]


def test_floor_target_rounds_lp_coverage_down():
    assert floor_target(2.9999999, 5) == 3      # LP noise below an integer
    assert floor_target(2.6, 5) == 2
    assert floor_target(7.0, 4) == 4            # never more than the part can reach


# --------------------------------------------------------------------------- properties
def check_against_oracle(inst, mode: str):
    """Solve ``inst`` decomposed and hold every outcome to the brute-force oracle: a plan verifies and
    lies between the exact optimum and the bound of the exact problem; a claim of infeasibility only
    when the oracle agrees; a SolverError claims nothing. Returns the plan or None."""
    expected, _ = brute_force(inst)
    try:
        plan = solve_decomposed(inst, mode=mode, workers=1)
    except InfeasibleError as err:
        assert expected is None, f"claimed infeasible, but the oracle finds {expected}: {err}"
        return None
    except SolverError as err:  # the heuristic may fail, saying so and claiming nothing
        assert "does not prove" in str(err), str(err)
        return None
    assert expected is not None, "a plan for an instance the oracle proves infeasible"
    s = plan.summary
    assert s["verified"] and verify(inst, plan.decision, summary=s).ok
    assert s["gap_relative_to"].startswith("the problem posed")
    truth = expected[0] if isinstance(expected, tuple) else expected
    value, bound = s["objective"], s["bound"]
    if bound is not None:
        if s["objective_kind"] == "min-cost":
            assert bound - TOL * max(1.0, abs(bound)) <= truth <= value + TOL * max(1.0, abs(value)), (bound, truth, value)
        else:
            assert value - TOL <= truth <= bound + TOL * max(1.0, abs(bound)), (value, truth, bound)
    if s["status"] == "optimal":
        assert close(value, truth), (value, truth)
    return plan


@settings(max_examples=examples(25), **SETTINGS)
@given(inst=instances())
def test_plan_verified_and_bound_brackets_the_optimum(inst):
    """Exact routing: decomposed objective <= true optimum <= bound (max; reversed for min-cost)."""
    check_against_oracle(inst, "exact")


@settings(max_examples=examples(20), **SETTINGS)
@given(inst=multipart_instances())
def test_several_parts_bound_brackets_the_optimum_in_both_modes(inst):
    """Several counties sharing a beam, floors across counties: the bound of the exact problem holds
    in both routing modes, and infeasibility is claimed only when the oracle agrees."""
    assert len(partition(inst)) >= 1
    for mode in ("exact", "restricted"):
        check_against_oracle(inst, mode)


@settings(max_examples=examples(15), **SETTINGS)
@given(inst=instances(objective="max-coverage", budget=True))
def test_restricted_plan_never_above_its_bound(inst):
    plan = check_against_oracle(inst, "restricted")
    if plan is None:
        return  # the outcome was checked against the oracle above
    s = plan.summary
    assert s["mode"] == "decomposed/restricted" and s["verified"]
    assert s["objective"] <= s["restricted_bound"] + TOL * max(1.0, abs(s["restricted_bound"]))
    assert s["restricted_bound"] <= s["bound"] + TOL * max(1.0, abs(s["bound"])) or s["bound"] is None
    assert s["total_cost"] <= inst.budget * (1 + 1e-9) + 1e-6
    assert (s["status"] == "optimal") == (s["gap"] is not None and s["gap"] <= 1e-6)


@settings(max_examples=examples(12), **SETTINGS)
@given(inst=instances(objective="max-coverage", feasible=True, beam_mbps=10_000))
def test_without_budget_it_reaches_the_optimum(inst):
    expected, _ = brute_force(inst)
    plan = solve_decomposed(inst, mode="exact", workers=1)
    assert close(plan.objective, expected), (plan.objective, expected)


def test_generous_budget_reaches_the_monolithic_optimum(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path, meta={"budget": 1e9}))
    assert len(partition(inst)) == 2
    mono = solve(inst, mode="exact")
    plan = solve_decomposed(inst, mode="exact", workers=1)
    assert close(plan.objective, mono.objective)
    assert plan.summary["bound"] >= mono.objective - TOL
    assert plan.status == "optimal" and plan.summary["decomposition"]["parts"] == 2


@pytest.mark.parametrize("solver", ["cbc", "scip", "cpsat"])
def test_every_backend_runs_decomposed_mode(tmp_path, solver):
    """The bound's LP goes to HiGHS whatever the MIP solver (CP-SAT solves no LP: it
    used to fail the whole solve); the county MIPs to the solver named."""
    inst = load_instance(make_instance_dir(tmp_path, meta={"budget": 1e9}))
    mono = solve(inst, mode="exact")
    plan = solve_decomposed(inst, mode="exact", solver=solver, workers=1)
    assert close(plan.objective, mono.objective) and plan.status == "optimal"
    assert plan.summary["decomposition"]["lp"]["algorithm"] == "simplex"
    assert plan.summary["solver"] == solver


@settings(max_examples=6, **SETTINGS)
@given(inst=instances(feasible=True))
def test_same_input_and_seed_same_plan(inst):
    def run():
        try:
            return solve_decomposed(inst, workers=1, seed=3)
        except SolverError as err:  # the same failure both times is deterministic too
            return str(err)

    a, b = run(), run()
    if isinstance(a, str):
        assert a == b
    else:
        assert a.decision == b.decision and a.objective == b.objective


def test_worker_processes_change_nothing(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path))
    one = solve_decomposed(inst, workers=1)
    two = solve_decomposed(inst, workers=2)
    assert one.decision == two.decision
    assert one.summary["bound"] == two.summary["bound"]
    assert two.summary["decomposition"]["workers"] == 2


# --------------------------------------------------------------------------- repair, errors, wiring
def test_repair_keeps_the_plan_and_meets_a_missing_floor(tmp_path):
    tables = base_tables()
    for row in tables["villages"]:
        row["school"] = "false"
    inst = load_instance(make_instance_dir(
        tmp_path, villages=tables["villages"],
        meta={"budget": None, "objective": "min-cost", "policy_model": None,
              "policy": {"name": "p", "groups": {"all-poor": {"floor": 0.75}, "deep-poverty": {}},
                         "schools": {"required": False}}}))
    # all-poor: v1, v2, v3, v5 are poor; 0.75 of 4 = 3 must be covered
    start = Decision.empty(inst.villages.index)
    start = Decision({**start.technology, "v5": "satellite"})
    fixed, report = repair(inst, start, budget=None, objective=Objective.MIN_COST)
    assert fixed.technology["v5"] == "satellite"            # kept
    covered = sum(1 for v in ("v1", "v2", "v3", "v5") if fixed.technology[v] != "none")
    assert covered == 3 and report["floor_shortfall_before"] == {"all-poor": 2}
    assert verify(inst, fixed).ok


def test_too_small_budget_is_infeasible_with_a_lower_bound(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path, meta={"budget": 1.0}))
    with pytest.raises(InfeasibleError) as err:
        solve_decomposed(inst, workers=1)
    assert "LP relaxation is infeasible" in str(err.value)
    assert "cost at least" in err.value.explanation


def test_bad_workers_is_an_options_error(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path))
    with pytest.raises(OptionsError, match="workers must be a positive integer"):
        solve_decomposed(inst, workers=0)


def test_solve_dispatches_the_decomposed_modes(tmp_path):
    inst = load_instance(make_instance_dir(tmp_path))
    plan = solve(inst, mode="decomposed", threads=1)
    s = plan.summary
    assert s["mode"] == "decomposed/restricted" and s["verified"]
    assert s["decomposition"]["counties"] == 2
    assert set(s["decomposition"]["stages"]) >= {"partition", "build", "lp", "counties", "repair", "verify"}
    exact = solve(inst, mode="decomposed-exact", threads=1)
    assert exact.summary["mode"] == "decomposed/exact"
    assert exact.summary["decomposition"]["lp"]["shares_from"].startswith("LP of the restricted model")
    with pytest.raises(OptionsError, match="unknown mode 'decomposed-fast'"):
        solve(inst, mode="decomposed-fast")


def test_interior_point_and_simplex_give_the_same_bound(tmp_path, monkeypatch):
    from allocator.solve.decompose import lp

    inst = load_instance(make_instance_dir(tmp_path))
    simplex = solve_decomposed(inst, workers=1)
    monkeypatch.setattr(lp, "IPM_FROM_COLUMNS", 0)  # restricted mode: every LP by IPM
    ipm = solve_decomposed(inst, workers=1)
    assert ipm.summary["decomposition"]["lp"]["raw_status"].startswith("ipm")
    assert close(ipm.summary["bound"], simplex.summary["bound"])
    assert ipm.summary["verified"]


def _three_satellite_villages(**options):
    from .strategies import small_instance

    villages = [{"village_id": f"v{i}", "population": 100.0 * i, "technologies": ("satellite",)}
                for i in (1, 2, 3)]
    return small_instance(villages=villages, nodes={"b": "backbone", "j": "junction"}, edges=[("b", "j", 1.0)],
                          **options)


def test_repair_trims_a_beam_overshoot():
    inst = _three_satellite_villages(beam_mbps=25.0)   # demand 10 each: two fit
    over = Decision({"v1": "satellite", "v2": "satellite", "v3": "satellite"})
    fixed, report = repair(inst, over, budget=None, objective=Objective.MAX_COVERAGE)
    assert report["beams_over_before"] == ["P"] and report["villages_dropped"] == 1
    assert fixed.villages_with("satellite") == ["v2", "v3"]    # the least valuable one goes
    assert verify(inst, fixed).ok and not report["unmet"]


def test_repair_trims_a_budget_overshoot():
    inst = _three_satellite_villages(budget=2_500.0)    # terminals cost 1,000 each: two fit
    over = Decision({"v1": "satellite", "v2": "satellite", "v3": "satellite"})
    fixed, report = repair(inst, over, budget=inst.budget, objective=Objective.MAX_COVERAGE)
    assert report["spend_before"] == 3_000.0 and report["spend_after"] == 2_000.0
    assert fixed.villages_with("satellite") == ["v2", "v3"]
    assert verify(inst, fixed).ok


def test_one_county_is_proven_like_a_monolithic_solve():
    from pathlib import Path

    inst = load_instance(Path(__file__).resolve().parents[1] / "instances" / "county-demo")
    plan = solve_decomposed(inst, workers=1)
    mono = solve(inst, mode="restricted")
    assert plan.summary["decomposition"]["parts"] == 1
    # proven in the restricted model, like the monolithic restricted solve ...
    assert plan.summary["restricted_status"] == "optimal" == mono.summary["restricted_status"]
    assert close(plan.objective, mono.objective)
    # ... and status, bound and gap for the exact problem (routes over the whole graph)
    for p in (plan, mono):
        s = p.summary
        assert s["gap_relative_to"].startswith("the problem posed") and s["bound"] >= s["objective"] - TOL
        assert (s["status"] == "optimal") == (s["gap"] <= 1e-6)
