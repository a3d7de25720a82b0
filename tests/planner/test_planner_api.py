"""Planner API: each validation rule, transactional saves, 409 on stale versions, history and
restore, reassignment of buildings/rooms/cameras/kiosks, statistics, split/merge, renumbering,
camera edits, permissions — on real PostGIS."""

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.roles import Role, grant
from buildings.models import Building, Room
from gis_core.models import Camera, Grid
from kiosk.models import Kiosk
from planner.models import GridStats, GridVersion
from residents import services as tenancy
from residents.ids import check_character
from tests.factories import lonlat, make_building, make_grid, make_room, point

pytestmark = pytest.mark.django_db

API = "/api/planner/grids/"


def poly(*pts):
    """GeoJSON polygon from (x, y) metres."""
    ring = [list(lonlat(x, y)) for x, y in pts]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def box(x0, y0, x1, y1):
    return poly((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def person(n):
    first17 = f"53011219900101{n:03d}"
    return tenancy.PersonData(name=f"租户{n}", id_number=first17 + check_character(first17), sex="1")


@pytest.fixture
def planner():
    user = get_user_model().objects.create_user("planner", password="pw-planner-1")
    grant(user, Role.PLANNER)
    client = APIClient()
    client.force_authenticate(user)
    client.user = user
    return client


@pytest.fixture
def place(two_grids):
    """West 0–200 m, east 200–400 m. Building A (west, near the boundary, 3 rooms, 2 let by 3
    people); building B deep in the west; a camera and a kiosk near the boundary in the west."""
    west, east = two_grids
    a = make_building("A", (170, 80, 190, 100))
    b = make_building("B", (20, 20, 40, 40))
    r1, r2, _r3 = make_room(a, 1, "101"), make_room(a, 2, "201"), make_room(a, 3, "301")
    tenancy.check_in(r1.pk, person(1), via="staff")
    tenancy.check_in(r1.pk, person(2), via="staff")
    tenancy.check_in(r2.pk, person(3), via="staff")
    make_room(b, 1, "101")
    cam = Camera.objects.create(community=west.community, code="34020000001320000001", name="门口", location=point(180, 120),
                                mount_height_m=4, heading_deg=90, hfov_deg=60)
    kiosk = Kiosk.objects.create(code="k1", name="终端", community=west.community, resident_group="一组",
                                 location=point(185, 130))
    return {"west": west, "east": east, "a": a, "b": b, "camera": cam, "kiosk": kiosk}


def check(client, grid, geometry):
    r = client.post(API + "check/", {"grid": grid.pk, "geometry": geometry}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def rules(report):
    return sorted({e["rule"] for e in report["errors"]})


# --- each validation rule -------------------------------------------------------------------------

def test_valid_edit_passes_with_counts_before_and_after(planner, place):
    report = check(planner, place["west"], box(0, 0, 200, 200))
    assert report["ok"] and report["errors"] == [] and report["validity"]["ok"]
    assert report["before"] == {"buildings": 2, "rooms": 4, "households": 2, "residents": 3}
    assert report["after"] == report["before"]
    assert report["gaps"]["area_m2"] == 0 and report["overlaps"] == [] and report["cut_buildings"] == []


def test_invalid_polygon_is_reported_with_reason(planner, place):
    bowtie = poly((0, 0), (200, 200), (200, 0), (0, 200))
    report = check(planner, place["west"], bowtie)
    assert not report["ok"] and rules(report) == ["validity"]
    assert "Self-intersection" in report["validity"]["reason"] and report["validity"]["location"]["type"] == "Point"


def test_outside_parent_reports_area_and_shape(planner, place):
    report = check(planner, place["west"], box(-20, 0, 200, 200))
    assert rules(report) == ["inside_parent"]
    assert report["inside_parent"]["outside_m2"] == pytest.approx(20 * 200, rel=0.05)  # beyond a 0.5 m tolerance
    assert report["inside_parent"]["outside_shape"]["type"] in ("Polygon", "MultiPolygon")


def test_mesh_must_stay_inside_its_grid(planner, place):
    mesh = make_grid(place["west"].community, 1, (0, 0, 100, 100), parent=place["west"])
    report = check(planner, mesh, box(0, 0, 100, 250))
    assert "inside_parent" in rules(report)


def test_a_grid_keeps_its_meshes_inside(planner, place):
    make_grid(place["west"].community, 1, (0, 0, 100, 100), parent=place["west"])
    make_grid(place["west"].community, 2, (100, 0, 200, 100), parent=place["west"])
    report = check(planner, place["west"], box(0, 0, 150, 200))
    assert "children_inside" in rules(report)
    (c,) = report["children_outside"]
    assert c["code"].endswith("002") and c["outside_m2"] == pytest.approx(50 * 100, rel=0.05)


def test_split_hands_meshes_in_the_other_part_to_the_new_grid(planner, place):
    west = place["west"]
    m1 = make_grid(west.community, 1, (0, 0, 100, 200), parent=west)
    m2 = make_grid(west.community, 2, (100, 0, 200, 200), parent=west)
    line = {"type": "LineString", "coordinates": [list(lonlat(100, -10)), list(lonlat(100, 210))]}
    r = planner.post(f"{API}{west.pk}/split/", {"line": line, "version": 1, "name": "西二"}, format="json")
    assert r.status_code == 200, r.content
    new_id = r.json()["grids"][1]["id"]
    parents = {g.pk: g.parent_id for g in Grid.objects.filter(pk__in=[m1.pk, m2.pk])}
    assert sorted(parents.values()) == sorted([west.pk, new_id])


def test_overlap_with_sibling_reports_area_and_shape(planner, place):
    report = check(planner, place["west"], box(0, 0, 220, 200))
    assert rules(report) == ["overlap"]
    (o,) = report["overlaps"]
    assert o["code"] == place["east"].code and o["area_m2"] == pytest.approx(20 * 200, rel=0.05)
    assert o["shape"]["type"] in ("Polygon", "MultiPolygon")


def test_tolerance_forgives_centimetres_not_metres(planner, place):
    """A vertex 0.3 m beyond the shared edge or the community is drawing noise; 3 m is an overlap."""
    assert check(planner, place["west"], poly((0, 0), (200, 0), (200.3, 100), (200, 200), (0, 200)))["ok"]
    assert check(planner, place["west"], poly((0, 0), (200, 0), (200, 200), (0, 200), (-0.3, 100)))["ok"]
    report = check(planner, place["west"], poly((0, 0), (200, 0), (203, 100), (200, 200), (0, 200)))
    assert rules(report) == ["overlap"]


def test_gap_is_a_warning_with_area_and_shape(planner, place):
    report = check(planner, place["west"], box(0, 0, 150, 200))
    assert report["ok"]  # a gap can be intended while redrawing: warned, not refused
    assert [w["rule"] for w in report["warnings"]] == ["gap"]
    assert report["gaps"]["area_m2"] == pytest.approx(50 * 200, rel=0.01) and report["gaps"]["before_m2"] == 0
    assert report["gaps"]["shape"]["type"] == "MultiPolygon"
    assert report["after"]["buildings"] == 1  # A is left out


def test_building_cut_by_the_boundary(planner, place):
    report = check(planner, place["west"], box(0, 0, 180, 200))
    assert rules(report) == ["cut_building"]
    (cut,) = report["cut_buildings"]
    assert cut["code"] == "A" and cut["inside_m2"] == pytest.approx(200, rel=0.02)


def test_bad_input_is_400(planner, place):
    for body in ({"grid": place["west"].pk, "geometry": {"type": "Point", "coordinates": [102, 25]}},
                 {"grid": place["west"].pk, "geometry": "nonsense"},
                 {"geometry": box(0, 0, 10, 10)}):
        r = planner.post(API + "check/", body, format="json")
        assert r.status_code == 400, body
    assert planner.post(API + "check/", {"grid": 999999, "geometry": box(0, 0, 10, 10)}, format="json").status_code == 404


def test_bad_geometry_and_check_messages_speak_the_request_language(planner, place):
    """Chinese by default, English with Accept-Language: en (LocaleMiddleware on the API)."""
    point_body = {"grid": place["west"].pk, "geometry": {"type": "Point", "coordinates": [102, 25]}}
    zh = planner.post(API + "check/", point_body, format="json")
    en = planner.post(API + "check/", point_body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 400
    assert zh.json()["detail"].startswith("几何图形须为") and zh["Content-Language"] == "zh-hans"
    assert en.json()["detail"].startswith("Geometry must be") and en["Content-Language"] == "en"
    bowtie = {"grid": place["west"].pk, "geometry": poly((0, 0), (200, 200), (200, 0), (0, 200))}
    (zh_error,) = planner.post(API + "check/", bowtie, format="json").json()["errors"]
    (en_error,) = planner.post(API + "check/", bowtie, format="json", HTTP_ACCEPT_LANGUAGE="en").json()["errors"]
    assert zh_error["message"].startswith("边界不是有效的面：Self-intersection")
    assert en_error["message"].startswith("The boundary is not a valid polygon: Self-intersection")


# --- saving ------------------------------------------------------------------------------------------

def shared_edge_move(place, x_top):
    """West and east with their shared edge's north end moved to x_top (a vertex dragged on the map)."""
    west = poly((0, 0), (200, 0), (x_top, 200), (0, 200))
    east = poly((200, 0), (400, 0), (400, 200), (x_top, 200))
    return west, east


def test_batch_save_moves_building_camera_kiosk_and_rooms_follow(planner, place):
    west_geom, east_geom = shared_edge_move(place, 120)  # at y=80–130 the edge is at x=152–168
    r = planner.post(API + "batch/", {"note": "新围墙", "edits": [
        {"grid": place["west"].pk, "geometry": west_geom, "version": 1},
        {"grid": place["east"].pk, "geometry": east_geom, "version": 1}]}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["saved"] and {m["code"] for m in body["moved"]} == {"A"}
    assert body["moved"][0]["from_grid"] == place["west"].code and body["moved"][0]["to_grid"] == place["east"].code
    east = place["east"]
    assert Building.objects.get(code="A").grid_id == east.pk and Building.objects.get(code="B").grid_id == place["west"].pk
    assert Room.objects.in_grid(east).count() == 3
    assert Camera.objects.get().grid_id == east.pk and Kiosk.objects.get().grid_id == east.pk
    stats = GridStats.objects.get(grid=east)
    assert (stats.buildings, stats.rooms, stats.households, stats.residents) == (1, 3, 2, 3)
    assert GridStats.objects.get(grid=place["west"]).buildings == 1
    # the counts adjusted by the moved buildings equal a count from scratch
    from planner import stats as grid_stats

    adjusted = {g: GridStats.objects.filter(grid=g).values(*grid_stats.FIELDS).get() for g in (east, place["west"])}
    grid_stats.recompute([east.pk, place["west"].pk])
    assert adjusted == {g: GridStats.objects.filter(grid=g).values(*grid_stats.FIELDS).get() for g in (east, place["west"])}
    assert [g["properties"]["version"] for g in body["grids"]] == [2, 2]
    assert GridVersion.objects.filter(grid=east, version=2, note="新围墙", author=planner.user).exists()


def test_rejected_save_changes_nothing(planner, place):
    west = place["west"]
    before = (Grid.objects.get(pk=west.pk).boundary.wkt, Building.objects.get(code="A").grid_id)
    r = planner.put(f"{API}{west.pk}/", {"geometry": box(0, 0, 220, 200), "version": 1}, format="json")
    assert r.status_code == 422 and "overlap" in rules(r.json()["report"])
    w = Grid.objects.get(pk=west.pk)
    assert (w.boundary.wkt, Building.objects.get(code="A").grid_id) == before and w.version == 1
    assert not GridVersion.objects.exists() and not GridStats.objects.filter(grid=west).exists()


def test_failure_late_in_the_transaction_rolls_back_everything(planner, place, monkeypatch):
    """Validation passed, geometry written and buildings re-placed — then the stats step fails:
    nothing of the edit remains."""
    from planner import services, stats

    def boom(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(stats, "after_moves", boom)
    west_geom, east_geom = shared_edge_move(place, 120)
    with pytest.raises(RuntimeError):
        services.save_boundaries([(place["west"].pk, services.checks.parse_polygon(west_geom), 1),
                                  (place["east"].pk, services.checks.parse_polygon(east_geom), 1)])
    assert Grid.objects.get(pk=place["east"].pk).version == 1
    assert Building.objects.get(code="A").grid_id == place["west"].pk
    assert Camera.objects.get().grid_id == place["west"].pk and not GridVersion.objects.exists()


def test_dry_run_reports_the_outcome_and_keeps_nothing(planner, place):
    west_geom, east_geom = shared_edge_move(place, 120)
    r = planner.post(API + "batch/", {"dry_run": True, "edits": [
        {"grid": place["west"].pk, "geometry": west_geom, "version": 1},
        {"grid": place["east"].pk, "geometry": east_geom, "version": 1}]}, format="json")
    assert r.status_code == 200 and r.json()["dry_run"] and not r.json()["saved"]
    assert [m["code"] for m in r.json()["moved"]] == ["A"]
    assert Building.objects.get(code="A").grid_id == place["west"].pk and Grid.objects.get(pk=place["east"].pk).version == 1


def test_stale_version_is_409_with_both_shapes(planner, place):
    west = place["west"]
    r1 = planner.put(f"{API}{west.pk}/", {"geometry": box(0, 0, 199, 200), "version": 1, "note": "a"}, format="json")
    assert r1.status_code == 200
    mine = box(0, 0, 198, 200)
    r2 = planner.put(f"{API}{west.pk}/", {"geometry": mine, "version": 1}, format="json")
    assert r2.status_code == 409
    body = r2.json()
    assert body["your_version"] == 1 and body["current_version"] == 2 and body["last_change"]["note"] == "a"
    assert body["mine"]["type"] == "MultiPolygon" and body["theirs"]["type"] == "MultiPolygon"
    assert body["mine"] != body["theirs"]
    # keep mine = save again on the current version
    assert planner.put(f"{API}{west.pk}/", {"geometry": mine, "version": 2}, format="json").status_code == 200


def test_history_and_restore_as_a_new_version(planner, place):
    west = place["west"]
    original = Grid.objects.get(pk=west.pk).boundary
    assert planner.put(f"{API}{west.pk}/", {"geometry": box(0, 0, 150, 200), "version": 1, "note": "收缩"},
                       format="json").status_code == 200
    assert Building.objects.get(code="A").grid_id is None  # A now lies in the gap
    hist = planner.get(f"{API}{west.pk}/history/").json()
    assert [v["version"] for v in hist["versions"]] == [2, 1]
    assert hist["versions"][0]["author"] == "planner" and hist["versions"][0]["note"] == "收缩"
    v1 = planner.get(f"{API}{west.pk}/history/1/").json()
    assert v1["geometry"]["type"] == "MultiPolygon"
    r = planner.post(f"{API}{west.pk}/history/1/restore/", {"version": 2}, format="json")
    assert r.status_code == 200, r.content
    w = Grid.objects.get(pk=west.pk)
    assert w.version == 3 and w.boundary.equals(original)
    assert GridVersion.objects.get(grid=w, version=3).restored_from == 1
    assert Building.objects.get(code="A").grid_id == west.pk
    assert planner.get(f"{API}{west.pk}/history/9/").status_code == 404


def test_create_split_and_merge(planner, place):
    west, east = place["west"], place["east"]
    # split the east grid along x = 300
    line = {"type": "LineString", "coordinates": [list(lonlat(300, -10)), list(lonlat(300, 210))]}
    r = planner.post(f"{API}{east.pk}/split/", {"line": line, "version": 1, "name": "东二"}, format="json")
    assert r.status_code == 200, r.content
    kept, new = r.json()["grids"]
    assert new["properties"]["code"] == east.community.code + "003" and kept["properties"]["version"] == 2
    assert Grid.objects.grids().count() == 3
    # a line that misses the grid
    miss = {"type": "LineString", "coordinates": [list(lonlat(500, 0)), list(lonlat(600, 10))]}
    assert planner.post(f"{API}{east.pk}/split/", {"line": miss, "version": 2, "name": "x"}, format="json").status_code == 400
    # merge them back
    r = planner.post(f"{API}{east.pk}/merge/", {"other": new["id"], "version": 2, "other_version": 1}, format="json")
    assert r.status_code == 200, r.content
    assert Grid.objects.grids().count() == 2 and Grid.objects.get(pk=east.pk).boundary.area == pytest.approx(
        Grid.objects.get(pk=west.pk).boundary.area, rel=0.01)
    assert GridVersion.objects.filter(grid_code=new["properties"]["code"], action="retire").exists()
    # not neighbours in the same parent: a mesh with a grid
    mesh = make_grid(west.community, 1, (0, 0, 100, 100), parent=west)
    assert planner.post(f"{API}{east.pk}/merge/", {"other": mesh.pk, "version": 3, "other_version": 1},
                        format="json").status_code == 400
    # create a mesh drawn inside the west grid; a second one overlapping it is refused
    r = planner.post(API, {"community": west.community_id, "parent": west.pk, "name": "网眼2",
                           "geometry": box(100, 0, 200, 100)}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["grids"][0]["properties"]["code"] == west.code + "002"
    r = planner.post(API, {"community": west.community_id, "parent": west.pk, "name": "网眼3",
                           "geometry": box(50, 0, 150, 100)}, format="json")
    assert r.status_code == 422


def test_renumbering_preview_and_apply(planner, community):
    # codes in the wrong order: the east grid has 001
    east = make_grid(community, 1, (200, 0, 400, 200))
    west = make_grid(community, 2, (0, 0, 200, 200))
    mesh = make_grid(community, 1, (0, 0, 100, 100), parent=west)
    url = f"/api/planner/communities/{community.pk}/renumber/"
    preview = planner.get(url).json()
    new = {r["id"]: r["new"] for r in preview["rows"]}
    assert new[west.pk].endswith("001") and new[east.pk].endswith("002") and new[mesh.pk] == new[west.pk] + "001"
    assert Grid.objects.get(pk=west.pk).code.endswith("002")  # preview changes nothing
    r = planner.post(url, {"apply": True}, format="json")
    assert r.status_code == 200 and r.json()["changes"] == 3
    assert Grid.objects.get(pk=west.pk).code == new[west.pk] and Grid.objects.get(pk=mesh.pk).code == new[mesh.pk]
    assert planner.get(url).json()["changes"] == 0


def test_camera_move_and_rotate(planner, place):
    cam = place["camera"]
    url = f"/api/planner/cameras/{cam.pk}/"
    r = planner.patch(url, {"location": {"type": "Point", "coordinates": list(lonlat(300, 100))}, "heading_deg": 270,
                            "hfov_deg": 45}, format="json")
    assert r.status_code == 200, r.content
    cam.refresh_from_db()
    assert (cam.heading_deg, cam.hfov_deg, cam.grid_id) == (270, 45, place["east"].pk)
    assert planner.patch(url, {"heading_deg": 400}, format="json").status_code == 400
    outside = {"type": "Point", "coordinates": list(lonlat(900, 100))}
    assert planner.patch(url, {"location": outside}, format="json").status_code == 400
    cam.refresh_from_db()
    assert cam.heading_deg == 270
    feats = planner.get(f"/api/planner/cameras/?community={cam.community_id}").json()["features"]
    assert feats[0]["properties"]["grid"] == place["east"].code


def test_tiles_of_the_edited_grids_are_invalidated_precisely(planner, place, django_capture_on_commit_callbacks):
    from tiles import cache

    calls = []
    original = cache.invalidate
    cache.invalidate = lambda keys, **kw: calls.append(list(keys)) or original(keys, **kw)
    try:
        west_geom, east_geom = shared_edge_move(place, 120)
        with django_capture_on_commit_callbacks(execute=True):
            planner.post(API + "batch/", {"edits": [
                {"grid": place["west"].pk, "geometry": west_geom, "version": 1},
                {"grid": place["east"].pk, "geometry": east_geom, "version": 1}]}, format="json")
    finally:
        cache.invalidate = original
    keys = {k for c in calls for k in c}
    assert any("grids" in k for k in keys) and 0 < len(keys) < 2000


# --- permissions -------------------------------------------------------------------------------------

def test_non_planners_cannot_edit(place, client):
    west = place["west"]
    body = {"geometry": box(0, 0, 150, 200), "version": 1}
    anon = APIClient()
    assert anon.put(f"{API}{west.pk}/", body, format="json").status_code in (401, 403)
    worker = get_user_model().objects.create_user("worker", password="pw-worker-1")
    grant(worker, Role.GRID_WORKER)
    c = APIClient()
    c.force_authenticate(worker)
    for method, url in (("put", f"{API}{west.pk}/"), ("post", API + "check/"), ("post", API + "batch/"),
                        ("get", f"{API}{west.pk}/history/"), ("patch", f"/api/planner/cameras/{place['camera'].pk}/")):
        assert getattr(c, method)(url, body, format="json").status_code == 403, url
    assert Grid.objects.get(pk=west.pk).version == 1
    # the page: anonymous → login, a grid worker → 403
    r = client.get("/planner/")
    assert r.status_code == 302 and r["Location"].startswith("/planner/login/")
    client.force_login(worker)
    assert client.get("/planner/").status_code == 403


def test_schema_documents_the_planner_api(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    text = r.content.decode()
    for path in ("/api/planner/grids/{id}/", "/api/planner/grids/batch/", "/api/planner/grids/check/",
                 "/api/planner/grids/{id}/history/{version}/restore/", "/api/planner/grids/{id}/split/"):
        assert path in text, path
    assert "dry_run" in text


def test_statistics_follow_check_ins_once_stale(planner, place):
    from datetime import timedelta

    from django.utils import timezone

    from planner import stats as grid_stats

    west = place["west"]
    first = planner.get(f"{API}{west.pk}/").json()["properties"]
    assert (first["buildings"], first["rooms"], first["households"], first["residents"]) == (2, 4, 2, 3)
    room = Room.objects.get(building=place["b"], number="101")
    tenancy.check_in(room.pk, person(9), via="staff")
    assert planner.get(f"{API}{west.pk}/").json()["properties"]["residents"] == 3  # stored counts, fresh enough
    GridStats.objects.filter(grid=west).update(counted_at=timezone.now() - grid_stats.MAX_AGE - timedelta(seconds=1))
    again = planner.get(f"{API}{west.pk}/").json()["properties"]
    assert (again["households"], again["residents"]) == (3, 4)


def test_page_speaks_chinese_first_and_english(planner, place, client):
    import re

    def strings(page):  # the script's strings, from the page's json_script
        return json.loads(re.search(r'id="planner-strings" type="application/json">(.*?)</script>', page, re.S).group(1))

    client.force_login(planner.user)
    page = client.get("/planner/").content.decode()
    assert "编辑边界" in page and strings(page)["keep_mine"] == "保留我的"
    client.cookies["django_language"] = "en"
    page = client.get("/planner/").content.decode()
    assert "Edit boundary" in page and strings(page)["keep_mine"] == "Keep mine" and "编辑边界" not in page
    body = client.put(f"{API}{place['west'].pk}/", {"geometry": box(0, 0, 220, 200), "version": 1},
                      content_type="application/json").json()
    assert body["report"]["errors"][0]["message"].startswith("Overlaps ")
