"""Summary statistics of an instance, and what covering it would cost.

:func:`describe` gathers, from a loaded :class:`~allocator.instance.Instance`,
the figures a reader checks first: villages per province and per policy group,
existing coverage, people, schools and clinics, the size of the network, the
price ranges of each technology, and the budget against two reference costs
(:func:`reference_costs`). :func:`render` prints them; ``allocator describe
DIR`` is the command.

Reference costs (in the instance's budget measure) come from two solver-free
plans built on the shortest-path tree of the trench graph: covering every
village, and a feasible plan meeting the policy (see
:mod:`allocator.generator.reference`).
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from ..generator.reference import ReferenceCosts, budget_for, reference_costs
from ..instance import Instance
from ..schema import ALL_POOR

__all__ = ["describe", "render", "reference_costs", "budget_for", "ReferenceCosts"]


# --------------------------------------------------------------------------- statistics
def _share(num, den) -> float | None:
    return None if den == 0 else float(num) / float(den)


def _spread(values) -> dict | None:
    """min / median / max of a numeric array (None when empty)."""
    a = np.asarray(values, dtype=float)
    a = a[np.isfinite(a)]
    if not len(a):
        return None
    return {"min": float(a.min()), "median": float(np.median(a)), "max": float(a.max())}


def describe(instance: Instance) -> dict:
    """Summary statistics of ``instance`` as plain data (JSON-ready).

    Keys: ``instance`` (name, budget, objective ...), ``counts``, ``existing``,
    ``terrain``, ``provinces`` and ``groups`` (lists of rows), ``prices`` (ranges
    per technology) and ``reference`` (:func:`reference_costs` and the budget
    against them). Coverage shares count registered poor villages, as the
    programme's targets do.
    """
    inst = instance
    v = inst.villages
    poor = v["poor"].to_numpy(bool)
    connected = (v["existing"] != "none").to_numpy()
    nodes_by_kind = inst.nodes["kind"].value_counts().sort_index()
    counts = {
        "counties": len(inst.counties), "villages": len(v), "poor_villages": int(poor.sum()),
        "people": float(v["population"].sum()), "schools": int(v["school"].sum()),
        "clinics": int(v["clinic"].sum()), "nodes": int(len(inst.nodes)),
        "nodes_by_kind": {k: int(c) for k, c in nodes_by_kind.items()},
        "edges": int(len(inst.edges)), "edge_km": float(np.nansum(inst.edges["length_km"].to_numpy(float))),
        "average_degree": _share(2 * len(inst.edges), len(inst.nodes)),
        "sites": int(len(inst.sites)),
        "sites_microwave_only": int((inst.sites["backhaul"] == "microwave").sum()) if len(inst.sites) else 0,
        "coverage_pairs": int(len(inst.coverage)),
        "villages_any_site": int(v.index.isin(inst.coverage["village_id"]).sum()),
        "beams": int(len(inst.beams)),
    }
    existing = {k: int(c) for k, c in v["existing"].value_counts().sort_index().items()}
    existing_poor = {k: int(c) for k, c in v.loc[poor, "existing"].value_counts().sort_index().items()}
    terrain = {k: int(c) for k, c in v["terrain"].value_counts().sort_index().items()}

    county_count = inst.counties.groupby("province").size()
    by_prov = pd.DataFrame({"province": v["province"].to_numpy(), "poor": poor, "connected": connected,
                            "poor_connected": poor & connected, "people": v["population"].to_numpy(float)})
    agg = by_prov.groupby("province", sort=True).agg(villages=("poor", "size"), poor=("poor", "sum"),
                                                      poor_connected=("poor_connected", "sum"),
                                                      people=("people", "sum"))
    agg = agg.sort_values("villages", ascending=False, kind="stable")
    provinces = [{"province": p, "counties": int(county_count.get(p, 0)), "villages": int(r.villages),
                  "poor": int(r.poor), "existing_share_poor": _share(r.poor_connected, r.poor),
                  "people": float(r.people)} for p, r in agg.iterrows()]

    groups = []
    names = [ALL_POOR] + sorted({g for gs in inst.counties["groups"] for g in gs} - {ALL_POOR})
    names += sorted(set(inst.policy.groups) - set(names))
    for g in names:
        members = inst.group_members(g)
        in_g = v.index.isin(members)
        gp = in_g & poor
        pol = inst.policy.groups.get(g)
        groups.append({
            "group": g, "label": pol.label if pol else "",
            "counties": int(sum(g in gs for gs in inst.counties["groups"])) if g != ALL_POOR else len(inst.counties),
            "villages": int(in_g.sum()), "poor": int(gp.sum()),
            "existing_share_poor": _share((gp & connected).sum(), gp.sum()),
            "existing_share_all": _share((in_g & connected).sum(), in_g.sum()),
            "floor": pol.floor if pol else None,
        })

    e = inst.edges
    per_km = e["capex"].to_numpy(float) / e["length_km"].to_numpy(float)
    prices = {
        "edge_capex_per_km": {t: _spread(per_km[(e["terrain"] == t).to_numpy()])
                              for t in sorted(e["terrain"].unique())},
        "edge_capex": _spread(e["capex"]), "edge_km": _spread(e["length_km"]),
        "trench_capex_total": float(e["capex"].sum()),
        "site_capex": _spread(inst.sites["capex"]) if len(inst.sites) else None,
        "site_opex_year": _spread(inst.sites["opex"]) if len(inst.sites) else None,
        "site_radius_km": _spread(inst.sites["radius_km"]) if len(inst.sites) else None,
        "microwave_capex": _spread(inst.sites["backhaul_capex"]) if len(inst.sites) else None,
        "fiber_drop_capex": _spread(v["fiber_capex"]),
        "satellite_capex": _spread(v["satellite_capex"]) if "satellite_capex" in v else None,
        "satellite_opex_year": _spread(v["satellite_opex"]) if "satellite_opex" in v else None,
        "beam_capacity_mbps": _spread(inst.beams["capacity_mbps"]) if len(inst.beams) else None,
        "annuity": inst.annuity,
    }
    ref = reference_costs(inst)
    reference = {**asdict(ref), "measure": inst.budget_measure.value,
                 "budget_share_of_cover_everything": _share(inst.budget, ref.cover_everything)
                 if inst.budget is not None else None,
                 "budget_at_least_policy_plan": None if inst.budget is None else bool(inst.budget >= ref.policy_plan)}
    return {
        "instance": {"name": inst.name, "description": inst.description, "currency": inst.currency,
                     "objective": inst.objective.value, "budget": inst.budget,
                     "budget_measure": inst.budget_measure.value, "horizon_years": inst.horizon_years,
                     "discount_rate": inst.discount_rate, "base_year": inst.base_year,
                     "cost_model": inst.costs.name, "policy": inst.policy.name,
                     "technologies": [{"name": t.name, "kind": t.kind, "label": t.label}
                                      for t in inst.costs.technologies],
                     "content_hash": inst.content_hash},
        "counts": counts, "existing": existing, "existing_poor": existing_poor, "terrain": terrain,
        "provinces": provinces, "groups": groups, "prices": prices, "reference": reference,
    }


def _money(x, currency: str) -> str:
    if x is None:
        return "unlimited"
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:,.2f} bn {currency}"
    if a >= 1e6:
        return f"{x / 1e6:,.2f} M {currency}"
    if a >= 1e3:
        return f"{x / 1e3:,.1f} k {currency}"
    return f"{x:,.0f} {currency}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _range(r, fmt) -> str:
    if r is None:
        return "-"
    return f"{fmt(r['min'])} .. {fmt(r['median'])} .. {fmt(r['max'])}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others; widths count East Asian wide characters twice."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    cols = list(zip(*([header] + rows)))
    widths = [max(width(c) for c in col) for col in cols]
    out = []
    for k, row in enumerate([header] + rows):
        cells = [c + " " * (widths[0] - width(c)) if i == 0 else " " * (widths[i] - width(c)) + c
                 for i, c in enumerate(row)]
        out.append("  " + "  ".join(cells).rstrip())
        if k == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def render(stats: dict) -> str:
    """The statistics of :func:`describe` as text for a terminal."""
    i, c, cur = stats["instance"], stats["counts"], stats["instance"]["currency"]
    m = lambda x: _money(x, cur)  # noqa: E731
    lines = [f"{i['name']}: {i['description']}" if i["description"] else i["name"],
             f"  objective {i['objective']}, budget {m(i['budget'])} ({i['budget_measure']}, "
             f"{i['horizon_years']} years at {100 * i['discount_rate']:g}%), cost model {i['cost_model']}, "
             f"policy {i['policy']}" + (f", base year {i['base_year']}" if i["base_year"] else ""),
             "  technologies: " + ", ".join(f"{t['name']} ({t['kind']})" for t in i.get("technologies", [])),
             "",
             f"{c['villages']:,} villages ({c['poor_villages']:,} registered poor) in {c['counties']:,} counties; "
             f"{c['people']:,.0f} people; {c['schools']:,} with a school, {c['clinics']:,} with a clinic",
             "existing connections: " + ", ".join(f"{k} {n:,}" for k, n in stats["existing"].items())
             + "   terrain: " + ", ".join(f"{k} {n:,}" for k, n in stats["terrain"].items()),
             f"network: {c['nodes']:,} nodes (" + ", ".join(f"{k} {n:,}" for k, n in c["nodes_by_kind"].items())
             + f"), {c['edges']:,} candidate trenches ({c['edge_km']:,.0f} km, average degree "
             + (f"{c['average_degree']:.2f}" if c["average_degree"] is not None else "-")
             + f"), {c['sites']:,} candidate 4G sites ({c['sites_microwave_only']:,} microwave-only) reaching "
             f"{c['villages_any_site']:,} villages, {c['beams']} satellite beam(s)",
             "", "villages per province (existing = share of registered poor villages already connected):"]
    lines += _table(["province", "counties", "villages", "poor", "existing", "people"],
                    [[p["province"], f"{p['counties']:,}", f"{p['villages']:,}", f"{p['poor']:,}",
                      _pct(p["existing_share_poor"]), f"{p['people']:,.0f}"] for p in stats["provinces"]])
    lines += ["", "policy groups (floor = share of the group's poor villages to cover):"]
    lines += _table(["group", "counties", "villages", "poor", "existing", "floor"],
                    [[g["group"], f"{g['counties']:,}", f"{g['villages']:,}", f"{g['poor']:,}",
                      _pct(g["existing_share_poor"]), _pct(g["floor"])] for g in stats["groups"]])
    pr = stats["prices"]
    lines += ["", "prices (min .. median .. max):"]
    for t, r in pr["edge_capex_per_km"].items():
        lines.append(f"  trench capex per km, {t:<8} {_range(r, m)}")
    lines += [f"  trench length              {_range(pr['edge_km'], lambda x: f'{x:.2f} km')}",
              f"  all candidate trenches     {m(pr['trench_capex_total'])} capex",
              f"  fiber drop into a village  {_range(pr['fiber_drop_capex'], m)}",
              f"  4G site capex              {_range(pr['site_capex'], m)}",
              f"  4G site opex per year      {_range(pr['site_opex_year'], m)}",
              f"  4G reach                   {_range(pr['site_radius_km'], lambda x: f'{x:g} km')}",
              f"  microwave backhaul capex   {_range(pr['microwave_capex'], m)}",
              f"  satellite terminal capex   {_range(pr['satellite_capex'], m)}",
              f"  satellite fee per year     {_range(pr['satellite_opex_year'], m)}",
              f"  beam capacity              {_range(pr['beam_capacity_mbps'], lambda x: f'{x:,.0f} Mbit/s')}",
              f"  annuity factor             {pr['annuity']:.3f} (opex per year -> {i['horizon_years']} years)"]
    r = stats["reference"]
    lines += ["", f"budget against reference costs ({r['measure']}, solver-free estimates):",
              f"  cover everything (fiber along the shortest-path tree)  {m(r['cover_everything'])}",
              f"  a plan meeting every floor, school and clinic         {m(r['policy_plan'])} "
              f"({r['policy_plan_satellite']:,} on satellite, {r['policy_plan_left_out']:,} left out of "
              f"{r['candidates']:,} unconnected)",
              f"  budget                                                 {m(i['budget'])}"
              + (f" = {_pct(r['budget_share_of_cover_everything'])} of covering everything"
                 if r["budget_share_of_cover_everything"] is not None else "")]
    if r["budget_at_least_policy_plan"] is False:
        lines.append("  note: the budget is below the reference policy plan; the policy may be unaffordable")
    return "\n".join(lines)
