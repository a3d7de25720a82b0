"""Survey CAD/GIS layers (basemap/survey/): files written here (DXF with Chinese CAD layers, GeoJSON
in EPSG:4490, a zipped Shapefile in a Gauss–Krüger zone) land in the basemap tables in the right
place, come back from the basemap tiles, join the OSM extract's walking network, and a re-import
replaces exactly the survey's own features."""

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from basemap.models import Barrier, Extract, Gate, Road, Water, Waterway
from basemap.survey import SurveyOptions, import_survey
from onboarding.errors import ImportFailed, NothingImported
from onboarding.report import Action
from tests.basemap import survey_files as sf
from tests.factories import lonlat, make_building, make_community
from tests.tiles_helpers import decode, tile_of

TOLERANCE_M = 0.05
DEG_PER_M = 1 / 100_000  # a safe over-estimate at 25°N (1 m ≈ 0.9e-5° of longitude)


def near(geom_point, x, y, tol_m=TOLERANCE_M):
    return Point(*geom_point, srid=4326).distance(Point(*lonlat(x, y), srid=4326)) < tol_m * DEG_PER_M


def survey_dxf(path, road_x=60):
    """A survey office's DXF in GK CM 102E metres: a lane (道路) crossing the OSM main road at
    y = 100, a courtyard wall (围墙) with a gate (院门), a text point (文字, not mapped) and a
    lane outside every community."""
    gk = sf.GK_CM_102E
    return sf.write_dxf(path, [
        sf.feature("LineString", [(road_x, 90), (road_x, 180)], gk, Layer="道路"),
        sf.feature("LineString", [(20, 120), (50, 120), (50, 170), (20, 170), (20, 120)], gk, Layer="围墙"),
        sf.feature("Point", [(35, 120)], gk, Layer="院门"),
        sf.feature("LineString", [(180, 130), (220, 130)], gk, Layer="围墙"),  # across the OSM alley (x = 200)
        sf.feature("Point", [(30, 140)], gk, Layer="文字"),
        sf.feature("LineString", [(900, 900), (950, 900)], gk, Layer="道路"),
    ])


DXF_LAYERS = ("--dxf-layer", "道路=roads", "--dxf-layer", "围墙=walls", "--dxf-layer", "院门=gates")


def _survey_roads():
    return Road.objects.filter(extract__name="survey:measured")


@pytest.fixture
def measured(village_over_two_grids, tmp_path):
    """The village OSM extract over the factories' grids, and the DXF survey imported over it."""
    path = survey_dxf(tmp_path / "measured.dxf")
    call_command("import_survey", path, "--srid", sf.GK_CM_102E, *DXF_LAYERS, stdout=open("/dev/null", "w"))
    return path


def test_dxf_layers_land_in_the_basemap_tables_in_place(measured):
    road = _survey_roads().get()
    assert (road.kind, road.rank) == ("residential", Road.Rank.LANE)
    assert near(road.geom.coords[0], 60, 90) and near(road.geom.coords[-1], 60, 180)
    walls = sorted(Barrier.objects.filter(extract__name="survey:measured"), key=lambda b: -b.geom.num_points)
    assert [w.kind for w in walls] == ["wall", "wall"] and near(walls[0].geom.coords[2], 50, 170)
    gate = Gate.objects.get(extract__name="survey:measured")
    assert gate.kind == "gate" and near(gate.geom.coords, 35, 120)
    survey = Extract.objects.get(name="survey:measured")
    assert survey.base.name == "village" and survey.source == "measured.dxf"


def test_survey_features_come_back_from_the_basemap_tiles(client, measured):
    x, y = tile_of(*lonlat(60, 150), 16)
    tile = decode(client.get(f"/tiles/basemap/16/{x}/{y}.mvt"))
    assert "residential" in {p["kind"] for p in tile["roads"].values()}
    assert "wall" in {p["kind"] for p in tile["barriers"].values()}
    assert "gate" in {p["kind"] for p in tile["gates"].values()}


def test_a_reimport_replaces_exactly_its_own_features(client, measured, tmp_path):
    osm = {m.__name__: set(m.objects.filter(extract__name="village").values_list("pk", flat=True))
           for m in (Road, Barrier, Gate, Water, Waterway)}
    x, y = tile_of(*lonlat(60, 150), 16)
    before = client.get(f"/tiles/basemap/16/{x}/{y}.mvt").content  # cached now
    (tmp_path / "v2").mkdir()
    moved = survey_dxf(tmp_path / "v2" / "measured.dxf", road_x=80)
    call_command("import_survey", moved, "--srid", sf.GK_CM_102E, *DXF_LAYERS, stdout=open("/dev/null", "w"))
    road = _survey_roads().get()
    assert near(road.geom.coords[0], 80, 90)
    assert Barrier.objects.filter(extract__name="survey:measured").count() == 2
    assert Extract.objects.filter(name__startswith="survey:").count() == 1
    for model in (Road, Barrier, Gate, Water, Waterway):  # the OSM extract untouched
        assert set(model.objects.filter(extract__name="village").values_list("pk", flat=True)) == osm[model.__name__]
    assert client.get(f"/tiles/basemap/16/{x}/{y}.mvt").content != before  # refreshed: the lane moved
    call_command("import_survey", "--remove", "measured", stdout=open("/dev/null", "w"))
    assert not _survey_roads().exists() and Road.objects.filter(extract__name="village").count() == 2
    from routes.models import Edge

    assert not Edge.objects.filter(geom__dwithin=(Point(*lonlat(80, 150), srid=4326), 1 * DEG_PER_M)).exists()


def test_a_walking_route_uses_the_imported_road(measured):
    from routes.services import route

    building = make_building("S-1", (64, 150, 74, 160))
    walk = route(lonlat(100, 97), building.pk)
    # Along the OSM main road to the surveyed lane, then up it: ≈ 3 + 40 + 55 + 4 m.
    assert 95 < walk.length_m < 110
    assert walk.geometry.distance(Point(*lonlat(60, 130), srid=4326)) < 0.5 * DEG_PER_M


def test_a_surveyed_wall_cuts_the_osm_alley(measured):
    from routes.models import Edge

    wall = next(b for b in Barrier.objects.filter(extract__name="survey:measured") if b.geom.num_points == 2)
    alley = Road.objects.get(extract__name="village", kind="alley")
    assert alley.geom.crosses(wall.geom)
    assert Edge.objects.filter(extract__name="village", geom__dwithin=(alley.geom, 0.1 * DEG_PER_M)).exists()
    assert not Edge.objects.filter(geom__crosses=wall.geom).exists()


def test_unmapped_and_outside_features_are_reported(measured):
    report = import_survey(measured, SurveyOptions(
        dxf_layers=("道路=roads", "围墙=walls", "院门=gates"), srid=sf.GK_CM_102E, dry_run=True))
    assert any("文字 (1)" in note for note in report.notes)
    rejected = report.rejected
    assert len(rejected) == 1 and "不在任何社区内" in rejected[0].reason


@pytest.fixture
def community(db):
    return make_community()  # 0–400 × 0–200 m


def test_geojson_in_cgcs2000_with_mapped_fields(client, community, tmp_path):
    path = sf.write_geojson(tmp_path / "lanes.geojson", [
        sf.feature("LineString", [(10, 10), (10, 150)], 4490, 名称="幸福巷", 等级="小巷", 宽度="3.5"),
        sf.feature("LineString", [(10, 150), (150, 150)], 4490, 名称="环村路", 等级="主干道"),
        sf.feature("LineString", [(150, 150), (150, 190)], 4490, 名称="无名", 等级="不知道"),
        sf.feature("Point", [(20, 20)], 4490, 名称="点"),
        sf.feature("LineString", [(900, 900), (950, 900)], 4490, 名称="外面"),
    ], crs=4490)
    options = SurveyOptions(layer="roads", fields=("name=名称", "class=等级", "width=宽度"))
    dry = import_survey(path, SurveyOptions(**{**options.__dict__, "dry_run": True}))
    assert dry.dry_run and dry.imported == 3 and not Road.objects.exists() and not Extract.objects.exists()
    report = import_survey(path, options)
    roads = {r.name: r for r in Road.objects.all()}
    assert (roads["幸福巷"].kind, roads["幸福巷"].rank, roads["幸福巷"].width_m) == ("alley", Road.Rank.ALLEY, 3.5)
    assert roads["环村路"].rank == Road.Rank.MAJOR and roads["无名"].rank == Road.Rank.LANE
    assert near(roads["幸福巷"].geom.coords[1], 10, 150)
    reasons = {row.source_id: (row.action, row.reason) for row in report.rows}
    assert reasons["点"][0] is Action.REJECTED and "几何类型不对" in reasons["点"][1]
    assert reasons["外面"][0] is Action.REJECTED and "不在任何社区内" in reasons["外面"][1]
    assert "未知类别" in reasons["无名"][1]
    x, y = tile_of(*lonlat(10, 80), 16)
    names = {p.get("name") for p in decode(client.get(f"/tiles/basemap/16/{x}/{y}.mvt"))["roads"].values()}
    assert "幸福巷" in names  # an alley (rank 4): drawn from z15
    # No OSM extract under it: the survey's ways make a network of their own.
    from routes.models import Edge

    assert Edge.objects.filter(extract__name="survey:lanes").exists()


def test_zipped_shapefile_in_a_gauss_krueger_zone(community, tmp_path):
    zone = sf.GK_ZONE_34
    path = sf.write_zipped_shapefile(tmp_path / "paths.zip", [
        sf.feature("LineString", [(100, 20), (100, 80), (140, 80)], zone, NAME="小道"),
        sf.feature("LineString", [(200, 420), (240, 420)], zone, NAME="北边"),  # north of the community
    ], zone)
    report = import_survey(path, SurveyOptions(layer="paths", fields=("name=NAME",)))
    path_road = Road.objects.get()
    assert (path_road.name, path_road.rank, path_road.kind) == ("小道", Road.Rank.PATH, "footway")
    assert near(path_road.geom.coords[2], 140, 80)
    assert [row.action for row in report.rows] == [Action.CREATED, Action.REJECTED]


def test_water_lines_and_areas(community, tmp_path):
    path = sf.write_geojson(tmp_path / "water.geojson", [
        sf.feature("LineString", [(0, 5), (400, 5)], NAME="船房河", KIND="河"),
        sf.feature("Polygon", [(300, 100), (350, 100), (350, 150), (300, 100)], NAME="塘"),
    ])
    import_survey(path, SurveyOptions(layer="water", fields=("name=NAME", "class=KIND")))
    assert Waterway.objects.get().name == "船房河" and Water.objects.get().name == "塘"


def test_bad_files_and_options_fail_with_a_message(community, tmp_path):
    bad = tmp_path / "broken.geojson"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_survey", bad, "--layer", "roads")
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_survey", tmp_path / "missing.dxf", "--layer", "roads")
    with pytest.raises(CommandError, match="--layer"):
        call_command("import_survey", bad)
    good = sf.write_geojson(tmp_path / "a.geojson", [sf.feature("LineString", [(10, 10), (10, 50)])])
    with pytest.raises(CommandError, match="没有字段 NAME"):
        call_command("import_survey", good, "--layer", "roads", "--field", "name=NAME")
    projected = sf.write_geojson(tmp_path / "gk.geojson", [sf.feature("LineString", [(10, 10), (10, 50)], sf.GK_CM_102E)])
    with pytest.raises(CommandError, match="--srid"):  # metres without a CRS, read as degrees
        call_command("import_survey", projected, "--layer", "roads", "--srid", "4490")
    with pytest.raises(ImportFailed):
        SurveyOptions(layer="roads", dxf_layers=("道路=highways",))
    with pytest.raises(NothingImported):
        import_survey(sf.write_geojson(tmp_path / "pts.geojson", [sf.feature("Point", [(10, 10)])]),
                      SurveyOptions(layer="walls"))
    assert not Extract.objects.exists()


@pytest.fixture
def planner_staff(db, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("planner", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="basemap",
                                                         codename__in=("add_extract", "view_extract")))
    return user


def test_admin_upload_of_a_dxf(client, community, planner_staff, tmp_path):
    client.force_login(planner_staff)
    path = survey_dxf(tmp_path / "测绘.dxf")
    assert 'href="/admin/basemap/extract/import/"' in client.get("/admin/basemap/extract/").content.decode()
    form = {"dxf_layers": "道路=roads\n围墙=walls\n院门=gates", "srid": sf.GK_CM_102E}
    dry = client.post("/admin/basemap/extract/import/", {
        **form, "file": SimpleUploadedFile("测绘.dxf", path.read_bytes()), "dry_run": "on"})
    body = dry.content.decode()
    assert dry.status_code == 200 and "试运行" in body and "不在任何社区内" in body and not Road.objects.exists()
    done = client.post("/admin/basemap/extract/import/", {**form, "file": SimpleUploadedFile("测绘.dxf", path.read_bytes())})
    assert done.status_code == 200 and "import-report" in done.content.decode()
    assert Road.objects.count() == 1 and Barrier.objects.count() == 2 and Gate.objects.count() == 1
    bad = client.post("/admin/basemap/extract/import/", {**form, "file": SimpleUploadedFile("x.dxf", b"not a dxf")})
    assert bad.status_code == 200 and "errornote" in bad.content.decode()
    no_kind = client.post("/admin/basemap/extract/import/", {"file": SimpleUploadedFile("x.geojson", b"{}")})
    assert no_kind.status_code == 200 and "--layer" in no_kind.content.decode()


def test_admin_upload_needs_the_add_permission(client, db, django_user_model):
    client.force_login(django_user_model.objects.create_user("viewer", password="x", is_staff=True))
    assert client.get("/admin/basemap/extract/import/").status_code == 403


def test_gates_with_opening_hours(community, tmp_path):
    path = sf.write_geojson(tmp_path / "gates.geojson", [
        sf.feature("Point", [(50, 0)], 名称="南门", 类别="院门", 开放时间="06:00-23:00"),
        sf.feature("Point", [(50, 100)], 名称="北门", 类别="主出入口", 开放时间="全天"),
        sf.feature("LineString", [(10, 10), (10, 50)], 名称="不是门"),
    ], crs=4490)
    report = import_survey(path, SurveyOptions(layer="gates", fields=("name=名称", "class=类别", "hours=开放时间")))
    south, north = Gate.objects.get(name="南门"), Gate.objects.get(name="北门")
    assert (str(south.opens), str(south.closes), south.main) == ("06:00:00", "23:00:00", False)
    assert (north.opens, north.kind, north.main, north.hours) == (None, "entrance_main", True, "全天")
    assert [row.action for row in report.rows] == [Action.CREATED, Action.CREATED, Action.REJECTED]
