"""summary.json comes from one builder (allocator/solve/summary.py): every solve mode writes the
same keys, and on an instance every mode solves to optimality the same values; ``gap`` is the gap
between the summary's own objective and bound, and ``options.gap`` the gap asked for."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from allocator.analysis.rollout import solve_rollout
from allocator.backends.base import PROOF_GAP, relative_gap
from allocator.io import load_instance
from allocator.plan_io import read_plan, write_plan
from allocator.solve import solve
from allocator.solve.exact_bound import PROBLEM_POSED
from allocator.solve.summary import MODEL_SIZE_KEYS, RUN_KEYS, VERIFIED_KEYS
from allocator.version import __version__

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
MODES = ("exact", "restricted", "decomposed", "decomposed-exact")
TINY = ("tiny-trench", "tiny-4g", "tiny-floor", "tiny-mincost")
#: summary keys whose value is the same whatever the mode, when every mode finds the same optimum
SAME = ("objective_kind", "gap_relative_to", "budget", "budget_measure", "solver", "solver_version",
        "content_hash", "instance", "allocator_version", "currency", "villages_total", "villages_covered",
        "villages_new", "by_technology", "verified")
#: the options every mode records as asked
ASKED = ("objective", "budget", "solver", "time_limit", "gap", "seed")


def close(a, b) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def sense(summary) -> str:
    return "min" if summary["objective_kind"] == "min-cost" else "max"


def solve_all(inst, **options) -> dict:
    return {m: solve(inst, mode=m, threads=1, **options).summary for m in MODES}


@pytest.mark.parametrize("name", TINY)
def test_every_mode_writes_the_same_summary_for_the_same_optimum(name):
    inst = load_instance(INSTANCES / name)
    summaries = solve_all(inst)
    first = summaries["exact"]
    assert first["status"] == "optimal" and close(first["bound"], first["objective"])
    for mode, s in summaries.items():
        missing = [k for k in (*RUN_KEYS, *VERIFIED_KEYS) if k not in s]
        assert missing == [], (mode, missing)
        assert sorted(s["model_size"]) == sorted(MODEL_SIZE_KEYS), mode
        for key in SAME:
            assert s[key] == first[key], (mode, key, s[key], first[key])
        assert close(s["objective"], first["objective"]), (mode, s["objective"], first["objective"])
        # the decomposition's bound may be weaker (an LP): then it says feasible, with that gap
        assert s["gap"] == relative_gap(s["objective"], s["bound"], sense(s)), mode
        assert s["status"] == ("optimal" if s["gap"] <= PROOF_GAP else "feasible"), (mode, s["status"], s["gap"])
        assert s["stages"][0]["status"] in ("optimal", "feasible") and s["bound_source"], mode
        assert close(s["total_cost"], first["total_cost"]), mode
        assert {k: s["options"][k] for k in ASKED} == {k: first["options"][k] for k in ASKED}, mode
        assert s["gap_relative_to"] == PROBLEM_POSED and s["allocator_version"] == __version__
        assert s["content_hash"] == inst.content_hash and s["instance"] == inst.name
        assert s["budget"] == inst.budget and s["objective_kind"] == inst.objective
    assert [s["mode"] for s in summaries.values()] == ["exact", "restricted", "decomposed/restricted",
                                                       "decomposed/exact"]


@pytest.mark.parametrize("name", ("tiny-trench", "tiny-4g"))
def test_the_gap_is_the_summarys_own_and_options_keep_the_gap_asked_for(name):
    """Asked for a 25 % gap, a mode that proves the optimum reports gap 0 and still records 0.25 as
    the option: the monolithic solve used to overwrite ``options.gap`` with the gap it reached."""
    inst = load_instance(INSTANCES / name)
    for mode, s in solve_all(inst, gap=0.25, time_limit=60.0, seed=3).items():
        assert s["options"]["gap"] == 0.25, (mode, s["options"])
        assert s["options"]["time_limit"] == 60.0 and s["options"]["seed"] == 3, mode
        assert s["gap"] == relative_gap(s["objective"], s["bound"], sense(s)), (mode, s["gap"])
        assert s["gap"] <= 0.25 + 1e-12, (mode, s["gap"])
        stage = s["stages"][0]
        assert stage["objective_kind"] == s["objective_kind"] and stage["status"] in ("optimal", "feasible"), mode


def test_a_lexicographic_summary_has_its_cost_stage_in_every_mode():
    inst = load_instance(INSTANCES / "tiny-4g")
    for mode, s in solve_all(inst, objective="lexicographic").items():
        assert s["objective_kind"] == "lexicographic" and s["options"]["objective"] == "lexicographic", mode
        assert close(s["cost_objective"], s["total_cost"]), (mode, s["cost_objective"], s["total_cost"])
        assert {"cost_bound", "cost_gap"} <= set(s), mode
        assert s["stages"][0]["objective_kind"] == "max-coverage", mode


def test_the_summary_survives_its_file(tmp_path):
    """What summary.json holds is what the solve returned (the run keys, written and read back)."""
    inst = load_instance(INSTANCES / "tiny-trench")
    plan = solve(inst, mode="decomposed", threads=1, gap=0.1)
    write_plan(plan, tmp_path / "plan")
    back = read_plan(tmp_path / "plan", inst).summary
    for key in RUN_KEYS:
        got, want = back[key], plan.summary[key]
        if isinstance(want, float):
            assert close(got, want), key
        elif key != "stages":
            assert got == want, key
    assert back["options"]["gap"] == 0.1


def test_the_rollout_summary_has_the_run_keys_and_its_years():
    """A roll-out has one budget per year (``budgets``), no single ``budget``; everything else as a solve."""
    inst = load_instance(INSTANCES / "tiny-trench")
    r = solve_rollout(inst, years=[2018, 2019], budgets=[100.0, 100.0], gap=0.2, seed=1)
    s = r.summary
    assert [k for k in RUN_KEYS if k not in s] == ["budget"]
    assert "budget" not in s["options"] and s["options"]["gap"] == 0.2 and s["options"]["seed"] == 1
    assert s["years"] == [2018, 2019] and s["budgets"] == [100.0, 100.0]
    assert s["bound_source"] and s["verified"] is True
    assert s["gap"] == relative_gap(s["objective"], s["bound"], sense(s))
    # one solve of the same instance gives the same plan-independent keys
    one = solve(inst).summary
    for key in ("budget_measure", "solver", "solver_version", "content_hash", "instance", "allocator_version",
                "gap_relative_to"):
        assert s[key] == one[key], key
