"""The route where people see it: the API, the kiosk map and the room's phone page."""

import re

import pytest

from kiosk.models import Kiosk
from tests.factories import make_room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kiosk_by_the_street(network, two_grids):
    kiosk = Kiosk.objects.create(code="k1", name="一组终端", community=two_grids[0].community,
                                 resident_group="第一居民小组", location=network["start"], idle_seconds=600)
    room = make_room(network["building"], 2, "201", rent=600)
    return {**network, "kiosk": kiosk, "room": room}


def test_api_answers_length_minutes_and_the_line(client, kiosk_by_the_street):
    s = kiosk_by_the_street
    body = client.get("/api/routes/walk/", {"from_kiosk": "k1", "to_room": s["room"].pk}).json()
    assert 70 <= body["length_m"] <= 80 and body["minutes"] == 1
    assert body["geometry"]["type"] in ("LineString", "MultiLineString")
    same = client.get("/api/routes/walk/", {"from": f"{s['start'].x},{s['start'].y}",
                                            "to_building": s["building"].pk}).json()
    assert same["length_m"] == body["length_m"]


@pytest.mark.parametrize("params, status", [
    ({"to_room": 1}, 400), ({"from": "x,y", "to_room": 1}, 400), ({"from": "200,20", "to_room": 1}, 400),
    ({"from_kiosk": "k1"}, 400), ({"from_kiosk": "nope", "to_room": 1}, 404),
    ({"from_kiosk": "k1", "to_room": 999999}, 404), ({"from_kiosk": "k1", "to_room": "1;drop"}, 400),
])
def test_bad_input_is_a_4xx(client, kiosk_by_the_street, params, status):
    r = client.get("/api/routes/walk/", params)
    assert r.status_code == status and r.json()["detail"]


def test_kiosk_search_gives_the_route_length(client, kiosk_by_the_street):
    rows = client.get("/api/vacant-rooms/", {"kiosk": "k1"}).json()["results"]
    assert rows and 70 <= rows[0]["walk_m"] <= 80  # the route (75 m), not 1.25 × the straight line


def test_phone_page_shows_the_route_from_the_kiosk(client, kiosk_by_the_street):
    s = kiosk_by_the_street
    qr = client.get(f"/r/{s['room'].pk}/qr.svg?k=k1")
    assert qr.status_code == 200
    html = client.get(f"/r/{s['room'].pk}/?k=k1").content.decode()
    assert re.search(r"步行 7\d 米，约 1 分钟", html)
    assert 'stroke="#1f6fb2"' in html  # the route drawn on the page's map
    plain = client.get(f"/r/{s['room'].pk}/").content.decode()
    assert "步行" not in plain and "从我的位置出发" in plain


def test_kiosk_map_draws_the_route_to_a_room(open_page, live_server, kiosk_by_the_street):
    rp = open_page(width=1280, height=720, touch=True)
    rp.page.goto(f"{live_server.url}/kiosk/k1/")
    rp.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    rp.page.locator(".room >> nth=0").tap()
    rp.page.wait_for_selector("body[data-route]", state="attached", timeout=30_000)
    assert 70 <= int(rp.page.get_attribute("body", "data-route")) <= 80
    assert re.search(r"步行 7\d 米，约 1 分钟", rp.page.inner_text(".detail .walk"))
    # The first map in a fresh checkout makes its label glyphs (tiles/glyphs.py, ≈2 s a range).
    rp.page.wait_for_function("kioskMap.queryRenderedFeatures({layers: ['route']}).length > 0", timeout=90_000)
    rp.screenshot("kiosk-route")
