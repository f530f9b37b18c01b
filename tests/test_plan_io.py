"""Plan assembly, plan directories and `allocator verify` on written and hand-edited plans."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest

try:  # tests/ as a plain directory or as a package
    from builders import make_instance_dir, replace_in_file
    from test_verify import make_tiny_dir, tech, valid_decision
except ImportError:
    from tests.builders import make_instance_dir, replace_in_file
    from tests.test_verify import make_tiny_dir, tech, valid_decision
from allocator.cli import main
from allocator.decision import Decision
from allocator.errors import InputError
from allocator.io import load_instance
from allocator.plan_build import assemble, totals
from allocator.plan_io import read_plan, write_plan
from allocator.verify import verify

TOTAL_FILES = [f"totals_by_{by}.csv" for by in ("technology", "county", "province", "prefecture", "group")]
SOLVER_KEYS = {"status": "optimal", "objective": 82.0, "bound": 82.0, "gap": 0.0, "solver": "highs",
               "solver_version": "1.16", "mode": "exact", "build_seconds": 0.01, "solve_seconds": 0.02,
               "options": {"time_limit": None, "gap": 0.0, "seed": 0}}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return make_tiny_dir(tmp_path_factory.mktemp("plan_io"))


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return load_instance(tiny_dir)


def rich_decision() -> Decision:
    """Every kind of decision: fiber over a shared trench, a fiber-backhauled site, a wasted
    trench, a microwave site, satellite."""
    return valid_decision(built_edges=frozenset({0, 1, 2, 3, 4, 5}), site_of={"V4": "S1", "V6": "S2"},
                          technology=tech(V6="4g"), opened_sites={"S1": "fiber", "S2": "microwave"})


# --------------------------------------------------------------------------- assemble
def test_assemble_tables_agree_with_the_verifier(tiny):
    plan = assemble(tiny, rich_decision(), dict(SOLVER_KEYS))
    report = verify(tiny, plan.decision)
    assert report.ok, report.violations
    s = plan.summary
    for key in ("total_cost", "total_capex", "total_opex", "total_tco"):
        assert s[key] == pytest.approx(report.recomputed[key])
    assert s["villages_covered"] == report.recomputed["villages_covered"] == 6
    assert {t: s["by_technology"][t]["villages"] for t in s["by_technology"]} == report.recomputed["by_technology"]
    # solver keys are kept as given, instance keys filled
    assert {k: s[k] for k in SOLVER_KEYS} == SOLVER_KEYS
    assert s["content_hash"] == tiny.content_hash and s["instance"] == "tiny" and s["budget_measure"] == "capex"

    v = plan.villages
    assert v.loc["V3", "route"] == "B>J>N2>N3"
    assert v.loc["V1", "route"] == "B>J>N1"
    assert v.loc["V4", "site_id"] == "S1" and v.loc["V1", "site_id"] == ""
    assert v.loc["V5", "technology"] == "none" and bool(v.loc["V5", "covered"])
    assert v.loc["V1", "cost"] == tiny.villages.loc["V1", "fiber_capex"]  # its own cost: the drop
    assert v.loc["V4", "cost"] == 0.0  # 4G: the site's cost is in the sites table
    assert list(plan.edges.index) == [0, 1, 2, 3, 4, 5]
    assert plan.edges.loc[0, "served"] == 4  # V1, V2, V3 and site S1 all route through B-J
    assert plan.edges.loc[5, "served"] == 0  # dead end
    assert plan.sites.loc["S1", "backhaul"] == "fiber" and plan.sites.loc["S2", "backhaul_capex"] > 0
    assert plan.sites.loc["S1", "backhaul_capex"] == 0.0
    assert plan.beams.loc["P2", "used_mbps"] == 0.0 and plan.beams.loc["P1", "capacity_mbps"] == 100.0
    assert plan.groups.loc["all-poor", "poor_villages"] == 5 and bool(plan.groups.loc["all-poor", "met"])


@pytest.mark.parametrize("by", ["technology", "county", "province", "prefecture"])
def test_totals_add_up_to_the_total_cost(tiny, by):
    plan = assemble(tiny, rich_decision(), {})
    t = totals(plan, by)
    assert t["cost"].sum() == pytest.approx(plan.summary["total_cost"])
    assert t["villages"].sum() == len(tiny.villages)
    assert t["people"].sum() == pytest.approx(tiny.villages["population"].sum())
    # the dead-end trench (edge 5) serves nobody
    assert t.loc["(unattributed)", "cost"] == pytest.approx(plan.edges.loc[5, "cost"])


def test_shared_costs_are_split_along_routes(tiny):
    plan = assemble(tiny, rich_decision(), {})
    e = plan.edges["cost"]
    v = plan.villages["shared_cost"]
    # B-J is shared by 4 terminals, J-N2 by V2 and V3, N2-N3 by V3 alone
    assert v["V3"] == pytest.approx(e[0] / 4 + e[2] / 2 + e[3])
    site = plan.sites.loc["S1"]
    assert site["shared_cost"] == pytest.approx(e[0] / 4 + e[4])
    assert v["V4"] == pytest.approx(site["cost"] + site["shared_cost"])  # S1 serves V4 alone


def test_totals_by_group_and_unknown_key(tiny):
    plan = assemble(tiny, rich_decision(), {})
    t = totals(plan, "group")
    assert list(t.index) == ["all-poor", "deep-poverty"]
    assert t.loc["deep-poverty", "villages"] == 3 and t.loc["all-poor", "villages"] == 5
    with pytest.raises(ValueError, match="totals by 'village'"):
        totals(plan, "village")


# --------------------------------------------------------------------------- write / read
def test_round_trip_preserves_decision_and_summary(tiny, tmp_path):
    plan = assemble(tiny, rich_decision(), dict(SOLVER_KEYS, gap=float("nan"), note="北京"))
    out = write_plan(plan, tmp_path / "plan")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([".allocator-output", "villages.csv", "edges.csv", "sites.csv", "beams.csv",
                            "groups.csv", "summary.json", *TOTAL_FILES])
    text = (out / "summary.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["gap"] is None and data["note"] == "北京" and isinstance(data["total_cost"], float)
    back = read_plan(out, tiny)
    d0, d1 = plan.decision, back.decision
    assert dict(d1.technology) == dict(d0.technology)
    assert dict(d1.site_of) == dict(d0.site_of)
    assert d1.built_edges == d0.built_edges
    assert dict(d1.opened_sites) == dict(d0.opened_sites)
    expected = json.loads(json.dumps(plan.summary, default=str).replace("NaN", "null"))
    assert back.summary == expected
    pd.testing.assert_frame_equal(back.villages, plan.villages)
    pd.testing.assert_frame_equal(back.sites, plan.sites)


def test_write_is_atomic(tiny, tmp_path, monkeypatch):
    target = write_plan(assemble(tiny, valid_decision(), {}), tmp_path / "plan")
    before = (target / "summary.json").read_text(encoding="utf-8")
    to_csv, calls = pd.DataFrame.to_csv, []

    def fill_the_disk(self, *args, **kwargs):  # three tables are written, then the disk is full
        calls.append(1)
        if len(calls) > 3:
            raise OSError("disk full")
        return to_csv(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_the_disk)
    with pytest.raises(OSError, match="disk full"):
        write_plan(assemble(tiny, rich_decision(), {}), target)
    assert (target / "summary.json").read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def edit_cell(path, row_id: str, column: str, value: str) -> None:
    """Change one cell of a plan CSV the way a spreadsheet user would (the rest stays as written)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(column)
    [row] = [r for r in rows[1:] if r[0] == row_id]
    row[col] = value
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def written(tiny, tmp_path, decision=None, summary=None):
    plan = assemble(tiny, decision or valid_decision(), dict(summary or {"objective": 82.0, "status": "optimal"}))
    return write_plan(plan, tmp_path / "plan")


# --------------------------------------------------------------------------- hand-edited plans
def test_hand_edited_plan_switched_to_satellite_is_verified(tiny, tmp_path):
    out = written(tiny, tmp_path)
    # a planner moves V4 from 4G to satellite by hand and leaves everything else alone
    edit_cell(out / "villages.csv", "V4", "technology", "satellite")
    plan = read_plan(out, tiny)
    assert plan.decision.technology["V4"] == "satellite" and "V4" not in plan.decision.site_of
    report = verify(tiny, plan.decision, summary=plan.summary)
    v4 = tiny.villages.loc["V4", "satellite_capex"]
    assert plan.summary["total_cost"] == pytest.approx(82.0 + v4)  # S2 is still opened (sites.csv)
    assert report.violations == [
        "beam P2: 50 Mbit/s demanded by 2 satellite villages exceeds its capacity of 40 Mbit/s",
        f"objective mismatch: the plan states 82 but recomputing the min-cost objective from the decision gives "
        f"{82 + v4:g}"]
    assert report.warnings == ["1 opened sites serve no village (money spent for nothing): S2"]


def test_hand_edited_valid_plan_passes(tiny, tmp_path):
    out = written(tiny, tmp_path)
    for column in ("name", "poor", "population", "covered", "cost", "route"):  # derived: ignored and rebuilt
        edit_cell(out / "villages.csv", "V6", column, "edited")
    edit_cell(out / "villages.csv", "V6", "technology", "  Satellite ")
    report = verify(tiny, read_plan(out, tiny).decision, summary=json.loads((out / "summary.json").read_text()))
    assert report.ok, report.violations


def test_plan_saved_by_a_spreadsheet_is_read(tiny, tmp_path):
    """Excel writes UTF-8 with a byte-order mark and CRLF line ends, and may drop derived columns."""
    out = written(tiny, tmp_path)
    for name in ("villages.csv", "edges.csv", "sites.csv"):
        table = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        keep = {"villages.csv": ["village_id", "technology", "site_id"], "edges.csv": ["edge_id"],
                "sites.csv": ["site_id", "backhaul"]}[name]
        text = table[keep].to_csv(index=False, lineterminator="\r\n")
        (out / name).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    plan = read_plan(out, tiny)
    assert plan.decision == valid_decision()
    assert verify(tiny, plan.decision, summary=plan.summary).ok


def error_of(tiny, out) -> InputError:
    with pytest.raises(InputError) as err:
        read_plan(out, tiny)
    return err.value


def test_unknown_village_in_plan_file(tiny, tmp_path):
    out = written(tiny, tmp_path)
    replace_in_file(out / "villages.csv", "\nV3,", "\n\nV33,")  # a blank line, then the bad id
    err = error_of(tiny, out)
    assert (err.file, err.line, err.column) == (str(out / "villages.csv"), 5, "village_id")
    assert "unknown village 'V33'" in str(err) and "fix:" in str(err)


def test_unknown_edge_and_site_in_plan_file(tiny, tmp_path):
    out = written(tiny, tmp_path)
    replace_in_file(out / "edges.csv", "\n3,", "\n17,")
    err = error_of(tiny, out)
    assert (err.line, err.column, err.problem) == (5, "edge_id", "unknown edge '17'")
    assert "edges 0..5" in err.fix
    out = written(tiny, tmp_path)
    replace_in_file(out / "sites.csv", "\nS2,", "\nS9,")
    err = error_of(tiny, out)
    assert (err.line, err.column, err.problem) == (2, "site_id", "unknown site 'S9'")
    out = written(tiny, tmp_path)
    edit_cell(out / "villages.csv", "V4", "site_id", "S8")
    err = error_of(tiny, out)
    assert (name_of(err.file), err.column, err.problem) == ("villages.csv", "site_id", "unknown site 'S8'")


def name_of(file) -> str:
    return Path(file).name


def text_edit(old: str, new: str):
    return lambda path: replace_in_file(path, old, new)


def cell_edit(row_id: str, column: str, value: str):
    return lambda path: edit_cell(path, row_id, column, value)


@pytest.mark.parametrize("file, edit, line, column, problem", [
    ("villages.csv", cell_edit("V6", "technology", "laser"), 7, "technology", "unknown technology 'laser'"),
    ("villages.csv", cell_edit("V2", "village_id", "V1"), 3, "village_id", "village 'V1' appears twice"),
    ("villages.csv", text_edit("village_id,", "id,"), 1, "village_id", "column 'village_id' is missing"),
    ("edges.csv", cell_edit("2", "edge_id", "two"), 4, "edge_id", "edge id 'two' is not a whole number"),
    ("sites.csv", cell_edit("S2", "backhaul", "pigeon"), 2, "backhaul", "unknown backhaul 'pigeon'"),
])
def test_bad_plan_files_name_file_line_column(tiny, tmp_path, file, edit, line, column, problem):
    out = written(tiny, tmp_path)
    edit(out / file)
    err = error_of(tiny, out)
    assert (name_of(err.file), err.line, err.column) == (file, line, column)
    assert err.problem.startswith(problem)
    assert err.fix


def test_missing_villages_bad_json_and_missing_dir(tiny, tmp_path):
    out = written(tiny, tmp_path)
    lines = (out / "villages.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (out / "villages.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    err = error_of(tiny, out)
    assert err.problem == "1 villages of the instance have no row: V6"
    out = written(tiny, tmp_path)
    (out / "summary.json").write_text('{"objective": 82.0,\n "status": }', encoding="utf-8")
    err = error_of(tiny, out)
    assert name_of(err.file) == "summary.json" and err.line == 2 and err.problem.startswith("not valid JSON")
    err = error_of(tiny, tmp_path / "nowhere")
    assert err.problem == "plan directory not found"


def test_optional_files_may_be_absent(tiny, tmp_path):
    out = written(tiny, tmp_path)
    for name in ("edges.csv", "summary.json"):
        (out / name).unlink()
    plan = read_plan(out, tiny)
    assert plan.decision.built_edges == frozenset() and plan.summary["total_cost"] > 0
    assert "objective" not in plan.summary
    report = verify(tiny, plan.decision, summary=plan.summary)
    assert [v.split(":")[0] for v in report.violations] == ["village V1", "village V2", "village V3"]


# --------------------------------------------------------------------------- the CLI
def test_cli_verify_ok_and_exit_codes(tiny_dir, tiny, tmp_path, capsys):
    out = written(tiny, tmp_path)
    assert main(["verify", str(tiny_dir), str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"OK: plan {out} keeps every rule of instance 'tiny'")
    assert "total cost (capex): 82.00 CNY" in printed
    edit_cell(out / "villages.csv", "V6", "technology", "none")
    edit_cell(out / "villages.csv", "V3", "technology", "none")
    assert main(["verify", str(tiny_dir), str(out)]) == 5
    err = capsys.readouterr().err
    assert "plan fails verification (2 violations)" in err
    assert "village V3: has a school but is not covered" in err
    assert "objective mismatch: the plan states 82" in err
    edit_cell(out / "villages.csv", "V3", "technology", "teleport")
    assert main(["verify", str(tiny_dir), str(out)]) == 2
    assert "unknown technology 'teleport'" in capsys.readouterr().err


def test_round_trip_on_the_shared_mini_instance(tmp_path):
    """The builders' instance, priced by the shipped cost model: every kind of decision survives a round trip."""
    inst = load_instance(make_instance_dir(tmp_path, meta={"budget": 3_000_000.0}))
    d = Decision(technology={"v1": "fiber", "v2": "fiber", "v3": "4g", "v4": "none", "v5": "fiber"},
                 site_of={"v3": "s1"}, built_edges=frozenset({0, 1, 2, 3}), opened_sites={"s1": "microwave"})
    report = verify(inst, d)
    assert report.ok, report.violations
    plan = assemble(inst, d, {"objective": report.recomputed["objective"], "status": "optimal"})
    assert plan.summary["total_cost"] == pytest.approx(report.recomputed["total_cost"])
    assert plan.villages.loc["v5", "route"] == "n3>n4"  # n3 is backbone: v4 there already has fiber
    back = read_plan(write_plan(plan, tmp_path / "plan"), inst)
    assert back.decision == d
    assert verify(inst, back.decision, summary=back.summary).ok
    assert math.isclose(back.summary["objective"], report.recomputed["objective"])
