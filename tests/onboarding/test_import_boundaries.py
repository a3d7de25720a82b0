"""Importing community, grid and mesh boundaries (onboarding.boundaries) from every format an
office exports, with the planner's checks and the standard numbering."""

from __future__ import annotations

import csv
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from buildings.models import Building
from gis_core.models import Camera, Community, Grid
from onboarding.boundaries import BoundaryOptions, import_boundaries
from onboarding.errors import CRSProblem
from planner.models import GridVersion
from tests.factories import make_building, make_community, point
from tests.onboarding.files import GK_CM_102E, ogr2ogr, polygon, write_geojson, write_osm_area

pytestmark = pytest.mark.django_db

COMMUNITY = "530112001001"


def community_feature(**props):
    return polygon(0, 0, 400, 200, **{"社区代码": COMMUNITY, "社区名称": "测试社区", **props})


def grid_features(codes=True, **extra):
    """Four grids in two rows: NW, NE, SW, SE (numbered 1–4 by the standard when codes=True)."""
    boxes = [(0, 100, 200, 200), (200, 100, 400, 200), (0, 0, 200, 100), (200, 0, 400, 100)]
    return [polygon(*box, **({"编码": f"{COMMUNITY}{i:03d}"} if codes else {}), 名称=f"网格{i}",
                    责任人=f"网格员{i}", 联系电话=f"1380000000{i}", 生效日期="2024/3/1", 类型="基础网格", **extra)
            for i, box in enumerate(boxes, start=1)]


def run(path, **options):
    return import_boundaries(path, BoundaryOptions(**options))


def actions(report):
    return [(r.source_id, r.action, r.code) for r in report.rows]


def test_community_then_grids_with_every_attribute(tmp_path):
    run(write_geojson(tmp_path / "community.geojson", [community_feature()]), level="community")
    building = make_building("B-1", (250, 20, 270, 40))  # in the future SE grid
    camera = Camera.objects.create(community=Community.objects.get(), code="C1", name="院门",
                                   location=point(60, 150), mount_height_m=4, heading_deg=90, hfov_deg=80)
    assert building.grid is None

    report = run(write_geojson(tmp_path / "grids.geojson", grid_features()), level="grid")

    assert [r.action for r in report.rows] == ["created"] * 4
    nw = Grid.objects.get(code=f"{COMMUNITY}001")
    assert (nw.name, nw.level, nw.community.code, nw.responsible_person, nw.responsible_phone, str(nw.valid_from),
            nw.kind) == ("网格1", "grid", COMMUNITY, "网格员1", "13800000001", "2024-03-01", "basic")
    building.refresh_from_db()
    camera.refresh_from_db()
    assert building.grid.code == f"{COMMUNITY}004" and camera.grid == nw  # re-derived once, at the end
    assert GridVersion.objects.filter(action="create").count() == 4


def test_codes_are_generated_west_to_east_then_north_to_south(tmp_path):
    make_community()
    features = grid_features(codes=False)
    features.reverse()  # file order must not matter
    report = run(write_geojson(tmp_path / "grids.geojson", features), level="grid")
    by_name = dict(Grid.objects.values_list("name", "code"))
    assert by_name == {f"网格{i}": f"{COMMUNITY}{i:03d}" for i in range(1, 5)}
    assert all("按标准顺序生成编码" in r.reason for r in report.rows)


def test_reimport_is_idempotent_with_or_without_codes(tmp_path):
    make_community()
    with_codes = write_geojson(tmp_path / "a.geojson", grid_features())
    run(with_codes, level="grid")
    again = run(with_codes, level="grid")
    assert {r.action for r in again.rows} == {"unchanged"}
    without = run(write_geojson(tmp_path / "b.geojson", grid_features(codes=False)), level="grid")
    assert {r.action for r in without.rows} == {"unchanged"}  # matched by shape, not duplicated
    assert Grid.objects.count() == 4
    moved = grid_features()
    moved[0]["properties"]["责任人"] = "新网格员"
    assert [r.action for r in run(write_geojson(tmp_path / "c.geojson", moved), level="grid").rows][0] == "updated"
    assert Grid.objects.get(code=f"{COMMUNITY}001").responsible_person == "新网格员"


def test_malformed_and_clashing_codes_are_per_feature_errors(tmp_path):
    make_community()
    features = grid_features()
    features[1]["properties"]["编码"] = "53011200100"  # 11 digits
    features[2]["properties"]["编码"] = f"{COMMUNITY}001"  # the NW grid's code again
    features[3]["properties"]["编码"] = "530112999001004"  # another community's prefix
    report = run(write_geojson(tmp_path / "g.geojson", features), level="grid")
    rows = report.rows
    assert [r.action for r in rows] == ["created", "rejected", "rejected", "rejected"]
    assert "格式不对" in rows[1].reason and "重复" in rows[2].reason and "不存在" in rows[3].reason
    assert Grid.objects.count() == 1


def test_planner_rules_overlap_outside_gap_and_cut_buildings(tmp_path):
    make_community()
    make_building("B-cut", (190, 20, 210, 40))  # straddles x = 200
    features = [
        polygon(0, 0, 210, 100, 编码=f"{COMMUNITY}001"),  # overlaps the next by 10 × 100 m
        polygon(200, 0, 400, 100, 编码=f"{COMMUNITY}002"),
        polygon(0, 100, 200, 260, 编码=f"{COMMUNITY}003"),  # 60 m outside the community
        polygon(200, 100, 390, 200, 编码=f"{COMMUNITY}004"),  # leaves a 10 m strip uncovered
    ]
    report = run(write_geojson(tmp_path / "g.geojson", features), level="grid")
    rows = {r.source_id: r for r in report.rows}
    assert rows[f"{COMMUNITY}001"].action == "rejected" and "重叠" in rows[f"{COMMUNITY}001"].reason
    assert rows[f"{COMMUNITY}003"].action == "rejected" and "超出上级边界" in rows[f"{COMMUNITY}003"].reason
    assert rows[f"{COMMUNITY}004"].action == "created"
    assert any("未被网格覆盖" in note for note in report.notes)
    assert any("B-cut" in r.reason for r in report.rows)


def test_dry_run_writes_nothing(tmp_path):
    make_community()
    report = run(write_geojson(tmp_path / "g.geojson", grid_features()), level="grid", dry_run=True)
    assert [r.action for r in report.rows] == ["created"] * 4 and report.dry_run
    assert not Grid.objects.exists()


def test_gbk_shapefile_zip_without_prj_in_gauss_kruger(tmp_path):
    make_community()
    src = write_geojson(tmp_path / "src.geojson", grid_features(codes=False, gk=True))
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", tmp_path / "网格.shp", src)
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in ("shp", "shx", "dbf"):  # no .prj and no .cpg: as offices send them
            z.write(tmp_path / f"网格.{ext}", f"网格.{ext}")
    with pytest.raises(CRSProblem, match="--srid"):
        run(archive, level="grid")
    report = run(archive, level="grid", srid=GK_CM_102E)
    assert report.encoding == "gb18030"
    assert sorted(Grid.objects.values_list("responsible_person", flat=True)) == [f"网格员{i}" for i in range(1, 5)]


def test_zone_numbered_gauss_kruger_4522(tmp_path):
    from pyproj import Transformer

    make_community()
    to_zone = Transformer.from_crs(GK_CM_102E, 4522, always_xy=True)
    features = grid_features(gk=True)
    for f in features:
        f["geometry"]["coordinates"] = [[list(to_zone.transform(*xy)) for xy in ring]
                                        for ring in f["geometry"]["coordinates"]]
    report = run(write_geojson(tmp_path / "z.geojson", features, crs=4522), level="grid")
    assert [r.action for r in report.rows] == ["created"] * 4


def test_geopackage_tree_with_parents_found_spatially(tmp_path):
    """One GeoPackage, three layers; meshes have neither codes nor parent codes."""
    write_geojson(tmp_path / "c.geojson", [community_feature()])
    write_geojson(tmp_path / "g.geojson", grid_features())
    write_geojson(tmp_path / "m.geojson", [polygon(0, 150, 100, 200, 名称="西北甲"), polygon(100, 150, 200, 200, 名称="西北乙"),
                                           polygon(0, 100, 200, 150, 名称="西北丙")])
    gpkg = tmp_path / "tree.gpkg"
    for name, layer in (("c", "社区"), ("g", "网格"), ("m", "网眼")):
        ogr2ogr("-f", "GPKG", *(["-update"] if gpkg.exists() else []), "-nln", layer, gpkg, tmp_path / f"{name}.geojson")

    report = import_boundaries(gpkg, BoundaryOptions(layers=("社区", "网格")))
    assert report.counts()["created"] == 5
    meshes = import_boundaries(gpkg, BoundaryOptions(layers=("网眼",), level="mesh"))
    assert [r.action for r in meshes.rows] == ["created"] * 3
    assert dict(Grid.objects.meshes().values_list("name", "code")) == {
        "西北甲": f"{COMMUNITY}001001", "西北乙": f"{COMMUNITY}001002", "西北丙": f"{COMMUNITY}001003"}
    assert {m.parent.code for m in Grid.objects.meshes()} == {f"{COMMUNITY}001"}


@pytest.mark.parametrize("driver,ext", [("KML", "kml"), ("LIBKML", "kml"), ("DXF", "dxf")])
def test_kml_and_dxf(tmp_path, driver, ext):
    make_community()
    src = write_geojson(tmp_path / "src.geojson", grid_features(codes=False))
    out = tmp_path / f"grids.{ext}"
    ogr2ogr("-f", driver, out, src)
    # CAD drawings carry no CRS: the office says which (here CGCS2000 lon/lat).
    report = run(out, level="grid", srid=4490 if driver == "DXF" else None)
    assert [r.action for r in report.rows] == ["created"] * 4, report.rows
    assert sorted(Grid.objects.values_list("code", flat=True)) == [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]


def test_osm_pbf_area_becomes_a_community(tmp_path):
    pbf = write_osm_area(tmp_path / "village.osm.pbf")
    report = run(pbf, level="community", code_prefix="530112001")
    assert [r.action for r in report.rows] == ["created"]
    community = Community.objects.get()
    assert (community.code, community.name) == ("530112001001", "城中村社区")
    b = make_building("B-1", (20, 20, 40, 40))
    assert b.community == community


def test_command_with_csv_report(tmp_path):
    make_community()
    path = write_geojson(tmp_path / "g.geojson", grid_features())
    out = StringIO()
    call_command("import_boundaries", str(path), "--level", "grid", "--report", str(tmp_path / "r.csv"), stdout=out)
    assert "导入完成" in out.getvalue()
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert [(r["code"], r["action"]) for r in rows] == [(f"{COMMUNITY}{i:03d}", "created") for i in range(1, 5)]
    assert Building.objects.count() == 0


def test_admin_upload_of_a_zipped_shapefile(client, staff_with, tmp_path):
    make_community()
    client.force_login(staff_with("gis_core.add_grid", "gis_core.view_grid"))
    src = write_geojson(tmp_path / "src.geojson", grid_features())
    ogr2ogr("-f", "ESRI Shapefile", tmp_path / "grids.shp", src)
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            if (tmp_path / f"grids.{ext}").exists():
                z.write(tmp_path / f"grids.{ext}", f"grids.{ext}")
    assert 'href="/admin/gis_core/grid/import/"' in client.get("/admin/gis_core/grid/").content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    dry = client.post("/admin/gis_core/grid/import/", {
        "file": SimpleUploadedFile("grids.zip", archive.read_bytes()), "level": "grid", "dry_run": "on"})
    assert dry.status_code == 200 and "试运行" in dry.content.decode() and not Grid.objects.exists()
    done = client.post("/admin/gis_core/grid/import/", {
        "file": SimpleUploadedFile("grids.zip", archive.read_bytes()), "level": "grid"})
    assert done.status_code == 200 and f"{COMMUNITY}004" in done.content.decode()
    assert Grid.objects.count() == 4
    bad = client.post("/admin/gis_core/grid/import/", {"file": SimpleUploadedFile("x.geojson", b"{not json")})
    assert bad.status_code == 200 and "errornote" in bad.content.decode()


def test_admin_upload_needs_the_add_permission(client, staff_with):
    client.force_login(staff_with(username="viewer"))
    assert client.get("/admin/gis_core/community/import/").status_code == 403


def test_tiles_follow_an_import(tmp_path, client, django_capture_on_commit_callbacks, settings):
    """The import reports its grids to the change pipeline: the grid tiles are invalidated; the 3D
    model, which draws buildings and not grids, is not rebuilt for a building's new grid."""
    from model3d.models import TilesetState
    from tests.factories import lonlat
    from tests.tiles_helpers import decode, tile_of

    community = make_community()
    make_building("B-1", (250, 20, 270, 40))
    x, y = tile_of(*lonlat(300, 50), 15)
    assert "grids" not in decode(client.get(f"/tiles/15/{x}/{y}.mvt"))  # cached while there is no grid
    with django_capture_on_commit_callbacks(execute=True):
        run(write_geojson(tmp_path / "g.geojson", grid_features()), level="grid")
    codes = {g["code"] for g in decode(client.get(f"/tiles/15/{x}/{y}.mvt"))["grids"].values()}
    assert f"{COMMUNITY}004" in codes
    assert not TilesetState.objects.filter(community=community, dirty_since__isnull=False).exists()
