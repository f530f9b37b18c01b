"""The LP side of the county decomposition (:mod:`allocator.solve.decompose.run`): the
whole model's LP relaxation assembled from the part models, its solve, and the
shares of budget, floors and beam capacity it gives each part."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...backends.base import SolveOptions, SolveResult
from ...backends.linear import LinearModel
from ...formulation import coupling
from .parts import PartModel, Targets, floor_target


def stack(blocks: list[PartModel], *, budget, reqs: list[dict], beams):
    """The part models side by side plus the coupling rows (:mod:`allocator.formulation.coupling`,
    the monolithic model's rows over the parts' columns), integrality dropped.

    Returns (LinearModel, column offset of each block)."""
    offsets = np.cumsum([0] + [b.num_vars for b in blocks])
    row_off = np.cumsum([0] + [b.a.shape[0] for b in blocks])
    coo = [sp.coo_matrix(b.a) for b in blocks]
    rows = [c.row + r for c, r in zip(coo, row_off)]
    cols = [c.col + o for c, o in zip(coo, offsets)]
    vals = [c.data for c in coo]
    lo = [b.row_lo for b in blocks]
    hi = [b.row_hi for b in blocks]
    names = [""] * int(row_off[-1])
    empty = np.zeros(0, dtype=np.int64)

    def cat(key, dtype=float):
        return np.concatenate([getattr(b, key) for b in blocks]) if blocks else np.zeros(0, dtype=dtype)

    shifted = [(b, int(o)) for b, o in zip(blocks, offsets)]
    floor_cols = {r["group"]: np.concatenate([b.floor_cols.get(r["group"], empty) + o for b, o in shifted] or [empty])
                  for r in reqs}
    sat_cols = np.concatenate([b.sat_cols + o for b, o in shifted] or [empty])
    coupling_rows = [coupling.budget_row(cat("cost"), budget)]
    coupling_rows += coupling.floor_rows(floor_cols, {r["group"]: r["need"] for r in reqs})
    coupling_rows += coupling.beam_rows(sat_cols, cat("sat_demand"), cat("sat_beam", object),
                                        coupling.beam_capacities(beams))
    for row in (r for r in coupling_rows if r is not None):
        rows.append(np.full(len(row.cols), len(names), dtype=np.int64))
        cols.append(row.cols)
        vals.append(row.coefs)
        lo.append(np.array([row.lo]))
        hi.append(np.array([row.hi]))
        names.append(row.name)
    n = int(offsets[-1])
    a = sp.csr_matrix((np.concatenate(vals) if vals else np.zeros(0),
                       (np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
                        np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64))), shape=(len(names), n))
    sense = blocks[0].sense if blocks else "max"
    model = LinearModel.from_arrays(cat("c"), a, np.concatenate(lo) if lo else np.zeros(0),
                                    np.concatenate(hi) if hi else np.zeros(0), cat("lb"), cat("ub"),
                                    np.zeros(n, dtype=bool), sense, row_names=names)
    return model, offsets


def shares(blocks: list[PartModel], x: np.ndarray, offsets, *, budget, reqs: list[dict], beams) -> dict:
    """Each part's budget, floor targets and beam capacity, from the LP solution ``x``."""
    spend = {b.key: max(float(b.cost @ x[o:o + b.num_vars]), 0.0) for b, o in zip(blocks, offsets)}
    out = {}
    budget_of = {b.key: None for b in blocks}
    if budget is not None:
        total = sum(spend.values())
        if total > budget:       # the LP's own tolerance: scale back onto the budget
            budget_of = {k: v * budget / total for k, v in spend.items()}
        else:                    # money the LP left: shared in proportion to spend (equally if none)
            slack = budget - total
            budget_of = {k: v + (slack * v / total if total > 0 else slack / len(spend)) for k, v in spend.items()}
    # beams: the LP's use, plus room left shared by what each part could put on the beam
    capacity = coupling.beam_capacities(beams)
    use, room = {}, {}
    for b, o in zip(blocks, offsets):
        xs = x[b.sat_cols + o] if len(b.sat_cols) else np.zeros(0)
        for beam in sorted(set(b.sat_beam.tolist())):
            on = b.sat_beam == beam
            use[(b.key, beam)] = max(float(b.sat_demand[on] @ xs[on]), 0.0)
            room[(b.key, beam)] = float(b.sat_demand[on].sum())
    for beam in sorted({k[1] for k in use}):
        keys = [k for k in use if k[1] == beam]
        cap = capacity[beam]
        used = sum(use[k] for k in keys)
        if used > cap:
            for k in keys:
                use[k] *= cap / used
        else:
            potential = sum(room[k] for k in keys)
            for k in keys:
                use[k] += (cap - used) * room[k] / potential if potential > 0 else 0.0
    needs = {r["group"]: r["need"] for r in reqs}
    if len(blocks) == 1:  # one part is the whole problem: it gets the coupling rows themselves
        b = blocks[0]
        caps = {beam: capacity[beam] for beam in sorted(set(b.sat_beam.tolist()))}
        floors = {g: int(needs[g]) for g in sorted(b.floor_cols) if needs.get(g, 0) > 0}
        return {b.key: Targets(budget=budget, floors=floors, beams=caps)}
    for b, o in zip(blocks, offsets):
        floors = {}
        for group, cols in sorted(b.floor_cols.items()):
            if needs.get(group, 0) > 0:
                floors[group] = floor_target(float(x[cols + o].sum()) if len(cols) else 0.0,
                                             b.floor_reachable[group])
        beams_of = {beam: use[(b.key, beam)] for beam in sorted(set(b.sat_beam.tolist()))}
        out[b.key] = Targets(budget=budget_of[b.key], floors=floors, beams=beams_of)
    return out


#: restricted-mode LP columns from which HiGHS's interior-point method (with crossover) replaces its
#: dual simplex. Measured on one core (docs/scale.md): national restricted LP (253k columns) IPM 110 s,
#: dual simplex 132 s; prefecture restricted (6.9k) simplex 0.09 s, IPM 0.34 s; prefecture exact
#: (121k columns of flows) simplex 10 s, IPM 133 s: the flows make the IPM slow, so exact mode keeps
#: the simplex.
IPM_FROM_COLUMNS = 100_000


def lp_backend(backend):
    """The backend that solves the LPs of the bound: HiGHS whatever solves the county MIPs.
    CP-SAT solves no LP, and SCIP's SoPlex took 4 min 23 s on the national LP that HiGHS's
    interior point solves in about 105 s (2 cores, load 2): the MIP solver is what a
    decomposed run compares. Falls back to the chosen backend when HiGHS is missing."""
    from ...backends import get_backend
    from ...backends.highs import HighsBackend
    return get_backend("highs") if HighsBackend.available() else backend


def lp_algorithm(model: LinearModel, mode: str, backend=None) -> str:
    """What the summary calls the LP algorithm: HiGHS's IPM or simplex, else the solver's default."""
    name = "highs" if backend is None else lp_backend(backend).name
    if name != "highs":
        return f"{name} default"
    return "ipm" if mode == "restricted" and model.num_vars >= IPM_FROM_COLUMNS else "simplex"


def solve_lp(backend, model: LinearModel, *, algorithm: str = "simplex", time_limit: float | None,
             seed: int) -> SolveResult:
    """The LP relaxation on one thread; ``algorithm='ipm'`` uses HiGHS's interior-point method
    (crossover on: a basic optimum). The LPs go to HiGHS whatever the MIP solver
    (:func:`lp_backend`).

    ``bound`` is the safe dual bound of the LP (allocator/solve/safe_bound.py), never the primal
    value of an LP solved to a tolerance; ``extra['lp_objective']`` keeps that value."""
    options = SolveOptions(time_limit=time_limit, threads=1, seed=seed)
    backend = lp_backend(backend)
    if backend.name != "highs":
        return backend.solve(model, options)
    import highspy

    from ...backends import Deadline, make_result
    from ..safe_bound import highs_dual_bound

    deadline = Deadline(time_limit)
    h = backend.load(model, options)
    h.setOptionValue("solver", "ipm" if algorithm == "ipm" else "simplex")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.run()
    status = h.getModelStatus()
    raw = h.modelStatusToString(status)
    common = dict(solver=backend.name, version=backend.version(), deadline=deadline, raw_status=f"{algorithm}: {raw}")
    ms = highspy.HighsModelStatus
    if status == ms.kInfeasible:
        return make_result(model, proven_infeasible=True, **common)
    if status == ms.kModelEmpty or model.num_vars == 0:  # nothing to decide: the offset is the value
        return make_result(model, x=np.zeros(model.num_vars), bound=float(model.obj_offset), **common)
    if status != ms.kOptimal:  # anything short of a proven optimum: no bound, let the caller decide
        return make_result(model, error=f"HiGHS {algorithm} stopped: {raw}", **common)
    x = np.asarray(h.getSolution().col_value, dtype=float)
    primal = float(h.getInfo().objective_function_value)
    safe = highs_dual_bound(h)
    if safe is None or not np.isfinite(safe):
        return make_result(model, error=f"HiGHS {algorithm}: no dual values to bound the LP safely", **common)
    # the primal value is no bound; rounding below it (min) / above it (max) is the price of safety.
    # The row duals start the price rounds (allocator/solve/decompose/lagrange.py, lp_prices).
    return make_result(model, x=x, bound=safe, extra={"lp_objective": primal, "safe_bound_from": "duals",
                                                      "row_dual": np.asarray(h.getSolution().row_dual, dtype=float)},
                       **common)
