"""Price every candidate from the cost model; an explicit price on a row wins.

Adds the columns :class:`~allocator.instance.Instance` documents:

- edges: ``capex`` = ``cost`` when given, else ``length_km`` x fiber per-km
  price of the edge's terrain; ``opex`` = ``length_km`` x fiber opex per km-year
  (0 when the length is unknown).
- sites: ``capex``, ``opex``, ``radius_km``, ``backhaul_capex`` (microwave) from
  the row when given, else from the cost model by the site's terrain;
  ``backhaul_opex`` = microwave opex per year.
- sites: ``technology`` (the row's, else the first site technology declared);
  prices from that technology's block; backhaul from the link technology.
- villages: ``fiber_capex`` (last-mile drop of the network technology:
  ``fiber_drop_capex`` or the model's), ``fiber_opex`` (drop opex per year), and
  per terminal technology ``<name>_capex`` (terminal) and ``<name>_opex``
  (yearly fee); for ``satellite`` the villages.csv override columns win.

All opex values are per year.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .instance import CostModel
from .technologies import terminal_columns


def _fill(override: pd.Series, default) -> np.ndarray:
    values = override.to_numpy(dtype=float)
    default = np.broadcast_to(np.asarray(default, dtype=float), values.shape)
    return np.where(np.isnan(values), default, values)


def price_edges(edges: pd.DataFrame, costs: CostModel) -> pd.DataFrame:
    net = costs.technologies.network
    length = edges["length_km"].to_numpy(dtype=float)
    if net is None:  # no network technology: trenches are never built; price them for display only
        edges["capex"] = _fill(edges["cost"], np.zeros(len(edges)))
        edges["opex"] = np.zeros(len(edges))
        return edges
    per_km = edges["terrain"].map(net.by_terrain("per_km")).to_numpy(dtype=float)
    edges["capex"] = _fill(edges["cost"], length * per_km)
    edges["opex"] = np.nan_to_num(length * net.cost("opex_per_km_year"), nan=0.0)
    return edges


def site_technology(sites: pd.DataFrame, costs: CostModel) -> pd.Series:
    """Each site's technology: its ``technology`` cell, or the first site technology declared."""
    primary = costs.technologies.primary_site
    default = primary.name if primary is not None else ""
    given = sites["technology"] if "technology" in sites else pd.Series("", index=sites.index)
    return given.astype(str).where(given.astype(str).ne(""), default)


def price_sites(sites: pd.DataFrame, costs: CostModel) -> pd.DataFrame:
    reg = costs.technologies
    sites["technology"] = site_technology(sites, costs).astype(object)
    terrain = sites["terrain"]
    capex, opex, radius = (np.full(len(sites), np.nan) for _ in range(3))
    for tech in reg.of_kind("site"):
        on = (sites["technology"] == tech.name).to_numpy(bool)
        capex[on] = terrain[on].map(tech.by_terrain("site_capex")).to_numpy(dtype=float)
        opex[on] = tech.cost("site_opex_year")
        radius[on] = terrain[on].map(tech.reach_km).to_numpy(dtype=float)
    link = reg.backhaul_link
    sites["capex"] = _fill(sites["capex"], capex)
    sites["opex"] = _fill(sites["opex"], opex)
    sites["radius_km"] = _fill(sites["radius_km"], radius)
    sites["backhaul_capex"] = _fill(sites["backhaul_capex"], link.cost("capex") if link else np.nan)
    sites["backhaul_opex"] = np.full(len(sites), float(link.cost("opex_year")) if link else np.nan)
    return sites


def price_villages(villages: pd.DataFrame, costs: CostModel) -> pd.DataFrame:
    net = costs.technologies.network
    villages["fiber_capex"] = _fill(villages["fiber_drop_capex"], net.cost("drop_capex") if net else np.nan)
    villages["fiber_opex"] = np.full(len(villages), float(net.cost("drop_opex_year")) if net else np.nan)
    for tech in costs.technologies.of_kind("terminal"):
        capex_col, opex_col = terminal_columns(tech.name)
        given_capex = villages[capex_col] if capex_col in villages else pd.Series(np.nan, index=villages.index)
        given_opex = villages[opex_col] if opex_col in villages else pd.Series(np.nan, index=villages.index)
        villages[capex_col] = _fill(given_capex, tech.cost("terminal_capex"))
        villages[opex_col] = _fill(given_opex, tech.cost("fee_year"))
    return villages


def price(frames: dict, costs: CostModel) -> dict:
    """Add priced columns to ``frames['edges']``, ``['sites']``, ``['villages']`` in place."""
    price_edges(frames["edges"], costs)
    price_sites(frames["sites"], costs)
    price_villages(frames["villages"], costs)
    return frames
