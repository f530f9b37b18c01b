"""The heuristic-effort option of SolveOptions: handed to HiGHS as it is (no solve mode sets it
by default: raising it made the province preset worse, benchmarks/results/README.md)."""
from __future__ import annotations

import math

import numpy as np

from allocator.backends import get_backend
from allocator.backends.base import SolveOptions
from allocator.backends.linear import LinearModel


def _knapsack():
    rng = np.random.default_rng(3)
    m = LinearModel(sense="max")
    w = rng.integers(5, 40, 10).astype(float)
    cols = [m.add_var(f"x{i}", obj=float(w[i] + rng.integers(-4, 12)), integer=True) for i in range(10)]
    m.add_row(cols, w.tolist(), -np.inf, float(np.floor(w.sum() * 0.4)), name="cap")
    return m


def _brute_force(m) -> float:
    obj, a = np.asarray(m.obj), m.matrix().toarray()
    best = -math.inf
    for bits in range(1 << m.num_vars):
        x = np.array([(bits >> i) & 1 for i in range(m.num_vars)], dtype=float)
        if np.all(a @ x <= np.asarray(m.row_hi) + 1e-9):
            best = max(best, float(obj @ x))
    return best


def test_heuristic_effort_reaches_highs_and_keeps_the_optimum():
    backend = get_backend("highs")
    h = backend.load(_knapsack(), SolveOptions(heuristic_effort=0.3))
    assert math.isclose(h.getOptionValue("mip_heuristic_effort")[1], 0.3)
    default = backend.load(_knapsack(), SolveOptions()).getOptionValue("mip_heuristic_effort")[1]
    assert not math.isclose(default, 0.3)  # None leaves HiGHS's own default
    expected = _brute_force(_knapsack())
    for effort in (None, 0.3, 1.0):
        r = backend.solve(_knapsack(), SolveOptions(heuristic_effort=effort))
        assert r.status.value == "optimal" and math.isclose(r.objective, expected)
