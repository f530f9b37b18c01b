"""`allocator export`: a plan as GeoPackage / GeoJSON layers read back with
pyogrio; trenches along the instance's road geometry; the HTML map draws the
road network, points of presence and county outlines."""
import json
from pathlib import Path

import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas", reason="needs the gis extra: pip install 'allocator[gis]'")
pyogrio = pytest.importorskip("pyogrio", reason="needs the gis extra: pip install 'allocator[gis]'")

import shapely  # noqa: E402
from pyproj import Geod  # noqa: E402

from allocator.cli import main as cli_main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "instances" / "osm-kouvola"


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kouvola")
    assert cli_main(["solve", str(DEMO), "-o", str(tmp / "plan")]) == 0
    return tmp


def test_instance_without_geometry_exports_straight_trenches(tmp_path, capsys):
    inst = REPO / "instances" / "tiny-trench"
    assert cli_main(["solve", str(inst), "-o", str(tmp_path / "plan")]) == 0
    out = tmp_path / "plan.gpkg"
    assert cli_main(["export", str(inst), str(tmp_path / "plan"), "-o", str(out)]) == 0
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == {"villages", "trenches", "sites", "site_reach", "backbone"}
    trenches = gpd.read_file(out, layer="trenches")
    built = pd.read_csv(tmp_path / "plan" / "edges.csv")
    nodes = pd.read_csv(inst / "network_nodes.csv").set_index("node_id")
    assert sorted(trenches["edge_id"]) == sorted(built["edge_id"])
    for _, row in trenches.iterrows():
        a = built.set_index("edge_id").loc[row["edge_id"]]
        assert list(row.geometry.coords) == [tuple(nodes.loc[a["u"], ["lon", "lat"]]), tuple(nodes.loc[a["v"], ["lon", "lat"]])]
    villages = gpd.read_file(out, layer="villages")
    plan_v = pd.read_csv(tmp_path / "plan" / "villages.csv").set_index("village_id")
    assert dict(zip(villages["village_id"], villages["technology"])) == plan_v["technology"].to_dict()
    assert villages.crs.to_epsg() == 4326


def test_site_reach_is_the_geodesic_radius(demo_plan, tmp_path):
    from allocator.reports.export import reach_polygon

    ring = reach_polygon(26.94, 60.53, 3.0)
    geod = Geod(ellps="WGS84")
    _, _, dist = geod.inv([26.94] * len(ring), [60.53] * len(ring), [p[0] for p in ring], [p[1] for p in ring])
    assert max(abs(d - 3000.0) for d in dist) < 1e-6
    area, _ = geod.polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])
    assert abs(area) == pytest.approx(3.14159265 * 3000.0 ** 2, rel=0.01)


def test_export_refuses_a_plan_that_breaks_a_rule(demo_plan, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in (demo_plan / "plan").iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    edges = pd.read_csv(bad / "edges.csv")
    edges.iloc[:1].to_csv(bad / "edges.csv", index=False)  # fiber villages lose their route
    assert cli_main(["export", str(DEMO), str(bad), "-o", str(tmp_path / "x.gpkg")]) == 5
    assert "fails verification" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()


def test_report_map_draws_roads_backbone_and_counties(demo_plan, tmp_path):
    out = tmp_path / "report"
    assert cli_main(["report", str(DEMO), str(demo_plan / "plan"), "-o", str(out)]) == 0
    html = (out / "map.html").read_text(encoding="utf-8")
    data = json.loads(html.split("const DATA = ", 1)[1].split(";\n", 1)[0].replace("<\\/", "</"))
    edges = pd.read_csv(DEMO / "network_edges.csv")
    assert len(data["roads"]) == len(edges)  # every candidate trench, along its geometry
    longest = edges["geometry"].map(lambda t: len(shapely.from_wkt(t).coords)).max()
    assert max(len(line) for line in data["roads"]) == longest
    assert len(data["backbone"]["xy"]) == 2 and "road network" in html and "points of presence" in html
    assert "tile" not in html.lower().replace("title", "")  # nothing fetched: no tile server
    layers = dict(pyogrio.list_layers(out / "layers" / "layers.gpkg"))
    assert {"villages", "trenches", "roads", "backbone"} <= set(layers)


def test_map_draws_county_outlines(tmp_path):
    from allocator.io import load_instance
    from allocator.plan_io import read_plan
    from allocator.reports.map import write_map

    inst_dir = tmp_path / "inst"
    inst_dir.mkdir()
    for f in DEMO.iterdir():
        (inst_dir / f.name).write_bytes(f.read_bytes())
    counties = pd.read_csv(inst_dir / "counties.csv", dtype=str, keep_default_na=False)
    counties["boundary"] = "POLYGON ((26.9 60.5, 27.0 60.5, 27.0 60.6, 26.9 60.6, 26.9 60.5))"
    counties.to_csv(inst_dir / "counties.csv", index=False)
    inst = load_instance(inst_dir)
    assert cli_main(["solve", str(inst_dir), "-o", str(tmp_path / "plan")]) == 0
    plan = read_plan(tmp_path / "plan", inst)
    html = write_map(inst, plan, tmp_path / "map.html").read_text(encoding="utf-8")
    assert '"counties":[{"name":"unassigned (outside every county boundary)","rings":[[[26.9,60.5]' in html
    counties["boundary"] = "LINESTRING (1 2, 3 4)"
    counties.to_csv(inst_dir / "counties.csv", index=False)
    inst = load_instance(inst_dir)
    from allocator.errors import InputError

    with pytest.raises(InputError, match="counties.csv, line 2, column 'boundary': a LineString where Polygon"):
        write_map(inst, plan, tmp_path / "map2.html")
