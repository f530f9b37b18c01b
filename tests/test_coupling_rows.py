"""The coupling rows (budget, group floors, satellite beams) come from one module,
allocator/formulation/coupling.py: the monolithic model, the multi-year model, the
decomposition's LP and each part's MIP write the same rows, scaled the same way.

Compared as matrices over the columns' names: the monolithic model and the decomposition's LP
have the same rows; each part's MIP, given the whole rows' right-hand sides, has the monolithic
rows restricted to its columns, and the parts' budget and floor rows add up to the monolithic ones;
an instance of one part gets the monolithic rows themselves."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from allocator.formulation import builder, coupling, multiyear
from allocator.formulation.floors import requirements
from allocator.io import load_instance
from allocator.solve.decompose.lp import stack
from allocator.solve.decompose.parts import Targets, build_part_model, part_model, partition, sub_instance

from .builders import base_tables, make_instance_dir
from .strategies import multipart_instances

try:  # tests/ as a plain directory or as a package
    from profiles import examples
except ImportError:
    from tests.profiles import examples

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KINDS = ("budget", "floor[", "beam[")


def rows_by_name(model, names=None) -> dict:
    """Coupling row name -> ({column name: coefficient}, lo, hi), over ``names`` (default: the model's)."""
    names = model.names if names is None else names
    a = model.matrix()
    out = {}
    for i, row in enumerate(model.row_names):
        if row == "budget" or row.startswith(KINDS[1:]):
            start, end = a.indptr[i], a.indptr[i + 1]
            coefs = {names[j]: float(v) for j, v in zip(a.indices[start:end], a.data[start:end])}
            out[row] = (coefs, model.row_lo[i], model.row_hi[i])
    return out


def decomposition_rows(inst, mode="exact") -> dict:
    """The coupling rows of the decomposition's LP (the parts stacked), over the parts' column names."""
    parts = partition(inst)
    blocks = [build_part_model(sub_instance(inst, p), mode=mode, objective_kind="max-coverage", mcf_limit=0,
                               integer_only=False) for p in parts]
    reqs = requirements(inst, inst.policy.floors())
    lp, _ = stack(blocks, budget=inst.budget, reqs=reqs, beams=inst.beams)
    return rows_by_name(lp, [n for b in blocks for n in b.names]), len(parts)


def monolithic_rows(inst, mode="exact") -> dict:
    form = builder.build(inst, objective_kind="max-coverage", budget=inst.budget, mode=mode, mcf_limit=0)
    return rows_by_name(form.model)


def assert_same_rows(mono: dict, deco: dict) -> None:
    assert sorted(mono) == sorted(deco)
    for name, (coefs, lo, hi) in mono.items():
        other, lo2, hi2 = deco[name]
        assert sorted(coefs) == sorted(other), name
        for col, v in coefs.items():
            assert math.isclose(v, other[col], rel_tol=1e-12), (name, col, v, other[col])
        assert (lo, hi) == (lo2, hi2), name


def coupled_instance(tmp_path):
    """Two counties, one shared beam too small for every satellite village, a floor on a group of
    both counties, a budget that binds."""
    t = base_tables()
    for v in t["villages"]:
        v["groups"] = "deep-poverty"
    t["beams"] = [{"beam_id": "B", "capacity_mbps": 12.0}]
    for v in t["villages"]:
        v["beam"] = "B"
        v["demand_mbps"] = 10.0
    return load_instance(make_instance_dir(tmp_path, villages=t["villages"], beams=t["beams"],
                                           meta={"budget": 150_000.0}))


def test_the_fixed_instance_has_every_kind_of_coupling_row(tmp_path):
    inst = coupled_instance(tmp_path)
    mono = monolithic_rows(inst)
    deco, parts = decomposition_rows(inst)
    assert parts == 2
    assert "budget" in mono and any(k.startswith("beam[") for k in mono) and any(k.startswith("floor[") for k in mono)
    assert_same_rows(mono, deco)


@settings(max_examples=examples(30), **SETTINGS)
@given(inst=multipart_instances())
def test_monolithic_and_decomposition_write_the_same_coupling_rows(inst):
    """Same row names, same columns (by name), same coefficients and bounds: budget (in
    thousandths), each floor with a positive need, each beam that can bind."""
    assert_same_rows(monolithic_rows(inst), decomposition_rows(inst)[0])
    assert_same_rows(monolithic_rows(inst, "restricted"), decomposition_rows(inst, "restricted")[0])


def budget_rhs(model, name) -> float:
    return model.row_hi[model.row_names.index(name)]


def test_every_budget_row_is_written_in_thousandths_of_its_limit(tmp_path):
    """The decomposition's LP and its parts divided the budget row by the budget itself (right-hand
    side 1), as the multi-year model did: a solver's tolerance of 1e-7 on such a row lets a plan
    overshoot by 1e-7 of the budget (the national overshoot). Every budget row now has 1000."""
    inst = coupled_instance(tmp_path)
    form = builder.build(inst, objective_kind="max-coverage", budget=inst.budget)
    assert budget_rhs(form.model, "budget") == coupling.BUDGET_UNITS

    parts = partition(inst)
    blocks = [build_part_model(sub_instance(inst, p), mode="exact", objective_kind="max-coverage", mcf_limit=0,
                               integer_only=False) for p in parts]
    lp, _ = stack(blocks, budget=inst.budget, reqs=requirements(inst, inst.policy.floors()), beams=inst.beams)
    assert budget_rhs(lp, "budget") == coupling.BUDGET_UNITS
    part = part_model(blocks[0], Targets(budget=61_234.5))
    assert budget_rhs(part, "budget_share") == coupling.BUDGET_UNITS
    i = part.row_names.index("budget_share")
    a = part.matrix()
    coefs = a.data[a.indptr[i]:a.indptr[i + 1]]
    cols = a.indices[a.indptr[i]:a.indptr[i + 1]]
    assert np.allclose(coefs * 61_234.5 / coupling.BUDGET_UNITS, blocks[0].cost[cols], rtol=1e-12)

    years = multiyear.build(inst, years=[2019, 2020], budgets=[80_000.0, 70_000.0], carry_over=False,
                            floors={2019: {}, 2020: {}}, due_year=2020, objective_kind="max-coverage")
    assert budget_rhs(years.model, "2019:budget") == budget_rhs(years.model, "2020:budget") == coupling.BUDGET_UNITS


def test_no_budget_no_row_and_a_zero_budget_keeps_its_row():
    assert coupling.budget_row(np.array([1.0, 2.0]), None) is None
    row = coupling.budget_row(np.array([0.0, 2.0, 5.0]), 0.0)
    assert list(row.cols) == [1, 2] and list(row.coefs) == [2.0, 5.0] and row.hi == 0.0


def test_a_beam_row_only_where_it_can_bind_and_floor_rows_only_for_positive_needs():
    cols, demand, beam = np.array([3, 4, 5]), np.array([10.0, 10.0, 5.0]), np.array(["A", "A", "B"])
    rows = coupling.beam_rows(cols, demand, beam, {"A": 15.0, "B": 5.0})
    assert [(r.name, list(r.cols), r.hi) for r in rows] == [("beam[A]", [3, 4], 15.0)]
    floors = coupling.floor_rows({"g": np.array([1, 2]), "h": np.array([7])}, {"g": 1, "h": 0, "k": 2})
    assert [(r.name, list(r.cols), r.lo) for r in floors] == [("floor[g]", [1, 2], 1.0), ("floor[k]", [], 2.0)]


@pytest.mark.parametrize("offset", [0, 7])
def test_a_row_shifts_with_its_block(offset):
    row = coupling.Row("budget", np.array([0, 2]), np.array([1.0, 3.0]), -np.inf, 1000.0)
    assert list(row.shifted(offset).cols) == [offset, offset + 2]


# --------------------------------------------------------------------------- the parts' own MIPs
#: a part's coupling rows carry their own names (a share of the whole row); the monolithic row they share
PART_ROW = {"budget_share": "budget", "floor_target[": "floor[", "beam_share[": "beam["}


def coupling_matrix(rows: dict, columns: list) -> tuple:
    """Coupling rows as a dense matrix over ``columns`` (row order: sorted names), with their bounds."""
    names = sorted(rows)
    where = {c: j for j, c in enumerate(columns)}
    a = np.zeros((len(names), len(columns)))
    for i, name in enumerate(names):
        for col, v in rows[name][0].items():
            a[i, where[col]] = v
    return names, a, np.array([rows[n][1] for n in names]), np.array([rows[n][2] for n in names])


def part_rows(model) -> dict:
    """A part MIP's coupling rows, named as the monolithic rows they are a share of."""
    out = {}
    a = model.matrix()
    for i, row in enumerate(model.row_names):
        for own, whole in PART_ROW.items():
            if row.startswith(own):
                start, end = a.indptr[i], a.indptr[i + 1]
                coefs = {model.names[j]: float(v) for j, v in zip(a.indices[start:end], a.data[start:end])}
                out[whole + row[len(own):]] = (coefs, model.row_lo[i], model.row_hi[i])
    return out


def part_models(inst, mode="exact"):
    parts = partition(inst)
    return [build_part_model(sub_instance(inst, p), mode=mode, objective_kind="max-coverage", mcf_limit=0,
                             integer_only=False) for p in parts]


def whole_targets(inst, block) -> Targets:
    """The whole rows' right-hand sides as a part's targets: the part's rows must then be the
    monolithic rows over the part's columns."""
    needs = {r["group"]: r["need"] for r in requirements(inst, inst.policy.floors())}
    return Targets(budget=inst.budget, floors={g: needs[g] for g in block.floor_cols if needs.get(g, 0) > 0},
                   beams=coupling.beam_capacities(inst.beams))


def assert_parts_share_the_monolithic_rows(inst, mode="exact"):
    """Each part's MIP, given the whole rows' right-hand sides, writes the monolithic coupling rows
    restricted to its columns (same matrix entries, same bounds); together the parts' budget and
    floor rows are the monolithic rows, entry by entry."""
    mono = monolithic_rows(inst, mode)
    columns = sorted({c for coefs, _, _ in mono.values() for c in coefs})
    names, whole, lo, hi = coupling_matrix(mono, columns)
    summed = np.zeros_like(whole)
    for block in part_models(inst, mode):
        own = part_rows(part_model(block, whole_targets(inst, block)))
        mine = set(block.names)
        assert set(own) <= set(mono), sorted(set(own) - set(mono))
        for name in own:
            assert set(own[name][0]) <= mine, name
        p_names, part, p_lo, p_hi = coupling_matrix(own, columns)
        idx = np.array([names.index(n) for n in p_names], dtype=np.int64)
        in_part = np.array([c in mine for c in columns], dtype=bool)
        assert np.allclose(part[:, in_part], whole[idx][:, in_part], rtol=1e-12, atol=0.0), p_names
        assert not part[:, ~in_part].any()
        assert np.array_equal(p_lo, lo[idx]) and np.array_equal(p_hi, hi[idx]), p_names
        # a part writes the budget and every floor it has columns of; a beam where its own demand can bind
        assert ("budget" in own) == ("budget" in mono)
        for name in mono:
            if name.startswith("floor[") and whole[names.index(name)][in_part].any():
                assert name in own, name
        summed[idx] += part
    shared = [i for i, n in enumerate(names) if not n.startswith("beam[")]
    assert np.allclose(summed[shared], whole[shared], rtol=1e-12, atol=0.0)


def test_the_parts_write_the_monolithic_rows_over_their_columns(tmp_path):
    inst = coupled_instance(tmp_path)
    assert len(partition(inst)) == 2
    assert_parts_share_the_monolithic_rows(inst)
    assert_parts_share_the_monolithic_rows(inst, "restricted")


@settings(max_examples=examples(20), **SETTINGS)
@given(inst=multipart_instances())
def test_every_part_writes_the_monolithic_rows_over_its_columns(inst):
    assert_parts_share_the_monolithic_rows(inst)


def test_one_part_gets_the_monolithic_rows_themselves():
    """An instance of one county is one part: the shares the decomposition gives it are the whole
    rows, and its MIP's coupling matrix is the monolithic model's (the LP's too)."""
    from pathlib import Path

    from allocator.solve.decompose.lp import shares

    inst = load_instance(Path(__file__).resolve().parents[1] / "instances" / "tiny-4g")
    blocks = part_models(inst)
    assert len(blocks) == 1
    reqs = requirements(inst, inst.policy.floors())
    lp, offsets = stack(blocks, budget=inst.budget, reqs=reqs, beams=inst.beams)
    targets = shares(blocks, np.zeros(lp.num_vars), offsets, budget=inst.budget, reqs=reqs, beams=inst.beams)
    part = part_rows(part_model(blocks[0], targets[blocks[0].key]))
    mono = monolithic_rows(inst)
    deco = rows_by_name(lp, blocks[0].names)
    assert "budget" in mono
    columns = sorted(set(blocks[0].names))
    m_names, m, m_lo, m_hi = coupling_matrix(mono, columns)
    for rows in (part, deco):
        names, a, lo, hi = coupling_matrix(rows, columns)
        assert names == m_names
        assert np.allclose(a, m, rtol=1e-12, atol=0.0)
        assert np.array_equal(lo, m_lo) and np.array_equal(hi, m_hi)
