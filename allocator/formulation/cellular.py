"""Sites (every site technology: 4G, 5G FWA ...): a site is opened with fiber
or microwave backhaul (one binary each, at most one of them); a village given a
site technology needs an opened site of that technology covering it. Fiber
backhaul is linked to the fiber network in :mod:`.fiber`."""
from __future__ import annotations

import numpy as np
import pandas as pd


def build(model, instance, elig, columns, network) -> None:
    site_techs = columns.of_kind("site")
    cand_site = np.zeros(len(elig.candidates), dtype=bool)
    for arr in site_techs.values():
        cand_site |= arr >= 0
    cov = instance.coverage[instance.coverage["site_id"].isin(elig.usable_sites)
                            & instance.coverage["village_id"].isin(elig.candidates[cand_site])]
    # a site covers a village for its own technology only
    site_tech = instance.sites["technology"].reindex(cov["site_id"]).astype(str).to_numpy()
    cand_pos_all = pd.Index(elig.candidates).get_indexer(cov["village_id"])
    wanted = np.zeros(len(cov), dtype=bool)
    for name, arr in site_techs.items():
        wanted |= (site_tech == name) & (arr[cand_pos_all] >= 0)
    cov = cov[wanted]
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

    # a site-technology village needs an opened site of that technology covering it:
    # g_v(t) <= sum over covering sites of t (one row per village and technology)
    first = next(iter(site_techs), None)
    for name, arr in site_techs.items():
        sub = cov[instance.sites["technology"].reindex(cov["site_id"]).astype(str).to_numpy() == name]
        if sub.empty:
            continue
        site_pos = pd.Index(site_ids).get_indexer(sub["site_id"])
        cand_pos = pd.Index(elig.candidates).get_indexer(sub["village_id"])
        villages, row = np.unique(cand_pos, return_inverse=True)
        entries = [(row, fib[site_pos]), (row, mic[site_pos])]
        rows = np.concatenate([np.arange(len(villages))] + [r[c >= 0] for r, c in entries])
        cols = np.concatenate([arr[villages]] + [c[c >= 0] for _, c in entries])
        vals = np.concatenate([np.ones(len(villages)), -np.ones(len(rows) - len(villages))])
        label = "reach" if name == first else f"reach_{name}"  # the first keeps the china-2018 row names
        model.add_rows(rows, cols, vals, -np.inf, np.zeros(len(villages)),
                       names=[f"{label}[{elig.candidates[i]}]" for i in villages])
