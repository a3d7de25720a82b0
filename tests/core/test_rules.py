"""Each domain rule named once (gis_core/rules.py, Tenancy.objects.occupying): the ORM and SQL
forms agree, and every part of the product — tiles included — answers the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from buildings.models import Room
from gis_core.models import Grid
from gis_core.rules import current_grid_sql, local_today_sql, seconds_to_local_midnight
from residents.models import Person, Tenancy
from residents.services import PersonData, RoomFull, check_in
from tests.factories import make_building, make_grid, make_room
from tests.idcard_helpers import id_number
from tests.tiles_helpers import decode, url_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def dated_grids(community):
    today = timezone.localdate()
    ended = make_grid(community, 1, (0, 0, 100, 100), name="昨天失效")
    ended.valid_from, ended.valid_to = today - dt.timedelta(days=30), today - dt.timedelta(days=1)
    future = make_grid(community, 2, (100, 0, 200, 100), name="明天生效")
    future.valid_from = today + dt.timedelta(days=1)
    now = make_grid(community, 3, (200, 0, 300, 100), name="今天有效")
    for g in (ended, future, now):
        Grid.objects.filter(pk=g.pk).update(valid_from=g.valid_from, valid_to=g.valid_to)
    return {"ended": ended, "future": future, "now": now}


def test_current_grid_orm_and_sql_agree(dated_grids):
    orm = set(Grid.objects.current().values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute(f"SELECT t.id FROM gis_core_grid t WHERE {current_grid_sql('t', local_today_sql())}")
        in_sql = {row[0] for row in cur.fetchall()}
        cur.execute(f"SELECT t.id FROM gis_core_grid t WHERE {current_grid_sql('t', '%(d)s')}", {"d": timezone.localdate()})
        with_param = {row[0] for row in cur.fetchall()}
    assert orm == in_sql == with_param == {dated_grids["now"].pk}


def test_tiles_show_only_the_grids_current_today(client, dated_grids):
    shown = set()
    for x in (50, 150, 250):
        shown |= set(decode(client.get(url_at(x, 50, z=15, layer="grids"))).get("grids", {}))
        shown |= {p["code"] for p in decode(client.get(url_at(x, 50, z=15, layer="grid_labels"))).get("grid_labels", {}).values()}
    assert dated_grids["now"].pk in shown and dated_grids["now"].code in shown
    for gone in ("ended", "future"):
        assert dated_grids[gone].pk not in shown and dated_grids[gone].code not in shown


def test_buildings_are_placed_only_in_current_grids(dated_grids):
    inside_ended = make_building("E-1", (40, 40, 50, 50))
    inside_now = make_building("N-1", (240, 40, 250, 50))
    assert inside_ended.grid_id is None and inside_now.grid_id == dated_grids["now"].pk


def test_tiles_that_depend_on_the_day_are_kept_until_local_midnight():
    now = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(23, 59, 30)))
    assert seconds_to_local_midnight(now) == 30


def test_tenancy_rules_orm_and_sql_agree(two_grids):
    from gis_core.rules import holding_tenancy_sql, living_tenancy_sql

    today = timezone.localdate()
    day = dt.timedelta(days=1)
    b = make_building("T-1", (20, 20, 30, 30))
    spans = {"ended": (today - 30 * day, today - day), "ends_today": (today - 30 * day, today),
             "ends_tomorrow": (today - 30 * day, today + day), "open": (today - 30 * day, None),
             "starts_today": (today, None), "starts_tomorrow": (today + day, None)}
    ids = {}
    for n, (name, (start, end)) in enumerate(spans.items(), start=1):
        person = Person.build(name=f"租户{n}", id_number=id_number(n), sex="1")
        person.save()
        room = make_room(b, 1, f"1{n:02d}")
        ids[name] = Tenancy.objects.create(person=person, room=room, start_date=start, end_date=end,
                                           registered_via="staff").pk
    with connection.cursor() as cur:
        cur.execute(f"SELECT t.id FROM residents_tenancy t WHERE {holding_tenancy_sql('t')}")
        holding = {row[0] for row in cur.fetchall()}
        cur.execute(f"SELECT t.id FROM residents_tenancy t WHERE {living_tenancy_sql('t', '%(d)s')}", {"d": today})
        living = {row[0] for row in cur.fetchall()}
    assert holding == set(Tenancy.objects.occupying().values_list("pk", flat=True)) == {
        ids["open"], ids["starts_today"], ids["starts_tomorrow"]}
    assert living == set(Tenancy.objects.active().values_list("pk", flat=True)) == {
        ids["ends_tomorrow"], ids["open"], ids["starts_today"]}


def test_a_tenant_moving_in_tomorrow_already_holds_the_room(two_grids):
    room = make_room(make_building("B-9", (20, 20, 30, 30)), capacity=1)
    tenancy, _ = check_in(room.pk, PersonData(name="明日入住", id_number=id_number(1), sex="2"),
                          via="staff", start=timezone.localdate() + dt.timedelta(days=1))
    assert Tenancy.objects.occupying().filter(pk=tenancy.pk).exists()
    Room.objects.filter(pk=room.pk).update(status=Room.Status.VACANT)  # a stale status, as after a bulk load
    Room.objects.filter(pk=room.pk).sync_status()
    assert Room.objects.get(pk=room.pk).status == Room.Status.LET  # the bulk rule agrees with check-in…
    with pytest.raises(RoomFull):  # …which counts the same tenancy against the capacity
        check_in(room.pk, PersonData(name="第二人", id_number=id_number(2), sex="1"), via="staff")
    assert Person.objects.count() == 1


# --- derived values stored once (generated columns) and read alike by SQL and Python -------------


def test_effective_height_is_one_stored_rule_for_api_tiles_and_3d(client, two_grids):
    from buildings.models import Building
    from model3d.build import _load
    from tests.factories import rect

    surveyed = make_building("H-1", (20, 20, 40, 35), floors=3)
    surveyed.height_m = 8.0  # lower than 3 × 3 m: the survey wins
    surveyed.save()
    storeys = make_building("H-2", (60, 20, 80, 35), floors=4)
    assert (surveyed.effective_height_m, surveyed.storey_height_m) == (8.0, pytest.approx(8 / 3))  # read again
    assert (storeys.effective_height_m, storeys.storey_height_m) == (12.0, 3.0)
    storeys.floors = 5
    storeys.save()
    assert Building.objects.get(pk=storeys.pk).effective_height_m == storeys.effective_height_m == 15.0
    api = {f["properties"]["code"]: f["properties"]["height_m"]
           for f in client.get("/api/buildings/").json()["results"]["features"]}
    assert api == {"H-1": 8.0, "H-2": 15.0}
    loaded = _load([surveyed.pk, storeys.pk])
    assert (loaded[surveyed.pk]["height"], loaded[storeys.pk]["height"]) == (8.0, 15.0)
    make_room(surveyed, 3, "301")
    tile = decode(client.get(url_at(30, 27, z=18)))
    assert tile["buildings"][surveyed.pk]["height"] == 8.0
    (top,) = tile["rooms"].values()  # the top floor's room meets the roof, as in 3D (it rose to 9 m)
    assert top["height"] == pytest.approx(8.0) and top["base_height"] == pytest.approx(16 / 3)
    assert rect(20, 20, 40, 35).equals_exact(Building.objects.get(pk=surveyed.pk).footprint, 1e-9)


def test_effective_hfov_is_one_stored_rule_for_views_tiles_and_the_api(client, two_grids, settings):
    from django.contrib.auth import get_user_model

    from gis_core.models import Camera
    from tests.factories import point

    community = two_grids[0].community
    lens = Camera.objects.create(community=community, code="L1", name="镜头", location=point(60, 45),
                                 mount_height_m=4, heading_deg=90, focal_length_mm=4.0, sensor_width_mm=8.0)
    given = Camera.objects.create(community=community, code="G1", name="给定", location=point(120, 45),
                                  mount_height_m=4, heading_deg=90, hfov_deg=45, focal_length_mm=4.0, sensor_width_mm=8.0)
    assert lens.effective_hfov_deg == pytest.approx(90.0) and given.effective_hfov_deg == 45  # 2·atan(8 / 2·4)
    lens.focal_length_mm, lens.sensor_width_mm = 4.0, 5.37
    lens.save()
    assert lens.effective_hfov_deg == pytest.approx(67.8, abs=0.1)  # read again after the save
    settings.TILES_PUBLIC_CAMERAS = True
    shown = {}
    for x in (60, 120):
        shown |= decode(client.get(url_at(x, 45, z=16, layer="cameras"))).get("cameras", {})
    assert shown[lens.pk]["hfov"] == pytest.approx(lens.effective_hfov_deg) and shown[given.pk]["hfov"] == 45
    admin = get_user_model().objects.create_superuser("admin", password="pw-for-tests")
    client.force_login(admin)
    api = {f["properties"]["code"]: f["properties"]["effective_hfov_deg"]
           for f in client.get("/api/cameras/").json()["features"]}
    assert api == {"G1": 45.0, "L1": pytest.approx(lens.effective_hfov_deg)}


def test_a_buildings_anchor_is_stored_inside_it_and_places_it(client, two_grids):
    from django.contrib.gis.geos import Polygon

    from buildings.models import Building
    from gis_core.assign import communities_at
    from kiosk.search import RoomQuery, search
    from tests.factories import lonlat

    # An L whose centroid lies outside it, in the yard between its arms.
    ring = [lonlat(*xy) for xy in ((20, 20), (60, 20), (60, 25), (25, 25), (25, 60), (20, 60), (20, 20))]
    b = make_building("L-1", (0, 0, 1, 1))
    b.footprint = Polygon(ring, srid=4326)
    b.save()
    b = Building.objects.get(pk=b.pk)
    assert not b.footprint.contains(b.footprint.centroid) and b.footprint.contains(b.anchor)
    assert b.anchor.equals_exact(b.footprint.point_on_surface, 1e-12)  # GEOS and PostGIS agree
    assert communities_at([bytes(b.footprint.ewkb)]) == [b.community_id] == [two_grids[0].community_id]
    assert b.grid_id == two_grids[0].pk
    make_room(b)
    (row,) = search(RoomQuery(community_id=b.community_id))
    assert (row["lon"], row["lat"]) == pytest.approx((b.anchor.x, b.anchor.y), abs=1e-12)
