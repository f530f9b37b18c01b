"""The classical reductions (allocator/formulation/reductions.py) never lose an optimal plan.

Small random rooted Steiner problems, all terminals required or some with prizes
(DIMACS .stp text, imported): the optimum found by brute force over every set of
trenches is the same on the instance's graph, after the bottleneck Steiner distance
test with the degree reductions, and after dual-ascent arc deletion on top of it;
dual ascent's bound stays at most that optimum. A hand-made case shows the test
removes an edge no shortest-path test can, and the solve maps the plan back to the
original trenches (verified). Published SteinLib D files (external): the solve
proves their optimum and every bound it reports is at most the optimum.
"""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.formulation import builder, dualascent, reductions
from allocator.importers import import_stp
from allocator.io import load_instance
from allocator.solve import solve
from .oracle import steiner_instance_optimum, steiner_network_optimum

try:  # tests/ as a plain directory or as a package
    from external import EXTERNAL, MANIFEST, require_external
except ImportError:
    from tests.external import EXTERNAL, MANIFEST, require_external


def _stp(n: int, edges: dict, terminals: list) -> str:
    """STP text: root 1, ``terminals`` as (node, prize or None for required)."""
    lines = [f"T {t}" if p is None else f"TP {t} {p}" for t, p in terminals]
    return ("33D32945 STP File, STP Format Version 1.0\nSECTION Graph\n"
            f"Nodes {n}\nEdges {len(edges)}\n"
            + "".join(f"E {u} {v} {w}\n" for (u, v), w in sorted(edges.items()))
            + f"END\nSECTION Terminals\nTerminals {len(terminals) + 1}\nRootP 1\n"
            + "".join(f"{line}\n" for line in lines) + "END\nEOF\n")


@st.composite
def steiner_problems(draw):
    """A connected graph on 5-9 nodes (root 1) with up to 6 extra edges, integer
    weights 0-9 (ties are common), 1-5 terminals: all required, or each required
    or with a prize."""
    n = draw(st.integers(5, 9))
    edges = {}
    for v in range(2, n + 1):
        u = draw(st.integers(1, v - 1))
        edges[(u, v)] = draw(st.integers(0, 9))
    for _ in range(draw(st.integers(0, 6))):
        u, v = sorted(draw(st.lists(st.integers(1, n), min_size=2, max_size=2, unique=True)))
        edges[(u, v)] = draw(st.integers(0, 9))
    nodes = draw(st.lists(st.integers(2, n), min_size=1, max_size=5, unique=True))
    all_required = draw(st.booleans())
    terminals = [(t, None if all_required else draw(st.one_of(st.none(), st.integers(0, 25)))) for t in nodes]
    return _stp(n, edges, terminals)


def _load(text: str, tmp_path_factory):
    path = tmp_path_factory.mktemp("sd") / "p.stp"
    path.write_text(text)
    return load_instance(import_stp(path, path.parent / "inst"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=steiner_problems())
def test_bottleneck_test_and_dual_ascent_keep_the_optimum(text, tmp_path_factory):
    inst = _load(text, tmp_path_factory)
    optimum = steiner_instance_optimum(inst)
    net = builder.default_network(inst)
    terms = dualascent.steiner_terms(inst, net, objective_kind="min-cost", budget=None, share=np.inf)
    assert terms is not None

    reduced, stats = reductions.reduce_network(net, terms, builder.terminal_nodes(inst))
    assert len(reduced.edge_cost) <= len(net.edge_cost)
    assert stats["edges_after"] == len(reduced.edge_cost)
    assert steiner_network_optimum(reduced, terms) == pytest.approx(optimum, abs=1e-9)
    # every reduced edge stands for original trenches whose costs add up to its own
    cost_of = dict(zip(inst.edges.index, inst.edges["capex"].to_numpy(float)))
    for ids, c in zip(reduced.edge_ids, reduced.edge_cost):
        assert sum(cost_of[i] for i in ids) == pytest.approx(c)

    # dual-ascent fixing on top (all-required instances too) keeps it as well
    terms2 = dualascent.steiner_terms(inst, reduced, objective_kind="min-cost", budget=None, share=np.inf)
    red = dualascent.reduce_network(reduced, terms2)
    assert steiner_network_optimum(red.network, terms2) == pytest.approx(optimum, abs=1e-9)
    if red.stats.get("lower_bound") is not None:
        assert red.stats["lower_bound"] <= optimum + 1e-9


def test_bottleneck_bound_on_a_known_graph():
    """Key nodes 0 (root), 1, 2, 3 on a path 1 -6- 2 -6- 3 and an edge 1 -10- 3: the
    bottleneck distance of 1 and 3 is 6 (the walk through key node 2), although their
    shortest other path is 12; the edge 0 -1- 2 has bound 1, its own cost (not removed:
    the test needs a strictly cheaper walk)."""
    eu = np.array([1, 2, 1, 0])
    ev = np.array([2, 3, 3, 2])
    ec = np.array([6.0, 6.0, 10.0, 1.0])
    bound = reductions.bottleneck_bounds(4, eu, ev, ec, np.array([0, 1, 2, 3]))
    assert bound[2] == pytest.approx(6.0)          # 1-3: via key node 2
    assert bound[0] == pytest.approx(6.0) and bound[1] == pytest.approx(6.0)
    assert bound[3] == pytest.approx(1.0)
    # with the root as the only other key node, the walk 1-2-0-2-3 has pieces of 7
    assert reductions.bottleneck_bounds(4, eu, ev, ec, np.array([0, 1, 3]))[2] == pytest.approx(7.0)
    # with no key node between them, nothing shorter than the edge itself is known
    assert reductions.bottleneck_bounds(4, eu, ev, ec, np.array([1, 3]))[2] == pytest.approx(10.0)


def test_the_test_removes_an_edge_and_the_plan_maps_back(tmp_path_factory):
    """Terminals 2, 3, 4 required; 2 -6- 3 -6- 4 and 2 -10- 4: no shortest-path test
    removes 2-4 (the other path costs 12), the bottleneck test does; the optimum (root
    edge 1 + 6 + 6 = 13) is proven and its trenches are the instance's own."""
    text = _stp(4, {(1, 3): 1, (2, 3): 6, (3, 4): 6, (2, 4): 10}, [(2, None), (3, None), (4, None)])
    inst = _load(text, tmp_path_factory)
    net = builder.default_network(inst)
    assert len(net.edge_cost) == 4
    terms = dualascent.steiner_terms(inst, net, objective_kind="min-cost", budget=None, share=np.inf)
    reduced, stats = reductions.reduce_network(net, terms, builder.terminal_nodes(inst))
    assert stats["bottleneck_removed"] == 1 and len(reduced.edge_cost) == 3
    plan = solve(inst, solver="highs")
    assert plan.status == "optimal" and plan.summary["verified"]
    assert plan.objective == pytest.approx(13.0)
    assert plan.summary["fiber_model"]["reductions"]["bottleneck_removed"] == 1


def test_prize_terminals_are_never_key_nodes(tmp_path_factory):
    """A terminal that may stay dark must not shorten anyone's bottleneck: with 3 a prize
    terminal (prize 1, so it stays dark) the edge 2-4 is the optimum's and must stay."""
    text = _stp(4, {(1, 2): 1, (2, 3): 6, (3, 4): 6, (2, 4): 10}, [(2, None), (3, 1), (4, None)])
    inst = _load(text, tmp_path_factory)
    net = builder.default_network(inst)
    terms = dualascent.steiner_terms(inst, net, objective_kind="min-cost", budget=None, share=np.inf)
    reduced, _ = reductions.reduce_network(net, terms, builder.terminal_nodes(inst))
    assert steiner_network_optimum(reduced, terms) == pytest.approx(steiner_instance_optimum(inst)) == pytest.approx(12.0)


def _published(series: str) -> list[str]:
    if not MANIFEST.is_file():
        return [f"{series}01"]  # skips with its reason
    with MANIFEST.open(encoding="utf-8", newline="") as f:
        return sorted(r["name"] for r in csv.DictReader(f)
                      if r["problem"] == "steiner_tree" and r["name"][:1] == series and r["name"][1:].isdigit())


#: SteinLib D files HiGHS proves within a minute on this 2-core machine (benchmarks/results/README.md)
D_QUICK = ["d01", "d02", "d06", "d07", "d11", "d16"]


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in _published("d") if n in D_QUICK] or ["d01"])
def test_steinlib_d_proven_with_valid_bounds(name, tmp_path):
    require_external()
    with MANIFEST.open(encoding="utf-8", newline="") as f:
        row = {r["name"]: r for r in csv.DictReader(f)}.get(name)
    if row is None:
        pytest.skip(f"{name} is not listed in {MANIFEST}")
    optimum = float(row["known_optimum"])
    inst = load_instance(import_stp(EXTERNAL / row["file"], tmp_path / name))
    plan = solve(inst, solver="highs", time_limit=120)
    s = plan.summary
    assert plan.status == "optimal" and s["verified"], s.get("status")
    assert math.isclose(plan.objective, optimum, rel_tol=1e-9, abs_tol=1e-6)
    assert s["bound"] <= optimum * (1 + 1e-9) + 1e-6
    red = s["fiber_model"]["reductions"]
    assert red["edges_after"] <= red["edges_before"]
    lp = (s.get("root_phase") or {}).get("lp_bound_after")
    if lp is not None:
        assert lp <= optimum * (1 + 1e-9) + 1e-6


def test_local_search_never_worsens_and_prices_its_plan_right():
    """improve_plan on a grid with required corners: its plan costs what it says (the sum
    of its edges), joins every required node, and is no worse than where it started."""
    rng = np.random.default_rng(3)
    side = 6
    n = side * side
    eu, ev = [], []
    for r in range(side):
        for c in range(side):
            if c + 1 < side:
                eu.append(r * side + c)
                ev.append(r * side + c + 1)
            if r + 1 < side:
                eu.append(r * side + c)
                ev.append((r + 1) * side + c)
    eu, ev = np.array(eu), np.array(ev)
    ec = rng.integers(1, 10, len(eu)).astype(float)
    prize_of = {side - 1: np.inf, n - side: np.inf, n - 1: np.inf, 14: np.inf}
    start_cost, start = dualascent.shortest_path_plan(n, eu, ev, ec, 0, prize_of)
    nodes = set(eu[start]) | set(ev[start])
    cost, plan = dualascent.improve_plan(n, eu, ev, ec, 0, prize_of, nodes, seconds=10)
    assert cost <= start_cost + 1e-9
    assert cost == pytest.approx(float(ec[plan].sum()))
    reach, grew = {0}, True
    while grew:
        grew = False
        for e in plan:
            if (int(eu[e]) in reach) != (int(ev[e]) in reach):
                reach |= {int(eu[e]), int(ev[e])}
                grew = True
    assert set(prize_of) <= reach


def test_highs_stops_once_its_plan_reaches_a_known_bound():
    """SolveOptions.stop_at: a MIP that takes long to prove stops at the first plan within
    the bound given (here every plan is), instead of running to its time limit."""
    import time

    from allocator.backends import SolveOptions, Status, get_backend
    try:
        from test_backends import hard_set_cover
    except ImportError:
        from tests.test_backends import hard_set_cover
    model = hard_set_cover()
    t0 = time.perf_counter()
    r = get_backend("highs").solve(model, SolveOptions(time_limit=30, threads=1, stop_at=1e12))
    assert r.x is not None and r.objective <= 1e12
    assert r.status is Status.FEASIBLE            # stopped, not proven: the caller combines bounds
    assert time.perf_counter() - t0 < 10
