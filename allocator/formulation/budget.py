"""The budget: total cost (capex, or capex + discounted opex, as the instance
names) of every chosen option, trench and site."""
from __future__ import annotations

import numpy as np


def cost_vector(model, columns) -> np.ndarray:
    c = np.zeros(model.num_vars)
    for j, v in columns.cost.items():
        c[j] = v
    return c


def build(model, columns, budget: float | None) -> None:
    if budget is None:
        return
    c = cost_vector(model, columns)
    nz = np.flatnonzero(c)
    # written in thousandths of the budget: coefficients near 1..100 instead of 1e5..1e9 (solvers warn on
    # those), while a solver's feasibility tolerance (~1e-7 on the row) stays below 1e-10 of the budget, inside
    # the verifier's tolerance. As a plain share of the budget (rhs 1), a national plan overshot by 2.6e-7.
    scale = float(budget) / 1000.0 if budget > 0 else 1.0
    model.add_row(nz, c[nz] / scale, -np.inf, float(budget) / scale, name="budget")
