"""The benchmark harness: regression check, suite definitions, the fixed-tree
baseline on a hand-checkable instance, and the results file schema."""
from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from allocator.errors import OptionsError
from allocator.importers.common import imported_meta, single_county
from allocator.io import load_instance, write_instance
from allocator.verify import verify
from benchmarks import main as bench_main
from benchmarks.baselines import fixed_tree, fixed_tree_routes, parse_cbc_log
from benchmarks.compare import EXIT_REGRESSION, Thresholds, compare_rows
from benchmarks.runner import ROW_FIELDS, plan_runs, score_rows
from benchmarks.suites import (BASELINES, ENGINE_SOLVERS, GENERATOR_PRESETS, SUITES, Suite, generated,
                               get_suite, known_optimum, manifest, steinlib)

needs_external = pytest.mark.external


# --------------------------------------------------------------------------- compare
def _row(**kw) -> dict:
    row = {"case": "b01", "solver": "highs", "mode": "exact", "role": "engine", "status": "optimal",
           "objective": 82.0, "objective_sense": "min", "gap": 0.0, "wall_seconds": 2.0,
           "time_vs_fixed_tree": 2.0, "time_vs_fixed_tree_kind": "=", "time_vs_reference": 10.0,
           "verified": True, "matches_optimum": True, "known_optimum": 82.0}
    row.update(kw)
    return row


def _whats(comparison) -> set[str]:
    return {f.what for f in comparison.regressions}


def test_compare_passes_an_equal_run():
    c = compare_rows([_row()], [_row()])
    assert c.regressions == [] and c.exit_code == 0 and c.matched == 1


def test_compare_flags_a_slower_run_by_the_same_run_ratio():
    # twice as slow relative to the fixed-tree solve of the same session (1 s in both)
    c = compare_rows([_row()], [_row(time_vs_fixed_tree=4.0, wall_seconds=4.0)])
    assert _whats(c) == {"time"} and c.exit_code == EXIT_REGRESSION
    assert "x fixed-tree time" in c.text()


def test_compare_prefers_same_run_ratio_over_absolute_seconds():
    # a slower machine: wall time tripled, but so did the fixed-tree solve -> no regression
    c = compare_rows([_row()], [_row(wall_seconds=6.0, time_vs_fixed_tree=2.1, time_vs_reference=30.0)])
    assert c.regressions == []


def test_compare_times_against_the_reference_solve_when_the_baseline_is_too_quick_to_time():
    # fixed-tree solves of 0.1 s are noise: the machine's reference solve is the yardstick
    quick = dict(time_vs_fixed_tree=20.0, wall_seconds=2.0)
    c = compare_rows([_row(**quick)], [_row(time_vs_fixed_tree=40.0, wall_seconds=2.0, time_vs_reference=10.0)])
    assert c.regressions == []
    c = compare_rows([_row(**quick)], [_row(time_vs_fixed_tree=20.0, wall_seconds=2.0, time_vs_reference=20.0)])
    assert _whats(c) == {"time"} and "x reference solve" in c.text()


def test_compare_ignores_time_noise_below_min_seconds():
    c = compare_rows([_row(wall_seconds=0.1)], [_row(wall_seconds=0.5, time_vs_fixed_tree=10.0)],
                     thresholds=Thresholds(min_seconds=1.0))
    assert c.regressions == []


def test_compare_flags_worse_gap_objective_and_lost_optimality():
    worse_min = _row(status="feasible", objective=83.0, gap=0.012, matches_optimum=False)
    assert _whats(compare_rows([_row()], [worse_min])) == {"status", "gap", "objective", "optimum"}
    # maximisation: a smaller objective is worse, a larger one is not
    base = _row(objective_sense="max", objective=100.0, known_optimum=None, matches_optimum=None)
    assert _whats(compare_rows([base], [dict(base, objective=99.0)])) == {"objective"}
    assert compare_rows([base], [dict(base, objective=101.0)]).regressions == []


def test_compare_flags_a_rejected_plan_and_a_run_that_stopped_solving():
    assert "verified" in _whats(compare_rows([_row()], [_row(verified=False)]))
    feasible = _row(status="feasible", gap=0.01)
    assert _whats(compare_rows([feasible], [_row(status="time_limit", objective=None, gap=None)])) == {"status"}


def test_compare_a_missing_run_fails_unless_a_subset_is_allowed():
    missing = compare_rows([_row(), _row(solver="cbc")], [_row()])
    assert missing.exit_code == EXIT_REGRESSION and _whats(missing) == {"missing"}
    assert compare_rows([_row(), _row(solver="cbc")], [_row()], allow_missing=True).exit_code == 0


def test_compare_an_invalid_bound_fails_whatever_the_baseline_said():
    """bound_valid false: the bound cuts off a published optimum, a false proof (issue 10)."""
    bad = _row(bound_valid=False, known_optimum=100.0, bound=101.0)
    result = compare_rows([_row(bound_valid=False)], [bad])
    assert result.exit_code == EXIT_REGRESSION and "bound" in _whats(result)
    assert "false proof" in result.text()
    assert compare_rows([_row()], [_row(bound_valid=True)]).exit_code == 0


def test_restricted_baseline_reports_its_own_model_and_the_exact_bound():
    from benchmarks.baselines import restricted_baseline

    from .test_claims import triangle

    r = restricted_baseline(triangle("min-cost", None))
    assert r.name == "restricted" and r.status == "optimal"          # optimal for the restricted model ...
    assert r.objective == pytest.approx(20.0) and r.bound == pytest.approx(20.0)
    assert "for the problem posed" in r.message and r.solver == "restricted/highs"   # ... not for the exact one
    none = restricted_baseline(triangle("max-coverage", 15.0))
    assert none.decision is None and none.status == "error" and "does not prove" in none.message


def test_bench_compare_cli_exit_codes(tmp_path, capsys):
    base, same, slow = tmp_path / "base.jsonl", tmp_path / "same.jsonl", tmp_path / "slow.jsonl"
    base.write_text(json.dumps(_row()) + "\n")
    same.write_text(json.dumps(_row()) + "\n")
    slow.write_text(json.dumps(_row(time_vs_fixed_tree=5.0, wall_seconds=5.0)) + "\n")
    assert bench_main(["compare", str(base), str(same)]) == 0
    assert bench_main(["compare", str(base), str(slow)]) == 6
    assert "REGRESSION" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert bench_main(["compare", str(base), str(bad)]) == 2
    assert "line 1" in capsys.readouterr().err


# --------------------------------------------------------------------------- suites
@needs_external
def test_suites_resolve_to_existing_files_with_known_optima():
    for name in SUITES:
        suite = get_suite(name)
        assert suite.cases, name
        assert len({c.name for c in suite.cases}) == len(suite.cases), f"{name}: duplicate case"
        for case in suite.cases:
            if case.kind == "generated":
                assert case.preset in GENERATOR_PRESETS and case.seed is not None
            elif case.kind == "instance":
                assert (case.path() / "instance.toml").is_file(), case.path()
            else:
                assert case.path().is_file(), case.path()
                assert known_optimum(case) == float(manifest()[case.name]["known_optimum"])


@needs_external
def test_standard_and_full_cover_every_family_of_the_issue():
    wanted = {"county", "prefecture", "province", "national", "steinlib-B", "steinlib-C", "steinlib-D",
              "steinlib-I080", "scp4", "scp5", "scp6", "street"}
    assert set(get_suite("standard").family_names()) == wanted
    # SteinLib E joins `full` when the external directory has its files
    has_e = any(re.fullmatch(r"e\d+", name) for name in manifest())
    assert set(get_suite("full").family_names()) == wanted | ({"steinlib-E"} if has_e else set())
    street = [c for c in get_suite("standard").cases if c.family == "street"]
    cologne = [c for c in street if c.kind == "stp"]
    assert len(cologne) == 14 and {manifest()[c.name]["problem"] for c in cologne} == {"rooted_pcstp"}
    # and the shipped instances on OpenStreetMap roads, each a directory of instances/
    osm = [c for c in street if c.kind == "instance"]
    assert {c.name for c in osm} == {"osm-helsinki", "osm-kouvola"} and all(c.path().is_dir() for c in osm)
    assert len(street) == len(cologne) + len(osm)
    # the textbook baseline runs on a sample in standard (minutes per file), on every file in full
    textbook = [c.name for c in cologne if c.skip_reason("fixed-formulation") is None]
    assert 1 <= len(textbook) < 14 and all("full suite" in c.skip_reason("fixed-formulation")
                                           for c in cologne if c.name not in textbook)
    full = get_suite("full")
    assert not any(c.skip for c in full.cases if c.family == "street")
    published = {c.name for c in full.cases if c.kind not in ("generated", "instance")}
    assert published == set(manifest())  # every published file
    smoke = get_suite("smoke")
    assert smoke.solvers == ("highs",) and set(smoke.baselines) == set(BASELINES)


@needs_external
def test_standard_solves_national_by_decomposition_within_its_half_hour():
    standard = get_suite("standard")
    national = [c for c in standard.cases if c.family == "national"]
    assert len(national) == 1
    case = national[0]
    # the monolithic national model does not fit the half hour: the county decomposition does
    assert case.kind == "generated" and case.seed == 1 and case.mode.startswith("decomposed")
    assert case.gap == 0.01 and case.time_limit is not None and case.time_limit <= 600
    assert "national" in standard.description and "decomposed" in standard.description
    # a run the case leaves out says why, and names a solver the suite would otherwise run
    for solver, reason in case.skip:
        assert solver in ENGINE_SOLVERS + BASELINES and reason
    work = {c.name: specs for c, specs in plan_runs(standard, list(ENGINE_SOLVERS))}
    specs = {s.solver: s for s in work[case.name]}
    assert {s for s, spec in specs.items() if spec.skip} == {s for s, _ in case.skip}
    assert all(spec.time_limit == case.time_limit and spec.gap == 0.01 and spec.mode == case.mode
               for spec in specs.values())
    # elsewhere only the textbook baseline is left out (minutes per street file), always with its reason
    others = [(c, spec) for c, cs in plan_runs(standard, list(ENGINE_SOLVERS)) if c is not case for spec in cs
              if spec.skip]
    assert all(spec.solver == "fixed-formulation" and c.family == "street" and spec.skip for c, spec in others)


def test_smoke_suite_runs_in_a_clone_without_the_published_instances(tmp_path, monkeypatch):
    """A clone has no ../shared/external: the smoke suite is then what the project ships
    (instances/ and generator presets), and a shipped case runs to its hand-worked optimum."""
    import benchmarks.suites as suites
    from benchmarks.runner import run_suite

    monkeypatch.setenv("ALLOCATOR_EXTERNAL", str(tmp_path / "absent"))
    monkeypatch.setattr(suites, "_MANIFEST", None)
    smoke = get_suite("smoke")
    assert {c.kind for c in smoke.cases} == {"instance", "generated"}
    assert {"tiny-trench", "county-demo", "county-s3"} <= {c.name for c in smoke.cases}
    with pytest.raises(OptionsError, match="published instances not found"):
        get_suite("standard")
    case = next(c for c in smoke.cases if c.name == "tiny-trench")
    run_suite(replace(smoke, cases=(case,)), tmp_path / "out", plots=False, quiet=True)
    rows = {r["solver"]: r for r in (json.loads(line) for line in
                                     (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert rows["highs"]["status"] == "optimal" and rows["highs"]["objective"] == pytest.approx(82.0)
    assert rows["highs"]["verified"] is True and rows["highs"]["source"] == "instances/tiny-trench"


def test_a_case_can_leave_a_run_out_with_a_reason_unless_it_is_asked_for():
    case = generated("county", [1], gap=0.01, skip={"scip": "too slow here"})[0]
    suite = Suite(name="unit", description="", cases=(case,), time_limit=10.0)
    specs = {s.solver: s for s in plan_runs(suite, ["highs", "scip"])[0][1]}
    assert specs["scip"].skip == "too slow here" and specs["highs"].skip is None
    assert specs["greedy"].skip is None and specs["fixed-tree"].skip is None
    # naming the solver (--solvers scip) runs it anyway
    specs = {s.solver: s for s in plan_runs(suite, ["scip"], named=("scip",))[0][1]}
    assert specs["scip"].skip is None
    assert case.to_dict()["skip"] == {"scip": "too slow here"}
    with pytest.raises(OptionsError):
        generated("county", [1], skip={"gurobi": "not installed"})


@needs_external
def test_a_skipped_run_is_a_row_with_its_reason_and_the_run_stays_complete(tmp_path):
    from benchmarks.runner import run_suite

    case = replace(steinlib("B", [1])[0], skip=(("fixed-tree", "left out on purpose"),))
    suite = Suite(name="unit", description="", cases=(case,), time_limit=30.0, solvers=("highs",))
    meta = run_suite(suite, tmp_path / "out", plots=False, quiet=True)
    rows = {r["solver"]: r for r in (json.loads(line) for line in
                                     (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert rows["fixed-tree"]["status"] == "skipped"
    assert rows["fixed-tree"]["message"] == "not run: left out on purpose"
    assert rows["fixed-tree"]["wall_seconds"] is None and rows["fixed-tree"]["villages"] == 8
    assert rows["highs"]["status"] == "optimal" and rows["greedy"]["status"] == "feasible"
    assert rows["fixed-formulation"]["status"] == "optimal" and rows["fixed-formulation"]["verified"]
    assert rows["fixed-formulation"]["objective"] == known_optimum(case)  # the textbook model proves it too
    assert rows["restricted"]["status"] in ("optimal", "feasible") and rows["restricted"]["role"] == "baseline"
    assert meta["complete"] is True and meta["runs_done"] == 1 + len(BASELINES)
    assert "fixed-tree: skipped: not run: left out on purpose" in (tmp_path / "out" / "results.md").read_text()


def test_an_engine_run_without_a_plan_says_whether_the_clock_stopped_it(monkeypatch):
    import importlib

    from allocator.errors import SolverError
    from benchmarks.runner import RunSpec, _run_engine

    spec = RunSpec("highs", "engine", "decomposed", 480.0, 0.01)
    for text, status in (
        # the decomposition's LP bound stopped by HiGHS's clock
        ("the LP relaxation of the whole model did not finish (ipm: Time limit reached); give it more time "
         "(--time-limit) or use the monolithic --mode restricted", "time_limit"),
        # a solver that cannot solve the LP at all is an error, whatever the advice says
        ("the LP relaxation of the whole model did not finish (not supported); give it more time "
         "(--time-limit) or use the monolithic --mode restricted", "error"),
        ("highs reached the time limit before finding any plan.", "time_limit"),
    ):
        def fail(*args, text=text, **kwargs):
            raise SolverError(text)
        # the module, not the function ``allocator.solve`` that shadows it
        monkeypatch.setattr(importlib.import_module("allocator.solve"), "solve", fail)
        assert _run_engine(None, spec) == {"status": status, "message": text}


# --------------------------------------------------------------------------- fixed-tree baseline
def _hand_instance(tmp_path: Path, *, objective: str, budget: float | None, v2_satellite: float | None):
    """Backbone B; junction J; villages at V1, V2.  Trenches: B-J 10, J-V1 3, J-V2 4, B-V2 15.

    Shortest-path tree from B: V1 by B-J-V1 (13), V2 by B-J-V2 (14, cheaper than B-V2 at 15).
    Sharing B-J, both villages cost 17 in trenches; without sharing, 13 + 14 = 27.
    """
    meta = imported_meta(name="hand", description="hand-checked fixed-tree instance", fmt="test")
    meta["objective"] = objective
    meta["budget"] = budget
    if objective != "min-cost":
        meta["policy"]["groups"] = {"all-poor": {}}  # no floor: the budget decides
    techs = "fiber" if v2_satellite is None else "fiber;satellite"
    villages = pd.DataFrame({
        "village_id": ["v1", "v2"], "county_id": "C", "population": [100.0, 100.0], "poor": True,
        "node": ["V1", "V2"], "demand_mbps": 0.0, "technologies": ["fiber", techs], "fiber_drop_capex": 0.0,
        "satellite_capex": [math.nan, v2_satellite if v2_satellite is not None else math.nan],
        "satellite_opex": [math.nan, 0.0 if v2_satellite is not None else math.nan],
    })
    nodes = pd.DataFrame({"node_id": ["B", "J", "V1", "V2"], "kind": ["backbone", "junction", "village", "village"]})
    edges = pd.DataFrame({"u": ["B", "J", "J", "B"], "v": ["J", "V1", "V2", "V2"], "terrain": "plain",
                          "cost": [10.0, 3.0, 4.0, 15.0]})
    counties = single_county("hand", "test").assign(county_id="C")
    path = write_instance(tmp_path / f"hand-{objective}-{budget}-{v2_satellite}", meta=meta, counties=counties,
                          villages=villages, nodes=nodes, edges=edges)
    return load_instance(path)


def _edge_ids(inst, pairs) -> frozenset:
    e = inst.edges
    return frozenset(eid for eid, u, v in zip(e.index, e["u"], e["v"]) if (u, v) in pairs or (v, u) in pairs)


def test_fixed_tree_prices_each_village_by_its_whole_tree_path(tmp_path):
    inst = _hand_instance(tmp_path, objective="min-cost", budget=None, v2_satellite=12.0)
    routes = fixed_tree_routes(inst)
    assert routes.dist["V1"] == 13.0 and routes.dist["V2"] == 14.0
    result = fixed_tree(inst, time_limit=30)
    # by hand: V1 fiber 13 (B-J-V1); V2 satellite 12 < its unshared path 14  ->  25
    assert result.status == "optimal" and result.objective == pytest.approx(25.0)
    assert dict(result.decision.technology) == {"v1": "fiber", "v2": "satellite"}
    assert result.decision.built_edges == _edge_ids(inst, {("B", "J"), ("J", "V1")})
    report = verify(inst, result.decision)
    assert report.ok, report.violations
    assert report.recomputed["total_cost"] == pytest.approx(25.0)  # the shared optimum would be 17


def test_fixed_tree_under_a_budget_cannot_see_shared_trenches(tmp_path):
    # budget 20: the fixed-tree model thinks the two villages cost 13 + 14 = 27 and covers one;
    # sharing B-J they cost 17 and both fit
    inst = _hand_instance(tmp_path, objective="max-coverage", budget=20.0, v2_satellite=None)
    result = fixed_tree(inst, time_limit=30)
    assert result.status == "optimal" and result.objective == pytest.approx(100.0)
    assert sorted(result.decision.technology.values()) == ["fiber", "none"]
    report = verify(inst, result.decision)
    assert report.ok and report.recomputed["objective"] == pytest.approx(100.0)
    assert report.recomputed["total_cost"] in (pytest.approx(13.0), pytest.approx(14.0))


def test_spanning_tree_routes_differ_from_shortest_paths(tmp_path):
    inst = _hand_instance(tmp_path, objective="min-cost", budget=None, v2_satellite=None)
    # the spanning tree keeps B-J, J-V1, J-V2 (3 + 4 + 10) and drops B-V2 (15): same paths here
    assert fixed_tree_routes(inst, tree="mst").dist == fixed_tree_routes(inst, tree="spt").dist
    result = fixed_tree(inst, tree="mst", time_limit=30)
    assert result.objective == pytest.approx(27.0)  # 13 + 14, counted without sharing
    assert verify(inst, result.decision).recomputed["total_cost"] == pytest.approx(17.0)


def test_cbc_log_parsing_reads_both_bound_labels():
    minimise = "Result - Stopped on time limit\n\nObjective value:                896.00000000\n" \
               "Lower bound:                    885.088\nGap:                            0.01\n"
    maximise = "Result - Stopped on time limit\n\nObjective value:                3747.00000000\n" \
               "Upper bound:                    3785.419\n"
    assert parse_cbc_log(minimise) == {"result": "Stopped on time limit", "objective": 896.0, "bound": 885.088,
                                       "gap": 0.01}
    assert parse_cbc_log(maximise)["bound"] == 3785.419
    assert "bound" not in parse_cbc_log("Result - Optimal solution found\n\nObjective value: 82.0\n")


# --------------------------------------------------------------------------- scoring and the results file
def test_time_ratio_states_which_side_reached_the_gap():
    engine = {"solver": "highs", "role": "engine", "status": "optimal", "gap": 0.0, "gap_limit": 0.0,
              "wall_seconds": 2.0, "objective": 90.0, "objective_kind": "min-cost", "verified_objective": 90.0}
    tree = {"solver": "fixed-tree", "role": "baseline", "status": "feasible", "gap": 0.2, "gap_limit": 0.0,
            "wall_seconds": 8.0, "objective": 120.0, "objective_kind": "min-cost"}
    greedy = {"solver": "greedy", "role": "baseline", "status": "feasible", "wall_seconds": 0.1,
              "objective": 100.0, "objective_kind": "min-cost"}
    rows = score_rows([dict(engine), dict(tree), dict(greedy)], reference_seconds=0.5)
    e = rows[0]
    assert e["time_vs_fixed_tree"] == 0.25 and e["time_vs_fixed_tree_kind"] == "<"
    assert e["objective_vs_greedy"] == 0.9 and e["objective_vs_fixed_tree"] == 0.75
    assert e["objective_sense"] == "min" and e["time_vs_reference"] == 4.0
    # a baseline that proved its own model infeasible did not run out of time: no time ratio
    proved = dict(tree, status="infeasible", gap=None, objective=None)
    e = score_rows([dict(engine), proved], reference_seconds=None)[0]
    assert e["time_vs_fixed_tree"] is None and e["objective_vs_fixed_tree"] is None


@needs_external
def test_results_file_schema(tmp_path):
    from benchmarks.runner import run_suite
    from benchmarks.suites import Suite, steinlib

    suite = Suite(name="unit", description="one tiny case", cases=tuple(steinlib("B", [1])), time_limit=30.0,
                  solvers=("highs",))
    meta = run_suite(suite, tmp_path / "out", plots=False, quiet=True)
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["solver"] for r in rows] == ["highs", *BASELINES]
    for r in rows:
        assert list(r)[:len(ROW_FIELDS)] == list(ROW_FIELDS)
        assert r["case"] == "b01" and r["family"] == "steinlib-B" and r["content_hash"]
        assert r["villages"] == 8 and r["wall_seconds"] > 0 and r["peak_memory_mb"] > 0
        assert r["verified"] is True
    highs = rows[0]
    assert highs["status"] == "optimal" and highs["matches_optimum"] is True and highs["bound_valid"] is True
    assert highs["known_optimum"] == float(manifest()["b01"]["known_optimum"])
    assert highs["variables"] > 0 and highs["objective_vs_greedy"] is not None
    machine = json.loads((tmp_path / "out" / "machine.json").read_text())
    assert machine["complete"] is True and machine["runs_done"] == 1 + len(BASELINES) == meta["runs_done"]
    for key in ("cpu", "cores_usable", "memory_gb", "python", "backends", "reference_solve_seconds"):
        assert machine["machine"][key], key
    md = (tmp_path / "out" / "results.md").read_text()
    assert "| steinlib-B | highs | 1 | 1 |" in md


# --------------------------------------------------------------------------- the textbook model
PC_STP = """33D32945 STP File, STP Format Version 1.0
SECTION Graph
Nodes 5
Edges 5
E 1 2 3
E 2 3 2
E 2 4 4
E 1 5 10
E 4 5 1
END
SECTION Terminals
Terminals 4
RootP 1
TP 3 1.0
TP 4 2
TP 5 20
END
EOF
"""


def test_fixed_formulation_solves_a_prize_collecting_file_and_skips_what_it_cannot_express(tmp_path):
    """Hand-checked optimum (tests/test_solve_published.py): 1-2, 2-4, 4-5 built (8) and
    village 3 on satellite (1): 9. A generated preset (4G, budget) is skipped with its reason."""
    from allocator.generator import generate
    from allocator.importers import import_stp
    from benchmarks.baselines import fixed_formulation

    path = tmp_path / "pc.stp"
    path.write_text(PC_STP)
    inst = load_instance(import_stp(path, tmp_path / "pc"))
    result = fixed_formulation(inst, time_limit=30)
    assert result.status == "optimal" and result.objective == pytest.approx(9.0)
    assert result.bound == pytest.approx(9.0)
    assert result.decision.technology == {"v3": "satellite", "v4": "fiber", "v5": "fiber"}
    report = verify(inst, result.decision)
    assert report.ok and report.recomputed["objective"] == pytest.approx(9.0)
    # 10 arcs less the 2 into the root, the source arc to the backbone, one binary per village
    assert result.model_size["integer_variables"] == 8 + 1 + 3

    county = load_instance(generate("county", seed=1, directory=tmp_path / "county"))
    skipped = fixed_formulation(county, time_limit=5)
    assert skipped.status == "skipped" and skipped.decision is None
    assert "does not apply" in skipped.message


def test_baselines_on_declared_technologies_verify_and_say_what_they_leave_out(tmp_path):
    """A china-2026 instance (5G FWA sites beside the 4G ones, LEO terminals): greedy offers every
    declared technology; the fixed-tree MIP models fiber, 4G and satellite only, never opens a 5G
    site for a 4G village, and says in its message which technologies it did not offer. Both plans
    pass the verifier. The made-up test model (no fiber at all; tvws, orbit-x): the same."""
    import subprocess
    import sys

    from allocator.heuristics.greedy import run_greedy
    from benchmarks.baselines import fixed_formulation, fixed_tree_scope, greedy_baseline

    out = tmp_path / "c26"
    r = subprocess.run([sys.executable, "-m", "allocator", "generate", "tiny", "--seed", "3", "--cost-model",
                        "china-2026", "-o", str(out), "-q"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    inst = load_instance(out)
    assert fixed_tree_scope(inst) == ("fixed-tree models fiber, 4g, satellite only; not offered: 5g-fwa, leo "
                                      "(declared by the cost model)")
    greedy = greedy_baseline(inst)
    assert greedy.status == "feasible" and verify(inst, greedy.decision).ok
    tree = fixed_tree(inst, time_limit=60, threads=1)
    assert tree.decision is not None, tree.message
    assert "not offered: 5g-fwa, leo" in tree.message
    report = verify(inst, tree.decision)
    assert report.ok, report.violations
    assert set(tree.decision.technology.values()) <= {"fiber", "4g", "satellite", "none"}
    assert all(inst.sites.at[s, "technology"] == "4g" for s in tree.decision.opened_sites)
    assert "textbook" in fixed_formulation(inst, time_limit=5).message

    from tests.test_technologies import write_made_up_instance
    made_up = load_instance(write_made_up_instance(tmp_path / "made-up", 1000.0))
    assert "not offered: tvws, orbit-x" in fixed_tree_scope(made_up)
    tree = fixed_tree(made_up, time_limit=60, threads=1)
    assert tree.status == "optimal" and "not offered: tvws, orbit-x" in tree.message
    assert set(tree.decision.technology.values()) <= {"satellite", "none"}
    assert verify(made_up, tree.decision).ok
    # satellite (40 each, no fees) for all five villages fits the budget of 1000: the whole weight
    assert set(tree.decision.technology.values()) == {"satellite"}
    assert verify(made_up, run_greedy(made_up).decision).ok
