"""The pieces of the county decomposition (:mod:`allocator.solve.decompose.run`).

- :func:`partition`: split an instance into *parts*, each one county or
  several counties that share a trench branch or a 4G site. Nothing couples
  two parts except the budget, the group floors and the satellite beams.
- :func:`sub_instance`: the part as an :class:`~allocator.instance.Instance`
  of its own (filtered tables, same models and policy).
- :func:`build_part_model`: the part's allocation model without any coupling
  row (no budget, no floor), with what the coupling rows need to know about it.
- :func:`solve_part`: one part's MIP with its share of the budget, floor
  targets and beam capacity; runs in a worker process.

The coupling rows themselves (whole or shared out) come from
:mod:`allocator.formulation.coupling`, like the monolithic model's.

Building each part on its own keeps every step linear in the instance:
the reductions of :mod:`allocator.graph` and the eligibility rules run on one
county's graph at a time.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ...backends import get_backend
from ...backends.base import SolveOptions, SolveResult, Status
from ...formulation import builder, coupling, eligibility, objective
from ...formulation.floors import requirements
from ...backends.linear import LinearModel
from ...graph import shortest_path_tree
from ...schema import Objective

#: an LP value this close above an integer counts as that integer (floor targets)
TARGET_TOL = 1e-6


# --------------------------------------------------------------------------- partition
@dataclass(frozen=True)
class Part:
    """Rows of the instance tables (positions) that make one independent part."""

    key: str                    # smallest county id of the part: its name and merge order
    counties: tuple             # county ids
    villages: np.ndarray        # positions in instance.villages
    nodes: np.ndarray           # positions in instance.nodes (branch nodes and the backbone nodes they touch)
    edges: np.ndarray           # positions in instance.edges
    sites: np.ndarray           # positions in instance.sites
    coverage: np.ndarray        # positions in instance.coverage


def partition(instance) -> list[Part]:
    """Split ``instance`` into independent parts, sorted by key.

    Two counties land in one part when a trench branch (a component of the
    graph once the backbone nodes are removed) or a 4G site's coverage joins
    them. Branches and sites that reach no village are left out: no plan
    ever needs them.
    """
    nodes, edges, villages, sites, cov = (instance.nodes, instance.edges, instance.villages, instance.sites,
                                          instance.coverage)
    node_pos = pd.Series(np.arange(len(nodes)), index=nodes.index.astype(str))
    backbone = (nodes["kind"] == "backbone").to_numpy(bool)
    eu = node_pos.reindex(edges["u"].astype(str)).to_numpy(dtype=float).astype(np.int64)  # loader: ends exist
    ev = node_pos.reindex(edges["v"].astype(str)).to_numpy(dtype=float).astype(np.int64)
    off = ~backbone[eu] & ~backbone[ev]
    n = len(nodes)
    g = sp.coo_matrix((np.ones(int(off.sum())), (eu[off], ev[off])), shape=(n, n))
    _, branch = connected_components(g, directed=False)   # backbone nodes get labels too; never used

    county_ids = pd.Index(sorted(villages["county_id"].astype(str).unique()))
    n_c, n_b, n_s = len(county_ids), int(branch.max()) + 1 if n else 0, len(sites)
    county_of_v = county_ids.get_indexer(villages["county_id"].astype(str))
    vnode = node_pos.reindex(villages["node"].fillna("").astype(str)).to_numpy(dtype=float)   # NaN: no node
    snode = node_pos.reindex(sites["node"].fillna("").astype(str)).to_numpy(dtype=float)
    site_pos = pd.Series(np.arange(n_s), index=sites.index.astype(str))
    village_pos = pd.Series(np.arange(len(villages)), index=villages.index.astype(str))
    cov_s = site_pos.reindex(cov["site_id"].astype(str)).to_numpy(dtype=float).astype(np.int64)
    cov_v = village_pos.reindex(cov["village_id"].astype(str)).to_numpy(dtype=float).astype(np.int64)

    # elements: counties [0, n_c), branches [n_c, n_c + n_b), sites [n_c + n_b, ...)
    links = []
    vb = _branch_of(vnode, branch, backbone)
    has = vb >= 0
    links.append((county_of_v[has], n_c + vb[has]))
    sb = _branch_of(snode, branch, backbone)
    has = sb >= 0
    links.append((n_c + n_b + np.flatnonzero(has), n_c + sb[has]))
    links.append((n_c + n_b + cov_s, county_of_v[cov_v]))
    a = np.concatenate([x for x, _ in links]).astype(np.int64)
    b = np.concatenate([y for _, y in links]).astype(np.int64)
    total = n_c + n_b + n_s
    _, label = connected_components(sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(total, total)),
                                    directed=False)
    part_of_county = label[:n_c]
    # a part is named by its smallest county id (county_ids is sorted)
    first = {}
    for c, lab in enumerate(part_of_county):
        first.setdefault(int(lab), c)
    keep = set(first)

    v_lab = part_of_county[county_of_v]
    node_lab = np.full(n, -1, dtype=np.int64)
    node_lab[~backbone] = label[n_c + branch[~backbone]]
    s_lab = label[n_c + n_b + np.arange(n_s)]
    e_lab = np.where(~backbone[eu], node_lab[eu], node_lab[ev])   # an edge joins its branch's part
    cov_lab = s_lab[cov_s]

    by_v = _positions(v_lab)
    by_node = _positions(node_lab)
    by_e = _positions(e_lab)
    by_s = _positions(s_lab)
    by_cov = _positions(cov_lab)
    empty = np.zeros(0, dtype=np.int64)
    parts = []
    for lab in sorted(keep, key=lambda lab: county_ids[first[lab]]):
        vpos = by_v.get(lab, empty)
        epos = by_e.get(lab, empty)
        spos = by_s.get(lab, empty)
        # backbone nodes this part touches: trench ends, village and site nodes
        touch = np.concatenate([eu[epos], ev[epos], vnode[vpos][~np.isnan(vnode[vpos])].astype(np.int64),
                                snode[spos][~np.isnan(snode[spos])].astype(np.int64)]).astype(np.int64)
        npos = np.union1d(by_node.get(lab, empty), touch[backbone[touch]] if len(touch) else empty)
        counties = tuple(sorted(set(villages["county_id"].astype(str).iloc[vpos])))
        parts.append(Part(key=counties[0], counties=counties, villages=vpos, nodes=npos.astype(np.int64),
                          edges=epos, sites=spos, coverage=by_cov.get(lab, empty)))
    return parts


def _branch_of(node_positions: np.ndarray, branch: np.ndarray, backbone: np.ndarray) -> np.ndarray:
    """Branch label per row, -1 for no node or a backbone node."""
    out = np.full(len(node_positions), -1, dtype=np.int64)
    ok = ~np.isnan(node_positions)
    p = node_positions[ok].astype(np.int64)
    out[np.flatnonzero(ok)] = np.where(backbone[p], -1, branch[p])
    return out


def _positions(labels: np.ndarray) -> dict:
    if len(labels) == 0:
        return {}
    return {int(k): np.asarray(v, dtype=np.int64) for k, v in pd.Series(labels).groupby(labels).indices.items()}


def sub_instance(instance, part: Part):
    """The part as an instance of its own (tables filtered; read-only, like every Instance)."""
    counties = instance.counties[instance.counties.index.astype(str).isin(part.counties)]
    return instance.with_changes(
        name=f"{instance.name}[{part.key}]", counties=counties,
        villages=instance.villages.iloc[part.villages], nodes=instance.nodes.iloc[part.nodes],
        edges=instance.edges.iloc[part.edges], sites=instance.sites.iloc[part.sites],
        coverage=instance.coverage.iloc[part.coverage])


# --------------------------------------------------------------------------- one part's model
@dataclass
class PartModel:
    """One part's model (no coupling rows) and what the coupling rows need.

    ``cost``, ``floor_cols``, ``floor_reachable``, ``sat_cols``,
    ``sat_demand``, ``sat_beam``: see
    :class:`~allocator.formulation.coupling.CouplingColumns`;
    ``tree_edges`` are the trench ids the restricted routes may use.
    """

    key: str
    counties: tuple
    c: np.ndarray
    a: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    sense: str
    names: list
    cost: np.ndarray
    floor_cols: dict
    floor_reachable: dict
    sat_cols: np.ndarray
    sat_demand: np.ndarray
    sat_beam: np.ndarray
    columns: object               # formulation Columns (for decoding)
    network: object               # FiberNetwork (for decoding)
    tree_edges: np.ndarray
    problems: list
    stats: dict = field(default_factory=dict)

    @property
    def num_vars(self) -> int:
        return len(self.c)


def build_part_model(sub, *, mode: str, objective_kind: str, mcf_limit: int, integer_only: bool) -> PartModel:
    """Build one part's model (a worker task): every family but the budget and the floors."""
    t0, c0 = time.perf_counter(), time.process_time()
    network = builder.default_network(sub)
    elig = eligibility.compute(sub, network)
    model = LinearModel()
    blk = builder.add_allocation(model, sub, network, elig, floors={}, budget=None, mode=mode,
                                 integer_only=integer_only, mcf_limit=mcf_limit)
    objective.set_objective(model, sub, blk.columns, objective_kind)
    cols = blk.columns
    cols.flow_blocks = []  # warm-start data, not needed here: keep the block small to ship
    data = coupling.coupling_columns(model, sub, cols, requirements(sub, sub.policy.floors()))
    tree = np.zeros(0, dtype=np.int64)
    if mode == "restricted" and network.num_arcs:
        arcs = shortest_path_tree(network)
        tree = np.array(sorted({e for a in arcs for e in network.edge_ids[network.arc_edge[a]]}), dtype=np.int64)
    c, a, lo, hi, lb, ub, integer = model.arrays()
    return PartModel(key="", counties=(), c=c, a=a, row_lo=lo, row_hi=hi, lb=lb, ub=ub, integer=integer,
                     sense=model.sense, names=list(model.names), cost=data.cost, floor_cols=data.floor_cols,
                     floor_reachable=data.floor_reachable, sat_cols=data.sat_cols, sat_demand=data.sat_demand,
                     sat_beam=data.sat_beam, columns=cols, network=network, tree_edges=tree,
                     problems=list(elig.problems),
                     stats={"build_seconds": time.perf_counter() - t0, "build_cpu": time.process_time() - c0,
                            **model.stats(), "fiber": blk.fiber_stats})


# --------------------------------------------------------------------------- one part's MIP
@dataclass
class Targets:
    """A part's share of the coupling rows (None: no row)."""

    budget: float | None                            # spending limit for the part
    floors: dict = field(default_factory=dict)      # group -> covered poor candidates at least
    beams: dict = field(default_factory=dict)       # beam -> Mbit/s at most


@dataclass
class PartResult:
    key: str
    status: str                  # status of the MIP whose solution is kept ('none' without one)
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    spend: float
    fallback: str                # '' or the first element of the FALLBACKS entry that was solved
    seconds: float
    cpu: float
    decision: object = None      # allocator.decision.Decision of the part's villages


def part_model(block: PartModel, targets: Targets, *, floors: bool = True, beams: bool = True,
               budget: bool = True) -> LinearModel:
    """The part's model with its coupling rows (:mod:`allocator.formulation.coupling`): budget
    share, floor targets, beam shares."""
    m = LinearModel.from_arrays(block.c, block.a, block.row_lo, block.row_hi, block.lb, block.ub, block.integer,
                     block.sense, block.names)
    rows = []
    if budget:
        rows.append(coupling.budget_row(block.cost, targets.budget, name="budget_share"))
    if floors:
        rows += coupling.floor_rows(block.floor_cols, targets.floors, name="floor_target")
    if beams:
        rows += coupling.beam_rows(block.sat_cols, block.sat_demand, block.sat_beam, targets.beams, name="beam_share")
    coupling.add_rows(m, rows)
    return m


#: what a part gives up, in order, while its MIP is proven infeasible
FALLBACKS = (
    ("", {}),
    ("floors dropped", {"floors": False}),
    ("requirements only, least cost", {"floors": False, "budget": False, "least_cost": True}),
    ("requirements only, least cost, beam share ignored",
     {"floors": False, "budget": False, "beams": False, "least_cost": True}),
)


def solve_part(task) -> PartResult:
    """Solve one part (a worker task): its MIP with its targets, relaxing them while it is infeasible.

    See :data:`FALLBACKS`: first the floor targets go (the repair pass meets
    the floors later), then the budget share (the least-cost plan of the part's
    own schools, clinics and forced technologies), then the beam share. The
    merge checks the whole budget and every beam, and trims what overshoots.
    """
    sub, block, targets, kind, solver, deadline, limit, gap, seed = task
    t0, c0 = time.perf_counter(), time.process_time()
    backend = get_backend(solver)

    def seconds() -> float | None:
        if deadline is None:
            return limit
        left = max(deadline - time.time(), 0.05)
        return left if limit is None else max(min(limit, left), 0.05)

    def run(model) -> SolveResult:
        if model.num_vars == 0:
            return SolveResult(Status.OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0, backend.name, backend.version(), 0.0)
        return backend.solve(model, SolveOptions(time_limit=seconds(), gap=gap, threads=1, seed=seed))

    for fallback, relax in FALLBACKS:
        least_cost = relax.get("least_cost", False)
        model = part_model(block, targets, **{k: v for k, v in relax.items() if k != "least_cost"})
        if least_cost:
            model.sense, model.obj = "min", block.cost.tolist()
        result = run(model)
        if result.status is not Status.INFEASIBLE:
            break
    if result.x is not None and kind is Objective.LEXICOGRAPHIC and not least_cost:
        result = _cheapest_keeping_coverage(block, targets, result, run, fallback)
    x = result.x
    spend = float(block.cost @ x) if x is not None else 0.0
    decision = None
    if x is not None:
        form = builder.Formulation(LinearModel(), block.columns, block.network, None, [])
        decision = builder.decode(form, sub, x)
    return PartResult(block.key, result.status.value, x, result.objective, result.bound, result.gap, spend,
                      fallback, time.perf_counter() - t0, time.process_time() - c0, decision)


def _cheapest_keeping_coverage(block, targets, result, run, fallback):
    """Lexicographic second stage inside the part: least cost keeping the part's coverage."""
    model = part_model(block, targets, floors=fallback == "")
    objective.keep_coverage(model, block.c, float(result.objective))
    model.sense, model.obj = "min", block.cost.tolist()
    second = run(model)
    if second.x is None:
        return result
    # keep the first stage's numbers (coverage), with the cheaper plan
    return SolveResult(result.status, second.x, float(block.c @ second.x), result.bound, result.gap,
                       result.solver, result.version, result.seconds + second.seconds, result.raw_status)


def time_share(blocks: list, seconds: float | None, workers: int) -> dict:
    """Per-part time limit: the parts share ``seconds`` on ``workers`` processes by model size.
    A small part gets at least a second, or its equal share when that is less (83 parts each given
    a second would take 40 s of a 20-s stage on 2 workers)."""
    if seconds is None:
        return {b.key: None for b in blocks}
    weight = {b.key: max(int(b.integer.sum()), 1) for b in blocks}
    total = sum(weight.values())
    least = min(seconds, 1.0, seconds * workers / max(len(blocks), 1))
    return {k: max(seconds * workers * w / total, least) for k, w in weight.items()}


def floor_target(value: float, reachable: int) -> int:
    """Covered members a part must reach: its LP coverage rounded down, never above what it can reach."""
    return int(min(math.floor(value + TARGET_TOL), reachable))
