"""Technology choice: one binary per (village, allowed technology); at most one
new technology per village, exactly one when the village must be covered."""
from __future__ import annotations

import numpy as np

from ..schema import Technology
from .variables import Columns


def build(model, instance, elig) -> Columns:
    cands = elig.candidates
    v = instance.villages.loc[cands]
    cols = {}
    cost = {
        Technology.FIBER: instance.cost(v["fiber_capex"].to_numpy(float), v["fiber_opex"].to_numpy(float)),
        Technology.CELLULAR: np.zeros(len(cands)),
        Technology.SATELLITE: instance.cost(v["satellite_capex"].to_numpy(float), v["satellite_opex"].to_numpy(float)),
    }
    per_tech_cost = {}
    for tech in (Technology.FIBER, Technology.CELLULAR, Technology.SATELLITE):
        arr = np.full(len(cands), -1, dtype=np.int64)
        idx = np.flatnonzero(elig.allowed[tech])
        arr[idx] = model.add_vars([f"{tech.value}[{cands[i]}]" for i in idx])
        cols[tech] = arr
        per_tech_cost[tech] = (arr[idx], cost[tech][idx])
    columns = Columns(cands, cols[Technology.FIBER], cols[Technology.CELLULAR], cols[Technology.SATELLITE])
    for tech, (c, k) in per_tech_cost.items():
        columns.add_cost(c, k)

    for i in range(len(cands)):
        cc = columns.coverage_cols(i)
        if not cc:
            continue
        if len(cc) == 1 and elig.required[i]:
            model.lb[cc[0]] = 1.0  # a bound, not a row: presolve propagates it for free
        elif len(cc) > 1:
            model.add_row(cc, 1.0, 1.0 if elig.required[i] else -np.inf, 1.0, name=f"choice[{cands[i]}]")
    return columns
