"""Coverage floors: in each policy group, covered registered-poor villages
(already connected, or given a new technology) >= floor x registered-poor villages."""
from __future__ import annotations

import math

import numpy as np


def requirements(instance, floors: dict) -> list[dict]:
    """Per group with a floor: poor villages, already covered, and how many more are needed."""
    v = instance.villages
    out = []
    for group, floor in sorted(floors.items()):
        members = v[v["poor"] & v["groups"].map(lambda gs, g=group: g in gs)]
        total = len(members)
        if total == 0:
            continue
        existing = int((members["existing"] != "none").sum())
        need = math.ceil(floor * total - 1e-9) - existing
        out.append({"group": group, "floor": floor, "poor_villages": total, "existing": existing,
                    "need": need, "members": members.index})
    return out


def require_saturated(instance, elig, floors: dict) -> None:
    """A floor that needs every reachable member makes each of them required
    (a bound per village instead of one weak aggregated row)."""
    reach = np.zeros(len(elig.candidates), dtype=bool)
    for allowed in elig.allowed.values():
        reach |= allowed
    pos = {vid: i for i, vid in enumerate(elig.candidates)}
    for req in requirements(instance, floors):
        idx = np.array([pos[v] for v in req["members"] if v in pos], dtype=np.int64)
        idx = idx[reach[idx]] if len(idx) else idx
        if req["need"] > 0 and req["need"] >= len(idx):
            newly = idx[~elig.required[idx]]
            elig.required[newly] = True
            elig.why_required[newly] = f"floor:{req['group']}"


def build(model, instance, elig, columns, floors: dict) -> list[dict]:
    """Adds one row per binding floor; returns the requirements with ``reachable`` counts."""
    pos = {vid: i for i, vid in enumerate(elig.candidates)}
    reqs = requirements(instance, floors)
    for req in reqs:
        idx = [pos[vid] for vid in req["members"] if vid in pos]
        cols = [c for i in idx for c in columns.coverage_cols(i)]
        req["reachable"] = sum(1 for i in idx if columns.coverage_cols(i))
        if req["need"] > 0:
            model.add_row(np.array(cols, dtype=np.int64), 1.0, float(req["need"]), np.inf, name=f"floor[{req['group']}]")
    return reqs
