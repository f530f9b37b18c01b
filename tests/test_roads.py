"""The shared road-graph builder: noding, degree-2 contraction with geometry,
geodesic lengths, attaching points; and the core WKT reader."""
import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

shapely = pytest.importorskip("shapely", reason="needs the gis extra: pip install 'allocator[gis]'")
pyproj = pytest.importorskip("pyproj", reason="needs the gis extra: pip install 'allocator[gis]'")

from allocator.importers.roads import RoadLines, attach, build_trench_graph, geodesic_m  # noqa: E402
from allocator.io.wkt import to_geojson  # noqa: E402


def lines_of(polylines, rate=100.0, keys=None):
    coords = np.vstack([np.asarray(p, float) for p in polylines])
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in polylines])])
    n = len(polylines)
    return RoadLines(coords=coords, offsets=offsets, rate_per_km=np.full(n, rate), road_class=np.zeros(n, int),
                     class_names=["tertiary"], terrain=np.zeros(n, int), terrain_names=["plain"],
                     point_keys=keys)


def total_km(graph):
    return sum(graph.length_km(k) for k in range(len(graph.paths)))


def test_cross_and_chain_contract_to_the_junctions_with_geometry_kept():
    # a cross (two lines sharing their middle vertex) and a 3-segment chain continuing one arm
    g = build_trench_graph(lines_of([[(0, 0), (0.01, 0), (0.02, 0)], [(0.01, -0.01), (0.01, 0), (0.01, 0.01)],
                                     [(0.02, 0), (0.03, 0), (0.035, 0.001), (0.04, 0)]]))
    assert g.stats["vertices_before_contraction"] == 8
    assert g.stats["nodes_after_contraction"] == 5  # 4 ends + the crossing
    assert len(g.paths) == 4
    longest = max(range(4), key=lambda k: len(g.paths[k]))
    assert len(g.paths[longest]) == 5  # (0.01,0) ... (0.04,0): the chain through (0.02,0) kept as shape points
    expected = geodesic_m([0, 0.01], [0, -0.01], [0.04, 0.01], [0, 0.01]).sum() / 1000
    assert total_km(g) == pytest.approx(g.stats["road_km"])
    assert total_km(g) == pytest.approx(expected + (geodesic_m(0.03, 0, 0.035, 0.001) + geodesic_m(0.035, 0.001, 0.04, 0)
                                                    - geodesic_m(0.03, 0, 0.04, 0)).sum() / 1000, rel=1e-9)
    assert all(g.cost(k) == pytest.approx(g.length_km(k) * 100.0) for k in range(4))


def test_bridge_without_shared_node_is_no_junction_with_topology_keys():
    # two lines crossing at (0.01, 0) geometrically, but with different OSM node ids there
    lines = lines_of([[(0, 0), (0.01, 0), (0.02, 0)], [(0.01, -0.01), (0.01, 0), (0.01, 0.01)]],
                     keys=np.array([1, 2, 3, 4, 5, 6]))
    g = build_trench_graph(lines)
    assert len(g.paths) == 2 and g.stats["nodes_after_contraction"] == 4


def test_loops_are_cut_into_two_edges_and_duplicates_keep_the_cheaper():
    ring = [(0, 0), (0.01, 0), (0.01, 0.01), (0, 0.01), (0, 0)]
    g = build_trench_graph(lines_of([ring]))
    assert len(g.paths) == 2 and all(u != v for u, v in zip(g.edge_u, g.edge_v))
    lines = lines_of([[(0, 0), (0.01, 0)], [(0.01, 0), (0, 0)]])
    lines.rate_per_km = np.array([300.0, 100.0])
    g = build_trench_graph(lines)
    assert g.stats["duplicate_segments"] == 1 and g.cost(0) == pytest.approx(g.length_km(0) * 100.0)


def test_attach_splits_at_the_foot_and_keeps_length():
    g = build_trench_graph(lines_of([[(0, 0), (0.01, 0), (0.02, 0), (0.03, 0)]]))
    before = total_km(g)
    at = attach(g, np.array([[0.015, 0.001], [0.025, -0.002], [0.0, 0.0]]))
    assert total_km(g) == pytest.approx(before, rel=1e-12)
    assert len(g.paths) == 3  # cut at two feet; the third point sits on an end
    assert at.vertex[2] in (g.edge_u + g.edge_v)
    assert g.lonlat[at.vertex[0]] == pytest.approx([0.015, 0.0], abs=1e-6)
    assert at.distance_m[0] == pytest.approx(geodesic_m(0.015, 0.001, 0.015, 0.0)[()], rel=1e-6)


@settings(max_examples=30)
@given(st.lists(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=6), min_size=1,
                max_size=8),
       st.lists(st.tuples(st.floats(0, 0.06), st.floats(0, 0.06)), max_size=5))
def test_contraction_and_attachment_keep_length_and_connectivity(polylines, points):
    """Property: on random grid polylines, contraction keeps the total length and which
    vertices are connected; attaching points keeps the length again."""
    grid = [[(x * 0.01, y * 0.01) for x, y in p] for p in polylines]
    lines = lines_of(grid)
    g = build_trench_graph(lines)
    raw = nx.Graph()
    for p in grid:
        raw.add_edges_from((a, b) for a, b in zip(p, p[1:]) if a != b)
    raw_km = sum(geodesic_m(a[0], a[1], b[0], b[1])[()] for a, b in raw.edges) / 1000
    assert total_km(g) == pytest.approx(raw_km, rel=1e-9, abs=1e-9)
    contracted = nx.MultiGraph()
    contracted.add_edges_from(zip(g.edge_u, g.edge_v))
    key = {tuple(np.round(g.lonlat[v], 9)): v for v in range(len(g.lonlat))}
    for comp in nx.connected_components(raw):  # every raw component's nodes end up in one contracted component
        ends = {key[tuple(np.round(c, 9))] for c in comp} & set(contracted.nodes)
        if ends:
            assert len({frozenset(nx.node_connected_component(contracted, e)) for e in ends}) == 1
    if g.paths and points:
        attach(g, np.array(points))
        assert total_km(g) == pytest.approx(raw_km, rel=1e-9, abs=1e-9)
        assert all(u != v for u, v in zip(g.edge_u, g.edge_v))


@settings(max_examples=40)
@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=2, max_size=6))
def test_wkt_reader_agrees_with_shapely(coords):
    line = shapely.LineString(coords)
    geom = to_geojson(shapely.to_wkt(line, rounding_precision=-1))
    assert shapely.geometry.shape(geom).equals_exact(line, 1e-9)
    poly = shapely.box(min(c[0] for c in coords), -1, max(c[0] for c in coords) + 1, 1)
    for g in (poly, shapely.MultiPolygon([poly, shapely.box(200, 0, 201, 1)])):
        assert shapely.geometry.shape(to_geojson(shapely.to_wkt(g, rounding_precision=-1))).equals(g)


@pytest.mark.parametrize("text", ["LINESTRING (1 2, 3", "CIRCLE (1 2)", "LINESTRING (a b)"])
def test_wkt_reader_refuses_malformed_text(text):
    with pytest.raises(ValueError):
        to_geojson(text)
    assert to_geojson("") is None and to_geojson("LINESTRING EMPTY") is None
    json.dumps(to_geojson("POINT (1 2)"))


@settings(max_examples=30)
@given(st.lists(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=6), min_size=1,
                max_size=10),
       st.lists(st.tuples(st.floats(0, 0.06), st.floats(0, 0.06)), min_size=1, max_size=5))
def test_pruning_dead_ends_keeps_every_distance_between_terminals(polylines, points):
    """Property: peeling branches that lead to no terminal and contracting again changes no
    cheapest path between terminals, and leaves no dead end that is not a terminal."""
    from allocator.importers.roads import prune_dead_ends

    g = build_trench_graph(lines_of([[(x * 0.01, y * 0.01) for x, y in p] for p in polylines]))
    if not g.paths:
        return
    terminals = set(attach(g, np.array(points)).vertex.tolist())

    def network():
        h = nx.Graph()
        for k in range(len(g.paths)):
            u, v, c = g.edge_u[k], g.edge_v[k], g.cost(k)
            if not h.has_edge(u, v) or h[u][v]["w"] > c:
                h.add_edge(u, v, w=c)
        return h

    before = network()
    dist_before = {t: nx.single_source_dijkstra_path_length(before, t, weight="w") for t in terminals if t in before}
    prune_dead_ends(g, terminals)
    after = network()
    for t, lengths in dist_before.items():
        for s in terminals:
            if s in lengths and s != t:
                assert nx.dijkstra_path_length(after, t, s, weight="w") == pytest.approx(lengths[s], rel=1e-9, abs=1e-9)
    multi = nx.MultiGraph()
    multi.add_edges_from(zip(g.edge_u, g.edge_v))
    assert all(d != 1 or x in terminals for x, d in multi.degree())
    for k in range(len(g.paths)):  # geometry still runs from one end to the other, segment by segment
        assert g.paths[k][0] == g.edge_u[k] and g.paths[k][-1] == g.edge_v[k]
        assert len(g.seg_m[k]) == len(g.paths[k]) - 1 == len(g.seg_cost[k]) == len(g.seg_class[k])
