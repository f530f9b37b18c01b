"""Dual ascent and the reductions of the fiber network never lose an optimal plan.

Small random rooted prize-collecting Steiner problems (written as DIMACS .stp
files and imported): the optimum found by brute force over every set of
trenches is the same on the instance's graph, on the network after the
classic reductions (graph.py) and after dual-ascent arc deletion
(formulation/dualascent.py); dual ascent's lower bound is at most that optimum
and its heuristic plan costs what it claims, at least the optimum.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator.formulation import builder, dualascent
from allocator.formulation.dualascent import dual_ascent
from allocator.importers import import_stp
from allocator.io import load_instance
from allocator.verify import verify
from .oracle import steiner_instance_optimum, steiner_network_optimum


@st.composite
def pc_problems(draw):
    """(stp text, n): a connected graph on n nodes (root 1) plus extra edges, integer
    weights (ties are common: the reductions must keep *an* optimum), 1-4
    terminals, each with a prize or fiber-only."""
    n = draw(st.integers(4, 8))
    edges = {}
    for v in range(2, n + 1):  # a random spanning tree keeps the graph connected
        u = draw(st.integers(1, v - 1))
        edges[(u, v)] = draw(st.integers(0, 9))
    for _ in range(draw(st.integers(0, 3))):
        u, v = sorted(draw(st.lists(st.integers(1, n), min_size=2, max_size=2, unique=True)))
        edges[(u, v)] = draw(st.integers(0, 9))
    terminals = draw(st.lists(st.integers(2, n), min_size=1, max_size=4, unique=True))
    lines = []
    for t in terminals:
        prize = draw(st.one_of(st.none(), st.integers(0, 25)))
        lines.append(f"T {t}" if prize is None else f"TP {t} {prize}")
    text = ("33D32945 STP File, STP Format Version 1.0\nSECTION Graph\n"
            f"Nodes {n}\nEdges {len(edges)}\n"
            + "".join(f"E {u} {v} {w}\n" for (u, v), w in sorted(edges.items()))
            + f"END\nSECTION Terminals\nTerminals {len(terminals) + 1}\nRootP 1\n"
            + "".join(f"{line}\n" for line in lines) + "END\nEOF\n")
    return text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=pc_problems())
def test_reductions_and_dual_ascent_keep_the_optimum(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("pc") / "p.stp"
    path.write_text(text)
    inst = load_instance(import_stp(path, path.parent / "inst"))
    optimum = steiner_instance_optimum(inst)

    net = builder.default_network(inst)                  # classic reductions
    terms = dualascent.steiner_terms(inst, net, objective_kind="min-cost", budget=None, share=1.0)
    assert terms is not None
    assert steiner_network_optimum(net, terms) == pytest.approx(optimum, abs=1e-9)

    red = dualascent.reduce_network(net, terms)          # dual-ascent arc deletion
    assert red.network.num_arcs <= net.num_arcs
    assert steiner_network_optimum(red.network, terms) == pytest.approx(optimum, abs=1e-9)
    s = red.stats
    if s.get("lower_bound") is not None:
        assert s["lower_bound"] <= optimum + 1e-9
    # the heuristic's plan is a real plan: the verifier prices it at what the reduction claims
    plan = dualascent.plan_decision(inst, red)
    if plan is not None:
        report = verify(inst, plan)
        assert report.ok, report.violations
        assert report.recomputed["objective"] == pytest.approx(s["upper_bound"], abs=1e-9)
        assert s["upper_bound"] >= optimum - 1e-9


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 7), data=st.data())
def test_dual_ascent_bound_and_reduced_costs_are_valid(n, data):
    """On random directed graphs: reduced costs stay in [0, cost], and the bound is at
    most the cheapest arborescence found by brute force over arc subsets."""
    arcs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n - 1)), min_size=1, max_size=9,
                              unique=True).map(lambda a: [(t, h) for t, h in a if t != h]))
    if not arcs:
        return
    cost = np.array(data.draw(st.lists(st.integers(0, 9), min_size=len(arcs), max_size=len(arcs))), dtype=float)
    terminals = np.array(data.draw(st.lists(st.integers(1, n - 1), min_size=1, max_size=3, unique=True)))
    tails = np.array([a[0] for a in arcs])
    heads = np.array([a[1] for a in arcs])
    lb, red = dual_ascent(n, tails, heads, cost, 0, terminals)
    assert (red >= 0).all() and (red <= cost + 1e-12).all()
    best = np.inf
    for r in range(len(arcs) + 1):
        for subset in itertools.combinations(range(len(arcs)), r):
            reach, grew = {0}, True
            while grew:
                grew = False
                for a in subset:
                    if tails[a] in reach and heads[a] not in reach:
                        reach.add(int(heads[a]))
                        grew = True
            if all(int(t) in reach for t in terminals):
                best = min(best, float(cost[list(subset)].sum()))
    assert lb <= best + 1e-9
