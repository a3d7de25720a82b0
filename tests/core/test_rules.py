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
