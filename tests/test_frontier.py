"""Budget frontier: monotone by construction, exact breakpoints, honest gaps; prices of policy."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.errors import CrossedBoundError, OptionsError
from allocator.analysis.frontier import make_monotone, plot_frontier, trace_frontier
try:  # tests/ as a plain folder on sys.path, or as a package
    from whatif_tiny import write_tiny
except ImportError:  # pragma: no cover
    from tests.whatif_tiny import write_tiny


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from allocator.io import load_instance

    path = write_tiny(tmp_path_factory.mktemp("frontier") / "tiny")
    return load_instance(path)


# --------------------------------------------------------------------------- monotone repair
rows_strategy = st.lists(
    st.tuples(st.integers(0, 10_000), st.floats(0, 1e3), st.floats(0, 1e3), st.floats(0, 1e3),
              st.sampled_from(["optimal", "feasible", "infeasible"])),
    min_size=1, max_size=12, unique_by=lambda r: r[0])


@given(rows_strategy)
@settings(max_examples=200, deadline=None)
def test_repaired_frontier_is_monotone_and_bracketed(raw):
    """Rows as honest solves report them around a true non-decreasing frontier f: plans at most f,
    bounds at least f (optimal rows: both equal f)."""
    raw = sorted(raw)
    truth, rows = 0.0, []
    for budget, step, short, extra, status in raw:
        truth += step
        obj = None if status == "infeasible" else truth - (0.0 if status == "optimal" else short)
        bound = None if obj is None else truth + (0.0 if status == "optimal" else extra)
        rows.append({"budget": float(budget), "objective": obj, "bound": bound,
                     "status": status, "cost": 0.0 if obj is not None else None, "message": ""})
    given_status = {r["budget"]: r["status"] for r in rows}
    df = make_monotone(rows)
    assert list(df["budget"]) == sorted(df["budget"])
    ok = df[df["objective"].notna()]
    objs = ok["objective"].astype(float).tolist()
    assert objs == sorted(objs), "a bigger budget must never buy less coverage"
    bounds = ok["bound"].dropna().astype(float).tolist()
    assert bounds == sorted(bounds), "bounds must not decrease with the budget"
    for _, r in ok.iterrows():
        if r["bound"] is not None and not math.isnan(r["bound"]):
            assert float(r["objective"]) <= float(r["bound"]) + 1e-6 * max(1.0, float(r["objective"]))
            closed = float(r["bound"]) - float(r["objective"]) <= 1e-6 * max(abs(float(r["objective"])), 1e-9)
            if r["status"] == "optimal":
                assert closed and given_status[r["budget"]] == "optimal", "never promoted to optimal"


def test_a_bound_below_a_verified_plan_is_an_engine_error_not_a_proof():
    """Issue 10: two feasible points, objective 5, bounds 8 and 4.9: both used to come back optimal."""
    rows = [{"budget": 10.0, "objective": 5.0, "bound": 8.0, "status": "feasible", "cost": 9.0, "message": ""},
            {"budget": 20.0, "objective": 5.0, "bound": 4.9, "status": "feasible", "cost": 9.0, "message": ""}]
    with pytest.raises(CrossedBoundError) as err:
        make_monotone(rows)
    assert err.value.exit_code == 1 and "4.9" in str(err.value) and "5" in str(err.value)


def test_a_gap_closed_by_combining_points_is_noted_not_promoted():
    rows = [{"budget": 10.0, "objective": 5.0, "bound": 8.0, "status": "feasible", "cost": 9.0, "message": ""},
            {"budget": 20.0, "objective": 5.0, "bound": 5.0, "status": "optimal", "cost": 9.0, "message": ""}]
    df = make_monotone(rows).set_index("budget")
    assert df.at[10.0, "gap"] == 0.0 and df.at[10.0, "status"] == "feasible"
    assert "gap closed by combining points" in df.at[10.0, "message"]
    assert df.at[20.0, "status"] == "optimal"


def test_a_worse_solve_at_a_bigger_budget_keeps_the_smaller_budgets_plan():
    rows = [{"budget": 10.0, "objective": 5.0, "bound": 5.0, "status": "optimal", "cost": 9.0, "message": ""},
            {"budget": 20.0, "objective": 4.0, "bound": 7.0, "status": "feasible", "cost": 19.0, "message": ""},
            {"budget": 30.0, "objective": 6.0, "bound": 6.5, "status": "feasible", "cost": 25.0, "message": ""}]
    df = make_monotone(rows).set_index("budget")
    assert df.at[20.0, "objective"] == 5.0 and df.at[20.0, "carried_from"] == 10.0
    assert df.at[20.0, "cost"] == 9.0
    assert "carried from budget 10" in df.at[20.0, "message"]
    # the bound at 30 also bounds 20: 6.5 instead of 7
    assert df.at[20.0, "bound"] == 6.5
    assert df.at[20.0, "gap"] == pytest.approx(1.5 / 5.0)
    assert df.at[30.0, "status"] == "feasible"


# --------------------------------------------------------------------------- exact breakpoints (simulated)
STEPS = [(0.0, 0.0), (1000.0, 3.0), (2500.0, 5.0), (2600.0, 9.0), (7000.0, 10.0)]  # (least budget, coverage)


def _step_solver(instance, budget, objective, options):
    """A lexicographic solver for a known step function: coverage and the least cost reaching it."""
    start, value = max((s for s in STEPS if s[0] <= budget), key=lambda s: s[0])
    return {"budget": budget, "objective": value, "bound": value, "gap": 0.0, "status": "optimal", "cost": start,
            "villages_covered": None, "poor_share": None, "solve_seconds": 0.0, "message": ""}


def test_exact_mode_finds_every_breakpoint_exactly():
    calls = []

    def solver(*a):
        calls.append(a[1])
        return _step_solver(*a)

    f = trace_frontier(None, budget_from=500.0, budget_to=8000.0, exact=True, solve_fn=solver)
    assert f.complete and f.mode == "exact"
    assert f.breakpoints == [1000.0, 2500.0, 2600.0, 7000.0]
    assert len(calls) <= 2 * len(f.breakpoints) + 2
    values = f.points.set_index("budget")["objective"]
    assert values[2600.0] == 9.0 and values[500.0] == 0.0


def test_exact_mode_finds_steps_narrower_than_a_currency_unit():
    """Real-valued costs (TCO): steps at 2500.25 and 2500.75 are both found (probing one unit below
    2500.75 used to jump over 2500.25 and still call the frontier complete)."""
    steps = [(0.0, 0.0), (1000.0, 3.0), (2500.25, 5.0), (2500.75, 9.0), (7000.0, 10.0)]

    def solver(instance, budget, objective, options):
        start, value = max((s for s in steps if s[0] <= budget), key=lambda s: s[0])
        return {"budget": budget, "objective": value, "bound": value, "gap": 0.0, "status": "optimal",
                "cost": start, "villages_covered": None, "poor_share": None, "solve_seconds": 0.0, "message": ""}

    f = trace_frontier(None, budget_from=500.0, budget_to=8000.0, exact=True, solve_fn=solver)
    assert f.complete
    assert f.breakpoints == [1000.0, 2500.25, 2500.75, 7000.0]
    assert any("breakpoints are exact up to" in n for n in f.notes)


def test_exact_mode_gives_up_after_max_solves_and_says_so():
    f = trace_frontier(None, budget_from=500.0, budget_to=8000.0, exact=True, max_solves=3, solve_fn=_step_solver)
    assert not f.complete
    assert any("stopped after 3 solves" in n for n in f.notes)


def test_bad_range_and_points_are_option_errors():
    with pytest.raises(OptionsError, match="bad budget range"):
        trace_frontier(None, budget_from=10.0, budget_to=5.0)
    with pytest.raises(OptionsError, match="at least 2"):
        trace_frontier(None, budget_from=0.0, budget_to=5.0, points=1)


# --------------------------------------------------------------------------- real solves on the tiny instance
def test_sampled_frontier_on_tiny_is_monotone_and_proven(tiny, tmp_path):
    f = trace_frontier(tiny, budget_from=0.0, budget_to=60000.0, points=5, workers=1)
    df = f.points
    # below 14,000 the deep-poverty floor cannot be met
    assert df.iloc[0]["status"] == "infeasible" and df.iloc[0]["objective"] is None or \
        math.isnan(df.iloc[0]["objective"])
    ok = df[df["objective"].notna()]
    assert len(ok) == 4
    assert ok["objective"].astype(float).is_monotonic_increasing
    assert (ok["status"] == "optimal").all() and (ok["gap"].astype(float) <= 1e-6).all()
    assert (ok["cost"].astype(float) <= ok["budget"] + 1e-6).all()
    from allocator.solve import solve
    top = solve(tiny, budget=60000.0)
    assert ok.iloc[-1]["objective"] == pytest.approx(top.summary["objective"])
    plot_frontier(f, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_frontier_cli_writes_table_plot_and_info(tiny, tmp_path, capsys):
    from allocator.cli import main

    inst_dir = write_tiny(tmp_path / "tiny")
    out = tmp_path / "fr"
    assert main(["frontier", str(inst_dir), "--from", "20000", "--to", "60000", "--points", "3", "-o", str(out),
                 "-q", "--jobs", "1"]) == 0
    assert {p.name for p in out.iterdir()} == {".allocator-output", "frontier.csv", "frontier.png", "frontier.json"}
    import pandas as pd
    df = pd.read_csv(out / "frontier.csv")
    assert list(df["budget"]) == [20000.0, 40000.0, 60000.0]
    assert df["objective"].is_monotonic_increasing


# --------------------------------------------------------------------------- prices of policy
def test_floor_price_is_the_cost_difference_of_two_min_cost_solves(tiny):
    from allocator.analysis.prices import _with_floor, floor_prices
    from allocator.solve import solve

    table = floor_prices(tiny, step=0.25, groups=["deep-poverty"], solver="highs").set_index("group")
    row = table.loc["deep-poverty"]
    assert row["villages_at_floor"] == 2 and row["villages_at_floor_minus"] == 1 and row["villages_at_floor_plus"] == 3
    runs = {f: solve(_with_floor(tiny, "deep-poverty", f), objective="min-cost", budget=None).summary
            for f in (0.25, 0.5, 0.75)}
    at = {f: s["objective"] for f, s in runs.items()}
    # the price is an interval from the solves' bounds; it holds the difference of the plans found ...
    for key, diff in (("cost_last_step", at[0.5] - at[0.25]), ("cost_next_step", at[0.75] - at[0.5])):
        assert row[f"{key}_low"] - 1e-6 <= diff <= row[f"{key}_high"] + 1e-6
    # ... and is that difference exactly when every solve is proven optimal
    assert row["proven"] == all(s["status"] == "optimal" for s in runs.values())
    if row["proven"]:
        assert row["cost_last_step"] == pytest.approx(at[0.5] - at[0.25])
    # one more poor village on satellite (7,000 CNY each, the cheapest option in Nujiang)
    assert row["cost_next_step"] == pytest.approx(7000.0)


def test_budget_price_is_the_coverage_difference(tiny):
    from allocator.analysis.prices import budget_price

    p = budget_price(tiny, budget=30000.0, budget_step=5000.0)
    assert p["coverage_minus"] <= p["coverage"] <= p["coverage_plus"]
    assert p["gain_next_step_low"] == pytest.approx(p["coverage_plus"] - p["coverage"])
    assert p["gain_next_per_million"] == pytest.approx((p["coverage_plus"] - p["coverage"]) * 1e6 / 5000.0)
    assert p["proven"]
    with pytest.raises(OptionsError, match="positive"):
        budget_price(tiny, budget=30000.0, budget_step=-1.0)


def test_exact_breakpoints_on_tiny_are_where_coverage_steps_up(tiny):
    """At each breakpoint c the max coverage reaches the point's value, and 1 yuan less does not."""
    from allocator.solve import solve

    f = trace_frontier(tiny, budget_from=14000.0, budget_to=32000.0, exact=True)
    assert f.complete and f.breakpoints, f.notes
    values = f.points.set_index("budget")["objective"]
    assert values.is_monotonic_increasing
    for c in f.breakpoints:
        at = solve(tiny.with_changes(budget=c), objective="max-coverage").summary["objective"]
        below = solve(tiny.with_changes(budget=c - 1.0), objective="max-coverage").summary["objective"]
        assert at == pytest.approx(values[c]) and below < at - 1e-6


def test_a_free_floor_step_names_the_stricter_floor_that_binds(tmp_path):
    """tiny-floor with all-poor at 75% (3 of its 4 poor villages, only 2 outside deep-poverty): lowering
    deep-poverty's 50% floor saves nothing because all-poor already needs one of its villages; the
    price says so instead of a bare "0 CNY"."""
    import shutil
    from pathlib import Path

    from allocator.io import load_instance
    from allocator.analysis.prices import floor_prices, render_prices

    src = Path(__file__).resolve().parents[1] / "instances" / "tiny-floor"
    inst = load_instance(shutil.copytree(src, tmp_path / "tf"),
                         overrides={"policy": {"groups": {"all-poor": {"floor": 0.75}}}})
    table = floor_prices(inst, step=0.5, groups=["deep-poverty"]).set_index("group")
    row = table.loc["deep-poverty"]
    assert row["villages_at_floor_minus"] == 0 and row["villages_at_floor"] == 1
    assert row["cost_last_step"] == pytest.approx(0.0)
    assert "stricter floor" in row["note"] and "'all-poor' (75%) requires at least 1 of them" in row["note"]
    text = render_prices(table.reset_index(), None, "CNY")
    assert "the last step (1 village): 0 CNY" in text and "'all-poor' (75%)" in text


def test_frontier_table_and_messages_read_as_written(tiny, tmp_path, capsys):
    """No scientific notation in the frontier's table; an infeasible budget's message is printed whole
    (it ends with the fix), not cut at a fixed length."""
    from allocator.cli import main

    inst_dir = write_tiny(tmp_path / "tiny")
    assert main(["frontier", str(inst_dir), "--from", "1000", "--to", "2501000", "--points", "2", "-o",
                 str(tmp_path / "fr"), "-q", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "e+" not in out and "2,501,000" in out
    message = next(line for line in out.splitlines() if line.startswith("budget 1,000:"))
    assert message.rstrip().endswith(".") and "smallest sufficient budget" in message
