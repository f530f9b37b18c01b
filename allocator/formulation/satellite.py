"""Satellite: per-village terminal; the villages on one beam share its capacity."""
from __future__ import annotations

import numpy as np


def build(model, instance, elig, columns) -> None:
    on = columns.satellite >= 0
    if not on.any():
        return
    v = instance.villages.loc[elig.candidates[on]]
    cols = columns.satellite[on]
    demand = v["demand_mbps"].to_numpy(float)
    beams = v["beam"].to_numpy()
    for beam in sorted(set(beams)):
        m = beams == beam
        cap = float(instance.beams.loc[beam, "capacity_mbps"])
        if demand[m].sum() > cap + 1e-9:  # only write rows that can bind
            model.add_row(cols[m], demand[m], -np.inf, cap, name=f"beam[{beam}]")
