"""Solver-independent verification of a plan.

:func:`verify` recomputes, from the instance and a :class:`~allocator.decision.Decision`
alone, every rule a plan must satisfy and every number it states. It shares no
code with :mod:`allocator.formulation` or :mod:`allocator.solve` (nor with
:mod:`allocator.plan_build`), so a bug in the model, a solver returning a wrong
vector, or a plan file edited by hand cannot slip through unnoticed.

Rules checked (one violation message per offending village, site, edge, beam or group):

- ids: every village, edge and site in the decision exists in the instance;
  technologies are ``fiber``, ``4g``, ``satellite`` or ``none``;
- a village with an existing connection gets no new technology;
- a new technology is one of the village's ``technologies`` and obeys the
  policy's force/forbid rules;
- fiber: the village's node reaches a backbone node through built edges;
- 4G: the village is served by an opened site whose coverage contains it; every
  opened site has an allowed backhaul (fiber: its node reaches the backbone;
  microwave: allowed by the site);
- satellite: per beam, the summed demand fits the beam capacity;
- budget (relative tolerance 1e-9 plus 1e-6 absolute), group floors, schools
  (covered, with enough bandwidth when newly connected), clinics;
- the stated objective (and total cost, when stated) match the recomputed ones
  (relative tolerance 1e-6).

Built edges and opened sites that serve nothing are allowed: they are reported
as warnings (money spent for nothing), not violations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd

from .decision import Decision
from .errors import VerificationError
from .instance import Instance
from .schema import ALL_POOR, NO_TECHNOLOGY, CostMeasure, Objective

#: tolerances: budget and capacities (relative, absolute); floors (absolute share); objective (relative)
REL_TOL, ABS_TOL = 1e-9, 1e-6
SHARE_TOL = 1e-9
OBJECTIVE_RTOL = 1e-6
#: ids listed in one aggregated warning
MAX_IDS_LISTED = 20


@dataclass
class VerificationReport:
    """Outcome of :func:`verify`.

    ok : True when there is no violation (warnings do not count).
    violations : one message per broken rule, naming the village/site/edge/beam/group and the numbers.
    warnings : waste and inconsistencies that break no rule.
    recomputed : numbers recomputed from the decision: total_cost, total_capex,
        total_opex, total_tco, coverage, objective, objective_kind, budget,
        villages_total, villages_covered, by_technology, groups (share per floor group).
    """

    ok: bool
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recomputed: dict = field(default_factory=dict)

    def raise_if_failed(self) -> "VerificationReport":
        """Raise :class:`~allocator.errors.VerificationError` listing every violation, else return self."""
        if not self.ok:
            raise VerificationError(self.violations)
        return self


# --------------------------------------------------------------------------- formatting
def _num(x: float) -> str:
    """A number for a message: thousands separators, no needless decimals."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x - round(x)) < 1e-9 * max(1.0, abs(x)):
        return f"{round(x):,}"
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.2f}"


def _money(x: float, currency: str) -> str:
    return f"{float(x):,.2f} {currency}".rstrip()


def _budget_text(budget: float | None, currency: str) -> str:
    return "no budget" if budget is None else f"a budget of {_money(budget, currency)}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _within(value: float, limit: float) -> bool:
    """value <= limit up to the budget/capacity tolerance."""
    return value <= limit + REL_TOL * abs(limit) + ABS_TOL


def _listed(ids) -> str:
    ids = list(ids)
    text = ", ".join(str(i) for i in ids[:MAX_IDS_LISTED])
    return text + (f" ... ({len(ids) - MAX_IDS_LISTED} more)" if len(ids) > MAX_IDS_LISTED else "")


# --------------------------------------------------------------------------- the verifier
def verify(instance: Instance, decision: Decision, *, summary: dict | None = None) -> VerificationReport:
    """Check ``decision`` against every rule of ``instance`` and recompute its numbers.

    Parameters
    ----------
    instance : the validated instance the plan was made for.
    decision : what the plan decides (technology per village, serving site per
        4G village, built edges, opened sites with their backhaul).
    summary : the plan's summary, optional. When given, its ``objective`` (and
        ``total_cost``, if present) must match the recomputed values; its
        ``objective_kind`` selects the objective (default: the instance's).

    Returns
    -------
    VerificationReport
        ``ok`` is False when any rule is broken; call ``raise_if_failed()`` to turn
        that into a :class:`~allocator.errors.VerificationError`.

    Notes
    -----
    Runs in time linear in the size of the instance: connectivity is decided by
    one connected-components pass over the subgraph of built edges, everything
    else by pandas operations over whole columns.
    """
    return _Verifier(instance, decision, summary or {}).run()


class _Verifier:
    def __init__(self, instance: Instance, decision: Decision, summary: dict) -> None:
        self.inst = instance
        #: the cost model's declared technologies; the ones a village can be given, in order
        self.techs = instance.costs.technologies
        self.new_techs = self.techs.access
        self.dec = decision
        self.summary = summary
        self.violations: list[str] = []
        self.warnings: list[str] = []
        self.rec: dict = {}

    # ------------------------------------------------------------------ driver
    def run(self) -> VerificationReport:
        self._technologies()
        self._existing_and_allowed()
        self._policy_rules()
        self._connectivity()
        self._sites()
        self._cellular_villages()
        self._beams()
        self._costs()
        self._budget()
        self._floors()
        self._facilities()
        self._objective()
        self._waste()
        self._provenance()
        return VerificationReport(ok=not self.violations, violations=self.violations,
                                  warnings=self.warnings, recomputed=self.rec)

    # ------------------------------------------------------------------ technology per village
    def _technologies(self) -> None:
        villages = self.inst.villages
        given = pd.Series(list(self.dec.technology.values()), index=list(self.dec.technology.keys()), dtype=object)
        unknown = sorted(given.index[~given.index.isin(villages.index)].tolist(), key=str)
        for v in unknown:
            self.violations.append(f"village {v}: in the plan but not in the instance")
        tech = given.reindex(villages.index)
        missing = tech.isna()
        if missing.any():
            self.warnings.append(f"{int(missing.sum())} villages are missing from the plan and count as "
                                 f"'none': {_listed(villages.index[missing])}")
        tech = tech.fillna(NO_TECHNOLOGY).astype(str)
        bad = ~tech.isin(self.new_techs + (NO_TECHNOLOGY,))
        for v, t in tech[bad].items():
            self.violations.append(f"village {v}: unknown technology '{t}' (expected "
                                   f"{', '.join(self.new_techs)} or none)")
        self.tech = tech.where(~bad, NO_TECHNOLOGY)
        self.existing = villages["existing"].astype(str)
        self.has_existing = self.existing != "none"
        self.new = self.tech.isin(self.new_techs)
        self.covered = self.has_existing | self.new

    def _existing_and_allowed(self) -> None:
        villages = self.inst.villages
        both = self.has_existing & self.new
        for v in villages.index[both]:
            self.violations.append(f"village {v}: already has an existing {self.existing[v]} connection, "
                                   f"but the plan gives it {self.tech[v]} (a connected village gets 'none')")
        allowed = pd.Series(True, index=villages.index)
        for t in self.new_techs:
            mask = self.tech == t
            allowed[mask] = villages.loc[mask, "technologies"].map(lambda ts, t=t: t in ts).astype(bool)
        for v in villages.index[~allowed]:
            techs = ";".join(str(getattr(a, "value", a)) for a in villages.at[v, "technologies"])
            self.violations.append(f"village {v}: {self.tech[v]} is not among its allowed technologies ({techs})")

    @cached_property
    def _membership(self) -> pd.Series:
        """village id (repeated) -> group, one row per membership."""
        return self.inst.villages["groups"].explode()

    def _group_members(self, group: str) -> pd.Index:
        if group == ALL_POOR:
            return self.inst.villages.index[self.inst.villages["poor"].astype(bool)]
        return pd.Index(self._membership.index[self._membership == group].unique())

    def _policy_rules(self) -> None:
        villages = self.inst.villages
        columns = {"county": "county_id", "prefecture": "prefecture", "province": "province"}
        for rule in self.inst.policy.rules:
            tech = str(getattr(rule.technology, "value", rule.technology))
            if rule.scope in columns:
                in_scope = villages[columns[rule.scope]].astype(str) == str(rule.value)
            elif rule.scope == "group":
                in_scope = villages.index.isin(self._group_members(rule.value))
                in_scope = pd.Series(in_scope, index=villages.index)
            else:
                self.violations.append(f"policy rule {rule.action} {tech} in {rule.scope} {rule.value}: "
                                       f"unknown scope '{rule.scope}' (county, prefecture, province or group)")
                continue
            where = f"{rule.scope} {rule.value}"
            if rule.action == "forbid":
                for v in villages.index[in_scope & (self.tech == tech)]:
                    self.violations.append(f"village {v}: uses {tech}, which the policy forbids in {where}")
            elif rule.action == "force":
                for v in villages.index[in_scope & ~self.has_existing & (self.tech != tech)]:
                    self.violations.append(f"village {v}: the policy forces {tech} in {where}, "
                                           f"but the plan gives it {self.tech[v]}")
            else:
                self.violations.append(f"policy rule on {tech} in {where}: unknown action '{rule.action}' "
                                       f"(force or forbid)")

    # ------------------------------------------------------------------ fiber
    def _connectivity(self) -> None:
        edges = self.inst.edges
        built = pd.Index(list(self.dec.built_edges), dtype=object)
        known = built.isin(edges.index)
        for e in sorted(built[~known].tolist(), key=str):
            self.violations.append(f"edge {e}: built, but there is no such edge in the instance")
        self.built = edges.loc[sorted(built[known].tolist())]
        g = nx.Graph()
        g.add_edges_from(zip(self.built["u"].astype(str).tolist(), self.built["v"].astype(str).tolist()))
        self.built_graph = g
        self.backbone = set(self.inst.nodes.index[self.inst.nodes["kind"] == "backbone"].astype(str).tolist())
        connected: set[str] = set(self.backbone)
        for component in nx.connected_components(g):
            if not component.isdisjoint(self.backbone):
                connected |= component
        self.connected = connected

        villages = self.inst.villages
        fiber = self.tech.isin(self.techs.names_of("network"))
        node = villages["node"].fillna("").astype(str)
        known_nodes = self.inst.nodes.index.astype(str)
        no_node = fiber & (node == "")
        off_graph = fiber & (node != "") & ~node.isin(known_nodes)
        cut = fiber & (node != "") & node.isin(known_nodes) & ~node.isin(list(connected))
        for v in villages.index[no_node]:
            self.violations.append(f"village {v}: fiber, but it has no network node (fiber is impossible there)")
        for v in villages.index[off_graph]:
            self.violations.append(f"village {v}: fiber, but its node {node[v]} is not in network_nodes")
        for v in villages.index[cut]:
            self.violations.append(f"village {v}: fiber, but node {node[v]} is not connected to any backbone "
                                   f"node through built edges")
        self.fiber_nodes = set(node[fiber & (node != "")].tolist())

    # ------------------------------------------------------------------ 4G
    def _sites(self) -> None:
        sites = self.inst.sites
        opened = {s: str(b) for s, b in sorted(dict(self.dec.opened_sites).items(), key=lambda kv: str(kv[0]))}
        for s in [s for s in opened if s not in sites.index]:
            self.violations.append(f"site {s}: opened, but there is no such site in the instance")
        self.opened = {s: b for s, b in opened.items() if s in sites.index}
        self.fiber_site_nodes: set[str] = set()
        for s, backhaul in self.opened.items():
            allowed = str(sites.at[s, "backhaul"])
            node = sites.at[s, "node"]
            node = "" if not isinstance(node, str) else node
            if backhaul == "fiber":
                if allowed not in ("any", "fiber"):
                    self.violations.append(f"site {s}: fiber backhaul, but the site allows only {allowed} backhaul")
                elif not node:
                    self.violations.append(f"site {s}: fiber backhaul, but the site has no network node")
                elif node not in self.connected:
                    self.violations.append(f"site {s}: fiber backhaul, but node {node} is not connected to any "
                                           f"backbone node through built edges")
                else:
                    self.fiber_site_nodes.add(node)
            elif backhaul == "microwave":
                if allowed not in ("any", "microwave"):
                    self.violations.append(f"site {s}: microwave backhaul, but the site allows only "
                                           f"{allowed} backhaul")
            else:
                self.violations.append(f"site {s}: unknown backhaul '{backhaul}' (expected fiber or microwave)")

    def _cellular_villages(self) -> None:
        villages = self.inst.villages
        site_of = pd.Series(list(self.dec.site_of.values()), index=list(self.dec.site_of.keys()), dtype=object)
        for v in sorted(site_of.index[~site_of.index.isin(villages.index)].tolist(), key=str):
            self.violations.append(f"village {v}: has a serving site in the plan but is not in the instance")
        site_of = site_of.reindex(villages.index)
        cell = self.tech.isin(self.techs.names_of("site"))
        extra = site_of.notna() & (site_of.astype(str) != "") & ~cell
        if extra.any():
            self.warnings.append(f"{int(extra.sum())} villages name a serving site but do not use a site "
                                 f"technology ({', '.join(self.techs.names_of('site'))}; site ignored): "
                                 f"{_listed(villages.index[extra])}")
        site = site_of.where(cell).fillna("").astype(str)
        none = cell & (site == "")
        unknown = cell & (site != "") & ~site.isin(self.inst.sites.index.astype(str))
        closed = cell & (site != "") & ~unknown & ~site.isin(list(self.opened))
        for v in villages.index[none]:
            self.violations.append(f"village {v}: {self.tech[v]}, but no site is named to serve it")
        for v in villages.index[unknown]:
            self.violations.append(f"village {v}: {self.tech[v]} served by site {site[v]}, which is not in the "
                                   f"instance")
        for v in villages.index[closed]:
            self.violations.append(f"village {v}: {self.tech[v]} served by site {site[v]}, which is not opened")
        site_tech = self.inst.sites["technology"].astype(str) if "technology" in self.inst.sites else None
        known = cell & ~none & ~unknown
        if site_tech is not None:
            for v in villages.index[known]:
                if site_tech.get(site[v], self.tech[v]) != self.tech[v]:
                    self.violations.append(f"village {v}: {self.tech[v]} served by site {site[v]}, which is a "
                                           f"{site_tech[site[v]]} site")
        cov = self.inst.coverage
        reach = pd.MultiIndex.from_arrays([cov["site_id"].astype(str), cov["village_id"].astype(str)])
        served = cell & ~none & ~unknown
        pairs = pd.MultiIndex.from_arrays([site[served], villages.index[served].astype(str)])
        outside = np.asarray(~pairs.isin(reach), dtype=bool)
        for v in villages.index[served][outside]:
            self.violations.append(f"village {v}: {self.tech[v]} served by site {site[v]}, but the village is "
                                   f"outside the site's reach (not in its coverage)")
        self.served_by = site[served & ~closed]  # village -> opened site

    # ------------------------------------------------------------------ satellite
    def _beams(self) -> None:
        # every terminal technology draws on its own pool per beam: the first one's are the beams
        # themselves, another's '<technology>:<beam>' (allocator/technologies.py), capacities in inst.beams
        villages = self.inst.villages
        terminals = self.techs.names_of("terminal")
        capacity = self.inst.beams["capacity_mbps"]
        used = {}
        for i, name in enumerate(terminals):
            sat = villages[self.tech == name]
            pool = sat["beam"].astype(str) if i == 0 else name + ":" + sat["beam"].astype(str)
            use = sat.groupby(pool, sort=True)["demand_mbps"].agg(["sum", "count"])
            for beam, row in use.iterrows():
                if beam not in capacity.index:
                    self.violations.append(f"beam {beam}: used by {int(row['count'])} {name} villages, but there "
                                           f"is no such beam in the instance")
                elif not _within(row["sum"], float(capacity[beam])):
                    self.violations.append(f"beam {beam}: {_num(row['sum'])} Mbit/s demanded by "
                                           f"{int(row['count'])} {name} villages exceeds its capacity of "
                                           f"{_num(capacity[beam])} Mbit/s")
            used.update({str(b): float(x) for b, x in use["sum"].items()})
        self.rec["beams_used_mbps"] = dict(sorted(used.items()))

    # ------------------------------------------------------------------ money
    def _costs(self) -> None:
        villages, sites = self.inst.villages, self.inst.sites
        fiber = self.tech.isin(self.techs.names_of("network"))
        opened = sites.loc[list(self.opened)]
        microwave = pd.Series([self.opened[s] == "microwave" for s in opened.index], index=opened.index, dtype=bool)
        parts = {  # (capex, opex per year)
            "fiber drops": (villages.loc[fiber, "fiber_capex"].sum(), villages.loc[fiber, "fiber_opex"].sum()),
            "trenches": (self.built["capex"].sum(), self.built["opex"].sum()),
            "sites": (opened["capex"].sum(), opened["opex"].sum()),
            "microwave backhaul": (opened.loc[microwave, "backhaul_capex"].sum(),
                                   opened.loc[microwave, "backhaul_opex"].sum()),
        }
        for name in self.techs.names_of("terminal"):
            on = self.tech == name
            parts[f"{name} terminals"] = (villages.loc[on, f"{name}_capex"].sum(),
                                          villages.loc[on, f"{name}_opex"].sum())
        capex = float(sum(c for c, _ in parts.values()))
        opex = float(sum(o for _, o in parts.values()))
        for name, (c, o) in parts.items():
            if not (math.isfinite(c) and math.isfinite(o)):
                self.violations.append(f"cost of {name} is not a finite number (capex {c}, opex {o})")
        self.total_cost = float(self.inst.cost(capex, opex))
        self.rec.update(
            total_capex=capex,
            total_opex=opex,
            total_tco=float(self.inst.cost(capex, opex, CostMeasure.TCO)),
            total_cost=self.total_cost,
            budget_measure=CostMeasure(self.inst.budget_measure).value,
            cost_parts={k: {"capex": float(c), "opex": float(o)} for k, (c, o) in parts.items()},
        )

    def _budget(self) -> None:
        """The budget the plan was made under: the summary's ``budget`` when it states one
        (``allocator solve --budget``), else the instance's; a difference is reported as a warning."""
        cur = self.inst.currency
        budget = self.inst.budget
        if "budget" in self.summary:
            stated = self.summary["budget"]
            try:
                stated = None if stated is None else float(stated)
            except (TypeError, ValueError):
                self.violations.append(f"summary budget '{stated}' is not a number")
                stated = budget
            if stated is not None and not math.isfinite(stated):
                stated = None
            if stated != budget:
                self.warnings.append(f"the plan was made with {_budget_text(stated, cur)}, the instance has "
                                     f"{_budget_text(budget, cur)}; checked against the plan's")
            budget = stated
        self.rec["budget"] = budget
        if budget is None:
            return
        if not _within(self.total_cost, float(budget)):
            measure = CostMeasure(self.inst.budget_measure).value
            self.violations.append(
                f"budget exceeded: the plan costs {_money(self.total_cost, cur)} ({measure}) but the budget is "
                f"{_money(budget, cur)} (over by {_money(self.total_cost - budget, cur)})")

    # ------------------------------------------------------------------ policy floors and facilities
    def _floors(self) -> None:
        poor = self.inst.villages["poor"].astype(bool)
        shares = {}
        for group, floor in sorted(self.inst.policy.floors().items()):
            members = self._group_members(group)
            members = members[poor.reindex(members).to_numpy(dtype=bool)]
            n = len(members)
            if n == 0:
                shares[group] = None
                continue
            k = int(self.covered.reindex(members).sum())
            share = k / n
            shares[group] = share
            if share < floor - SHARE_TOL:
                self.violations.append(
                    f"group {group}: {k} of {n} registered poor villages covered ({_pct(share)}), below its "
                    f"floor of {_pct(floor)}")
        self.rec["groups"] = shares

    def _facilities(self) -> None:
        villages, policy = self.inst.villages, self.inst.policy
        if policy.schools_required:
            school = villages["school"].astype(bool)
            for v in villages.index[school & ~self.covered]:
                self.violations.append(f"village {v}: has a school but is not covered")
            mbps = {t: float(self.techs[t].mbps) for t in self.new_techs}
            delivered = self.tech.map(mbps)
            need = np.maximum(villages["demand_mbps"].astype(float), float(policy.school_min_mbps))
            slow = school & self.new & (delivered < need - ABS_TOL)
            for v in villages.index[slow]:
                self.violations.append(
                    f"village {v}: its school needs {_num(need[v])} Mbit/s (the larger of its demand "
                    f"{_num(villages.at[v, 'demand_mbps'])} and the policy minimum {_num(policy.school_min_mbps)}), "
                    f"but {self.tech[v]} delivers {_num(delivered[v])} Mbit/s")
        if policy.clinics_required:
            clinic = villages["clinic"].astype(bool)
            for v in villages.index[clinic & ~self.covered]:
                self.violations.append(f"village {v}: has a clinic but is not covered")

    # ------------------------------------------------------------------ objective
    def _weights(self) -> pd.Series:
        """population x best priority among the village's policy groups (1 without any) x non-poor factor."""
        villages, policy = self.inst.villages, self.inst.policy
        priority = {str(name): float(g.priority) for name, g in policy.groups.items()}
        best = self._membership.map(priority).astype(float).groupby(level=0).max().reindex(villages.index).fillna(1.0)
        poor = villages["poor"].astype(bool)
        return villages["population"].astype(float) * best * np.where(poor, 1.0, float(policy.non_poor_weight))

    def _objective(self) -> None:
        quality = {t: self.techs[t].quality for t in self.new_techs}
        for t, q in quality.items():
            if q is None:
                self.warnings.append(f"the cost model gives no quality factor for {t}; counted as 0")
        quality = {t: float(q or 0.0) for t, q in quality.items()}
        newly = self.new & ~self.has_existing
        coverage = float((self._weights() * self.tech.map(quality).fillna(0.0))[newly].sum())
        kind = self.summary.get("objective_kind") or self.inst.objective
        try:
            kind = Objective(getattr(kind, "value", kind))
        except ValueError:
            self.violations.append(f"summary objective_kind '{kind}' is unknown (max-coverage, min-cost or "
                                   f"lexicographic)")
            kind = Objective(self.inst.objective)
        objective = self.total_cost if kind is Objective.MIN_COST else coverage
        counts = self.tech[self.tech.isin(self.new_techs)].value_counts()
        self.rec.update(
            coverage=coverage,
            objective=objective,
            objective_kind=kind.value,
            villages_total=int(len(self.tech)),
            villages_covered=int(self.covered.sum()),
            by_technology={t: int(counts.get(t, 0)) for t in self.new_techs},
        )
        checks = [("objective", f"{kind.value} objective", objective), ("total_cost", "total cost", self.total_cost)]
        if kind is Objective.LEXICOGRAPHIC:  # second stage: least cost keeping the coverage
            checks.append(("cost_objective", "total cost", self.total_cost))
        for key, label, value in checks:
            stated = self.summary.get(key)
            if stated is None or isinstance(stated, bool):
                continue
            try:
                stated = float(stated)
            except (TypeError, ValueError):
                self.violations.append(f"{key} mismatch: the plan states '{stated}', which is not a number")
                continue
            if not math.isfinite(stated):
                continue
            if abs(stated - value) > OBJECTIVE_RTOL * max(1.0, abs(value)):
                self.violations.append(f"{key} mismatch: the plan states {_num(stated)} but recomputing the "
                                       f"{label} from the decision gives {_num(value)}")

    # ------------------------------------------------------------------ waste and provenance
    def _waste(self) -> None:
        sites = sorted(set(self.opened) - set(self.served_by.tolist()), key=str)
        if sites:
            self.warnings.append(f"{len(sites)} opened sites serve no village (money spent for nothing): "
                                 f"{_listed(sites)}")
        # an edge is useful if it lies between the backbone and a fiber terminal: prune
        # non-terminal leaves (on degree counts, the graph is left alone); what is left in
        # components without a backbone node is useless too
        terminals = self.backbone | self.fiber_nodes | self.fiber_site_nodes
        g = self.built_graph
        degree = dict(g.degree())
        removed: set[str] = set()
        leaves = sorted(n for n, k in degree.items() if k <= 1 and n not in terminals)
        while leaves:
            n = leaves.pop()
            if n in removed:
                continue
            removed.add(n)
            for m in g.neighbors(n):
                if m not in removed:
                    degree[m] -= 1
                    if degree[m] <= 1 and m not in terminals:
                        leaves.append(m)
        useless = [e for e, u, v in zip(self.built.index.tolist(), self.built["u"].astype(str).tolist(),
                                        self.built["v"].astype(str).tolist())
                   if u in removed or v in removed or u not in self.connected]
        if useless:
            cost = float(self.inst.cost(self.built.loc[useless, "capex"].sum(), self.built.loc[useless, "opex"].sum()))
            self.warnings.append(f"{len(useless)} built edges lead to no fiber village or fiber-backhauled site "
                                 f"(waste of {_money(cost, self.inst.currency)}): {_listed(useless)}")

    def _provenance(self) -> None:
        stated = self.summary.get("content_hash")
        if stated and self.inst.content_hash and stated != self.inst.content_hash:
            self.warnings.append(f"the plan was made for an instance with content hash {stated}, but this "
                                 f"instance has {self.inst.content_hash}")
