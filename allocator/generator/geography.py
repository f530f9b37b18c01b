"""Where things are: real county seats, the policy groups their adcodes imply,
which counties a preset takes, and distances on the sphere."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .presets import (
    DEEP_POVERTY,
    DEEP_POVERTY_PREFIXES,
    DESIGNATED,
    DESIGNATED_ADCODES,
    TERRAIN_SHARES,
    YANSHAN_TAIHANG,
    YANSHAN_TAIHANG_ADCODES,
    Preset,
    ProvinceQuota,
)

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0


@lru_cache(maxsize=1)
def county_seats() -> pd.DataFrame:
    """The shipped county seats (see ``data/README.md``), with derived columns
    ``groups`` (tuple of policy groups) and ``nearest_km`` (distance to the nearest
    other seat, which sets a county's size)."""
    with resources.files(__package__).joinpath("data/county_seats.csv").open("rb") as fh:
        seats = pd.read_csv(fh, dtype={"adcode": str, "name": str, "prefecture": str, "province": str})
    seats["groups"] = [county_groups(a) for a in seats["adcode"]]
    xyz = _unit_vectors(seats["lon"].to_numpy(), seats["lat"].to_numpy())
    dist, _ = cKDTree(xyz).query(xyz, k=2)
    seats["nearest_km"] = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(dist[:, 1] / 2, 1.0))
    return seats.set_index("adcode", drop=False)


def county_groups(adcode: str) -> tuple[str, ...]:
    """Policy groups a county belongs to by its adcode (programme.md lists)."""
    groups = []
    if adcode.startswith(DEEP_POVERTY_PREFIXES):
        groups.append(DEEP_POVERTY)
    if adcode in DESIGNATED_ADCODES:
        groups.append(DESIGNATED)
    if adcode in YANSHAN_TAIHANG_ADCODES:
        groups.append(YANSHAN_TAIHANG)
    return tuple(groups)


def terrain_shares(adcode: str) -> tuple[float, ...]:
    """(plain, hills, plateau, mountain) shares for a county: longest matching prefix."""
    for k in range(len(adcode), -1, -1):
        shares = TERRAIN_SHARES.get(adcode[:k])
        if shares is not None:
            return shares
    raise AssertionError("TERRAIN_SHARES has no default row")  # pragma: no cover


def _poverty_likeness(seats: pd.DataFrame) -> np.ndarray:
    """Selection weight of a county among its province's: poverty counties are rural
    (县/旗, not urban 区 or county-level 市), far from the provincial capital, and
    三区三州 counties nearly all are; listed counties are taken for sure (inf)."""
    name = seats["name"]
    w = np.where(name.str.endswith("区"), 0.05, np.where(name.str.endswith("市"), 0.2, 1.0))
    # distance from the province's first-listed prefecture seat (the capital's districts)
    capital = seats.groupby(seats["adcode"].str[:2])[["lon", "lat"]].transform("first")
    d = haversine_km(seats["lon"].to_numpy(), seats["lat"].to_numpy(),
                     capital["lon"].to_numpy(), capital["lat"].to_numpy())
    dmax = pd.Series(d).groupby(seats["adcode"].str[:2].to_numpy()).transform("max").to_numpy()
    w = w * (0.1 + d / np.maximum(dmax, 1.0)) ** 2
    deep = np.array([DEEP_POVERTY in g for g in seats["groups"]])
    w = np.where(deep, w * 20.0, w)
    listed = seats["adcode"].isin(DESIGNATED_ADCODES | YANSHAN_TAIHANG_ADCODES).to_numpy()
    return np.where(listed, np.inf, w)


def _weighted_sample(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``k`` items drawn without replacement with probability ~ weight
    (Efraimidis-Spirakis keys); infinite weights are taken first."""
    u = rng.random(len(weights))
    with np.errstate(divide="ignore"):
        keys = np.where(np.isinf(weights), np.inf, np.log(u) / weights)
    order = np.argsort(-keys, kind="stable")
    return np.sort(order[:k])


def select_counties(preset: Preset, rng: np.random.Generator) -> pd.DataFrame:
    """County seats a preset uses, with column ``quota`` = registered poor villages
    of the county's province still to share out (national) or NaN.

    Raises
    ------
    ValueError
        A preset asks for more counties than its prefix has.
    """
    seats = county_seats()
    if preset.quotas:
        parts = []
        for q in preset.quotas:
            parts.append(_select_in(seats, q.code, q.counties, rng).assign(province_quota=q.code))
        return pd.concat(parts).sort_index()
    return _select_in(seats, preset.adcode_prefix, preset.counties, rng).assign(
        province_quota=preset.adcode_prefix[:2])


def _select_in(seats: pd.DataFrame, prefix: str, k: int, rng: np.random.Generator) -> pd.DataFrame:
    inside = seats["adcode"].str.startswith(prefix) & ~seats["name"].str.contains("群岛|海域", regex=True)
    pool = seats[inside]
    if len(pool) < k:
        raise ValueError(f"prefix {prefix} has {len(pool)} counties, preset asks for {k}")
    if len(pool) == k:
        return pool
    weights = _poverty_likeness(seats).astype(float)[inside.to_numpy()]
    return pool.iloc[_weighted_sample(weights, k, rng)]


def province_village_totals(quotas: tuple[ProvinceQuota, ...], total: int) -> dict[str, int]:
    """Registered poor villages per province: exact quotas as given, the rest of
    ``total`` shared among the others in proportion to their weights (largest
    remainder, so the sum is exactly ``total``)."""
    exact = {q.code: q.villages for q in quotas if q.exact}
    rest = [q for q in quotas if not q.exact]
    left = total - sum(exact.values())
    if left < 0:
        raise ValueError("exact province quotas exceed the national total")
    weights = np.array([q.villages for q in rest], dtype=float)
    shares = largest_remainder(weights, left)
    return {**exact, **{q.code: int(n) for q, n in zip(rest, shares)}}


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    short = total - int(out.sum())
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:short]] += 1
    return out


# --------------------------------------------------------------------------- sphere
def _unit_vectors(lon, lat) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def offset_to_lonlat(lon0, lat0, dx_km, dy_km) -> tuple[np.ndarray, np.ndarray]:
    """Points ``dx`` km east and ``dy`` km north of (lon0, lat0) (local equirectangular)."""
    lat = lat0 + dy_km / KM_PER_DEGREE
    lon = lon0 + dx_km / (KM_PER_DEGREE * np.cos(np.radians(lat0)))
    return lon, lat
