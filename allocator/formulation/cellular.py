"""4G sites: a site is opened with fiber or microwave backhaul (one binary
each, at most one of them); a 4G village needs an opened site covering it.
Fiber backhaul is linked to the fiber network in :mod:`.fiber`."""
from __future__ import annotations

import numpy as np
import pandas as pd


def build(model, instance, elig, columns, network) -> None:
    cand_cell = elig.candidates[columns.cellular >= 0]
    cov = instance.coverage[instance.coverage["site_id"].isin(elig.usable_sites)
                            & instance.coverage["village_id"].isin(cand_cell)]
    site_ids = pd.Index(sorted(cov["site_id"].unique()))
    s = instance.sites.loc[site_ids]
    backbone = set(instance.backbone_nodes)
    node = s["node"].astype(str)
    can_fiber = s["backhaul"].isin(["any", "fiber"]).to_numpy(bool) & node.map(
        lambda x: bool(x) and (network.reaches_backbone(x) or x in backbone)).to_numpy(bool)
    can_micro = s["backhaul"].isin(["any", "microwave"]).to_numpy(bool)
    site_cost = instance.cost(s["capex"].to_numpy(float), s["opex"].to_numpy(float))
    micro_cost = instance.cost(s["backhaul_capex"].to_numpy(float), s["backhaul_opex"].to_numpy(float))

    fib = np.full(len(site_ids), -1, dtype=np.int64)
    mic = np.full(len(site_ids), -1, dtype=np.int64)
    idx = np.flatnonzero(can_fiber)
    fib[idx] = model.add_vars([f"site_fiber[{site_ids[i]}]" for i in idx])
    columns.add_cost(fib[idx], site_cost[idx])
    idx = np.flatnonzero(can_micro)
    mic[idx] = model.add_vars([f"site_microwave[{site_ids[i]}]" for i in idx])
    columns.add_cost(mic[idx], site_cost[idx] + micro_cost[idx])
    both = np.flatnonzero(can_fiber & can_micro)
    for i in both:
        model.add_row([fib[i], mic[i]], 1.0, -np.inf, 1.0, name=f"one_backhaul[{site_ids[i]}]")
    columns.site_ids, columns.site_fiber, columns.site_micro = site_ids, fib, mic

    # a 4G village needs an opened site that covers it: g_v <= sum over covering sites
    pos = pd.Series(np.arange(len(site_ids)), index=site_ids)
    cand_pos = pd.Series(np.arange(len(elig.candidates)), index=elig.candidates)
    for vid, grp in cov.groupby("village_id", sort=True):
        i = cand_pos[vid]
        sp = pos[grp["site_id"]].to_numpy()
        open_cols = np.concatenate([fib[sp], mic[sp]])
        open_cols = open_cols[open_cols >= 0]
        model.add_row(np.concatenate([[columns.cellular[i]], open_cols]),
                      np.concatenate([[1.0], -np.ones(len(open_cols))]), -np.inf, 0.0, name=f"reach[{vid}]")
