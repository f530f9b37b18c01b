"""Bugs met once, kept from coming back."""
from __future__ import annotations

from pathlib import Path

import pytest

from allocator.io import load_instance
from allocator.solve import solve

from .whatif_tiny import write_tiny


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny(tmp_path_factory.mktemp("tiny") / "t")


def test_highs_warm_start_on_a_presolved_model_keeps_a_true_bound(tiny):
    # HiGHS 1.16 reported objective and bound 0 after setSolution on a model presolve empties
    inst = load_instance(tiny, overrides={"policy": {"groups": {"deep-poverty": {"floor": 0.25}}}})
    plan = solve(inst, objective="min-cost")
    reference = solve(inst, objective="min-cost", solver="scip")
    assert plan.status == "optimal" and plan.bound == pytest.approx(plan.objective)
    assert plan.objective == pytest.approx(reference.objective)


def test_a_budget_above_the_instances_own_is_verified_against_the_one_used(tiny):
    inst = load_instance(tiny)
    base = solve(inst)
    richer = solve(inst, budget=inst.budget * 3)
    assert richer.summary["budget"] == inst.budget * 3 and richer.summary["verified"]
    assert richer.objective >= base.objective


def test_max_coverage_keeps_no_idle_site_or_trench():
    # tiny-4g with no budget: coverage is the same with or without an idle site;
    # the plan must not pay for one (it once opened S1 for nobody: 195 instead of 120)
    inst = load_instance(Path(__file__).parents[1] / "instances" / "tiny-4g")
    plan = solve(inst, budget=None)
    assert not [w for w in plan.summary["verifier_warnings"] if "serve no village" in w or "lead to no" in w]
    served = set(plan.decision.site_of.values())
    assert set(plan.decision.opened_sites) <= served
    assert plan.total_cost <= solve(inst, budget=None, warm_start=False).total_cost + 1e-9
