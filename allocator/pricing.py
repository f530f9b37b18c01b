"""Price every candidate from the cost model; an explicit price on a row wins.

Adds the columns :class:`~allocator.instance.Instance` documents:

- edges: ``capex`` = ``cost`` when given, else ``length_km`` x fiber per-km
  price of the edge's terrain; ``opex`` = ``length_km`` x fiber opex per km-year
  (0 when the length is unknown).
- sites: ``capex``, ``opex``, ``radius_km``, ``backhaul_capex`` (microwave) from
  the row when given, else from the cost model by the site's terrain;
  ``backhaul_opex`` = microwave opex per year.
- villages: ``fiber_capex`` (last-mile drop: ``fiber_drop_capex`` or the model's),
  ``fiber_opex`` (drop opex per year), ``satellite_capex`` (terminal),
  ``satellite_opex`` (yearly fee).

All opex values are per year.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .instance import CostModel


def _fill(override: pd.Series, default) -> np.ndarray:
    values = override.to_numpy(dtype=float)
    default = np.broadcast_to(np.asarray(default, dtype=float), values.shape)
    return np.where(np.isnan(values), default, values)


def price_edges(edges: pd.DataFrame, costs: CostModel) -> pd.DataFrame:
    per_km = edges["terrain"].map(costs.fiber.per_km).to_numpy(dtype=float)
    length = edges["length_km"].to_numpy(dtype=float)
    edges["capex"] = _fill(edges["cost"], length * per_km)
    edges["opex"] = np.nan_to_num(length * costs.fiber.opex_per_km_year, nan=0.0)
    return edges


def price_sites(sites: pd.DataFrame, costs: CostModel) -> pd.DataFrame:
    cell = costs.cellular
    terrain = sites["terrain"]
    sites["capex"] = _fill(sites["capex"], terrain.map(cell.site_capex).to_numpy(dtype=float))
    sites["opex"] = _fill(sites["opex"], cell.site_opex_year)
    sites["radius_km"] = _fill(sites["radius_km"], terrain.map(cell.radius_km).to_numpy(dtype=float))
    sites["backhaul_capex"] = _fill(sites["backhaul_capex"], cell.microwave_capex)
    sites["backhaul_opex"] = np.full(len(sites), float(cell.microwave_opex_year))
    return sites


def price_villages(villages: pd.DataFrame, costs: CostModel) -> pd.DataFrame:
    villages["fiber_capex"] = _fill(villages["fiber_drop_capex"], costs.fiber.drop_capex)
    villages["fiber_opex"] = np.full(len(villages), float(costs.fiber.drop_opex_year))
    villages["satellite_capex"] = _fill(villages["satellite_capex"], costs.satellite.terminal_capex)
    villages["satellite_opex"] = _fill(villages["satellite_opex"], costs.satellite.fee_year)
    return villages


def price(frames: dict, costs: CostModel) -> dict:
    """Add priced columns to ``frames['edges']``, ``['sites']``, ``['villages']`` in place."""
    price_edges(frames["edges"], costs)
    price_sites(frames["sites"], costs)
    price_villages(frames["villages"], costs)
    return frames
