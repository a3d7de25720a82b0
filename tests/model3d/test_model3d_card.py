"""The 3D room card (/3d/room/<id>.json, the /3d/ viewer's click card and the kiosk 3D mode's
picked room) carries what the kiosk card and the phone page show: the landlord's description, and
their photos by public URL while the room is vacant; never anything about who lives there."""

from __future__ import annotations

import pytest
from django.test import Client

from buildings.models import Landlord, Room, RoomPhoto
from residents.models import Person, Tenancy
from tests.factories import make_building, make_room
from tests.landlords.conftest import jpeg

pytestmark = pytest.mark.django_db


def _photo(room, position=0):
    return RoomPhoto.objects.create(room=room, image=jpeg((40, 30), exif=False), width=40, height=30, position=position)


def test_card_has_the_description_and_photos(two_grids, client: Client):
    b = make_building("C-1", (50, 50, 70, 65), floors=3, landlord=Landlord.objects.create(name="房东", phone="1"))
    vacant, let = make_room(b, 1, "101"), make_room(b, 1, "102", status="let")
    Room.objects.filter(pk=vacant.pk).update(description="朝南，带阳台 <b>近地铁</b>")
    Room.objects.filter(pk=let.pk).update(description="已租出的房间")
    second, first = _photo(vacant, 1), _photo(vacant, 0)
    _photo(let)
    person = Person.build(name="张小花", id_number="11010519491231002X", sex="2", phone="13700000000")
    person.save()
    Tenancy.objects.create(person=person, room=let, start_date="2026-01-01", registered_via="staff")

    card = client.get(f"/3d/room/{vacant.pk}.json").json()
    assert card["description"] == "朝南，带阳台 <b>近地铁</b>"  # as text: the viewer sets textContent
    assert card["photos"] == [f"/rooms/photo/{first.pk}.jpg", f"/rooms/photo/{second.pk}.jpg"]
    for url in card["photos"]:  # public, fetched without signing in
        r = Client().get(url)
        assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    # the kiosk's search card shows the same
    found = client.get(f"/api/vacant-rooms/?building={b.code}").json()["results"]
    assert [(r["description"], r["photos"]) for r in found if r["id"] == vacant.pk] == [
        (card["description"], card["photos"])]

    # a let room: its description, no photos (as the phone page), nothing of the tenant
    body = client.get(f"/3d/room/{let.pk}.json")
    assert body.json()["description"] == "已租出的房间" and body.json()["photos"] == []
    for secret in ("张小花", "11010519491231002X", "13700000000", person.name_masked, person.id_number_masked):
        assert secret.encode() not in body.content
    # retired: no photos either
    Room.objects.filter(pk=vacant.pk).update(retired_at="2026-06-01T00:00:00Z")
    assert client.get(f"/3d/room/{vacant.pk}.json").json()["photos"] == []
