"""Each /my/ operation: a landlord may do it on their own rooms and buildings, gets 404 on another
landlord's (ids of others' rooms say nothing), 403 without the landlord role; anonymous visitors
go to the sign-in page. Every change is audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEntry
from buildings.models import Room, RoomPhoto
from tests.landlords.conftest import jpeg

pytestmark = pytest.mark.django_db


def _photo(room):
    return RoomPhoto.objects.create(room=room, image=jpeg((40, 30), exif=False), width=40, height=30)


# name, method, path (target: own or other side), form data, what the owner gets
OPERATIONS = [
    ("list", "get", lambda s, e: "/my/", {}, 200),
    ("building", "get", lambda s, e: f"/my/b/{s['building'].pk}/", {}, 200),
    ("room", "get", lambda s, e: f"/my/r/{s['room'].pk}/", {}, 200),
    ("edit", "post", lambda s, e: f"/my/r/{s['room'].pk}/edit/",
     {"rent_monthly": "990", "area_m2": "21.5", "capacity": "3", "description": "朝南，带阳台", "publish_until": ""}, 302),
    ("unavailable", "post", lambda s, e: f"/my/r/{s['room'].pk}/status/", {"status": "unavailable"}, 302),
    ("photo", "post", lambda s, e: f"/my/r/{s['room'].pk}/photos/",
     lambda: {"photo": SimpleUploadedFile("room.jpg", jpeg((800, 600)), "image/jpeg")}, 302),
    ("photo-delete", "post", lambda s, e: f"/my/r/{s['room'].pk}/photos/{_photo(s['room']).pk}/delete/", {}, 302),
    ("checkout", "post", lambda s, e: f"/my/r/{s['let'].pk}/checkout/", lambda: {"tenancy": "0"}, 302),
    ("add-room", "post", lambda s, e: f"/my/b/{s['building'].pk}/rooms/",
     {"floor": "2", "number": "201", "rent_monthly": "700", "area_m2": "18", "capacity": "2"}, 302),
    ("plate", "get", lambda s, e: f"/my/b/{s['building'].pk}/plate.pdf", {}, 200),
    ("plate-lost", "post", lambda s, e: f"/my/b/{s['building'].pk}/plate/lost/", {}, 302),
    ("retire", "post", lambda s, e: f"/my/r/{s['room'].pk}/retire/", {}, 302),
    ("consent", "post", lambda s, e: "/my/consent/", {"give": "1"}, 302),
]
OWN_ONLY = {"list", "consent"}  # no id in the path: nothing of another landlord to reach


def _sides(estate):
    mine = {"building": estate.building, "room": estate.vacant, "let": estate.let}
    theirs = {"building": estate.other_building, "room": estate.other_room, "let": estate.other_room}
    return mine, theirs


def _send(client, method, path, data):
    data = data() if callable(data) else data
    return getattr(client, method)(path, data) if method == "post" else client.get(path)


@pytest.mark.parametrize("name,method,path,data,owner_gets", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_each_operation_own_other_and_anonymous(estate, name, method, path, data, owner_gets):
    mine, theirs = _sides(estate)
    if name == "checkout":
        data = {"tenancy": str(estate.tenancy.pk)}
    client = Client()
    client.force_login(estate.user)
    before = AuditEntry.objects.count()
    response = _send(client, method, path(mine, estate), data)
    assert response.status_code == owner_gets, (name, response.content[:400])
    if method == "post":
        assert AuditEntry.objects.count() > before, f"{name} left no audit entry"

    if name not in OWN_ONLY:
        theirs_before = (list(Room.objects.filter(building=estate.other_building).values()),
                         estate.other_building.__class__.objects.get(pk=estate.other_building.pk).qr_token)
        response = _send(client, method, path(theirs, estate), data)
        assert response.status_code == 404, (name, response.status_code)
        assert theirs_before == (list(Room.objects.filter(building=estate.other_building).values()),
                                 estate.other_building.__class__.objects.get(pk=estate.other_building.pk).qr_token)

    anonymous = _send(Client(), method, path(mine, estate), data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/my/login/?next="), name

    stranger = get_user_model().objects.create_user(f"planner-{name}", password="x-long-password-1")
    someone = Client()
    someone.force_login(stranger)
    assert _send(someone, method, path(mine, estate), data).status_code == 403, name


def test_the_operations_do_what_they_say(estate):
    client = Client()
    client.force_login(estate.user)
    room = estate.vacant
    client.post(f"/my/r/{room.pk}/edit/", {"rent_monthly": "990", "area_m2": "21.5", "capacity": "3",
                                           "description": "朝南，带阳台", "publish_until": "2099-01-31"})
    room.refresh_from_db()
    assert (room.rent_monthly, str(room.area_m2), room.capacity, room.description, str(room.publish_until)) == (
        990, "21.50", 3, "朝南，带阳台", "2099-01-31")
    client.post(f"/my/r/{room.pk}/status/", {"status": "unavailable"})
    room.refresh_from_db()
    assert room.status == "unavailable"
    client.post(f"/my/r/{room.pk}/status/", {"status": "vacant"})
    room.refresh_from_db()
    assert room.status == "vacant"

    # a let room is freed only by checking its tenant out
    refused = client.post(f"/my/r/{estate.let.pk}/status/", {"status": "vacant"})
    assert refused.status_code == 409 and "退房".encode() in refused.content
    assert client.post(f"/my/r/{estate.let.pk}/retire/").status_code == 409
    client.post(f"/my/r/{estate.let.pk}/checkout/", {"tenancy": estate.tenancy.pk})
    estate.let.refresh_from_db()
    estate.tenancy.refresh_from_db()
    assert estate.let.status == "vacant" and estate.tenancy.end_date is not None

    # bad input: 4xx with a message, nothing written
    for data in ({"rent_monthly": "abc"}, {"area_m2": "-3"}, {"capacity": "0"}, {"publish_until": "2001-01-01"},
                 {"publish_until": "31/01/2099"}, {"description": "长" * 301}):
        r = client.post(f"/my/r/{room.pk}/edit/", data)
        assert r.status_code == 400, data
    assert client.post(f"/my/r/{room.pk}/status/", {"status": "let"}).status_code == 400
    assert client.post(f"/my/b/{estate.building.pk}/rooms/", {"floor": "9", "number": "901", "rent_monthly": "1",
                                                              "area_m2": "9"}).status_code == 400
    assert client.post(f"/my/b/{estate.building.pk}/rooms/", {"floor": "1", "number": "101", "rent_monthly": "1",
                                                              "area_m2": "9"}).status_code == 409

    # added rooms start off the market; retired rooms keep their history
    client.post(f"/my/b/{estate.building.pk}/rooms/", {"floor": "3", "number": "301", "rent_monthly": "650",
                                                       "area_m2": "15"})
    added = Room.objects.get(building=estate.building, number="301")
    assert added.status == "unavailable" and added.capacity == 2
    client.post(f"/my/r/{added.pk}/retire/")
    added.refresh_from_db()
    assert added.retired_at is not None and added.status == "unavailable"
    assert client.get(f"/my/r/{added.pk}/").status_code == 404  # no longer in the lists
    assert AuditEntry.objects.filter(action="landlord", reason="room_retired", room_id=added.pk).exists()

    # reporting a lost plate: the old code is revoked (its page says so), a new one works
    old = estate.building.qr_token
    client.post(f"/my/b/{estate.building.pk}/plate/lost/")
    estate.building.refresh_from_db()
    assert estate.building.qr_token != old
    assert Client().get(f"/b/{old}/").status_code == 410
    assert Client().get(f"/b/{estate.building.qr_token}/").status_code == 200
    pdf = client.get(f"/my/b/{estate.building.pk}/plate.pdf?download=1")
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Disposition"].startswith("attachment")


def test_tenants_are_masked_on_the_landlords_pages(estate):
    client = Client()
    client.force_login(estate.user)
    for path in ("/my/", f"/my/b/{estate.building.pk}/", f"/my/r/{estate.let.pk}/"):
        body = client.get(path).content.decode()
        assert estate.tenancy.person.name_masked in body
        assert "张小花" not in body and "11010519491231002X" not in body and "13700000000" not in body
