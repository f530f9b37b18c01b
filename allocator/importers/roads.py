"""The trench graph both real-data importers (OpenStreetMap, GIS layers) build
from a road network.

Input: road lines as one coordinate array (lon/lat, WGS84) with offsets, one
road class and one terrain per line, and optionally a topology key per point
(OpenStreetMap node ids: two ways meet where they share a node, and a bridge
crossing a road without a shared node is no junction). Without keys two lines
meet where they share a vertex (coordinates equal to 1e-7 degree, ~1 cm).

Steps (numpy for what is linear, a plain walk for the chains):

1. points -> vertices (``numpy.unique`` on the keys); consecutive points of a
   line -> segments; zero-length and duplicate segments dropped (of two ways
   drawn over the same stretch, the cheaper class is kept);
2. segment lengths on the WGS84 ellipsoid (``pyproj.Geod``), cost per segment
   = length x the line's cost per km;
3. noding and contraction: a vertex is a node when its degree is not 2 (ends,
   junctions); every chain of segments between two nodes becomes one edge,
   its vertex path kept for the map and the export, its length and cost the
   sums over its segments. A loop (both ends on one node, or a ring with no
   node at all) is cut at its middle vertex, since an edge needs two ends;
4. :func:`attach`: points (villages, points of presence) joined to the nearest
   edge (``shapely.STRtree`` in a local azimuthal equidistant projection), the
   edge split at the foot of the perpendicular.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: coordinate quantum (degrees) under which two vertices without topology keys are one
QUANTUM_DEG = 1e-7


@dataclass
class RoadLines:
    """Road lines as flat arrays: line ``i`` is ``coords[offsets[i]:offsets[i+1]]``."""

    coords: np.ndarray            # (P, 2) lon, lat
    offsets: np.ndarray           # (L + 1,) int
    rate_per_km: np.ndarray       # (L,) trench cost per km of each line
    road_class: np.ndarray        # (L,) int code into ``class_names``
    class_names: list             # road class names
    terrain: np.ndarray           # (L,) int code into ``terrain_names``
    terrain_names: list
    point_keys: np.ndarray | None = None  # (P,) int64 topology ids, or None: coordinates


@dataclass
class TrenchGraph:
    """Contracted trench graph. Vertices include shape points; ``edge_u``/``edge_v``
    are vertex indices of the edge ends, ``paths[k]`` the vertex indices along edge k."""

    lonlat: np.ndarray                       # (V, 2)
    edge_u: list = field(default_factory=list)
    edge_v: list = field(default_factory=list)
    paths: list = field(default_factory=list)      # np.ndarray of vertex ids per edge
    seg_m: list = field(default_factory=list)      # np.ndarray of segment lengths (m) per edge
    seg_cost: list = field(default_factory=list)   # np.ndarray of segment costs per edge
    seg_class: list = field(default_factory=list)  # np.ndarray of road class codes per edge
    seg_terrain: list = field(default_factory=list)
    class_names: list = field(default_factory=list)
    terrain_names: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def length_km(self, k: int) -> float:
        return float(self.seg_m[k].sum()) / 1000.0

    def cost(self, k: int) -> float:
        return float(self.seg_cost[k].sum())

    def dominant(self, k: int, codes: list, names: list) -> str:
        """The class (or terrain) covering most of edge k's length."""
        weights = np.bincount(codes[k], weights=self.seg_m[k], minlength=len(names))
        return names[int(np.argmax(weights))]

    def ends(self) -> np.ndarray:
        """Vertex indices that are ends of some edge, ascending."""
        return np.unique(np.concatenate([np.asarray(self.edge_u, np.int64), np.asarray(self.edge_v, np.int64)]))


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Distances in metres on the WGS84 ellipsoid (vectorised)."""
    from pyproj import Geod

    _, _, dist = Geod(ellps="WGS84").inv(np.asarray(lon1, float), np.asarray(lat1, float),
                                          np.asarray(lon2, float), np.asarray(lat2, float))
    return np.asarray(dist, float)


def _vertex_ids(lines: RoadLines):
    if lines.point_keys is not None:
        keys = np.asarray(lines.point_keys, np.int64)
    else:
        q = np.round(lines.coords / QUANTUM_DEG).astype(np.int64)
        keys = (q[:, 0] + (1 << 31)) * (1 << 32) + (q[:, 1] + (1 << 31))  # lon, lat each < 2^32 quanta
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    return lines.coords[first], inv.ravel()


def build_trench_graph(lines: RoadLines) -> TrenchGraph:
    """Node the road lines at shared vertices and contract degree-2 chains (see the module docstring)."""
    lonlat, inv = _vertex_ids(lines)
    n_points = len(inv)
    offsets = np.asarray(lines.offsets, np.int64)
    counts = np.diff(offsets)
    line_of_point = np.repeat(np.arange(len(counts)), counts)
    has_next = np.ones(n_points, bool)
    has_next[offsets[1:][counts > 0] - 1] = False
    start = np.flatnonzero(has_next[:-1]) if n_points else np.zeros(0, np.int64)
    a, b = inv[start], inv[start + 1]
    seg_line = line_of_point[start]
    keep = a != b
    a, b, seg_line = a[keep], b[keep], seg_line[keep]
    rate = np.asarray(lines.rate_per_km, float)[seg_line]
    # duplicates: the same stretch drawn by two ways; keep the cheaper
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((rate, hi, lo))
    lo_s, hi_s = lo[order], hi[order]
    first = np.ones(len(order), bool)
    first[1:] = (lo_s[1:] != lo_s[:-1]) | (hi_s[1:] != hi_s[:-1])
    chosen = np.sort(order[first])
    duplicates = int(len(a) - len(chosen))
    a, b, seg_line, rate = a[chosen], b[chosen], seg_line[chosen], rate[chosen]
    seg_m = geodesic_m(lonlat[a, 0], lonlat[a, 1], lonlat[b, 0], lonlat[b, 1])
    seg_cost = seg_m / 1000.0 * rate
    seg_class = np.asarray(lines.road_class, np.int64)[seg_line]
    seg_terrain = np.asarray(lines.terrain, np.int64)[seg_line]

    n_vert = len(lonlat)
    degree = np.bincount(a, minlength=n_vert) + np.bincount(b, minlength=n_vert)
    graph = TrenchGraph(lonlat=lonlat, class_names=list(lines.class_names),
                        terrain_names=list(lines.terrain_names))
    chains = contract(a, b, degree != 2)
    for verts, segs in chains:
        graph_add(graph, np.asarray(verts, np.int64), seg_m[segs], seg_cost[segs], seg_class[segs],
                  seg_terrain[segs])
    graph.stats = {
        "lines": int(len(counts)), "points": int(n_points), "segments": int(len(a)),
        "duplicate_segments": duplicates,
        "vertices_before_contraction": int(np.count_nonzero(degree)),
        "nodes_after_contraction": int(len(graph.ends())) if graph.paths else 0,
        "edges_after_contraction": len(graph.paths),
        "road_km": float(seg_m.sum()) / 1000.0,
    }
    return graph


def contract(a: np.ndarray, b: np.ndarray, is_node: np.ndarray) -> list:
    """Chains of segments ``(a[s], b[s])`` between vertices where ``is_node``.

    Returns ``[(vertex path, segment ids), ...]`` in a deterministic order
    (nodes ascending, their segments in input order); rings with no node are
    walked from their smallest vertex. Loops are returned as they are (both
    ends equal); :func:`graph_add` cuts them.
    """
    n_seg = len(a)
    ends = np.concatenate([a, b])
    order = np.argsort(ends, kind="stable")
    seg_of = np.concatenate([np.arange(n_seg), np.arange(n_seg)])[order]
    indptr = np.zeros(len(is_node) + 1, np.int64)
    np.cumsum(np.bincount(ends, minlength=len(is_node)), out=indptr[1:])
    a_l, b_l, seg_l, ptr = a.tolist(), b.tolist(), seg_of.tolist(), indptr.tolist()
    node_l = is_node.tolist()
    visited = bytearray(n_seg)
    chains = []

    def walk(start: int, seg: int):
        verts, segs, cur = [start], [], start
        while True:
            visited[seg] = 1
            segs.append(seg)
            nxt = b_l[seg] if a_l[seg] == cur else a_l[seg]
            verts.append(nxt)
            if node_l[nxt] or nxt == start:
                return verts, segs
            s1, s2 = seg_l[ptr[nxt]], seg_l[ptr[nxt] + 1]
            seg = s2 if s1 == seg else s1
            if visited[seg]:
                return verts, segs
            cur = nxt

    for v in np.flatnonzero(is_node & (indptr[1:] > indptr[:-1])).tolist():
        for k in range(ptr[v], ptr[v + 1]):
            s = seg_l[k]
            if not visited[s]:
                chains.append(walk(v, s))
    for s in range(n_seg):  # rings without any node
        if not visited[s]:
            chains.append(walk(min(a_l[s], b_l[s]), s))
    return chains


def graph_add(graph: TrenchGraph, verts, seg_m, seg_cost, seg_class, seg_terrain) -> None:
    """Append one edge (a loop is cut at its middle vertex into two)."""
    if verts[0] == verts[-1]:
        if len(verts) < 3:
            return
        mid = len(verts) // 2
        graph_add(graph, verts[:mid + 1], seg_m[:mid], seg_cost[:mid], seg_class[:mid], seg_terrain[:mid])
        graph_add(graph, verts[mid:], seg_m[mid:], seg_cost[mid:], seg_class[mid:], seg_terrain[mid:])
        return
    graph.edge_u.append(int(verts[0]))
    graph.edge_v.append(int(verts[-1]))
    graph.paths.append(np.asarray(verts, np.int64))
    graph.seg_m.append(np.asarray(seg_m, float))
    graph.seg_cost.append(np.asarray(seg_cost, float))
    graph.seg_class.append(np.asarray(seg_class, np.int64))
    graph.seg_terrain.append(np.asarray(seg_terrain, np.int64))


# --------------------------------------------------------------------------- attaching points
@dataclass
class Attachment:
    """Where each point joins the graph: a vertex index, and the straight distance to it (m)."""

    vertex: np.ndarray
    distance_m: np.ndarray


def local_projection(lonlat: np.ndarray):
    """A transformer lon/lat -> metres (azimuthal equidistant at the data's centre) and back."""
    from pyproj import Transformer

    lon0, lat0 = np.nanmedian(lonlat[:, 0]), np.nanmedian(lonlat[:, 1])
    crs = f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def attach(graph: TrenchGraph, points_lonlat: np.ndarray, *, snap_m: float = 1.0) -> Attachment:
    """Join each point to the nearest edge at the foot of its perpendicular, splitting the edge there.

    A foot within ``snap_m`` of an existing vertex of the edge uses that vertex.
    Several points on one edge split it at each foot, in order along it.
    """
    import shapely

    pts = np.asarray(points_lonlat, float).reshape(-1, 2)
    if len(pts) == 0 or not graph.paths:
        return Attachment(np.full(len(pts), -1, np.int64), np.full(len(pts), np.inf))
    proj = local_projection(np.vstack([graph.lonlat[graph.ends()], pts]))
    vx, vy = proj.transform(graph.lonlat[:, 0], graph.lonlat[:, 1])
    vxy = np.column_stack([vx, vy])
    px, py = proj.transform(pts[:, 0], pts[:, 1])
    point_geoms = shapely.points(px, py)
    sizes = np.array([len(p) for p in graph.paths])
    flat = np.concatenate(graph.paths)
    lines = shapely.linestrings(vxy[flat], indices=np.repeat(np.arange(len(sizes)), sizes))
    tree = shapely.STRtree(lines)
    (pi, ei), dist = tree.query_nearest(point_geoms, return_distance=True, all_matches=False)
    edge_of = np.full(len(pts), -1, np.int64)
    edge_of[pi] = ei
    along = shapely.line_locate_point(lines[edge_of], point_geoms)
    vertex = np.full(len(pts), -1, np.int64)

    new_xy: list = []
    by_edge: dict = {}
    for p in np.argsort(edge_of, kind="stable").tolist():
        by_edge.setdefault(int(edge_of[p]), []).append(p)
    n_vert = len(graph.lonlat)
    pending_edges = []
    for k, plist in sorted(by_edge.items()):
        path = graph.paths[k]
        xy = vxy[path]
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        cuts = {}  # position along the path (vertex index, or index + fraction) -> vertex id
        for p in sorted(plist, key=lambda q: (along[q], q)):
            d = float(along[p])
            i = int(np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(path) - 2))
            seg_len = cum[i + 1] - cum[i]
            if d - cum[i] <= snap_m:
                key = (i, 0.0)
            elif cum[i + 1] - d <= snap_m:
                key = (i + 1, 0.0)
            else:
                key = (i, (d - cum[i]) / seg_len)
            if key not in cuts:
                if key[1] == 0.0:
                    cuts[key] = int(path[key[0]])
                else:
                    frac = key[1]
                    new_xy.append(xy[i] + frac * (xy[i + 1] - xy[i]))
                    cuts[key] = n_vert
                    n_vert += 1
            vertex[p] = cuts[key]
        pending_edges.append((k, cuts))
    if new_xy:
        nx, ny = np.array(new_xy).T
        lon, lat = proj.transform(nx, ny, direction="INVERSE")
        graph.lonlat = np.vstack([graph.lonlat, np.column_stack([lon, lat])])
    replaced = set()
    for k, cuts in pending_edges:
        inner = {key: v for key, v in cuts.items() if not (key[1] == 0.0 and key[0] in (0, len(graph.paths[k]) - 1))}
        if inner:
            _split_edge(graph, k, inner)
            replaced.add(k)
    if replaced:
        _drop_edges(graph, replaced)
    real_m = geodesic_m(pts[:, 0], pts[:, 1], graph.lonlat[vertex, 0], graph.lonlat[vertex, 1])
    del dist  # the projected distance only chose the edge; the reported one is geodesic
    return Attachment(vertex, real_m)


def _split_edge(graph: TrenchGraph, k: int, cuts: dict) -> None:
    """Append the pieces of edge k cut at ``cuts`` ((segment index, fraction) -> vertex id)."""
    path, seg_m, seg_cost = graph.paths[k], graph.seg_m[k], graph.seg_cost[k]
    seg_class, seg_terrain = graph.seg_class[k], graph.seg_terrain[k]
    # expand into a path with the new vertices inserted, then cut at every cut vertex
    verts, m, c, cl, te, cut_at = [int(path[0])], [], [], [], [], set()
    inserts: dict = {}
    for (i, frac), v in cuts.items():
        if frac == 0.0:
            cut_at.add(("v", i))
        else:
            inserts.setdefault(i, []).append((frac, v))
    for i in range(len(path) - 1):
        prev = 0.0
        for frac, v in sorted(inserts.get(i, [])):
            share = frac - prev
            verts.append(v)
            m.append(seg_m[i] * share)
            c.append(seg_cost[i] * share)
            cl.append(seg_class[i])
            te.append(seg_terrain[i])
            cut_at.add(("n", len(verts) - 1))
            prev = frac
        verts.append(int(path[i + 1]))
        m.append(seg_m[i] * (1.0 - prev))
        c.append(seg_cost[i] * (1.0 - prev))
        cl.append(seg_class[i])
        te.append(seg_terrain[i])
    # original vertex indices shift by the inserts before them
    shift = np.zeros(len(path), np.int64)
    for i, lst in inserts.items():
        shift[i + 1:] += len(lst)
    positions = sorted({pos for kind, pos in cut_at if kind == "n"}
                       | {int(pos + shift[pos]) for kind, pos in cut_at if kind == "v"})
    bounds = [0] + [p for p in positions if 0 < p < len(verts) - 1] + [len(verts) - 1]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        graph_add(graph, np.asarray(verts[lo:hi + 1], np.int64), np.asarray(m[lo:hi]), np.asarray(c[lo:hi]),
                  np.asarray(cl[lo:hi], np.int64), np.asarray(te[lo:hi], np.int64))


def _drop_edges(graph: TrenchGraph, drop: set) -> None:
    keep = [k for k in range(len(graph.paths)) if k not in drop]
    for name in ("edge_u", "edge_v", "paths", "seg_m", "seg_cost", "seg_class", "seg_terrain"):
        values = getattr(graph, name)
        setattr(graph, name, [values[k] for k in keep])


def wkt_linestring(lonlat: np.ndarray, digits: int = 7) -> str:
    """``LINESTRING (lon lat, ...)`` with ``digits`` decimals (1e-7 degree ~ 1 cm, OSM's precision)."""
    fmt = f"{{:.{digits}f}} {{:.{digits}f}}"
    return "LINESTRING (" + ", ".join(fmt.format(x, y) for x, y in lonlat) + ")"
