"""The read-only API: counts, public endpoints without tenant data, staff-only cameras, errors."""


import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from buildings.models import Landlord
from gis_core.models import Camera
from kiosk.models import Kiosk
from residents.models import Person, Tenancy
from tests.factories import make_room, point

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def scene(building):
    landlord = Landlord(name="房东甲", phone="13912345678")
    landlord.record_consent(Landlord.ConsentMethod.PAPER)
    landlord.save()
    building.landlord = landlord
    building.save()
    r1, r2 = make_room(building, 2, "201"), make_room(building, 2, "202")
    person = Person.build(name="张小花", id_number=ID_NUMBER, sex="2", phone="13700000000")
    person.save()
    Tenancy.objects.create(person=person, room=r1, start_date="2026-01-01", registered_via="staff")
    r1.status = "let"
    r1.save()
    Kiosk.objects.create(code="k-01", name="一组终端", community=building.community, resident_group="第一居民小组",
                         location=point(100, 10))
    Camera.objects.create(community=building.community, code="C-1", name="院门", location=point(60, 40),
                          mount_height_m=4, heading_deg=0, hfov_deg=90)
    return building


def test_summary_counts_everything(client, scene):
    data = client.get("/api/summary/").json()
    assert data == {"communities": 1, "grids": 2, "meshes": 0, "buildings": 1, "rooms": 2, "vacant_rooms": 1,
                    "tenants": 1, "cameras": 1, "kiosks": 1}


def test_kiosks_are_public_geojson(client, scene):
    data = client.get("/api/kiosks/").json()
    assert data["type"] == "FeatureCollection"
    (feature,) = data["features"]
    assert feature["properties"] == {"code": "k-01", "name": "一组终端", "resident_group": "第一居民小组"}
    assert feature["geometry"]["type"] == "Point"


def test_buildings_carry_counts_and_consented_phone_only(client, scene):
    (feature,) = client.get("/api/buildings/").json()["results"]["features"]
    props = feature["properties"]
    assert (props["room_count"], props["vacant_count"], props["grid"]) == (2, 1, scene.grid.code)
    assert props["landlord_phone"] == "13912345678"
    Landlord.objects.update(phone_consent=False, consent_at=None, consent_method="")
    (feature,) = client.get("/api/buildings/").json()["results"]["features"]
    assert feature["properties"]["landlord_phone"] is None


def test_grids_filter_and_validate(client, scene):
    west, east = scene.grid, None
    data = client.get("/api/grids/", {"level": "grid"}).json()
    assert [f["properties"]["code"] for f in data["features"]] == sorted([west.code, west.code[:-1] + "2"])
    assert 39_000 < data["features"][0]["properties"]["area_m2"] < 41_000  # 200 m × 200 m, in metres
    bad = client.get("/api/grids/", {"level": "planet"})
    assert bad.status_code == 400 and "level" in bad.json()
    assert client.get("/api/grids/", {"community": "999999999999"}).status_code == 404


def test_rooms_need_a_building(client, scene):
    assert client.get("/api/rooms/").status_code == 400
    rooms = client.get("/api/rooms/", {"building": scene.code, "status": "vacant"}).json()["results"]
    assert [r["number"] for r in rooms] == ["202"]
    assert client.get("/api/rooms/", {"building": "nope"}).status_code == 404


def test_cameras_are_staff_only(client, scene):
    assert client.get("/api/cameras/").status_code in (401, 403)
    staff = get_user_model().objects.create_user("staff", password="x-long-password", is_staff=True)
    client.force_authenticate(staff)
    (feature,) = client.get("/api/cameras/").json()["features"]
    assert feature["properties"]["grid"] == scene.grid.code


def test_public_responses_carry_no_tenant_data(client, scene):
    person = Person.objects.get()
    secrets = [ID_NUMBER, "张小花", "13700000000", person.id_number_masked, person.name_masked]
    for url in ["/api/summary/", "/api/kiosks/", "/api/communities/", "/api/grids/", "/api/buildings/",
                f"/api/rooms/?building={scene.code}", "/api/schema/", "/"]:
        body = client.get(url).content.decode()
        for s in secrets:
            assert s not in body, (url, s)


def test_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/summary/" in response.content and b"/api/kiosks/" in response.content


def test_home_speaks_chinese_first_and_english_on_request(client):
    from django.test import Client

    zh = Client().get("/")
    assert zh.status_code == 200 and "城中村社区治理 GIS" in zh.content.decode()
    en = Client(headers={"accept-language": "en"}).get("/")
    assert "Urban-village governance GIS" in en.content.decode()
    switched = Client()
    switched.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Kiosk list" in switched.get("/").content.decode()
