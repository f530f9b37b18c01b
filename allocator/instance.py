"""The validated, priced instance every later stage reads.

Built only by :func:`allocator.io.load_instance` (or importers and the
generator, which write files and load them back), so every ``Instance`` has
passed the checks in :mod:`allocator.checks`. Tables are pandas DataFrames whose
columns are declared in :mod:`allocator.schema`, plus the priced columns the
loader adds (see the docstring of :class:`Instance`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Mapping

import networkx as nx
import pandas as pd

from .schema import ALL_POOR, CostMeasure, Objective
from .technologies import ACCESS_KINDS, Registry


# --------------------------------------------------------------------------- cost model
@dataclass(frozen=True)
class FiberCosts:
    per_km: Mapping[str, float]          # trench capex per km by terrain
    opex_per_km_year: float
    drop_capex: float                    # last mile from the node into the village
    drop_opex_year: float
    mbps: float                          # bandwidth delivered to a village


@dataclass(frozen=True)
class CellularCosts:
    site_capex: Mapping[str, float]      # by terrain
    site_opex_year: float
    radius_km: Mapping[str, float]       # reach by terrain
    microwave_capex: float               # backhaul alternative to fiber
    microwave_opex_year: float
    mbps: float


@dataclass(frozen=True)
class SatelliteCosts:
    terminal_capex: float
    fee_year: float
    beam_capacity_mbps: float
    mbps: float


@dataclass(frozen=True)
class CostModel:
    """A cost model: its declared technologies (:mod:`allocator.technologies`) and their sources.

    ``fiber``, ``cellular`` and ``satellite`` are views in the china-2018 layout
    (the network technology, the first site technology with the backhaul link,
    the first terminal technology), for code that reads only those."""

    name: str
    currency: str
    technologies: Registry
    sources: Mapping[str, str] = field(default_factory=dict)  # parameter -> citation
    path: str | None = None
    layout: str = "technologies"         # "technologies", or "legacy" ([fiber]/[cellular]/[satellite]/[quality])

    @property
    def quality(self) -> dict[str, float]:
        """Technology name -> objective quality factor, for every technology a village can be given."""
        return {t.name: float(t.quality) for t in self.technologies if t.kind in ACCESS_KINDS}

    def mbps(self, tech) -> float:
        return float(self.technologies[tech].mbps)

    @property
    def fiber(self) -> FiberCosts | None:
        t = self.technologies.network
        if t is None:
            return None
        return FiberCosts(per_km=t.by_terrain("per_km"), opex_per_km_year=t.cost("opex_per_km_year"),
                          drop_capex=t.cost("drop_capex"), drop_opex_year=t.cost("drop_opex_year"), mbps=t.mbps)

    @property
    def cellular(self) -> CellularCosts | None:
        t, link = self.technologies.primary_site, self.technologies.backhaul_link
        if t is None:
            return None
        return CellularCosts(site_capex=t.by_terrain("site_capex"), site_opex_year=t.cost("site_opex_year"),
                             radius_km=dict(t.reach_km or {}),
                             microwave_capex=link.cost("capex") if link else float("nan"),
                             microwave_opex_year=link.cost("opex_year") if link else float("nan"), mbps=t.mbps)

    @property
    def satellite(self) -> SatelliteCosts | None:
        t = self.technologies.primary_terminal
        if t is None:
            return None
        return SatelliteCosts(terminal_capex=t.cost("terminal_capex"), fee_year=t.cost("fee_year"),
                              beam_capacity_mbps=float(t.capacity_mbps or 0.0), mbps=t.mbps)


# --------------------------------------------------------------------------- policy model
@dataclass(frozen=True)
class GroupPolicy:
    name: str
    label: str = ""
    priority: float = 1.0                # multiplies population in the objective weight
    floor: float | None = None           # share of the group's registered poor villages covered


@dataclass(frozen=True)
class TechRule:
    """Force or forbid a technology for every village in a scope."""

    scope: str                           # county | prefecture | province | group
    value: str                           # the county id / prefecture / province / group name
    technology: str                      # a declared technology's name
    action: str                          # force | forbid


@dataclass(frozen=True)
class Policy:
    name: str
    groups: Mapping[str, GroupPolicy]    # always contains ALL_POOR
    schools_required: bool = True        # every school village covered ...
    school_min_mbps: float = 0.0         # ... by a technology delivering at least this (and its demand)
    clinics_required: bool = False
    non_poor_weight: float = 1.0         # weight factor of villages not registered poor
    rules: tuple[TechRule, ...] = ()
    milestones: Mapping[int, Mapping[str, float]] = field(default_factory=dict)  # year -> group -> floor
    path: str | None = None

    def floors(self) -> dict[str, float]:
        return {g.name: g.floor for g in self.groups.values() if g.floor is not None}


# --------------------------------------------------------------------------- instance
@dataclass
class Instance:
    """A validated, priced allocation instance.

    Tables (index = id column):

    - ``counties`` (county_id): name, province, prefecture, adcode, groups (tuple)
    - ``villages`` (village_id): the columns of schema.VILLAGES, with ``groups``
      (tuple: its county's groups plus ``all-poor`` when poor), ``province``,
      ``prefecture``, ``beam`` filled, ``technologies`` a tuple of technology names
      (every technology a village can be given when the file left it empty, in the cost
      model's order), and priced columns ``fiber_capex``, ``fiber_opex`` (the network
      technology's drop) and ``<name>_capex``, ``<name>_opex`` per terminal technology
      (``satellite_capex`` ...).
    - ``nodes`` (node_id): kind, lon, lat; villages with existing fiber make their node
      ``kind == 'backbone'``.
    - ``edges`` (edge_id 0..E-1): u, v, length_km, terrain, and priced ``capex``, ``opex``.
    - ``sites`` (site_id): technology (a site technology's name), node, backhaul, ... and priced ``capex``, ``opex``,
      ``radius_km``, ``backhaul_capex``, ``backhaul_opex``.
    - ``coverage``: site_id, village_id (explicit or computed from radius).
    - ``beams`` (beam_id): capacity_mbps, one row per capacity pool: each beam used by any village
      (the first terminal technology's), and ``<technology>:<beam>`` for every other terminal technology.

    Opex columns are per year; :meth:`cost` turns (capex, opex) into the
    instance's budget measure.
    """

    name: str
    description: str
    currency: str
    budget: float | None
    budget_measure: CostMeasure
    objective: Objective
    horizon_years: int
    discount_rate: float
    costs: CostModel
    policy: Policy
    counties: pd.DataFrame
    villages: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame
    sites: pd.DataFrame
    coverage: pd.DataFrame
    beams: pd.DataFrame
    content_hash: str = ""
    source: Path | None = None
    base_year: int | None = None         # year the plan's floors refer to (policy milestones)
    rollout: object | None = None        # [rollout] table: allocator.analysis.rollout_spec.RolloutSpec, or None

    # ------------------------------------------------------------------ money
    @property
    def annuity(self) -> float:
        """Present value of 1 per year over the horizon (end-of-year payments)."""
        r, n = self.discount_rate, self.horizon_years
        if n <= 0:
            return 0.0
        if r == 0:
            return float(n)
        return (1 - (1 + r) ** -n) / r

    def cost(self, capex, opex, measure: CostMeasure | str | None = None):
        """Capex, or capex plus discounted opex, by ``measure`` (default: the budget's)."""
        measure = CostMeasure(measure or self.budget_measure)
        return capex if measure is CostMeasure.CAPEX else capex + opex * self.annuity

    # ------------------------------------------------------------------ graph
    @cached_property
    def graph(self) -> nx.Graph:
        """Candidate trench graph; edge attributes ``edge_id``, ``capex``, ``opex``.

        Parallel edges in the files keep only the cheapest (by capex)."""
        g = nx.Graph()
        g.add_nodes_from((n, {"kind": k}) for n, k in self.nodes["kind"].items())
        order = self.edges.sort_values("capex", kind="stable").iloc[::-1]  # cheapest written last wins
        g.add_edges_from(
            (u, v, {"edge_id": eid, "capex": float(c), "opex": float(o)})
            for eid, u, v, c, o in zip(order.index, order["u"], order["v"], order["capex"], order["opex"]))
        return g

    @property
    def backbone_nodes(self) -> list[str]:
        return sorted(self.nodes.index[self.nodes["kind"] == "backbone"])

    # ------------------------------------------------------------------ helpers
    def group_members(self, group: str) -> pd.Index:
        """Village ids in ``group`` (``all-poor``: every registered poor village)."""
        if group == ALL_POOR:
            return self.villages.index[self.villages["poor"]]
        mask = self.villages["groups"].map(lambda gs: group in gs)
        return self.villages.index[mask]

    def with_changes(self, **changes) -> "Instance":
        """A copy with some fields replaced (tables are not copied: treat as read-only)."""
        inst = replace(self, **changes)
        inst.__dict__.pop("graph", None)
        return inst
