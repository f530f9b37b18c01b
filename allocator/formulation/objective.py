"""Objectives.

max-coverage: sum over newly covered villages of weight x quality(technology)
  (the coefficients: :mod:`allocator.objective_coefficients`).
min-cost: the total cost in the instance's budget measure.
lexicographic: max-coverage, then min-cost keeping that coverage (:func:`keep_coverage`).
"""
from __future__ import annotations

import numpy as np

from ..objective_coefficients import quality, quality_factors, village_weights
from .coupling import cost_vector


def coverage_vector(model, instance, columns) -> np.ndarray:
    """Per column: the coverage objective's coefficient (weight x quality) of its village and technology."""
    c = np.zeros(model.num_vars)
    w = village_weights(instance, columns.candidates)
    factors = quality_factors(instance)
    for tech, cols in columns.tech.items():
        on = cols >= 0
        c[cols[on]] = w[on] * quality(factors, tech)
    return c


def set_objective(model, instance, columns, kind: str) -> None:
    if kind == "min-cost":
        model.sense = "min"
        model.obj = cost_vector(model, columns).tolist()
    elif kind == "max-coverage":
        model.sense = "max"
        model.obj = coverage_vector(model, instance, columns).tolist()
    else:
        raise ValueError(kind)


#: a lexicographic second stage keeps the first stage's coverage less this share of it: the
#: solver met the first stage only to its own feasibility tolerance (~1e-7 relative)
KEEP_COVERAGE_TOL = 1e-7


def keep_coverage(model, cover, value: float, *, name: str = "keep_coverage") -> None:
    """Add ``cover . x >= value`` (less :data:`KEEP_COVERAGE_TOL`) to ``model``: the coverage row of a
    lexicographic second stage, for the monolithic, multi-year, exact-bound and part models alike."""
    cover = np.asarray(cover, dtype=float)
    nz = np.flatnonzero(cover)
    model.add_row(nz, cover[nz], value - KEEP_COVERAGE_TOL * max(1.0, abs(value)), np.inf, name=name)
