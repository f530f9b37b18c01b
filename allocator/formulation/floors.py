"""Coverage floors: in each policy group, covered registered-poor villages
(already connected, or given a new technology) >= floor x registered-poor villages.

This module says what each floor needs; :mod:`.coupling` writes the rows."""
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
