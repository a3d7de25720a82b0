"""Roles and scoping (landlord: own buildings; grid worker: own grids; police: all, read;
planner and public: nothing), masking, police unmasking with a reason, the feed, CSV, audit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import Role, grant
from audit.models import AuditEntry
from buildings.models import Building, Landlord
from residents import services
from residents.models import Tenancy
from residents.scoping import rooms_for_registration
from tests.factories import make_building, make_room
from tests.idcard_helpers import id_number

pytestmark = pytest.mark.django_db


def _user(name, *roles, landlord=None, grids=()):
    user = get_user_model().objects.create_user(name, password="pw-" + name)
    grant(user, *roles)
    if landlord or grids:
        profile = StaffProfile.objects.create(user=user, landlord=landlord)
        profile.grids.set(grids)
    return user


@pytest.fixture
def city(two_grids, building):
    west, east = two_grids
    a, b = Landlord.objects.create(name="房东甲"), Landlord.objects.create(name="房东乙")
    Building.objects.filter(pk=building.pk).update(landlord=a)
    east_building = make_building("B-2", (250, 50, 270, 65), landlord=b)
    rooms = {"west": make_room(building, 2, "201"), "east": make_room(east_building, 2, "201")}
    today = timezone.localdate()
    people = {}
    for n, (where, start) in enumerate([("west", today - timedelta(days=10)), ("east", today - timedelta(days=200)),
                                        ("east", today - timedelta(days=1))]):
        data = services.PersonData(name=f"张{n}号", id_number=id_number(n + 40), sex="1", phone="1390000000" + str(n))
        t, _ = services.check_in(rooms[where].pk, data, via="staff", start=start)
        people[n] = t
    users = {
        "landlord_a": _user("landlord_a", Role.LANDLORD, landlord=a),
        "worker_east": _user("worker_east", Role.GRID_WORKER, grids=[east]),
        "police": _user("police", Role.POLICE),
        "planner": _user("planner", Role.PLANNER),
        "admin": _user("admin", Role.ADMIN),
    }
    return rooms, people, users, (west, east)


def test_querysets_are_scoped_per_role(city):
    rooms, people, users, _ = city
    seen = {name: set(Tenancy.objects.visible_to(u).values_list("room_id", flat=True)) for name, u in users.items()}
    assert seen == {"landlord_a": {rooms["west"].pk}, "worker_east": {rooms["east"].pk},
                    "police": {rooms["west"].pk, rooms["east"].pk}, "planner": set(),
                    "admin": {rooms["west"].pk, rooms["east"].pk}}
    writable = {name: set(rooms_for_registration(u).values_list("pk", flat=True)) for name, u in users.items()}
    assert writable == {"landlord_a": {rooms["west"].pk}, "worker_east": {rooms["east"].pk}, "police": set(),
                        "planner": set(), "admin": {rooms["west"].pk, rooms["east"].pk}}
    from django.contrib.auth.models import AnonymousUser

    assert not Tenancy.objects.visible_to(AnonymousUser()).exists()


def test_tenancy_api_is_scoped_and_masked(city):
    rooms, people, users, _ = city
    for name, expected, status in [("landlord_a", 1, 200), ("worker_east", 2, 200), ("police", 3, 200),
                                   ("admin", 3, 200), ("planner", None, 403)]:
        c = Client()
        c.force_login(users[name])
        r = c.get("/api/tenancies/")
        assert r.status_code == status, (name, r.content)
        if expected is not None:
            body = r.content.decode()
            assert r.json()["count"] == expected, name
            assert "张0号" not in body and id_number(40) not in body and "*" in r.json()["results"][0]["person"]
    assert Client().get("/api/tenancies/").status_code in (401, 403)


def test_only_police_unmask_one_person_with_a_reason_audited(city):
    rooms, people, users, _ = city
    person = people[0].person
    url = f"/police/persons/{person.pk}/unmask/"
    for name in ("landlord_a", "worker_east", "planner", "admin"):
        c = Client()
        c.force_login(users[name])
        r = c.post(url, {"reason": "案件核查需要"})
        assert r.status_code == 403 and "只有民警" in r.json()["detail"], name
    assert Client().post(url, {"reason": "案件核查需要"}).status_code == 401
    police = Client()
    police.force_login(users["police"])
    no_reason = police.post(url, {"reason": "  "})
    assert no_reason.status_code == 400 and "事由" in no_reason.json()["detail"]
    assert not AuditEntry.objects.filter(action="unmask").exists()
    r = police.post(url, {"reason": "案件核查需要"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 200 and r.json()["id_number"] == id_number(40) and r.json()["name"] == "张0号"
    page = police.post(url, {"reason": "二次核查"})
    assert page.status_code == 200 and "张0号" in page.content.decode()
    entries = list(AuditEntry.objects.filter(action="unmask").order_by("id").values_list("actor", "person_id", "reason"))
    assert entries == [("police", person.pk, "案件核查需要"), ("police", person.pk, "二次核查")]
    assert police.post("/police/persons/999999/unmask/", {"reason": "案件核查需要"}).status_code == 404


def test_police_feed_flags_and_csv_export(city):
    rooms, people, users, (west, east) = city
    # registered 10 days after moving in: late; the 200-day tenant: six months, lease unregistered
    Tenancy.objects.filter(pk=people[0].pk).update(registered_at=timezone.now())
    Tenancy.objects.filter(pk=people[2].pk).update(lease_registered_on=timezone.localdate())
    Tenancy.objects.filter(pk=people[1].pk).update(registered_at=timezone.now() - timedelta(days=199))
    services.check_out(rooms["east"].pk, tenancy_id=people[2].pk, by=users["admin"])
    police = Client()
    police.force_login(users["police"])
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    feed = police.get("/police/feed/", {"since": since, "format": "json"}).json()
    rows = {r["tenancy"]: r for r in feed["results"]}
    assert set(rows) == {people[0].pk, people[2].pk}  # new registrations and check-outs since then
    assert rows[people[0].pk]["flags"] == ["late"]
    assert rows[people[2].pk]["flags"] == ["checked_out"]
    assert all("*" in r["id_number"] and "*" in r["name"] for r in rows.values())
    by_grid = police.get("/police/feed/", {"since": since, "grid": east.code, "format": "json"}).json()
    assert {r["tenancy"] for r in by_grid["results"]} == {people[2].pk}
    long_stay = police.get("/police/feed/", {"flag": "six_months", "format": "json"}).json()["results"]
    assert [(r["tenancy"], set(r["flags"])) for r in long_stay] == [(people[1].pk, {"lease_unregistered", "six_months"})]
    for flag, expected in [("late", {people[0].pk}), ("six_months", {people[1].pk}),
                           ("lease_unregistered", {people[1].pk}), ("checked_out", {people[2].pk})]:
        got = police.get("/police/feed/", {"since": since, "flag": flag, "format": "json"}).json()
        assert {r["tenancy"] for r in got["results"]} == expected, flag
    html = police.get("/police/feed/", {"since": since})
    assert html.status_code == 200 and "逾期登记" in html.content.decode() and "张0号" not in html.content.decode()
    assert police.get("/police/feed/", {"since": "yesterday"}).status_code == 400
    assert police.get("/police/feed/", {"grid": "nope"}).status_code == 400
    assert police.get("/police/feed/", {"flag": "odd"}).status_code == 400
    exported = police.get("/police/feed.csv", {"since": since, "reason": "月度核查"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    body = b"".join(exported.streaming_content).decode("utf-8-sig")  # streamed (police/views.py)
    table = list(csv.DictReader(io.StringIO(body)))
    assert len(table) == 2 and all("*" in row["id_number"] for row in table)
    assert id_number(40) not in body
    export = AuditEntry.objects.get(action="export")
    assert export.actor == "police" and export.detail["rows"] == 2 and export.reason == "月度核查"
    # link changes are audited too (check-ins above and the check-out)
    assert AuditEntry.objects.filter(action="check_in").count() == 3
    assert AuditEntry.objects.get(action="check_out").actor == "admin"


def test_feed_is_police_and_admin_only(city):
    rooms, people, users, _ = city
    for name, status in [("landlord_a", 403), ("worker_east", 403), ("planner", 403), ("admin", 200)]:
        c = Client()
        c.force_login(users[name])
        assert c.get("/police/feed/").status_code == status, name
        assert c.get("/police/feed.csv").status_code == status, name
    assert Client().get("/police/feed/").status_code == 302  # to the login page
