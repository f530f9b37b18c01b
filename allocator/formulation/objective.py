"""Objectives.

max-coverage: sum over newly covered villages of weight x quality(technology)
  (the coefficients: :mod:`allocator.objective_coefficients`).
min-cost: the total cost in the instance's budget measure.
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
