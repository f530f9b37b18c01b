"""Build the whole MIP from a validated instance, family by family, and turn a
solver's column values back into a :class:`~allocator.decision.Decision`.

The mathematics is written down in FORMULATION.md beside this file.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..decision import Decision
from ..graph import FiberNetwork, build_network
from ..schema import NO_TECHNOLOGY
from . import cellular, choice, coupling, dualascent, eligibility, fiber, objective, reductions
from . import floors as floors_family
from ..backends.linear import LinearModel
from .variables import Columns

MODES = ("exact", "restricted")


@dataclass
class Formulation:
    model: LinearModel
    columns: Columns
    network: FiberNetwork
    eligibility: eligibility.Eligibility
    floors: list
    stats: dict = field(default_factory=dict)
    #: a plan a heuristic found while building (the dual-ascent reduction's), for a warm start
    heuristic_plan: Decision | None = None


@dataclass
class Allocation:
    """One copy of the allocation constraints inside a (possibly larger) model: where its
    columns are, and what its coupling rows (budget, floors, beams) were written from."""

    columns: Columns
    eligibility: eligibility.Eligibility
    floors: list                 # floor requirements, with ``reachable`` counts
    fiber_stats: dict
    coupling: coupling.CouplingColumns


def terminal_nodes(instance) -> set:
    v = instance.villages
    nodes = set(v.loc[v["existing"] == "none", "node"].astype(str))
    nodes |= set(instance.sites["node"].astype(str))
    nodes.discard("")
    return nodes


def default_network(instance) -> FiberNetwork:
    """The reduced trench network over the instance's terminals, costed in its budget measure."""
    edge_cost = instance.cost(instance.edges["capex"].to_numpy(float), instance.edges["opex"].to_numpy(float))
    return build_network(instance, terminal_nodes(instance), edge_cost)


def add_allocation(model: LinearModel, instance, network: FiberNetwork, elig: eligibility.Eligibility, *,
                   floors: dict, budget: float | None, mode: str = "exact", integer_only: bool = False,
                   mcf_limit: int = fiber.MCF_COLUMN_LIMIT, strengthen: bool = True) -> Allocation:
    """Append every constraint family (no objective) for one set of floors and one budget to ``model``.

    The coupling rows come from :mod:`.coupling`: the beams, then the budget
    (none when ``budget`` is None), then the floors.

    ``elig.required`` is extended in place by floors that need every reachable
    member (pass a copy to keep the caller's). ``strengthen=False`` leaves out
    the fiber rows that are valid only when every built arc serves a lit
    terminal in this block (see :func:`.fiber.build`).
    """
    floors_family.require_saturated(instance, elig, floors)
    cols = choice.build(model, instance, elig)
    cellular.build(model, instance, elig, cols, network)
    fstats = fiber.build(model, instance, elig, cols, network, mode=mode, mcf_limit=mcf_limit,
                         integer_flows=integer_only, strengthen=strengthen)
    reqs = floors_family.requirements(instance, floors)
    data = coupling.coupling_columns(model, instance, cols, reqs)
    for req in reqs:
        req["reachable"] = data.floor_reachable[req["group"]]
    coupling.add_rows(model, coupling.beam_rows(data.sat_cols, data.sat_demand, data.sat_beam,
                                                coupling.beam_capacities(instance.beams)))
    coupling.add_rows(model, [coupling.budget_row(data.cost, budget)])
    coupling.add_rows(model, coupling.floor_rows(data.floor_cols, {r["group"]: r["need"] for r in reqs}))
    return Allocation(cols, elig, reqs, fstats, data)


def build(instance, *, objective_kind: str, budget: float | None, mode: str = "exact",
          network: FiberNetwork | None = None, integer_only: bool = False,
          mcf_limit: int = fiber.MCF_COLUMN_LIMIT, bound_reductions: bool = False) -> Formulation:
    """``mcf_limit``: flow columns allowed for multi-commodity branches (0: one
    aggregated flow per branch, the default; see fiber.MCF_COLUMN_LIMIT).

    ``bound_reductions`` (exact mode, Steiner-shaped instances only): delete the
    arcs dual ascent proves useless for every plan as good as a heuristic one
    (dualascent.py). The model then holds every plan at least as good as that
    one, so its optimum and every bound of it are the whole problem's."""
    t0 = time.perf_counter()
    if network is None:
        network = default_network(instance)
    reduction, classic = None, None
    if bound_reductions and mode == "exact":
        terms = dualascent.steiner_terms(instance, network, objective_kind=objective_kind, budget=budget,
                                         share=np.inf)
        if terms is not None:
            few = len(terms.terminals) <= dualascent.TERMINAL_SHARE * len(network.nodes)
            network, classic = reductions.reduce_network(network, terms, terminal_nodes(instance))
            if few or (dualascent.ALL_REQUIRED and np.isinf(terms.prize).all()):
                # dual ascent pays where terminals are few (dualascent.TERMINAL_SHARE) and, for its bound,
                # where every terminal must be joined (SteinLib D: its bound is often the optimum)
                terms = dualascent.steiner_terms(instance, network, objective_kind=objective_kind, budget=budget,
                                                 share=np.inf)
                reduction = dualascent.reduce_network(network, terms, rounds=4 if few else 1)
                network = reduction.network
    elig = eligibility.compute(instance, network)
    model = LinearModel()
    block = add_allocation(model, instance, network, elig, floors=instance.policy.floors(), budget=budget,
                           mode=mode, integer_only=integer_only, mcf_limit=mcf_limit)
    objective.set_objective(model, instance, block.columns, objective_kind)
    plan = None
    if classic is not None:
        block.fiber_stats["reductions"] = classic
    if reduction is not None:
        block.fiber_stats["dual_ascent"] = reduction.stats
        plan = dualascent.plan_decision(instance, reduction)
    stats = {"fiber": block.fiber_stats, "build_seconds": time.perf_counter() - t0, **model.stats()}
    return Formulation(model, block.columns, network, elig, block.floors, stats, heuristic_plan=plan)


def mip_heuristic_effort(form: Formulation) -> float | None:
    """The primal-heuristic effort for the MIP of ``form``: more where dual ascent ran
    (dualascent.MIP_HEURISTIC_EFFORT), the solver's default elsewhere."""
    return dualascent.MIP_HEURISTIC_EFFORT if "dual_ascent" in form.stats["fiber"] else None


def decode(form: Formulation, instance, x: np.ndarray) -> Decision:
    """Column values -> Decision; a village given a site technology is served by the first opened site
    (by id) of that technology covering it."""
    cols, net = form.columns, form.network
    x = np.asarray(x, dtype=float)

    def on(c) -> bool:
        return c >= 0 and x[c] > 0.5

    tech = {vid: NO_TECHNOLOGY for vid in instance.villages.index}
    for i, vid in enumerate(cols.candidates):
        for name, arr in cols.tech.items():
            if on(arr[i]):
                tech[vid] = name
    opened = {}
    for i, sid in enumerate(cols.site_ids):
        if on(cols.site_fiber[i]):
            opened[sid] = "fiber"
        elif on(cols.site_micro[i]):
            opened[sid] = "microwave"
    edges = set()
    for a in np.flatnonzero(cols.arc >= 0):
        if on(cols.arc[a]):
            edges.update(net.edge_ids[net.arc_edge[a]])
    site_of = {}
    for name in cols.of_kind("site"):
        served = [v for v, t in tech.items() if t == name]
        if not served:
            continue
        cov = instance.coverage
        of_tech = [s for s in opened if instance.sites.at[s, "technology"] == name]
        cov = cov[cov["village_id"].isin(served) & cov["site_id"].isin(of_tech)]
        site_of.update(cov.sort_values(["village_id", "site_id"]).groupby("village_id", sort=True)["site_id"]
                       .first().to_dict())
    return Decision(technology=tech, site_of=site_of, built_edges=frozenset(edges), opened_sites=opened)
