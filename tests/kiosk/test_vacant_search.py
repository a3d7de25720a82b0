"""Public vacant-room search: filters, distance order, consent, ETag, validation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buildings.models import Landlord, Room
from kiosk.models import Kiosk
from tests.factories import make_building, make_room, point

pytestmark = pytest.mark.django_db

URL = "/api/vacant-rooms/"


@pytest.fixture
def street(two_grids):
    """Buildings at 0, 100 and 300 m east of a kiosk at x = 10 m; rents rise with distance."""
    west, east = two_grids
    kiosk = Kiosk.objects.create(code="k1", name="一组", community=west.community, resident_group="一组",
                                 location=point(10, 100))
    consenting = Landlord(name="甲", phone="13900000001")
    consenting.record_consent(Landlord.ConsentMethod.PAPER)
    consenting.save()
    silent = Landlord.objects.create(name="乙", phone="13900000002")
    near = make_building("near", (10, 110, 25, 122), floors=6, landlord=consenting)
    mid = make_building("mid", (100, 110, 115, 122), floors=6, landlord=silent)
    far = make_building("far", (300, 110, 315, 122), floors=6)
    rooms = {
        "near-101": make_room(near, 1, "101", rent=900, area=30),
        "near-501": make_room(near, 5, "501", rent=500, area=14),
        "mid-201": make_room(mid, 2, "201", rent=700, area=20),
        "far-301": make_room(far, 3, "301", rent=400, area=12),
        "far-302": make_room(far, 3, "302", rent=450, area=13, status="let"),
    }
    return {"kiosk": kiosk, "rooms": rooms, "west": west, "east": east}


def numbers(response):
    assert response.status_code == 200, response.content
    return [f"{r['building']}-{r['number']}" for r in response.json()["results"]]


def test_sorted_by_distance_from_the_kiosk(client, street):
    r = client.get(URL, {"kiosk": "k1"})
    assert numbers(r) == ["near-101", "near-501", "mid-201", "far-301"]  # the let room is not listed
    first, last = r.json()["results"][0], r.json()["results"][-1]
    assert first["distance_m"] < 25 and 280 < last["distance_m"] < 320
    assert last["walk_m"] >= last["distance_m"]
    assert r.json()["count"] == 4


@pytest.mark.parametrize("params, expected", [
    ({"rent_max": 600}, ["near-501", "far-301"]),
    ({"rent_min": 600, "rent_max": 900}, ["near-101", "mid-201"]),
    ({"area_min": 20}, ["near-101", "mid-201"]),
    ({"floor_min": 2, "floor_max": 3}, ["mid-201", "far-301"]),
    ({"sort": "rent"}, ["far-301", "near-501", "mid-201", "near-101"]),
    ({"sort": "-area"}, ["near-101", "mid-201", "near-501", "far-301"]),
])
def test_filters_and_sorts(client, street, params, expected):
    assert numbers(client.get(URL, {"kiosk": "k1", **params})) == expected


def test_grid_and_building_filters(client, street):
    assert numbers(client.get(URL, {"grid": street["east"].code})) == ["far-301"]
    assert numbers(client.get(URL, {"building": "near", "sort": "rent"})) == ["near-501", "near-101"]


def test_landlord_phone_only_with_consent(client, street):
    phones = {f"{r['building']}-{r['number']}": r["landlord_phone"] for r in client.get(URL, {"kiosk": "k1"}).json()["results"]}
    assert phones == {"near-101": "13900000001", "near-501": "13900000001", "mid-201": None, "far-301": None}


def test_pagination(client, street):
    page = client.get(URL, {"kiosk": "k1", "limit": 2, "offset": 2}).json()
    assert page["count"] == 4 and [r["number"] for r in page["results"]] == ["201", "301"]


def test_etag_until_a_room_is_let(client, street):
    first = client.get(URL, {"kiosk": "k1"})
    assert client.get(URL, {"kiosk": "k1"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    room = street["rooms"]["mid-201"]
    room.status = Room.Status.LET
    room.save()
    changed = client.get(URL, {"kiosk": "k1"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "mid-201" not in numbers(changed)


@pytest.mark.parametrize("params, field", [
    ({}, "non_field_errors"),
    ({"kiosk": "k1", "rent_min": 900, "rent_max": 100}, "rent_min"),
    ({"kiosk": "k1", "near": "east,north"}, "near"),
    ({"kiosk": "k1", "near": "200,95"}, "near"),
    ({"kiosk": "k1", "limit": 1000}, "limit"),
    ({"kiosk": "k1", "sort": "price"}, "sort"),
    ({"kiosk": "k1", "rent_min": -1}, "rent_min"),
])
def test_bad_input_is_a_400_naming_the_field(client, street, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400 and field in response.json(), response.json()


def test_unknown_kiosk_or_grid_is_404(client, street):
    assert client.get(URL, {"kiosk": "nope"}).status_code == 404
    assert client.get(URL, {"grid": "999"}).status_code == 404


def test_search_costs_a_fixed_number_of_queries(client, street):
    with CaptureQueriesContext(connection) as q:
        client.get(URL, {"kiosk": "k1", "limit": 50})
    # kiosk, page (with building, grid, landlord joined), count; then the walking lengths (routes/):
    # the start's and the buildings' edges in one statement — here no basemap, so nothing more.
    assert len(q) == 4


def test_results_have_exactly_the_documented_fields(client, street):
    from kiosk.api import RoomResult

    rows = client.get(URL, {"kiosk": "k1"}).json()["results"]
    assert rows and all(set(row) == set(RoomResult().fields) for row in rows)
