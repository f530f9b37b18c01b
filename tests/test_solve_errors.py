"""What ``solve()`` and ``allocator solve`` say when they cannot give a plan.

Bad options (OptionsError, exit 2), policies no plan can meet (InfeasibleError,
exit 3: the message names the village, the group and its numbers, or the
smallest sufficient budget, worked out by hand below), solver failures
(SolverError, exit 4), and the CLI's streams: the summary on stdout, progress
on stderr, nothing written when there is no plan.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from allocator.analysis import explain
from allocator.backends import SolveResult, Status
from allocator.backends.highs import HighsBackend
from allocator.cli import main
from allocator.errors import InfeasibleError, InputError, OptionsError, SolverError
from allocator.analysis.explain import MinCost, budget_shortfall_text
from allocator.io import load_instance
from allocator.solve import solve
from allocator.solve.monolithic import _raise_without_solution

from .strategies import small_instance

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "instances"
#: a backbone and one trench, for instances whose villages need no fiber
NET = dict(nodes={"r": "backbone", "n1": "village"}, edges=[("r", "n1", 50.0)])


@pytest.fixture(scope="module")
def trench():
    return load_instance(TINY / "tiny-trench")


@pytest.fixture(scope="module")
def floor():
    return load_instance(TINY / "tiny-floor")


def one_line(err) -> str:
    return " ".join(str(err).split())


# --------------------------------------------------------------------------- bad options
@pytest.mark.parametrize("options, words", [
    (dict(objective="max-profit"), ["unknown objective 'max-profit'", "max-coverage", "min-cost", "lexicographic"]),
    (dict(solver="gurobi"), ["unknown solver 'gurobi'", "highs"]),
    (dict(mode="fast"), ["unknown mode 'fast'", "exact", "restricted"]),
    (dict(time_limit=-1), ["time limit must be a positive number of seconds, got -1"]),
    (dict(time_limit=0), ["time limit must be a positive number of seconds, got 0"]),
    (dict(time_limit=math.inf), ["time limit must be a positive number of seconds, got inf"]),
    (dict(gap=1.0), ["gap must be a fraction in [0, 1), got 1.0"]),
    (dict(gap=-0.01), ["gap must be a fraction in [0, 1), got -0.01"]),
    (dict(gap=5), ["gap must be a fraction in [0, 1), got 5"]),
    (dict(budget=-5.0), ["budget must be a non-negative number, got -5.0"]),
    (dict(budget=math.nan), ["budget must be a non-negative number, got nan"]),
    (dict(budget=1e308), ["budget must be a non-negative number, got 1e+308 (allowed: [0, 1,000,000,000,000,000] "
                          "currency)"]),
    (dict(threads=0), ["threads must be a positive integer, got 0"]),
], ids=lambda v: "-".join(v) if isinstance(v, dict) else None)
def test_bad_option_is_an_options_error_naming_it(trench, options, words):
    with pytest.raises(OptionsError) as info:
        solve(trench, **options)
    assert isinstance(info.value, InputError) and info.value.exit_code == 2
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# --------------------------------------------------------------------------- no plan: found before solving
def test_school_no_technology_can_serve_names_the_village():
    # the school needs 20 Mbit/s; its only technology, satellite, delivers 12
    inst = small_instance(villages=[{"village_id": "shancun", "school": True, "technologies": ("satellite",)},
                                    {"village_id": "other"}],
                          policy={"schools": {"required": True, "min_mbps": 20.0}}, **NET)
    with pytest.raises(InfeasibleError) as info:
        solve(inst)
    text = one_line(info.value)
    assert "village shancun has a school and must be covered" in text
    assert "none of its technologies (satellite) can serve it" in text
    assert info.value.exit_code == 3 and info.value.min_budget is None


def _floor_case(floor_share: float):
    # group deep-poverty (county c1) has 3 registered poor villages: d already has 4G, b can take a
    # satellite, a cannot (its 2,000 Mbit/s demand exceeds the 1,000 Mbit/s beam): at most 2 of 3
    return small_instance(
        villages=[{"village_id": "a", "technologies": ("satellite",), "demand_mbps": 2000.0},
                  {"village_id": "b", "satellite_capex": 5.0},
                  {"village_id": "d", "existing": "4g"},
                  {"village_id": "x", "county_id": "c2", "satellite_capex": 5.0}],
        policy={"groups": {"deep-poverty": {"priority": 1.0, "floor": floor_share}}}, **NET)


def test_floor_beyond_reach_names_group_numbers_and_highest_floor():
    with pytest.raises(InfeasibleError) as info:
        solve(_floor_case(1.0))
    text = one_line(info.value)
    assert "group 'deep-poverty': the floor of 100% needs 3 of its 3 registered poor villages covered" in text
    assert "1 already is and only 1 more can be reached" in text
    # 2/3 rounded *down*: 66.67% would still ask for ceil(0.6667 x 3) = 3 villages
    assert "lower the floor to at most 66.66%" in text


def test_the_highest_floor_given_is_feasible_and_one_step_more_is_not():
    plan = solve(_floor_case(0.6666))
    assert plan.status == "optimal"
    assert bool(plan.groups.loc["deep-poverty", "met"])
    with pytest.raises(InfeasibleError, match="deep-poverty"):
        solve(_floor_case(0.6667))


def test_forced_technology_that_cannot_reach_a_village():
    # county c1 is forced to fiber; village a has no network node
    inst = small_instance(villages=[{"village_id": "a"}, {"village_id": "b", "county_id": "c2"}],
                          policy={"rules": [{"scope": "county", "value": "c1", "technology": "fiber",
                                             "action": "force"}]}, **NET)
    with pytest.raises(InfeasibleError) as info:
        solve(inst)
    assert "village a is forced to use fiber by a policy rule, but fiber cannot reach it" in one_line(info.value)


# --------------------------------------------------------------------------- no plan within the budget
@pytest.mark.parametrize("objective", ["max-coverage", "min-cost", "lexicographic"])
def test_budget_below_the_floors_gives_the_smallest_sufficient_budget(trench, objective):
    # tiny-trench requires all three villages; their cheapest plan costs 82 (instances/README.md)
    with pytest.raises(InfeasibleError) as info:
        solve(trench, objective=objective, budget=60.0)
    err = info.value
    assert err.min_budget == pytest.approx(82.0)
    text = one_line(err)
    assert "within the budget" in text
    assert "costs 82 CNY; the budget is 60 CNY" in text
    assert "The smallest sufficient budget is 82 CNY: raise the budget by 22 CNY" in text
    # the one floor is the whole cost: no breakdown repeating it
    assert "on its own" not in text


def test_smallest_budget_suffices_and_one_less_does_not(floor):
    # tiny-floor: the floor needs one of A1/A2, one satellite at 30 (README "Variants")
    with pytest.raises(InfeasibleError) as info:
        solve(floor, budget=29.0)
    assert info.value.min_budget == pytest.approx(30.0)
    plan = solve(floor, budget=info.value.min_budget)
    assert plan.status == "optimal" and plan.objective == pytest.approx(20.0)  # A2 (population 20)


def _two_floors(budget: float):
    # satellite-only villages, prices on the rows; a school at e (not poor) must be covered too.
    #   deep-poverty (c1: a 10, b 20) floor 100%       -> a + b          = 30
    #   all-poor (a, b, c 30, d 40) floor 75% = 3 of 4  -> a + b + c      = 60
    #   school e                                        -> 5
    # alone with the school: 5 (no floor), 35 (deep-poverty), 65 (all-poor); together 65
    sat = ("satellite",)
    return small_instance(
        villages=[{"village_id": "a", "technologies": sat, "satellite_capex": 10.0},
                  {"village_id": "b", "technologies": sat, "satellite_capex": 20.0},
                  {"village_id": "c", "county_id": "c2", "technologies": sat, "satellite_capex": 30.0},
                  {"village_id": "d", "county_id": "c2", "technologies": sat, "satellite_capex": 40.0},
                  {"village_id": "e", "county_id": "c2", "technologies": sat, "satellite_capex": 5.0,
                   "poor": False, "school": True}],
        policy={"schools": {"required": True, "min_mbps": 0.0},
                "groups": {"deep-poverty": {"priority": 1.0, "floor": 1.0}, "all-poor": {"floor": 0.75}}},
        budget=budget, **NET)


def test_each_floor_is_costed_on_its_own():
    with pytest.raises(InfeasibleError) as info:
        solve(_two_floors(50.0))
    err = info.value
    assert err.min_budget == pytest.approx(65.0)
    lines = str(err).splitlines()
    text = "\n".join(lines)
    assert "The smallest sufficient budget is 65 CNY: raise the budget by 15 CNY" in text
    head = next(i for i, line in enumerate(lines) if line.startswith("Cheapest cost of each requirement on its own"))
    assert "(with the schools, clinics and forced technologies)" in lines[head]
    # costliest first; all-poor alone is over the budget of 50, deep-poverty is not; the school last
    assert lines[head + 1] == ("  - floor of group 'all-poor' (75%: 3 of its 4 registered poor villages, 0 already "
                               "connected): 65 CNY (60 CNY more than the required villages alone) - more than the "
                               "budget on its own")
    assert lines[head + 2] == ("  - floor of group 'deep-poverty' (100%: 2 of its 2 registered poor villages, 0 "
                               "already connected): 35 CNY (30 CNY more than the required villages alone)")
    assert lines[head + 3] == "  - schools, clinics and forced technologies only, no floor (1 village must be " \
                              "covered): 5 CNY"
    assert "The floor of group 'all-poor' drives the cost." in text
    assert "not proven" not in text


def test_required_villages_over_the_budget_are_blamed_not_the_floors():
    # the school alone costs 5 > 4: no floor can be lowered enough
    with pytest.raises(InfeasibleError) as info:
        solve(_two_floors(4.0))
    text = one_line(info.value)
    assert info.value.min_budget == pytest.approx(65.0)
    assert "raise the budget by 61 CNY." in text and "or lower the floors" not in text
    assert "no floor (1 village must be covered): 5 CNY - more than the budget on its own" in text
    assert "already cost more than the budget on their own: lowering the floors cannot help" in text


def test_unproven_costs_are_labelled_and_give_no_min_budget(monkeypatch):
    # every explanation re-solve stops with a gap: the minimum lies in [60, 70]
    monkeypatch.setattr(explain._Solver, "_solve", lambda self, floors, extra, target: MinCost("range", 70.0, 60.0))
    monkeypatch.setattr(explain, "_CACHE", explain.OrderedDict())
    with pytest.raises(InfeasibleError) as info:
        solve(_two_floors(50.0))
    assert info.value.min_budget is None
    text = one_line(info.value)
    assert "The smallest sufficient budget lies between 60 CNY and 70 CNY: a budget of 70 CNY is enough" in text
    assert "between 60 CNY and 70 CNY (not proven optimal in the time allowed) - more than the budget" in text
    assert "drives the cost" not in text  # not proven, so not claimed


def test_shortfall_text_when_nothing_was_found_in_time():
    text = budget_shortfall_text(MinCost("unknown", None, 1_500_000.0), 1_000_000.0, "CNY")
    assert "could not be computed in the time left" in text
    assert "It is at least 1,500,000 CNY" in text and "--time-limit" in text


# --------------------------------------------------------------------------- no plan whatever the budget
def test_floors_that_cannot_be_met_together_are_named():
    # beam of 20 Mbit/s; every village only satellite: a (c1) asks 20, c and d (c2) 10 each.
    # deep-poverty 100% needs a (20: the whole beam); all-poor 60% needs 2 of 3 (c + d fit);
    # together a + one more = 30 > 20. No budget: money cannot help.
    sat = ("satellite",)
    inst = small_instance(
        villages=[{"village_id": "a", "technologies": sat, "demand_mbps": 20.0, "satellite_capex": 5.0},
                  {"village_id": "c", "county_id": "c2", "technologies": sat, "demand_mbps": 10.0},
                  {"village_id": "d", "county_id": "c2", "technologies": sat, "demand_mbps": 10.0}],
        beam_mbps=20.0, policy={"groups": {"deep-poverty": {"priority": 1.0, "floor": 1.0},
                                           "all-poor": {"floor": 0.6}}}, **NET)
    with pytest.raises(InfeasibleError) as info:
        solve(inst)
    err = info.value
    assert err.min_budget is None
    text = one_line(err)
    assert "whatever the budget" in text and "Even with unlimited money there is no plan" in text
    assert "The floors of groups 'all-poor' (60%) and 'deep-poverty' (100%) can each be met on its own, " \
           "but not together" in text
    assert "beam P holds 20 Mbit/s, and the 3 villages only satellite can serve there ask for 40 Mbit/s" in text


def test_floor_beyond_beam_capacity_gives_the_highest_floor():
    # three satellite-only villages of 10 Mbit/s on a 20 Mbit/s beam: at most 2 of 3 (66.66%)
    sat = ("satellite",)
    villages = [{"village_id": v, "technologies": sat, "demand_mbps": 10.0} for v in ("a", "b", "c")]
    inst = small_instance(villages=villages, beam_mbps=20.0,
                          policy={"groups": {"deep-poverty": {"priority": 1.0, "floor": 1.0}}}, **NET)
    with pytest.raises(InfeasibleError) as info:
        solve(inst, budget=None)
    text = one_line(info.value)
    assert "The floor of group 'deep-poverty' (100%: 3 of its 3 registered poor villages, 0 already connected) " \
           "cannot be met even on its own: at most 2 of the 3 can be covered at once; lower the floor to at " \
           "most 66.66%" in text
    # with a budget the budget is not blamed: money cannot help
    with pytest.raises(InfeasibleError) as info:
        solve(inst, budget=1e9)
    assert info.value.min_budget is None and "whatever the budget" in str(info.value)


# --------------------------------------------------------------------------- solver failures
def _result(status: Status, bound=None, message="") -> SolveResult:
    return SolveResult(status, None, None, bound, None, "highs", "test", 1.0, raw_status="fabricated",
                       message=message)


def test_time_limit_without_a_solution_is_a_solver_error(trench):
    with pytest.raises(SolverError) as info:
        _raise_without_solution(_result(Status.NO_SOLUTION, bound=123.5), trench, None, None, "highs",
                                lambda: None, "exact")
    text = str(info.value)
    assert info.value.exit_code == 4
    assert "highs reached the time limit before finding any plan (best bound so far: 123.5)" in text
    assert "--time-limit" in text and "--mode restricted" in text
    with pytest.raises(SolverError) as info:  # no bound at all: none is printed
        _raise_without_solution(_result(Status.NO_SOLUTION), trench, None, None, "highs", lambda: None, "exact")
    assert "bound" not in str(info.value)


def test_a_real_time_limit_without_a_plan():
    # county-demo (11,000 columns, floors of 98% and 90%) with 0.05 s and no greedy start: model
    # building uses the time up, and the solver gets the 0.05 s minimum, far too little to find a plan
    demo = TINY / "county-demo"
    if not (demo / "instance.toml").is_file():
        pytest.skip("instances/county-demo is absent")
    with pytest.raises(SolverError) as info:
        solve(load_instance(demo), time_limit=0.05, warm_start=False)
    assert info.value.exit_code == 4
    assert "highs reached the time limit before finding any plan" in str(info.value)


def test_solver_crash_is_a_solver_error(trench):
    with pytest.raises(SolverError) as info:
        _raise_without_solution(_result(Status.ERROR, message="numerical trouble"), trench, None, None, "highs",
                                lambda: None, "exact")
    assert "highs failed: numerical trouble" in str(info.value) and "--solver" in str(info.value)


@pytest.fixture
def highs_gives_up(monkeypatch):
    """HiGHS stops at once with no solution (a time limit reached before the first plan)."""
    def stop(self, model, options, warm_start=None):
        return _result(Status.NO_SOLUTION, bound=-math.inf)
    monkeypatch.setattr(HighsBackend, "solve", stop)


def test_solve_raises_solver_error_when_the_backend_finds_nothing(trench, highs_gives_up):
    with pytest.raises(SolverError, match="reached the time limit before finding any plan"):
        solve(trench, time_limit=5, warm_start=False)


def test_a_backend_that_finds_nothing_leaves_the_plan_it_was_started_from(trench, highs_gives_up):
    # the greedy start is a verified plan: returned as feasible, with the best bound known (the
    # root phase's cut LP, 82 = tiny-trench's optimum; the failing solver had none)
    plan = solve(trench, time_limit=5)
    assert plan.status == "feasible" and plan.summary["bound"] == pytest.approx(82.0)
    assert plan.objective > 82.0 and plan.summary["gap"] == pytest.approx((plan.objective - 82.0) / plan.objective)
    assert plan.summary["plan_from"] == "the warm start (the solver found none)"
    assert plan.summary["verified"] is True


# --------------------------------------------------------------------------- the CLI, in process
def test_cli_exit_0_writes_plan_and_summary(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["solve", str(TINY / "tiny-trench"), "-o", str(out)]) == 0
    std = capsys.readouterr()
    assert "tiny-trench: OPTIMAL" in std.out and "objective min-cost: 82.00" in std.out
    assert f"plan written to {out}" in std.out
    assert (out / "summary.json").is_file() and (out / "villages.csv").is_file()
    assert "  group all-poor: 100.0% of 3 registered poor villages covered (floor 100%)" in std.out
    assert "loaded tiny-trench" in std.err and "optimal: objective 82" in std.err


def test_cli_summary_of_a_lexicographic_solve(capsys):
    # instances/README.md "Variants": tiny-4g at budget 110 covers all four (650) for 100
    assert main(["solve", str(TINY / "tiny-4g"), "--objective", "lexicographic", "--budget", "110", "-q"]) == 0
    out = capsys.readouterr().out
    assert "objective lexicographic: 650.00   bound 650.00" in out
    assert "then least cost at that coverage: 100.00" in out
    assert "cost (capex): 100 CNY of budget 110 CNY" in out
    assert "villages covered 4 of 4; new: 4g 3, satellite 1" in out


@pytest.mark.parametrize("argv, words", [
    (["--gap", "1.5"], ["gap must be a fraction in [0, 1), got 1.5"]),
    (["--solver", "gurobi"], ["unknown solver 'gurobi'"]),
    (["--time-limit", "-3"], ["time limit must be a positive number of seconds, got -3.0"]),
    (["--budget", "-1"], ["budget must be a non-negative number, got -1.0"]),
])
def test_cli_exit_2_for_bad_options(tmp_path, capsys, argv, words):
    out = tmp_path / "plan"
    assert main(["solve", str(TINY / "tiny-trench"), "-o", str(out), *argv]) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err
    assert not out.exists()


@pytest.mark.parametrize("argv, word", [
    (["--objective", "max-profit"], "invalid choice: 'max-profit'"),
    (["--mode", "fast"], "invalid choice: 'fast'"),
    (["--budget", "lots"], "not a number: 'lots'"),
])
def test_cli_argument_errors_exit_2(capsys, argv, word):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(TINY / "tiny-trench"), *argv])
    assert info.value.code == 2
    assert word in capsys.readouterr().err


def test_cli_exit_2_for_a_missing_instance(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "nowhere"), "-o", str(tmp_path / "plan")]) == 2
    assert "instance directory not found" in capsys.readouterr().err
    assert not (tmp_path / "plan").exists()


def test_cli_exit_3_infeasible_writes_nothing(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["solve", str(TINY / "tiny-trench"), "--budget", "60", "-o", str(out)]) == 3
    std = capsys.readouterr()
    assert std.out == ""
    assert "The smallest sufficient budget is 82 CNY" in std.err
    assert not out.exists()


def test_cli_exit_4_solver_failure_writes_nothing(tmp_path, capsys, highs_gives_up):
    out = tmp_path / "plan"
    assert main(["solve", str(TINY / "tiny-trench"), "-o", str(out), "-q", "--no-warm-start"]) == 4
    assert "reached the time limit before finding any plan" in capsys.readouterr().err
    assert not out.exists()


def test_cli_budget_none_and_quiet(capsys):
    # tiny-4g without its budget of 72: every village is covered (650)
    assert main(["solve", str(TINY / "tiny-4g"), "--budget", "none", "--quiet"]) == 0
    std = capsys.readouterr()
    assert std.err == ""
    assert "objective max-coverage: 650.00" in std.out and "(no budget)" in std.out


# --------------------------------------------------------------------------- the CLI, as a user runs it
def _run(*argv) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "allocator", "solve", *map(str, argv)], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=300)


def test_subprocess_streams_and_exit_codes(tmp_path):
    ok = _run(TINY / "tiny-4g", "-o", tmp_path / "plan")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("tiny-4g: OPTIMAL")
    assert "objective max-coverage: 600.00" in ok.stdout and "of budget 72 CNY" in ok.stdout
    # progress goes to stderr, one timestamped line per step
    assert "loaded tiny-4g" in ok.stderr and "solving with highs" in ok.stderr
    assert all(line.startswith("[") for line in ok.stderr.splitlines())
    assert (tmp_path / "plan" / "summary.json").is_file()

    bad = _run(TINY / "tiny-4g", "--objective", "min-cost", "--budget", "-1", "-o", tmp_path / "bad")
    assert bad.returncode == 2 and bad.stdout == "" and "budget must be a non-negative number" in bad.stderr

    none = _run(TINY / "tiny-trench", "--budget", "60", "-q", "-o", tmp_path / "none")
    assert none.returncode == 3 and none.stdout == ""
    assert none.stderr.startswith("allocator solve: no plan meets the floors and required facilities "
                                  "within the budget.")
    assert not (tmp_path / "bad").exists() and not (tmp_path / "none").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]
