"""Model-load time of the CBC and SCIP backends, the former path against the current one.

    python -m benchmarks.backend_load /tmp/nat1                 # an instance folder (allocator generate national ...)
    python -m benchmarks.backend_load /tmp/nat1 --cache /tmp/nat1-model.npz --repeat 2

"Load" is everything from the engine's :class:`LinearModel` to the solver
holding the model, ready to search:

* CBC, former path (PuLP): the ``LpProblem`` built row by row, PuLP's MPS writer,
  then the CBC binary reading the file (``cbc model.mps -quit``);
* CBC, current path (``allocator.backends.mps``): the vectorised MPS writer, then
  the same CBC read;
* SCIP, former path (pywraplp): the ``MPModelProto`` filled row by row,
  ``LoadModelFromProto``, then the solve with a 1 ms limit (OR-Tools builds the
  SCIP problem and SCIP stops at its first time check, before presolving), and
  freeing the solver;
* SCIP, current path (``allocator.backends.scip.load_model``): the model builder
  filled from the CSR arrays in one call, then the same 1 ms solve and freeing.

The model is the one ``allocator solve`` builds (``--mode restricted`` by
default: the national LP of docs/scale.md, 253k columns). Building it once is
timed too, and ``--cache`` keeps its arrays for the next run. The paths run
in turns (old, new, old, new, ...) in this process; wall-clock seconds, the
minimum over ``--repeat``. Not a test: the machine is shared, so the load
average (from /proc/loadavg) is printed with every figure. The former paths
live here, as they were in allocator/backends before issue 13.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp

from allocator.backends.linear import LinearModel


def _load() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------- the model
def build_model(folder: str, mode: str, cache: str | None) -> tuple[LinearModel, float | None]:
    """The monolithic model of the instance (objective and budget as in its instance.toml)."""
    if cache and os.path.exists(cache):
        z = np.load(cache, allow_pickle=False)
        a = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        model = LinearModel.from_arrays(z["c"], a, z["row_lo"], z["row_hi"], z["lb"], z["ub"], z["integer"],
                                        str(z["sense"]))
        model.obj_offset = float(z["offset"])
        return model, None
    from allocator.formulation import builder
    from allocator.io.reader import load_instance

    instance = load_instance(folder)
    objective = str(getattr(instance.objective, "value", instance.objective))
    if objective == "lexicographic":
        objective = "max-coverage"
    t0 = time.perf_counter()
    form = builder.build(instance, objective_kind=objective, budget=instance.budget, mode=mode)
    seconds = time.perf_counter() - t0
    model = form.model
    if cache:
        c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
        np.savez(cache, c=c, data=a.data, indices=a.indices, indptr=a.indptr, shape=np.array(a.shape),
                 row_lo=row_lo, row_hi=row_hi, lb=lb, ub=ub, integer=integer, sense=np.array(model.sense),
                 offset=np.array(model.obj_offset))
    return model, seconds


# ---------------------------------------------------------------- CBC
def _cbc_path() -> str:
    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False).path


def _cbc_reads(path: str) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([_cbc_path(), path, "-quit"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         check=False)
    seconds = time.perf_counter() - t0
    if "read with 0 errors" not in out.stdout:
        raise RuntimeError(f"CBC did not read {path}: {out.stdout[-500:]}")
    return seconds


def _bound(value: float) -> float | None:
    return value if math.isfinite(value) else None


def pulp_problem(model: LinearModel):
    """The former CBC build: one PuLP variable per column, one constraint per row side."""
    import pulp

    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    sign = -1.0 if model.sense == "max" else 1.0
    prob = pulp.LpProblem("allocator", pulp.LpMinimize)
    new_var = getattr(prob, "add_variable", None) or pulp.LpVariable
    cols = [new_var(f"x{j}", _bound(lb[j]), _bound(ub[j]), pulp.LpInteger if integer[j] else pulp.LpContinuous)
            for j in range(model.num_vars)]
    nz = np.flatnonzero(c)
    prob.setObjective(pulp.LpAffineExpression([(cols[j], sign * float(c[j])) for j in nz.tolist()]))
    indptr, indices, data = a.indptr, a.indices, a.data
    for i in range(model.num_rows):
        s, e = indptr[i], indptr[i + 1]
        lo, hi = float(row_lo[i]), float(row_hi[i])
        if s == e:
            continue
        terms = [(cols[j], v) for j, v in zip(indices[s:e].tolist(), data[s:e].tolist())]
        if lo == hi:
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, rhs=lo),
                               name=f"r{i}")
            continue
        if math.isfinite(lo):
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintGE, rhs=lo),
                               name=f"r{i}_lo")
        if math.isfinite(hi):
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=hi),
                               name=f"r{i}_hi")
    return prob


def cbc_pulp(model: LinearModel, tmp: str) -> dict:
    path = os.path.join(tmp, "pulp.mps")
    t0 = time.perf_counter()
    prob = pulp_problem(model)
    t1 = time.perf_counter()
    prob.writeMPS(path, rename=1)
    t2 = time.perf_counter()
    read = _cbc_reads(path)
    return {"build": t1 - t0, "write": t2 - t1, "solver_read": read, "total": t2 - t0 + read,
            "file_mb": os.path.getsize(path) / 1e6}


def cbc_mps(model: LinearModel, tmp: str) -> dict:
    from allocator.backends.mps import write_mps

    path = os.path.join(tmp, "own.mps")
    t0 = time.perf_counter()
    write_mps(model, path, minimise_only=True, with_offset=False)
    t1 = time.perf_counter()
    read = _cbc_reads(path)
    return {"build": 0.0, "write": t1 - t0, "solver_read": read, "total": t1 - t0 + read,
            "file_mb": os.path.getsize(path) / 1e6}


# ---------------------------------------------------------------- SCIP
def scip_proto(model: LinearModel, tmp: str) -> dict:
    """The former SCIP path: MPModelProto row by row, pywraplp."""
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    t0 = time.perf_counter()
    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    proto = linear_solver_pb2.MPModelProto()
    proto.maximize = model.sense == "max"
    proto.objective_offset = float(model.obj_offset)
    for j in range(model.num_vars):
        v = proto.variable.add()
        v.lower_bound = float(lb[j])
        v.upper_bound = float(ub[j])
        v.objective_coefficient = float(c[j])
        v.is_integer = bool(integer[j])
    indptr, indices, data = a.indptr, a.indices, a.data
    for i in range(model.num_rows):
        s, e = indptr[i], indptr[i + 1]
        ct = proto.constraint.add()
        ct.lower_bound = float(row_lo[i])
        ct.upper_bound = float(row_hi[i])
        ct.var_index.extend(indices[s:e].tolist())
        ct.coefficient.extend(data[s:e].tolist())
    solver = pywraplp.Solver.CreateSolver("SCIP")
    problem = solver.LoadModelFromProto(proto)
    if problem:
        raise RuntimeError(problem)
    t1 = time.perf_counter()
    solver.SuppressOutput()
    solver.SetTimeLimit(1)
    solver.Solve()
    t2 = time.perf_counter()
    del solver, proto
    t3 = time.perf_counter()
    return {"build": t1 - t0, "into_scip": t2 - t1, "free": t3 - t2, "total": t3 - t0}


def scip_builder(model: LinearModel, tmp: str) -> dict:
    from ortools.linear_solver.python import model_builder_helper as mbh

    from allocator.backends.scip import load_model

    t0 = time.perf_counter()
    builder = load_model(model)
    solver = mbh.ModelSolverHelper("scip")
    t1 = time.perf_counter()
    solver.set_time_limit_in_seconds(0.001)
    solver.solve(builder)
    t2 = time.perf_counter()
    del solver, builder
    t3 = time.perf_counter()
    return {"build": t1 - t0, "into_scip": t2 - t1, "free": t3 - t2, "total": t3 - t0}


PATHS = {"cbc-pulp": cbc_pulp, "cbc-mps": cbc_mps, "scip-proto": scip_proto, "scip-builder": scip_builder}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("instance", help="instance folder (allocator generate ...)")
    ap.add_argument("--mode", default="restricted", choices=("exact", "restricted"))
    ap.add_argument("--cache", help="npz file keeping the model's arrays between runs")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--paths", nargs="+", default=list(PATHS), choices=list(PATHS))
    ap.add_argument("--json", help="append the measurements as JSON lines to this file")
    args = ap.parse_args(argv)

    model, build_seconds = build_model(args.instance, args.mode, args.cache)
    stats = model.stats()
    head = (f"{args.instance} ({args.mode}): {stats['variables']:,} columns ({stats['integer_variables']:,} integer), "
            f"{stats['constraints']:,} rows, {stats['nonzeros']:,} nonzeros")
    if build_seconds is not None:
        head += f"; formulation built in {build_seconds:.1f} s"
    print(head + f"; load {_load()}", flush=True)
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="backend-load-") as tmp:
        for rep in range(args.repeat):
            for name in args.paths:
                load_before = _load()
                row = PATHS[name](model, tmp)
                row = {k: round(v, 3) for k, v in row.items()}
                print(f"  {name:13s} run {rep + 1}: " + ", ".join(f"{k} {v}" for k, v in row.items())
                      + f"  (load {load_before})", flush=True)
                if name not in best or row["total"] < best[name]["total"]:
                    best[name] = row
                if args.json:
                    with open(args.json, "a") as fh:
                        fh.write(json.dumps({"instance": args.instance, "mode": args.mode, "path": name,
                                             "run": rep + 1, "load": load_before, **stats, **row}) + "\n")
                for f in os.listdir(tmp):
                    os.remove(os.path.join(tmp, f))
    print("best of", args.repeat, "(total seconds):",
          ", ".join(f"{name} {row['total']:.2f}" for name, row in best.items()), f"; load {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
