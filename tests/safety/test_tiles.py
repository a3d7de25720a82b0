"""The `safety` tile layer: colours decoded from tiles, public only once published (the staff
layer always), tiles refreshed by rating and publishing; legend and style on the map pages."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from kiosk.models import Kiosk
from safety import services
from tests.factories import point
from tests.safety.conftest import END, MONTH, NOW, add_incident, rule_set
from tests.tiles_helpers import decode, url_at


@pytest.fixture
def rated(place, django_capture_on_commit_callbacks):
    rs = rule_set()
    add_incident(END - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.rate(MONTH, now=NOW)
    return rs


def test_public_tiles_carry_colours_only_when_published(client, place, rated, django_capture_on_commit_callbacks):
    url = url_at(100, 100, z=16)
    assert "safety" not in decode(client.get(url))           # not published: no colours in public tiles
    assert "safety" not in decode(client.get(url_at(100, 100, z=16, layer="safety")))
    staff_url = url_at(100, 100, z=16, layer="safety_staff")
    assert client.get(staff_url).status_code == 403           # the staff layer needs a staff login
    staff = get_user_model().objects.create_user("staff", password="pw-staff-123456", is_staff=True)
    client.force_login(staff)
    staff_tile = decode(client.get(staff_url))["safety_staff"]
    assert staff_tile[place["west"].pk] == {"code": place["west"].code, "name": "西院", "colour": "yellow",
                                            "month": "2026-10"}
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        services.set_published(rated, True)
    tile = decode(client.get(url))["safety"]  # the cached public tile was refreshed
    assert tile[place["west"].pk] == {"code": place["west"].code, "name": "西院", "colour": "yellow",
                                      "month": "2026-10"}
    east = decode(client.get(url_at(300, 100, z=16)))["safety"]
    assert east[place["east"].pk] == {"code": place["east"].code, "name": "东院", "colour": "green",
                                      "month": "2026-10"}


def test_a_new_rating_and_an_override_refresh_the_tiles(client, place, rated, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.set_published(rated, True)
    url = url_at(100, 100, z=15)
    first = client.get(url)
    assert decode(first)["safety"][place["west"].pk]["colour"] == "yellow"
    add_incident(END - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.rate(MONTH, now=NOW)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and decode(again)["safety"][place["west"].pk]["colour"] == "red"
    boss = get_user_model().objects.create_superuser("boss", password="pw-boss-123456")
    with django_capture_on_commit_callbacks(execute=True):
        services.override(month=MONTH, colour="green", reason="误报", actor=boss, grid=place["west"])
    assert decode(client.get(url))["safety"][place["west"].pk]["colour"] == "green"


def test_the_latest_month_is_shown(client, place, rated, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.set_published(rated, True)
        services.rate(NOW.date().replace(day=1), now=NOW)  # November so far (its window reaches back 30 days)
    tile = decode(client.get(url_at(100, 100, z=16)))["safety"][place["west"].pk]
    assert tile["month"] == "2026-11"


def test_style_legend_and_kiosk(client, place, rated, django_capture_on_commit_callbacks):
    style = client.get("/tiles/style.json").json()
    fill = next(layer for layer in style["layers"] if layer["id"] == "safety-fill")
    assert fill["source-layer"] == "safety" and "#d64541" in fill["paint"]["fill-color"]
    Kiosk.objects.create(code="k1", name="一组终端", community=place["community"], resident_group="第一居民小组",
                         location=point(60, 40))
    assert 'class="safety"' not in client.get("/map/").content.decode()
    assert 'class="safety"' not in client.get("/kiosk/k1/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.set_published(rated, True)
    page = client.get("/map/").content.decode()
    assert page.count('class="safety"') == 3 and 'data-colour="red"' in page
    assert client.get("/kiosk/k1/").content.decode().count('class="safety"') == 3
