"""The coefficients of the coverage objective, in one place.

A village newly given technology ``t`` is worth ``weight x quality(t)``:

- weight = population x the largest priority among the village's policy
  groups (1 if it belongs to none with a priority) x (1 if registered poor,
  else the policy's non-poor factor);
- quality(t) = the cost model's quality factor of ``t``; a technology the cost
  model gives no factor counts 0 (the loader requires every factor, so this
  only matters for instances built in code; the verifier does the same and
  warns).

The model's objective (:mod:`allocator.formulation.objective`), the greedy
heuristic, the decomposition's value of a merged plan and the plan's
``weight`` column all read these. The verifier (:mod:`allocator.verify`)
recomputes them on its own, on purpose: a second, independent computation.
"""
from __future__ import annotations

from enum import Enum
from typing import Mapping

import numpy as np
import pandas as pd

from .schema import NO_TECHNOLOGY


def village_weights(instance, village_ids=None) -> np.ndarray:
    """Objective weight of each village of ``village_ids`` (default: every village, in table order)."""
    pol = instance.policy
    v = instance.villages if village_ids is None else instance.villages.loc[village_ids]
    prio = {name: g.priority for name, g in pol.groups.items()}
    best = v["groups"].map(lambda gs: max([prio[g] for g in gs if g in prio], default=1.0)).to_numpy(float)
    poor = np.where(v["poor"].to_numpy(bool), 1.0, pol.non_poor_weight)
    return v["population"].to_numpy(float) * best * poor


def weight_series(instance) -> pd.Series:
    """:func:`village_weights` of every village, indexed by village id."""
    return pd.Series(village_weights(instance), index=instance.villages.index, dtype=float)


def quality_factors(instance) -> dict[str, float]:
    """Technology (plain string) -> quality factor, as the cost model gives them."""
    return {k.value if isinstance(k, Enum) else str(k): float(v) for k, v in instance.costs.quality.items()}


def quality(factors: Mapping[str, float], technology) -> float:
    """The quality factor of ``technology`` (0 when the cost model gives none)."""
    key = technology.value if isinstance(technology, Enum) else str(technology)
    return float(factors.get(key, 0.0))


def coverage_value(instance, technology: Mapping[str, str]) -> float:
    """The coverage objective of a plan: ``technology`` maps village id -> technology given
    (``none`` or absent: nothing new)."""
    new = [(v, t) for v, t in sorted(technology.items()) if t != NO_TECHNOLOGY]
    if not new:
        return 0.0
    factors = quality_factors(instance)
    w = village_weights(instance, [v for v, _ in new])
    return float(np.sum(w * np.array([quality(factors, t) for _, t in new])))
