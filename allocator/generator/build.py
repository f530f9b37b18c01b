"""Build the tables of a synthetic instance from a preset and a seed.

Everything is drawn from one ``numpy.random.Generator(seed)`` in a fixed order,
so the same preset and seed give the same tables. Work is vectorised over all
villages at once; the only per-county loop is the Delaunay triangulation that
seeds each county's road graph.

Shape of a county (all assumptions, parameters in :mod:`.presets`):

- its seat is a real county seat and a backbone node (existing fiber); 5-15
  townships lie around it, some already on the backbone;
- villages cluster around the seat and the townships; far from the seat the
  terrain gets rougher (plain -> hills -> plateau -> mountain, in the county's
  own proportions), villages get poorer and less often connected;
- candidate trenches follow a road-like graph: the Euclidean minimum spanning
  tree of seat, townships and villages plus the shortest other Delaunay edges
  (average degree ~2.8), length = great-circle km x a terrain detour factor;
- candidate 4G sites stand at townships and on hilltops (some hilltops have no
  road: microwave backhaul only); their reach comes from the cost model;
- every county is its own component of the graph, with its own backbone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from .geography import (
    county_seats,
    haversine_km,
    offset_to_lonlat,
    province_village_totals,
    select_counties,
    terrain_shares,
)
from .presets import DEEP_POVERTY, DETOUR, TERRAIN_ORDER, Params, Preset

_SURNAME = np.array(list("石河坪坝沟岭山湾寨溪田平安新红阳龙马杨李张王刘陈黄赵周吴高林罗郭梁宋郑"
                         "谢韩唐冯董程曹袁邓许沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜夏钟汪任姜范方姚谭"
                         "廖邹熊金陆郝白崔康毛邱秦江顾侯邵孟万段雷汤尹黎易常武乔贺赖龚文"))
_PLACE = np.array(list("家口坪坝沟岭山湾寨溪田庄营屯堡河桥坡塘湖园林岗窝坎垭"))
_TERRAIN = np.array(TERRAIN_ORDER)


@dataclass
class Tables:
    """Tables of an instance before it is written (columns of :mod:`allocator.schema`)."""

    counties: pd.DataFrame
    villages: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame
    sites: pd.DataFrame
    coverage: pd.DataFrame | None = None


def build_tables(preset: Preset, seed: int) -> Tables:
    """Tables of ``preset`` drawn with ``seed`` (same inputs, same tables)."""
    if preset.hand_made:
        return tiny_tables(preset)
    rng = np.random.default_rng(seed)
    p = preset.params
    counties = select_counties(preset, rng)
    n_poor, n_other = _villages_per_county(preset, counties, rng)
    return _Builder(counties, n_poor, n_other, p, rng).tables()


def _villages_per_county(preset: Preset, counties: pd.DataFrame,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(registered poor, other) villages of each county, summing to the preset's totals."""
    k = len(counties)
    weights = rng.lognormal(0.0, 0.45, size=k)
    if preset.quotas:
        totals = province_village_totals(preset.quotas, preset.villages)
        poor = np.zeros(k, dtype=np.int64)
        prov = counties["province_quota"].to_numpy()
        for code in sorted(totals):
            idx = np.flatnonzero(prov == code)
            poor[idx] = _share_out(totals[code], weights[idx], rng)
        return poor, np.zeros(k, dtype=np.int64)
    n_poor = round(preset.villages * preset.poor_share)
    return (_share_out(n_poor, weights, rng),
            _share_out(preset.villages - n_poor, weights, rng, minimum=0))


def _share_out(total: int, weights: np.ndarray, rng: np.random.Generator, minimum: int = 5) -> np.ndarray:
    """``total`` items over bins ~ ``weights``, each bin at least ``minimum`` when possible."""
    k = len(weights)
    minimum = min(minimum, total // max(k, 1))
    rest = total - minimum * k
    return minimum + rng.multinomial(rest, weights / weights.sum()).astype(np.int64)


class _Builder:
    """One pass over all counties at once; attributes are flat arrays over villages,
    townships, sites and nodes, with ``*_county`` holding each row's county position."""

    def __init__(self, counties: pd.DataFrame, n_poor: np.ndarray, n_other: np.ndarray,
                 params: Params, rng: np.random.Generator) -> None:
        self.c = counties.reset_index(drop=True)
        self.p = params
        self.rng = rng
        self.n_poor = n_poor
        self.n_vil = n_poor + n_other
        self.adcode = self.c["adcode"].to_numpy().astype(str)
        self.deep = np.array([DEEP_POVERTY in g for g in self.c["groups"]])
        lo, hi = params.county_radius_km
        self.radius = np.clip(params.county_radius_factor * self.c["nearest_km"].to_numpy(), lo, hi)
        self.shares = np.array([terrain_shares(a) for a in self.adcode])
        self.seat_lon = self.c["lon"].to_numpy(dtype=float)
        self.seat_lat = self.c["lat"].to_numpy(dtype=float)

    # ------------------------------------------------------------------ layout
    def tables(self) -> Tables:
        self._townships()
        self._villages()
        self._terrain()
        self._people_and_facilities()
        self._existing()
        self._graph()
        self._sites()
        return Tables(counties=self._counties_table(), villages=self._villages_table(),
                      nodes=self._nodes_table(), edges=self._edges_table(), sites=self._sites_table())

    def _townships(self) -> None:
        p, rng = self.p, self.rng
        k = np.clip(np.rint(self.n_vil / p.villages_per_township), p.townships_min, p.townships_max)
        self.n_town = k.astype(np.int64)
        self.town_county = np.repeat(np.arange(len(self.c)), self.n_town)
        m = len(self.town_county)
        r = self.radius[self.town_county] * 0.85 * np.sqrt(rng.uniform(0.08, 1.0, m))
        a = rng.uniform(0, 2 * np.pi, m)
        self.town_x, self.town_y = r * np.cos(a), r * np.sin(a)
        self.town_index = _rank_within(self.town_county)  # 0.. per county

    def _villages(self) -> None:
        p, rng = self.p, self.rng
        self.vil_county = np.repeat(np.arange(len(self.c)), self.n_vil)
        n = len(self.vil_county)
        # centre: the seat (weight 2) or one of the county's townships (weight 1 each)
        k = self.n_town[self.vil_county]
        t = np.floor(rng.random(n) * (k + 2)).astype(np.int64)
        town_start = np.concatenate([[0], np.cumsum(self.n_town)[:-1]])[self.vil_county]
        on_town = t >= 2
        centre = np.where(on_town, town_start + np.maximum(t - 2, 0), -1)
        cx = np.where(on_town, self.town_x[np.maximum(centre, 0)], 0.0)
        cy = np.where(on_town, self.town_y[np.maximum(centre, 0)], 0.0)
        sigma = p.cluster_spread * self.radius[self.vil_county]
        self.vil_x = cx + rng.normal(0, 1, n) * sigma
        self.vil_y = cy + rng.normal(0, 1, n) * sigma
        self.vil_centre = centre
        self.vil_index = _rank_within(self.vil_county)

    def _terrain(self) -> None:
        """Terrain classes by a remoteness score, in each county's proportions."""
        rng = self.rng
        d = np.hypot(self.vil_x, self.vil_y) / self.radius[self.vil_county]
        self.remote = 0.6 * d + 0.4 * rng.random(len(d))
        q = (_rank_within(self.vil_county, self.remote) + 0.5) / self.n_vil[self.vil_county]
        cum = np.cumsum(self.shares, axis=1)[self.vil_county]
        cls = (q[:, None] >= cum[:, :3]).sum(axis=1)
        # a share of 0 must never be drawn, even at a rounding boundary
        allowed = self.shares[self.vil_county] > 0
        while not allowed[np.arange(len(cls)), cls].all():
            bad = ~allowed[np.arange(len(cls)), cls]
            cls = np.where(bad, (cls + 1) % 4, cls)
        self.vil_terrain_cls = cls
        # townships and seats take the terrain of the nearest village / the county's flattest class
        tree = cKDTree(np.column_stack([self.vil_x, self.vil_y, self.vil_county * 1e6]))
        _, j = tree.query(np.column_stack([self.town_x, self.town_y, self.town_county * 1e6]))
        self.town_terrain_cls = cls[j]
        self.seat_terrain_cls = np.argmax(self.shares > 0, axis=1)
        self.tree = tree

    def _people_and_facilities(self) -> None:
        p, rng = self.p, self.rng
        vc = self.vil_county
        plateau_county = self.shares[:, 2] >= 0.5
        median = np.where(plateau_county[vc], p.population_median_plateau, p.population_median)
        self.population = np.maximum(20, np.rint(median * rng.lognormal(0, p.population_sigma, len(vc))))
        s = np.sqrt(self.population)
        self.school = rng.random(len(vc)) < np.minimum(p.school_share * s / s.mean(), 0.95)
        self.clinic = rng.random(len(vc)) < np.minimum(p.clinic_share * s / s.mean(), 0.95)
        # poor: the more remote villages of each county, n_poor of them exactly
        keys = np.log(rng.random(len(vc))) / np.exp(2.0 * self.remote)
        rank = _rank_within(vc, -keys)
        self.poor = rank < self.n_poor[vc]

    def _existing(self) -> None:
        """Existing connections at the programme's 2016 rates, nearer the backbone first."""
        p, rng = self.p, self.rng
        vc = self.vil_county
        n = len(vc)
        self.town_backbone = rng.random(len(self.town_county)) < np.where(
            self.deep[self.town_county], p.township_backbone[DEEP_POVERTY], p.township_backbone["other"])
        # distance to the nearest backbone point of the county (seat or backbone township)
        d = np.hypot(self.vil_x, self.vil_y)
        bb = np.flatnonzero(self.town_backbone)
        if len(bb):
            t = cKDTree(np.column_stack([self.town_x[bb], self.town_y[bb], self.town_county[bb] * 1e6]))
            dt, _ = t.query(np.column_stack([self.vil_x, self.vil_y, vc * 1e6]))
            d = np.minimum(d, dt)
        deep = self.deep[vc]
        keys = np.log(rng.random(n)) / np.exp(-d / (0.3 * self.radius[vc]))
        existing = np.full(n, "none", dtype=object)
        rates = {(True, True): p.existing_deep, (True, False): p.existing_other,
                 (False, True): p.existing_non_poor_deep, (False, False): p.existing_non_poor_other}
        fiber_u = rng.random(n)
        for (poor, dp), rate in rates.items():
            idx = np.flatnonzero((self.poor == poor) & (deep == dp))
            take = idx[np.argsort(-keys[idx], kind="stable")[: int(round(rate * len(idx)))]]
            share = p.existing_fiber_share[DEEP_POVERTY if dp else "other"]
            existing[take] = np.where(fiber_u[take] < share, "fiber", "4g")
        self.existing = existing

    # ------------------------------------------------------------------ graph
    def _graph(self) -> None:
        """Nodes: per county its seat, townships, villages (local km coordinates);
        edges: spanning tree + shortest extra Delaunay edges, county by county."""
        nc = len(self.c)
        county = np.concatenate([np.arange(nc), self.town_county, self.vil_county])
        x = np.concatenate([np.zeros(nc), self.town_x, self.vil_x])
        y = np.concatenate([np.zeros(nc), self.town_y, self.vil_y])
        order = np.argsort(county, kind="stable")  # seat, townships, villages of county 0, then 1 ...
        self.node_county, self.node_x, self.node_y = county[order], x[order], y[order]
        self.node_src = order  # position in the concatenation above
        starts = np.searchsorted(self.node_county, np.arange(nc + 1))
        nn = len(self.node_x)
        pairs = []
        for c in range(nc):
            a, b = starts[c], starts[c + 1]
            pts = np.column_stack([self.node_x[a:b], self.node_y[a:b]])
            s = Delaunay(pts, qhull_options="QJ Qbb Qc").simplices + a
            pairs.append(np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]]))
        pairs = np.concatenate(pairs)
        # each undirected edge once, as the key lo * nn + hi (a 1-d unique is much faster than axis=0)
        keys = np.unique(pairs.min(axis=1) * nn + pairs.max(axis=1))
        e = np.column_stack([keys // nn, keys % nn])
        length = np.hypot(self.node_x[e[:, 0]] - self.node_x[e[:, 1]], self.node_y[e[:, 0]] - self.node_y[e[:, 1]])
        g = sp.coo_matrix((np.maximum(length, 1e-6), (e[:, 0], e[:, 1])), shape=(nn, nn)).tocsr()
        tree = minimum_spanning_tree(g).tocoo()
        is_tree = np.isin(keys, np.minimum(tree.row, tree.col).astype(np.int64) * nn
                          + np.maximum(tree.row, tree.col))
        ec = self.node_county[e[:, 0]]
        # extra edges: per county the shortest non-tree ones, no longer than 2x its median tree edge
        med = pd.Series(length[is_tree]).groupby(ec[is_tree]).median().reindex(range(nc)).to_numpy()
        cand = np.flatnonzero(~is_tree & (length <= 2 * med[ec]))
        quota = np.rint(self.p.extra_edges_per_node * np.diff(starts)).astype(np.int64)
        rank = _rank_within(ec[cand], length[cand])
        extra = cand[rank < quota[ec[cand]]]
        keep = np.sort(np.concatenate([np.flatnonzero(is_tree), extra]))
        self.edge_uv = e[keep]

    def _sites(self) -> None:
        """Candidate 4G sites: one per township, and hilltop sites near villages."""
        p, rng = self.p, self.rng
        k = np.maximum(1, np.rint(p.hilltop_sites_per_village * self.n_vil)).astype(np.int64)
        self.hill_county = np.repeat(np.arange(len(self.c)), k)
        m = len(self.hill_county)
        vil_start = np.concatenate([[0], np.cumsum(self.n_vil)[:-1]])
        near = vil_start[self.hill_county] + np.floor(rng.random(m) * self.n_vil[self.hill_county]).astype(np.int64)
        # a hilltop overlooking a hamlet group: the middle of a village and its nearest neighbours
        k = int(min(p.hilltop_group, self.n_vil.min()))
        _, nb = self.tree.query(np.column_stack([self.vil_x[near], self.vil_y[near], self.hill_county * 1e6]), k=k)
        nb = nb.reshape(m, k)
        self.hill_x = self.vil_x[nb].mean(axis=1) + rng.normal(0, 0.3, m)
        self.hill_y = self.vil_y[nb].mean(axis=1) + rng.normal(0, 0.3, m)
        _, j = self.tree.query(np.column_stack([self.hill_x, self.hill_y, self.hill_county * 1e6]))
        self.hill_terrain_cls = self.vil_terrain_cls[j]
        self.hill_road = rng.random(m) >= p.microwave_only_share
        self.hill_index = _rank_within(self.hill_county)
        # hilltops with a road: a spur to the nearest seat/township/village node of the county
        road = np.flatnonzero(self.hill_road)
        t = cKDTree(np.column_stack([self.node_x, self.node_y, self.node_county * 1e6]))
        _, j = t.query(np.column_stack([self.hill_x[road], self.hill_y[road], self.hill_county[road] * 1e6]))
        self.spur = (road, j)

    # ------------------------------------------------------------------ ids and tables
    def _ids(self):
        """(seat, township, village, node-in-graph-order) ids, and the number of counties."""
        nc = len(self.c)
        width = max(3, len(str(int(self.n_vil.max()))))
        seat = np.char.add(self.adcode, "-S")
        town = np.char.add(np.char.add(self.adcode[self.town_county], "-T"),
                           np.char.zfill((self.town_index + 1).astype(str), 2))
        vil = np.char.add(np.char.add(self.adcode[self.vil_county], "-V"),
                          np.char.zfill((self.vil_index + 1).astype(str), width))
        node_ids = np.concatenate([seat, town, vil])[self.node_src]
        return seat, town, vil, node_ids, nc

    def _counties_table(self) -> pd.DataFrame:
        c = self.c
        return pd.DataFrame({"county_id": c["adcode"].astype(str), "name": c["name"], "province": c["province"],
                             "prefecture": c["prefecture"], "adcode": c["adcode"].astype(str),
                             "groups": [";".join(g) for g in c["groups"]]})

    def _villages_table(self) -> pd.DataFrame:
        _, _, vil, _, _ = self._ids()
        vc = self.vil_county
        lon, lat = offset_to_lonlat(self.seat_lon[vc], self.seat_lat[vc], self.vil_x, self.vil_y)
        return pd.DataFrame({
            "village_id": vil, "county_id": self.adcode[vc], "name": self._names(len(vc), "村"),
            "lon": np.round(lon, 5), "lat": np.round(lat, 5), "population": self.population,
            "poor": self.poor, "node": vil, "terrain": _TERRAIN[self.vil_terrain_cls],
            "existing": self.existing, "school": self.school, "clinic": self.clinic,
        })

    def _nodes_table(self) -> pd.DataFrame:
        seat, town, vil, _, nc = self._ids()
        kind = np.concatenate([np.full(nc, "backbone"), np.where(self.town_backbone, "backbone", "junction"),
                               np.full(len(vil), "village")])
        county = np.concatenate([np.arange(nc), self.town_county, self.vil_county])
        x = np.concatenate([np.zeros(nc), self.town_x, self.vil_x])
        y = np.concatenate([np.zeros(nc), self.town_y, self.vil_y])
        ids = np.concatenate([seat, town, vil])
        road = self.spur[0]
        hill_ids = self._hill_node_ids()[road]
        ids = np.concatenate([ids, hill_ids])
        kind = np.concatenate([kind, np.full(len(road), "site")])
        x = np.concatenate([x, self.hill_x[road]])
        y = np.concatenate([y, self.hill_y[road]])
        county = np.concatenate([county, self.hill_county[road]])
        lon, lat = offset_to_lonlat(self.seat_lon[county], self.seat_lat[county], x, y)
        df = pd.DataFrame({"node_id": ids, "kind": kind, "lon": np.round(lon, 5), "lat": np.round(lat, 5)})
        return df.sort_values("node_id", kind="stable").reset_index(drop=True)

    def _hill_node_ids(self) -> np.ndarray:
        return np.char.add(np.char.add(self.adcode[self.hill_county], "-H"),
                           np.char.zfill((self.hill_index + 1).astype(str), 3))

    def _edges_table(self) -> pd.DataFrame:
        node_ids = self._ids()[3]
        # terrain of a node in graph order: seat, township or village class
        tcls = np.concatenate([self.seat_terrain_cls, self.town_terrain_cls, self.vil_terrain_cls])[self.node_src]
        remote = np.hypot(self.node_x, self.node_y)
        u, v = self.edge_uv[:, 0], self.edge_uv[:, 1]
        far = np.where(remote[u] >= remote[v], u, v)
        cls = tcls[far]
        # hilltop spurs
        road, j = self.spur
        hill_ids = self._hill_node_ids()[road]
        su = node_ids[j]
        hx, hy = self.hill_x[road], self.hill_y[road]
        hcls = self.hill_terrain_cls[road]
        uid = np.concatenate([node_ids[u], su])
        vid = np.concatenate([node_ids[v], hill_ids])
        county = np.concatenate([self.node_county[u], self.hill_county[road]])
        ax = np.concatenate([self.node_x[u], self.node_x[j]])
        ay = np.concatenate([self.node_y[u], self.node_y[j]])
        bx = np.concatenate([self.node_x[v], hx])
        by = np.concatenate([self.node_y[v], hy])
        cls = np.concatenate([cls, hcls])
        lon1, lat1 = offset_to_lonlat(self.seat_lon[county], self.seat_lat[county], ax, ay)
        lon2, lat2 = offset_to_lonlat(self.seat_lon[county], self.seat_lat[county], bx, by)
        km = haversine_km(lon1, lat1, lon2, lat2)
        detour = np.array([DETOUR[t] for t in TERRAIN_ORDER])[cls]
        length = np.round(np.maximum(km * detour * self.rng.uniform(0.95, 1.10, len(km)), 0.05), 2)
        df = pd.DataFrame({"u": uid, "v": vid, "length_km": length, "terrain": _TERRAIN[cls]})
        return df.sort_values(["u", "v"], kind="stable").reset_index(drop=True)

    def _sites_table(self) -> pd.DataFrame:
        _, town, _, _, _ = self._ids()
        tc = self.town_county
        tlon, tlat = offset_to_lonlat(self.seat_lon[tc], self.seat_lat[tc], self.town_x, self.town_y)
        hc = self.hill_county
        hlon, hlat = offset_to_lonlat(self.seat_lon[hc], self.seat_lat[hc], self.hill_x, self.hill_y)
        hill_nodes = np.where(self.hill_road, self._hill_node_ids(), "")
        town_site = np.char.add(town, "-4G")
        hill_site = np.char.add(self._hill_node_ids(), "-4G")
        df = pd.DataFrame({
            "site_id": np.concatenate([town_site, hill_site]),
            "node": np.concatenate([town, hill_nodes]),
            "lon": np.round(np.concatenate([tlon, hlon]), 5),
            "lat": np.round(np.concatenate([tlat, hlat]), 5),
            "terrain": _TERRAIN[np.concatenate([self.town_terrain_cls, self.hill_terrain_cls])],
            "backhaul": np.concatenate([np.full(len(town), "any"),
                                        np.where(self.hill_road, "any", "microwave")]),
        })
        return df.sort_values("site_id", kind="stable").reset_index(drop=True)

    def _names(self, n: int, suffix: str) -> np.ndarray:
        a = _SURNAME[self.rng.integers(0, len(_SURNAME), n)]
        b = _PLACE[self.rng.integers(0, len(_PLACE), n)]
        return np.char.add(np.char.add(a, b), suffix)


def _rank_within(group: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
    """0-based rank of each element within its group, by ``key`` (default: position)."""
    n = len(group)
    if key is None:
        key = np.arange(n)
    order = np.lexsort((np.arange(n), key, group))
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(start, np.diff(np.r_[start, n]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    return rank


# --------------------------------------------------------------------------- tiny
def tiny_tables(preset: Preset) -> Tables:
    """The hand-made ``tiny`` instance (the seed plays no part).

    Layout, distances in km along the roads::

        S (seat, backbone) --3-- V1 (existing 4G)
        S --8-- T1 (township, junction) --4-- V2
                                        --5-- V3 (school)
        T1 --12 (mountain)-- H1 (hilltop site node) --1.5-- V4 ; site H1-4G covers V4 and V5
        V4 --2 (mountain)-- V5 (clinic) --25 (plateau)-- V6 (remote herders)

    V2 and V3 share the S-T1 trench; V4 and V5 are cheapest by one 4G site (or,
    each alone, by satellite); V6 is far enough that only satellite makes sense.
    V6 is not registered poor.
    """
    seats = county_seats()
    adcode = preset.adcode_prefix
    seat = seats.loc[adcode]
    lon0, lat0 = float(seat["lon"]), float(seat["lat"])

    def at(dx, dy):
        lon, lat = offset_to_lonlat(lon0, lat0, dx, dy)
        return round(float(lon), 5), round(float(lat), 5)

    pts = {"S": at(0, 0), "T1": at(6, 0), "V1": at(-2, 1.5), "V2": at(9, 1), "V3": at(9.5, -2),
           "H1": at(12, 6), "V4": at(12.5, 7.2), "V5": at(13.8, 6.5), "V6": at(28, 14)}
    nid = {k: f"{adcode}-{k}" for k in pts}
    counties = pd.DataFrame({"county_id": [adcode], "name": [seat["name"]], "province": [seat["province"]],
                             "prefecture": [seat["prefecture"]], "adcode": [adcode],
                             "groups": [";".join(seat["groups"])]})
    v = ["V1", "V2", "V3", "V4", "V5", "V6"]
    villages = pd.DataFrame({
        "village_id": [nid[k] for k in v], "county_id": adcode,
        "name": ["河口村", "石坪村", "杨家坝村", "龙沟村", "马湾村", "高山牧场"],
        "lon": [pts[k][0] for k in v], "lat": [pts[k][1] for k in v],
        "population": [900.0, 1200.0, 800.0, 600.0, 700.0, 150.0],
        "poor": [True, True, True, True, True, False],
        "node": [nid[k] for k in v],
        "terrain": ["hills", "hills", "hills", "mountain", "mountain", "plateau"],
        "existing": ["4g", "none", "none", "none", "none", "none"],
        "school": [False, False, True, False, False, False],
        "clinic": [False, False, False, False, True, False],
    })
    kinds = {"S": "backbone", "T1": "junction", "H1": "site"}
    nodes = pd.DataFrame({"node_id": [nid[k] for k in pts], "kind": [kinds.get(k, "village") for k in pts],
                          "lon": [pts[k][0] for k in pts], "lat": [pts[k][1] for k in pts]})
    edges = pd.DataFrame([("S", "V1", 3.0, "hills"), ("S", "T1", 8.0, "hills"), ("T1", "V2", 4.0, "hills"),
                          ("T1", "V3", 5.0, "hills"), ("T1", "H1", 12.0, "mountain"),
                          ("H1", "V4", 1.5, "mountain"), ("V4", "V5", 2.0, "mountain"), ("V5", "V6", 25.0, "plateau")],
                         columns=["u", "v", "length_km", "terrain"])
    edges["u"] = edges["u"].map(nid)
    edges["v"] = edges["v"].map(nid)
    sites = pd.DataFrame({"site_id": [f"{nid['H1']}-4G"], "node": [nid["H1"]], "lon": [pts["H1"][0]],
                          "lat": [pts["H1"][1]], "terrain": ["mountain"], "backhaul": ["any"]})
    coverage = pd.DataFrame({"site_id": [f"{nid['H1']}-4G"] * 2, "village_id": [nid["V4"], nid["V5"]]})
    return Tables(counties, villages, nodes, edges, sites, coverage)
