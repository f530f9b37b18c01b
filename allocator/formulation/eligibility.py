"""Which technologies each not-yet-connected village may take, and which
villages must be covered. Policy rules, school bandwidth and physical
reach (a node on the backbone's network, a usable covering site, a beam with
room) are all applied here, before any variable exists.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..technologies import pool_id


@dataclass
class Eligibility:
    candidates: pd.Index                     # village ids not yet connected
    allowed: dict                            # technology name -> bool array over candidates
    forced: np.ndarray                       # technology name or '' per candidate
    required: np.ndarray                     # bool: must be covered (school, clinic, forced)
    why_required: np.ndarray                 # '' | 'school' | 'clinic' | 'forced'
    usable_sites: pd.Index = field(default_factory=lambda: pd.Index([]))
    problems: list = field(default_factory=list)   # human-readable reasons the instance is infeasible


def rule_mask(villages: pd.DataFrame, scope: str, value: str) -> np.ndarray:
    if scope == "group":
        return villages["groups"].map(lambda gs: value in gs).to_numpy(bool)
    column = {"county": "county_id", "prefecture": "prefecture", "province": "province"}[scope]
    return (villages[column].astype(str) == str(value)).to_numpy(bool)


def compute(instance, network) -> Eligibility:
    v = instance.villages
    cand_mask = (v["existing"] == "none").to_numpy()
    cv = v[cand_mask]
    cands = cv.index
    n = len(cands)
    reg = instance.costs.technologies
    techs = reg.access
    own = {t: cv["technologies"].map(lambda ts, t=t: t in ts).to_numpy(bool) for t in techs}
    allowed = {t: own[t].copy() for t in techs}

    forced = np.full(n, "", dtype=object)
    problems: list[str] = []
    for rule in instance.policy.rules:
        mask = rule_mask(cv, rule.scope, rule.value)
        tech = str(getattr(rule.technology, "value", rule.technology))
        if tech not in allowed:
            continue  # the policy names a technology this cost model does not declare
        if rule.action == "forbid":
            allowed[tech] &= ~mask
        else:
            clash = mask & (forced != "") & (forced != tech)
            for vid in cands[clash][:5]:
                problems.append(f"village {vid}: forced to both {forced[cands.get_loc(vid)]} and {tech} "
                                f"by the policy rules")
            forced[mask] = tech

    # physical reach
    nodes = cv["node"].astype(str)
    lit = set(network.index) | set(instance.backbone_nodes)  # nodes fiber can reach
    lit.discard("")
    usable = _usable_sites(instance, network)
    usable_tech = instance.sites.loc[usable, "technology"] if len(usable) else pd.Series([], dtype=object)
    demand = cv["demand_mbps"].to_numpy(float)
    for t in techs:
        kind = reg[t].kind
        if kind == "network":
            allowed[t] &= nodes.isin(lit).to_numpy(bool)
        elif kind == "site":
            cov = instance.coverage[instance.coverage["site_id"].isin(usable[(usable_tech == t).to_numpy(bool)])]
            allowed[t] &= cands.isin(cov["village_id"])
        elif kind == "terminal":
            pools = [pool_id(reg, t, b) for b in cv["beam"].astype(str)]
            cap = instance.beams["capacity_mbps"].reindex(pools).to_numpy(float)
            allowed[t] &= demand <= cap + 1e-9

    # schools and clinics
    pol = instance.policy
    why = np.full(n, "", dtype=object)
    required = np.zeros(n, dtype=bool)
    if pol.clinics_required:
        clinic = cv["clinic"].to_numpy(bool)
        required |= clinic
        why[clinic] = "clinic"
    if pol.schools_required:
        school = cv["school"].to_numpy(bool)
        need = np.maximum(cv["demand_mbps"].to_numpy(float), pol.school_min_mbps)
        for t in techs:
            allowed[t] &= ~school | (reg[t].mbps >= need - 1e-9)
        required |= school
        why[school] = "school"
    has_forced = forced != ""
    required |= has_forced
    why[has_forced] = "forced"

    for t in techs:  # a forced technology excludes the others
        allowed[t] &= ~has_forced | (forced == t)

    any_allowed = np.zeros(n, dtype=bool)
    for t in techs:
        any_allowed |= allowed[t]
    for i in np.flatnonzero(required & ~any_allowed)[:20]:
        vid = cands[i]
        problems.append(_no_option_reason(vid, why[i], forced[i], own, i, cv.loc[vid], techs))
    return Eligibility(cands, allowed, forced, required, why, usable, problems)


def _usable_sites(instance, network) -> pd.Index:
    s = instance.sites
    if len(s) == 0:
        return s.index
    micro = s["backhaul"].isin(["any", "microwave"]).to_numpy(bool)
    node = s["node"].astype(str)
    lit = set(network.index) | set(instance.backbone_nodes)
    lit.discard("")
    fiber = s["backhaul"].isin(["any", "fiber"]).to_numpy(bool) & node.isin(lit).to_numpy(bool)
    return s.index[micro | fiber]


def _no_option_reason(vid, why, forced, own, i, row, techs) -> str:
    if forced:
        return (f"village {vid} is forced to use {forced} by a policy rule, but {forced} cannot reach it "
                f"(no route to the backbone, no covering site, or not allowed for it)")
    listed = [t for t in techs if own[t][i]]
    what = {"school": "has a school", "clinic": "has a clinic"}.get(why, "must be covered")
    return (f"village {vid} {what} and must be covered, but none of its technologies ({', '.join(listed) or 'none'}) "
            f"can serve it (fiber: node '{row['node']}' has no route to the backbone; 4G: no usable site covers it; "
            f"satellite: too little bandwidth or beam capacity)")
