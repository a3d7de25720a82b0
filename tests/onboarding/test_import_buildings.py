"""Importing building footprints: onboarding.footprints through manage.py import_buildings and the admin.

Every input file is written by the test itself into tmp_path (GeoJSON by hand, GeoPackage and
Shapefile with ogr2ogr, OSM PBF with pyosmium); the community fixture is the 400 × 200 m
community near lon 102.66 lat 25.03, and coordinates are laid out in metres around it.
"""

from __future__ import annotations

import csv
import time
import zipfile
from io import StringIO

import osmium
import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation

from onboarding.footprints import write as importer
from onboarding.footprints import (
    Action, CRSProblem, ImportOptions, NothingImported, SourceUnreadable, UnknownField, UnknownLayer,
    building_code, import_buildings, parse_hstore,
)
from buildings.models import Building
from tests.factories import lonlat, make_building
from tests.onboarding.files import GK_CM_102E, ogr2ogr, polygon, ring, write_geojson

pytestmark = pytest.mark.django_db


def survey(tmp_path, name="survey.geojson"):
    """Three buildings: floors given, height only, neither."""
    return write_geojson(tmp_path / name, [
        polygon(20, 20, 40, 35, id=1, floors=3, address="学府路 1 号"),
        polygon(250, 20, 270, 40, id=2, height=12.4, address="学府路 2 号"),
        polygon(100, 100, 110, 110, id=3),
    ])


def run(path, **options):
    return import_buildings(path, ImportOptions(**options))


def command(*args) -> str:
    out = StringIO()
    call_command("import_buildings", *map(str, args), stdout=out)
    return out.getvalue()


def rows_by_id(report):
    return {row.source_id: row for row in report.rows}


# ---------------------------------------------------------------------------------------------
# Formats and CRS


def test_geojson_import_derives_floors_community_and_grid(tmp_path, two_grids):
    west, east = two_grids
    report = run(survey(tmp_path))

    assert report.counts()[Action.CREATED] == 3 and report.imported == 3
    b1, b2, b3 = (Building.objects.get(source="survey", source_id=i) for i in ("1", "2", "3"))
    assert (b1.code, b1.floors, b1.height_m, b1.address) == ("survey-1", 3, None, "学府路 1 号")
    assert (b2.floors, b2.height_m) == (4, 12.4)  # 12.4 m / 3 m per floor
    assert b3.floors == 1 and "按默认" in rows_by_id(report)["3"].reason
    assert {b.community for b in (b1, b2, b3)} == {west.community}
    assert (b1.grid, b2.grid, b3.grid) == (west, east, west)  # b2 lies in the east half


def test_geopackage_with_chinese_field_names(tmp_path, community):
    source = write_geojson(tmp_path / "in.geojson", [
        polygon(10, 10, 30, 30, 编号="A-1", 层数=6, 地址="学府路 6 号"),
        polygon(50, 10, 70, 30, 编号="A-2", 高度=21),
    ])
    gpkg = tmp_path / "楼栋.gpkg"
    ogr2ogr("-f", "GPKG", gpkg, source, "-nln", "footprints")

    report = run(gpkg)

    assert (report.layer, report.source, report.counts()[Action.CREATED]) == ("footprints", "楼栋", 2)
    a1, a2 = Building.objects.filter(source="楼栋").order_by("source_id")
    assert (a1.source_id, a1.floors, a1.address) == ("A-1", 6, "学府路 6 号")
    assert (a2.floors, a2.height_m) == (7, 21)


def test_unknown_layer_lists_the_layers(tmp_path, community):
    gpkg = tmp_path / "survey.gpkg"
    ogr2ogr("-f", "GPKG", gpkg, survey(tmp_path), "-nln", "footprints")
    with pytest.raises(UnknownLayer, match="footprints"):
        run(gpkg, layer="roads")


def write_osm(path):
    """Two buildings: a closed way with levels and an address, a multipolygon relation with a height."""
    corners = [lonlat(*xy) for xy in ((20, 20), (40, 20), (40, 40), (20, 40),
                                      (100, 20), (130, 20), (130, 40), (100, 40),
                                      (200, 100), (220, 100), (220, 120), (200, 120))]
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, location in enumerate(corners, start=1):
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=location))
        writer.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2, 3, 4, 1], tags={
            "building": "yes", "building:levels": "5", "addr:street": "学府路", "addr:housenumber": "12号",
        }))
        writer.add_way(osmium.osm.mutable.Way(id=11, nodes=[5, 6, 7, 8, 5]))
        writer.add_way(osmium.osm.mutable.Way(id=12, nodes=[9, 10, 11, 12, 9], tags={"landuse": "grass"}))
        writer.add_relation(osmium.osm.mutable.Relation(
            id=100, members=[("w", 11, "outer")],
            tags={"type": "multipolygon", "building": "apartments", "height": "12 m", "name": "图书馆"},
        ))
    finally:
        writer.close()
    return path


def test_osm_pbf_buildings_with_tags(tmp_path, community):
    report = run(write_osm(tmp_path / "extract.osm.pbf"))

    assert (report.layer, report.source) == ("multipolygons", "osm")
    assert sorted(r.source_id for r in report.rows) == ["relation/100", "way/10"]  # the grass is no building
    way = Building.objects.get(source="osm", source_id="way/10")
    relation = Building.objects.get(source="osm", source_id="relation/100")
    assert (way.code, way.floors, way.address) == ("osm-way-10", 5, "学府路 12号")
    assert (relation.floors, relation.height_m, relation.address) == (4, 12.0, "图书馆")


@pytest.mark.parametrize("crs", [GK_CM_102E, 4490])  # CGCS2000 Gauss–Krüger metres, CGCS2000 lon/lat
def test_geojson_with_crs_member(tmp_path, community, crs):
    path = write_geojson(tmp_path / "cgcs.geojson", [polygon(10, 10, 30, 30, id=1, floors=2, gk=crs == GK_CM_102E)],
                         crs=crs)
    report = run(path)

    assert report.crs == f"EPSG:{crs}"
    footprint = Building.objects.get(source="cgcs").footprint
    expected = ring(10, 10, 30, 30)
    assert footprint.coords[0][0] == pytest.approx(tuple(expected[0]), abs=1e-7)


def shapefile_without_crs(tmp_path):
    """A shapefile in EPSG:4543 metres whose .prj is missing."""
    source = write_geojson(tmp_path / "gk.geojson", [polygon(10, 10, 30, 30, id=7, floors=2, gk=True)])
    shp = tmp_path / "legacy.shp"
    ogr2ogr("-f", "ESRI Shapefile", shp, source)
    shp.with_suffix(".prj").unlink()
    return shp


def test_source_without_crs_needs_srid(tmp_path, community):
    shp = shapefile_without_crs(tmp_path)
    with pytest.raises(CommandError, match="--srid"):
        command(shp)

    out = command(shp, "--srid", GK_CM_102E)

    assert "created 1" in out
    assert Building.objects.get(source="legacy").footprint.coords[0][0] == pytest.approx(tuple(ring(10, 10, 30, 30)[0]),
                                                                                         abs=1e-7)


def test_zipped_shapefile(tmp_path, community):
    shp = shapefile_without_crs(tmp_path)
    archive = tmp_path / "legacy.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("legacy.*"):
            if part != archive:
                z.write(part, part.name)

    assert run(archive, srid=GK_CM_102E).counts()[Action.CREATED] == 1


def test_metres_read_as_degrees_fail_with_the_likely_srid(tmp_path, community):
    # GeoJSON without a crs member is lon/lat by definition, but these are GK metres.
    path = write_geojson(tmp_path / "gk.geojson", [polygon(10, 10, 30, 30, id=1, gk=True)])
    with pytest.raises(CommandError, match="米制投影坐标.*--srid 4543"):
        command(path)
    assert not Building.objects.exists()


def test_degrees_given_a_projected_srid_fail(tmp_path, community):
    with pytest.raises(CRSProblem, match="坐标像是经纬度"):
        run(survey(tmp_path), srid=GK_CM_102E)
    with translation.override("en"), pytest.raises(CRSProblem, match="coordinates look like degrees, but .* is projected"):
        run(survey(tmp_path), srid=GK_CM_102E)


def test_wrong_gauss_kruger_zone_is_detected(tmp_path, community):
    path = write_geojson(tmp_path / "gk.geojson", [polygon(10, 10, 30, 30, id=1, gk=True)])
    # Read in the CM 105E zone, every footprint lands ~3° east of the community.
    with pytest.raises(CRSProblem, match="所有要素都不在任何社区内.*--srid 4543") as failure:
        run(path, srid=4544)
    assert [r.action for r in failure.value.report.rows] == [Action.REJECTED]


# ---------------------------------------------------------------------------------------------
# Re-import and field mapping


def test_reimport_updates_in_place_without_duplicates(tmp_path, community):
    path = write_geojson(tmp_path / "survey.geojson", [
        polygon(20, 20, 40, 35, id=1, floors=3),
        polygon(60, 20, 80, 35, id=2, floors=4),
        polygon(100, 20, 120, 35, floors=2),  # no id: keyed by its geometry
    ])
    first = run(path)
    codes = dict(Building.objects.values_list("source_id", "code"))

    again = run(path)
    assert again.counts()[Action.UNCHANGED] == 3 and Building.objects.count() == 3

    write_geojson(path, [
        polygon(20, 20, 40, 35, id=1, floors=7, address="新地址"),
        polygon(250, 20, 270, 35, id=2, floors=4),  # moved
        polygon(100, 20, 120, 35, floors=2),
    ])
    third = run(path)

    assert third.counts() == {Action.CREATED: 0, Action.UPDATED: 2, Action.UNCHANGED: 1,
                              Action.REPAIRED: 0, Action.REJECTED: 0}
    assert Building.objects.count() == 3
    assert dict(Building.objects.values_list("source_id", "code")) == codes  # codes are stable
    assert [r.source_id for r in first.rows] == [r.source_id for r in third.rows]
    b1, b2 = Building.objects.get(source_id="1"), Building.objects.get(source_id="2")
    assert (b1.floors, b1.address) == (7, "新地址")
    assert b2.footprint.extent[0] == pytest.approx(lonlat(250, 20)[0])


def test_field_mapping_from_options(tmp_path, community):
    path = write_geojson(tmp_path / "custom.geojson", [
        polygon(20, 20, 40, 35, BLDG_NO="X17", NUM_FL="6;7", H_M="40 ft", ADDR_TXT="环城路 3 号", NM="仓库"),
        polygon(60, 20, 80, 35, BLDG_NO="X18", NUM_FL=None, H_M="9"),
    ])
    report = run(path, source="city", id_field="bldg_no", floors_field="NUM_FL", height_field="H_M",
                 address_field="ADDR_TXT", name_field="NM", floor_height=3.0)

    assert report.counts()[Action.CREATED] == 2
    x17, x18 = Building.objects.get(source_id="X17"), Building.objects.get(source_id="X18")
    assert (x17.code, x17.floors, x17.height_m, x17.address) == ("city-X17", 6, 12.19, "环城路 3 号（仓库）")
    assert (x18.floors, x18.height_m) == (3, 9)


def test_unknown_field_is_named(tmp_path, community):
    with pytest.raises(UnknownField, match="nope.*floors"):
        run(survey(tmp_path), floors_field="nope")


def test_duplicate_ids_in_one_file(tmp_path, community):
    path = write_geojson(tmp_path / "dup.geojson", [polygon(20, 20, 40, 35, id=1), polygon(60, 20, 80, 35, id=1)])
    report = run(path)
    assert [r.action for r in report.rows] == [Action.CREATED, Action.REJECTED]
    assert "编号重复" in report.rows[1].reason


def test_generated_codes_are_unique_and_short(tmp_path, community):
    make_building("survey-1", (300, 150, 310, 160))  # a hand-made building already holds the plain code
    long_id = "区" * 60
    path = write_geojson(tmp_path / "survey.geojson", [polygon(20, 20, 40, 35, id=1), polygon(60, 20, 80, 35, id=long_id)])
    run(path)

    taken, long = Building.objects.get(source_id="1").code, Building.objects.get(source_id=long_id).code
    assert taken.startswith("survey-1-") and taken != "survey-1"
    assert len(long) <= 40 and long in building_code("survey", long_id)


def test_parse_hstore_handles_escapes_and_null():
    tags = parse_hstore(r'"building:levels"=>"5","name"=>"A \"quoted\", => name","back\\slash"=>"x","gone"=>NULL')
    assert tags == {"building:levels": "5", "name": 'A "quoted", => name', "back\\slash": "x", "gone": None}
    assert parse_hstore(None) == {}


# ---------------------------------------------------------------------------------------------
# Geometry checks


BOW_TIE = [[0, 0], [30, 20], [30, 0], [0, 20], [0, 0]]  # local metres, self-intersecting at (15, 10)


def bow_tie(**props):
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [[list(lonlat(x + 20, y + 20)) for x, y in BOW_TIE]]}}


def test_bow_tie_is_repaired_keeping_the_largest_part(tmp_path, community):
    path = write_geojson(tmp_path / "b.geojson", [bow_tie(id="bow", floors=2), polygon(100, 20, 120, 40, id="ok")])
    report = run(path)

    row = rows_by_id(report)["bow"]
    assert row.action is Action.REPAIRED
    assert "Self-intersection" in row.reason and "保留最大部件（共 2 个" in row.reason and "created" in row.reason
    footprint = Building.objects.get(source_id="bow").footprint
    assert footprint.valid and footprint.geom_type == "Polygon"
    assert run(path).counts()[Action.REPAIRED] == 1 and Building.objects.count() == 2  # stable on re-import


def test_bow_tie_is_rejected_without_repair(tmp_path, community):
    path = write_geojson(tmp_path / "b.geojson", [bow_tie(id="bow"), polygon(100, 20, 120, 40, id="ok")])
    out = command(path, "--no-repair")

    assert "#1 bow" in out and "Self-intersection" in out
    assert list(Building.objects.values_list("source_id", flat=True)) == ["ok"]


def test_tiny_empty_and_non_polygonal_features_are_rejected(tmp_path, community):
    two_parts = {"type": "MultiPolygon", "coordinates": [[ring(20, 20, 40, 40)], [ring(60, 20, 70, 30)]]}
    path = write_geojson(tmp_path / "mixed.geojson", [
        polygon(100, 100, 101, 101, id="tiny"),  # 1 m²
        {"type": "Feature", "properties": {"id": "point"}, "geometry": {"type": "Point", "coordinates": list(lonlat(5, 5))}},
        {"type": "Feature", "properties": {"id": "none"}, "geometry": None},
        {"type": "Feature", "properties": {"id": "multi"}, "geometry": two_parts},
        polygon(150, 100, 170, 120, id="ok"),
    ])
    report = run(path, repair=False)

    rows = rows_by_id(report)
    assert {k: r.action for k, r in rows.items()} == {
        "tiny": Action.REJECTED, "point": Action.REJECTED, "none": Action.REJECTED, "multi": Action.REJECTED,
        "ok": Action.CREATED,
    }
    assert "面积过小" in rows["tiny"].reason and "Point" in rows["point"].reason
    assert "多部件面（2 个" in rows["multi"].reason
    assert rows_by_id(run(path))["multi"].action is Action.REPAIRED  # with repair: the larger part is kept


def test_feature_outside_every_community_is_rejected(tmp_path, community):
    path = write_geojson(tmp_path / "s.geojson", [polygon(20, 20, 40, 40, id="in"), polygon(1000, 20, 1020, 40, id="out")])
    report = run(path)

    assert rows_by_id(report)["out"].action is Action.REJECTED
    assert "不在任何社区内" in rows_by_id(report)["out"].reason
    assert list(Building.objects.values_list("source_id", flat=True)) == ["in"]


def test_nothing_importable_fails(tmp_path, community):
    path = write_geojson(tmp_path / "s.geojson", [polygon(20, 20, 21, 21, id="tiny")])
    with pytest.raises(CommandError, match="没有可导入的要素"):
        command(path)
    with pytest.raises(NothingImported) as failure:
        run(path)
    assert failure.value.report.rows[0].action is Action.REJECTED


# ---------------------------------------------------------------------------------------------
# Files, transactions, reports


@pytest.mark.parametrize("where", ["missing.geojson", "garbage.geojson", "/vsicurl/https://example.com/a.geojson",
                                   "https://example.com/a.geojson"])
def test_unreadable_or_remote_sources_fail(tmp_path, community, where):
    (tmp_path / "garbage.geojson").write_text("this is not GeoJSON")
    target = where if "/" in where else tmp_path / where
    with pytest.raises(CommandError, match="文件不存在|无法读取|只能导入本机文件"):
        command(target)
    with pytest.raises(SourceUnreadable):
        run(target)


def test_failure_midway_leaves_the_database_unchanged(tmp_path, community, monkeypatch):
    path = survey(tmp_path)
    run(path)
    before = list(Building.objects.order_by("pk").values_list("pk", "floors", "address", "updated_at"))
    write_geojson(path, [polygon(20, 20, 40, 35, id=1, floors=9), polygon(300, 20, 320, 40, id=4, floors=2)])

    def fail_after_writing(model, ids, **kwargs):
        assert Building.objects.filter(source_id="4").exists()  # the new building was written…
        raise RuntimeError("database went away")

    monkeypatch.setattr("gis_core.assign.assign_points", fail_after_writing)  # inside the change pipeline
    with pytest.raises(RuntimeError):
        run(path)
    # …and rolled back with the update.
    assert list(Building.objects.order_by("pk").values_list("pk", "floors", "address", "updated_at")) == before


def test_dry_run_reports_without_writing(tmp_path, community):
    out = command(survey(tmp_path), "--dry-run")
    assert "试运行" in out and "created 3" in out
    assert not Building.objects.exists()


def test_csv_report_and_summary(tmp_path, community):
    path = write_geojson(tmp_path / "s.geojson", [polygon(20, 20, 40, 40, id="a", floors=2), bow_tie(id="b"),
                                                  polygon(1000, 20, 1020, 40, id="c")])
    out = command(path, "--report", tmp_path / "report.csv")

    assert "created 1" in out and "repaired 1" in out and "rejected 1" in out
    with open(tmp_path / "report.csv", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["feature"], r["source_id"], r["action"]) for r in rows] == [
        ("1", "a", "created"), ("2", "b", "repaired"), ("3", "c", "rejected")]
    assert rows[0]["code"] == "s-a"


@pytest.mark.slow
def test_ten_thousand_features_import_quickly(tmp_path, community):
    features = [polygon(x * 4 + 0.5, y * 2 + 0.2, x * 4 + 3.5, y * 2 + 1.8, id=f"{x}-{y}", floors=2)
                for x in range(100) for y in range(100)]
    path = write_geojson(tmp_path / "city.geojson", features)

    started = time.monotonic()
    report = run(path)
    elapsed = time.monotonic() - started

    assert report.counts()[Action.CREATED] == 10_000
    assert Building.objects.filter(community=community).count() == 10_000
    assert elapsed < 30, f"10,000 features took {elapsed:.1f} s"


# ---------------------------------------------------------------------------------------------
# Admin upload page (BuildingAdmin must use BuildingImportAdminMixin)

IMPORT_URL = "/admin/buildings/building/import/"


@pytest.fixture
def planner(db):
    user = User.objects.create_user("planner", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_building", content_type__app_label="buildings"))
    return user


def test_admin_import_page_requires_add_permission(client, community):
    client.force_login(User.objects.create_user("viewer", password="x", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403


def test_admin_upload_imports_and_shows_the_report(client, planner, tmp_path, two_grids):
    client.force_login(planner)
    assert client.get(IMPORT_URL).status_code == 200
    upload = SimpleUploadedFile("survey.geojson", survey(tmp_path).read_bytes(), content_type="application/geo+json")

    response = client.post(IMPORT_URL, {"file": upload, "default_floors": 1, "floor_height": 3, "repair": "on"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "导入完成" in page and "survey-2" in page
    assert Building.objects.get(source_id="2").grid == two_grids[1]


def test_admin_dry_run_and_errors(client, planner, tmp_path, community):
    client.force_login(planner)
    gk = write_geojson(tmp_path / "gk.geojson", [polygon(10, 10, 30, 30, id=1, gk=True)])

    dry = client.post(IMPORT_URL, {"file": SimpleUploadedFile("survey.geojson", survey(tmp_path).read_bytes()),
                                   "default_floors": 1, "floor_height": 3, "dry_run": "on"})
    wrong_crs = client.post(IMPORT_URL, {"file": SimpleUploadedFile("gk.geojson", gk.read_bytes()),
                                         "default_floors": 1, "floor_height": 3})
    bad_type = client.post(IMPORT_URL, {"file": SimpleUploadedFile("survey.kml", b"<kml/>"),
                                        "default_floors": 1, "floor_height": 3})

    assert "试运行" in dry.content.decode()
    assert "--srid 4543" in wrong_crs.content.decode()
    assert bad_type.context["form"].errors["file"]
    assert not Building.objects.exists()


def test_import_refreshes_the_tiles_it_touches(tmp_path, community, client, django_capture_on_commit_callbacks):
    """Bulk writes fire no signals: the importer invalidates the old and new places itself."""
    from tests.tiles_helpers import decode, tile_of

    def tile(x_m, y_m):
        x, y = tile_of(*lonlat(x_m, y_m), 18)
        response = client.get(f"/tiles/18/{x}/{y}.mvt")
        return decode(response) if response.status_code == 200 else {}

    path = write_geojson(tmp_path / "survey.geojson", [polygon(20, 20, 40, 35, id=1, floors=3)])
    assert "buildings" not in tile(30, 27)  # cached while empty
    assert "buildings" not in tile(330, 127)
    with django_capture_on_commit_callbacks(execute=True):
        run(path)
    (pk,) = Building.objects.values_list("pk", flat=True)
    assert pk in tile(30, 27)["buildings"]
    write_geojson(path, [polygon(320, 120, 340, 135, id=1, floors=3)])  # moved 300 m east
    with django_capture_on_commit_callbacks(execute=True):
        run(path)
    assert "buildings" not in tile(30, 27)
    assert pk in tile(330, 127)["buildings"]
