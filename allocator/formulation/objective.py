"""Objectives.

max-coverage: sum over newly covered villages of weight x quality(technology),
  weight = population x max(priority of the village's policy groups, 1 if none)
           x (1 if registered poor else the policy's non-poor factor).
min-cost: the total cost in the instance's budget measure.
"""
from __future__ import annotations

import numpy as np

from ..schema import Technology
from .budget import cost_vector


def village_weights(instance, village_ids) -> np.ndarray:
    pol = instance.policy
    v = instance.villages.loc[village_ids]
    prio = {name: g.priority for name, g in pol.groups.items()}
    best = v["groups"].map(lambda gs: max([prio[g] for g in gs if g in prio], default=1.0)).to_numpy(float)
    poor = np.where(v["poor"].to_numpy(bool), 1.0, pol.non_poor_weight)
    return v["population"].to_numpy(float) * best * poor


def coverage_vector(model, instance, columns) -> np.ndarray:
    c = np.zeros(model.num_vars)
    w = village_weights(instance, columns.candidates)
    q = instance.costs.quality
    for tech, cols in ((Technology.FIBER, columns.fiber), (Technology.CELLULAR, columns.cellular),
                       (Technology.SATELLITE, columns.satellite)):
        on = cols >= 0
        c[cols[on]] = w[on] * float(q.get(tech.value, 1.0))
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
