"""Technology choice: one binary per (village, allowed technology); at most one
new technology per village, exactly one when the village must be covered."""
from __future__ import annotations

import numpy as np

from ..technologies import terminal_columns
from .variables import Columns


def village_costs(instance, cands, tech) -> np.ndarray:
    """Per candidate, what giving it ``tech`` costs itself (budget measure): the network's drop,
    a terminal's equipment and fee, nothing for a site technology (the site is costed once)."""
    v = instance.villages.loc[cands]
    if tech.kind == "network":
        return instance.cost(v["fiber_capex"].to_numpy(float), v["fiber_opex"].to_numpy(float))
    if tech.kind == "terminal":
        capex, opex = terminal_columns(tech.name)
        return instance.cost(v[capex].to_numpy(float), v[opex].to_numpy(float))
    return np.zeros(len(cands))


def build(model, instance, elig) -> Columns:
    cands = elig.candidates
    reg = instance.costs.technologies
    cols, kinds = {}, {}
    per_tech_cost = {}
    for name in reg.access:
        tech = reg[name]
        arr = np.full(len(cands), -1, dtype=np.int64)
        idx = np.flatnonzero(elig.allowed[name])
        arr[idx] = model.add_vars([f"{name}[{cands[i]}]" for i in idx])
        cols[name], kinds[name] = arr, tech.kind
        per_tech_cost[name] = (arr[idx], village_costs(instance, cands, tech)[idx])
    columns = Columns(cands, cols, kinds)
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
