"""A refused /my/ operation answers with its page again, the reason on it, in the refusal's 4xx
(landlords/views.py _act): the room page, the building page (adding a room) and the home page
(consent). The building and home pages are GET-only views; a refusal of a POST renders them, not
a bare 405."""

from __future__ import annotations

import pytest
from django.test import Client

from buildings.models import Landlord, Room

pytestmark = pytest.mark.django_db


def _client(u) -> Client:
    c = Client()
    c.force_login(u)
    return c


def test_refusals_show_the_page_with_the_reason(estate):
    c = _client(estate.user)
    r = c.post(f"/my/b/{estate.building.pk}/rooms/", {"floor": "9", "number": "901", "rent_monthly": "700",
                                                      "area_m2": "18"})
    assert r.status_code == 400 and "楼层须在 -5 到 3 之间" in r.content.decode()
    assert 'class="qr"' in r.content.decode()  # the building page itself
    r = c.post(f"/my/b/{estate.building.pk}/rooms/", {"floor": "1", "number": "101", "rent_monthly": "700",
                                                      "area_m2": "18"})
    assert r.status_code == 409 and "同一楼栋同一层不能有相同房号" in r.content.decode()

    Landlord.objects.filter(pk=estate.mine.pk).update(phone="")
    r = c.post("/my/consent/", {"give": "1"})
    assert r.status_code == 400 and "没有登记电话" in r.content.decode()
    assert 'class="card building"' in r.content.decode()  # the home page's list of buildings
    r = c.post("/my/consent/", {"give": "1", "method": "fax"})
    assert r.status_code == 400 and "同意方式只能是终端机或在线" in r.content.decode()

    r = c.post(f"/my/r/{estate.let.pk}/retire/")
    assert r.status_code == 409 and "请先办理退房再停用" in r.content.decode()
    r = c.post(f"/my/r/{estate.vacant.pk}/retire/")
    assert r.status_code == 302 and r["Location"] == f"/my/b/{estate.building.pk}/"
    assert Room.objects.get(pk=estate.vacant.pk).retired_at is not None
    # another landlord's building, room: 404, whatever the form says
    assert c.post(f"/my/b/{estate.other_building.pk}/rooms/", {"floor": "9"}).status_code == 404
    assert c.post(f"/my/r/{estate.other_room.pk}/retire/").status_code == 404
