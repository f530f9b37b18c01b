"""`allocator import gis` on small layers made here: the happy path (GeoPackage
with mapped Chinese column names, CSV with lon/lat, a projected CRS) and every
bad-input case with its message (file, layer, feature and a fix; exit 2)."""
import json

import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas", reason="needs the gis extra: pip install 'allocator[gis]'")
shapely = pytest.importorskip("shapely", reason="needs the gis extra: pip install 'allocator[gis]'")
pytest.importorskip("pyogrio", reason="needs the gis extra: pip install 'allocator[gis]'")

from shapely.geometry import LineString, MultiPoint, Point, Polygon  # noqa: E402

from allocator.cli import main as cli_main  # noqa: E402
from allocator.importers.assemble import ImportReport  # noqa: E402
from allocator.importers.gis import read_layer  # noqa: E402
from allocator.io import load_instance  # noqa: E402

X0, Y0, D = 101.0, 27.0, 0.01  # a 3 x 3 road grid, ~1 km cells, in Sichuan
MAPPING = """
[villages]
id = "村编码"
name = "村名"
population = "人口"
county = "县代码"
county_name = "县名"
poor = "贫困村"
[roads]
class = "等级"
class_map = { "县道" = "secondary", "乡道" = "tertiary", "村道" = "unclassified" }
"""


def grid_roads():
    lines, classes = [], []
    for i in range(3):
        lines.append(LineString([(X0, Y0 + i * D), (X0 + 2 * D, Y0 + i * D)]))
        classes.append("县道" if i == 0 else "乡道")
        lines.append(LineString([(X0 + i * D, Y0), (X0 + i * D, Y0 + D), (X0 + i * D, Y0 + 2 * D)]))
        classes.append("村道")
    return gpd.GeoDataFrame({"等级": classes}, geometry=lines, crs="EPSG:4326")


def village_layer(points=None, ids=None):
    points = points or [(X0 + 0.5 * D, Y0 + 0.001), (X0 + 1.5 * D, Y0 + D + 0.002), (X0 + 2 * D + 0.003, Y0 + 2 * D)]
    n = len(points)
    return gpd.GeoDataFrame({"村编码": ids or [f"V{i}" for i in range(n)], "村名": [f"村{i}" for i in range(n)],
                             "人口": [300 + 100 * i for i in range(n)], "县代码": ["513428"] * n,
                             "县名": ["普格县"] * n, "贫困村": ["是"] * n},
                            geometry=[Point(p) for p in points], crs="EPSG:4326")


def backbone_layer():
    return gpd.GeoDataFrame({"id": ["POP1"]}, geometry=[Point(X0 - 0.001, Y0 - 0.001)], crs="EPSG:4326")


@pytest.fixture
def layers(tmp_path):
    grid_roads().to_file(tmp_path / "roads.gpkg", driver="GPKG")
    village_layer().to_file(tmp_path / "villages.gpkg", driver="GPKG")
    backbone_layer().to_file(tmp_path / "pop.geojson", driver="GeoJSON")
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def run(layers, out="inst", **files):
    paths = {"villages": layers / "villages.gpkg", "roads": layers / "roads.gpkg", "backbone": layers / "pop.geojson",
             "mapping": layers / "map.toml", **files}
    argv = ["import", "gis", "-o", str(layers / out)]
    for key, value in paths.items():
        if value is not None:
            argv += [f"--{key}", str(value)]
    return cli_main(argv)


def test_mapped_layers_import_solve_and_carry_geometry(layers, capsys):
    assert run(layers) == 0
    inst = load_instance(layers / "inst")
    v = inst.villages
    assert list(v.index) == ["V0", "V1", "V2"] and v["population"].tolist() == [300, 400, 500]
    assert v["poor"].all() and set(v["node"]) == {"v-V0", "v-V1", "v-V2"}
    assert inst.counties.loc["513428", "name"] == "普格县" and inst.counties.loc["513428", "adcode"] == "513428"
    e = inst.edges
    roads = e[e["road_class"] != "connector"]
    # 12 km of road (3 x 2 km each way), ~8% shorter east-west at 27 N; all of it candidate trench
    grid_km = grid_roads().to_crs(grid_roads().estimate_utm_crs()).length.sum() / 1000
    assert roads["length_km"].sum() == pytest.approx(grid_km, rel=2e-3)
    # prices: per-km x class factor (县道 -> secondary 1.15, 乡道 -> tertiary 1.0, 村道 -> unclassified 0.9),
    # summed over the source lines measured on the ellipsoid
    from pyproj import Geod

    per_km = inst.costs.fiber.per_km["plain"]
    factor = {"县道": 1.15, "乡道": 1.0, "村道": 0.9}
    geod = Geod(ellps="WGS84")
    g = grid_roads()
    expected = sum(geod.geometry_length(x) / 1000 * per_km * factor[c] for x, c in zip(g.geometry, g["等级"]))
    assert roads["capex"].sum() == pytest.approx(expected, rel=1e-9)
    assert e["geometry"].str.startswith("LINESTRING").all()
    report = json.loads((layers / "inst" / "import-report.json").read_text())
    assert report["counts"]["villages_with_node"] == 3 and report["counts"]["backbone_points"] == 1
    assert cli_main(["solve", str(layers / "inst"), "-o", str(layers / "plan")]) == 0
    assert cli_main(["verify", str(layers / "inst"), str(layers / "plan")]) == 0


def test_csv_with_lon_lat_and_a_projected_road_layer(layers, capsys):
    v = village_layer()
    pd.DataFrame({"村编码": v["村编码"], "村名": v["村名"], "人口": v["人口"], "县代码": v["县代码"],
                  "县名": v["县名"], "贫困村": v["贫困村"], "lon": v.geometry.x, "lat": v.geometry.y}).to_csv(
        layers / "villages.csv", index=False)
    grid_roads().to_crs(32647).to_file(layers / "roads_utm.shp")  # UTM 47N, as a transport bureau might send it
    assert run(layers, villages=layers / "villages.csv", roads=layers / "roads_utm.shp") == 0
    assert len(load_instance(layers / "inst").villages) == 3
    report = json.loads((layers / "inst" / "import-report.json").read_text())
    assert any("EPSG:4326" in a for a in report["assumptions"])


def expect_error(capsys, *needles):
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, (needle, err)
    assert "fix:" in err and "Traceback" not in err


def test_layer_without_crs(layers, capsys):
    village_layer().set_crs(None, allow_override=True).to_file(layers / "nocrs.geojson", driver="GeoJSON")
    # GeoJSON is WGS84 by definition: pyogrio reads it so; a shapefile without .prj has no CRS
    g = village_layer()
    g.to_file(layers / "nocrs.shp")
    (layers / "nocrs.prj").unlink()
    assert run(layers, villages=layers / "nocrs.shp") == 2
    expect_error(capsys, "nocrs.shp", "no coordinate reference system", "Set CRS")


def test_empty_geometry_is_listed(layers, capsys):
    g = village_layer()
    g.loc[1, "geometry"] = None
    g.to_file(layers / "empty.gpkg", driver="GPKG")
    assert run(layers, villages=layers / "empty.gpkg") == 2
    expect_error(capsys, "empty.gpkg", "empty or missing geometry", "feature(s) 2")


def test_mixed_geometry_types(layers, capsys):
    g = village_layer()
    mixed = gpd.GeoDataFrame(g.drop(columns="geometry"), crs="EPSG:4326",
                             geometry=[g.geometry[0], LineString([(X0, Y0), (X0 + D, Y0)]), g.geometry[2]])
    mixed.to_file(layers / "mixed.geojson", driver="GeoJSON")
    assert run(layers, villages=layers / "mixed.geojson") == 2
    expect_error(capsys, "mixed.geojson", "mixed geometry types", "feature 2 is a LineString")


def test_far_village_is_listed_not_dropped(layers, capsys):
    far = [(X0 + 0.5 * D, Y0 + 0.001), (X0 + 0.5 * D, Y0 - 0.05), (X0 + 5 * D, Y0 + 5 * D)]
    village_layer(far).to_file(layers / "far.gpkg", driver="GPKG")
    assert run(layers, villages=layers / "far.gpkg") == 2
    expect_error(capsys, "far.gpkg", "2 village(s) farther than 2 km from every road", "V1 (5.5 km", "V2 (",
                 "--far keep")
    assert not (layers / "inst").exists()
    # kept without fiber when asked, and said so
    assert cli_main(["import", "gis", "-o", str(layers / "inst"), "--villages", str(layers / "far.gpkg"),
                     "--roads", str(layers / "roads.gpkg"), "--backbone", str(layers / "pop.geojson"),
                     "--mapping", str(layers / "map.toml"), "--far", "keep"]) == 0
    assert "2 village(s) farther than 2 km" in capsys.readouterr().err
    v = load_instance(layers / "inst").villages
    assert len(v) == 3 and v.loc["V1", "node"] == "" and v.loc["V0", "node"] == "v-V0"


def test_unmapped_required_column(layers, capsys):
    (layers / "bad.toml").write_text(MAPPING.replace('population = "人口"', 'population = "POP"'), encoding="utf-8")
    assert run(layers, mapping=layers / "bad.toml") == 2
    expect_error(capsys, "villages.gpkg", "mapped column 'POP' (villages.population) not in the layer", "人口")
    assert run(layers, mapping=None) == 2  # no mapping: the default column names are not there
    expect_error(capsys, "required column 'village_id' (villages.id)", "--mapping")


def test_unknown_mapping_key_is_an_error(layers, capsys):
    (layers / "typo.toml").write_text(MAPPING.replace("population =", "populaton ="), encoding="utf-8")
    assert run(layers, mapping=layers / "typo.toml") == 2
    expect_error(capsys, "typo.toml", "unknown key 'populaton' in [villages]")


def test_duplicate_ids(layers, capsys):
    village_layer(ids=["V0", "V1", "V0"]).to_file(layers / "dup.gpkg", driver="GPKG")
    assert run(layers, villages=layers / "dup.gpkg") == 2
    expect_error(capsys, "dup.gpkg", "1 duplicate village id(s): 'V0' (features 1 and 3)")


def test_unpriced_road_class(layers, capsys):
    g = grid_roads()
    g.loc[0, "等级"] = "高速"
    g.to_file(layers / "roads2.gpkg", driver="GPKG")
    assert run(layers, roads=layers / "roads2.gpkg") == 2
    expect_error(capsys, "roads2.gpkg", "not priced by the cost model's [roads] table: 高速", "class_map")


def test_multi_layer_file_needs_a_layer_name(layers, capsys):
    village_layer().to_file(layers / "both.gpkg", layer="villages", driver="GPKG")
    grid_roads().to_file(layers / "both.gpkg", layer="roads", driver="GPKG")
    assert run(layers, villages=layers / "both.gpkg") == 2
    expect_error(capsys, "both.gpkg", "has 2 layers", 'layer = "..."')
    (layers / "two.toml").write_text(MAPPING.replace("[villages]\n", '[villages]\nlayer = "villages"\n'),
                                     encoding="utf-8")
    assert run(layers, villages=layers / "both.gpkg", mapping=layers / "two.toml") == 0


def test_repairs_are_warnings(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    gpd.GeoDataFrame({"county_id": ["c1"]}, geometry=[bowtie], crs="EPSG:4326").to_file(tmp_path / "c.gpkg")
    report = ImportReport()
    g = read_layer(tmp_path / "c.gpkg", what="counties", report=report)
    assert g.geometry.is_valid.all() and g.geometry.area.sum() == pytest.approx(0.5)
    assert "1 invalid geometr(y/ies) repaired with make_valid (features 1)" in report.warnings[0]
    gpd.GeoDataFrame({"id": ["p"]}, geometry=[MultiPoint([(1, 2)])], crs="EPSG:4326").to_file(tmp_path / "m.gpkg")
    report = ImportReport()
    g = read_layer(tmp_path / "m.gpkg", what="backbone", report=report)
    assert g.geometry.geom_type.tolist() == ["Point"] and "MultiPoint(s) read as Point" in report.warnings[0]


def test_missing_gis_extra_says_how_to_install(monkeypatch, layers, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "geopandas", None)  # import geopandas now raises ImportError
    assert run(layers) == 2
    expect_error(capsys, "needs the optional GIS packages, missing: geopandas", 'pip install "allocator[gis]"')
    assert cli_main(["export", "instances/tiny-trench", str(layers), "-o", str(layers / "x.gpkg")]) == 2
    expect_error(capsys, "'allocator export' needs the optional GIS packages", 'pip install "allocator[gis]"')
