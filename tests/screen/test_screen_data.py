"""The screen's data endpoint: who may read it, the figures (counts only), ETag and refresh."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from screen import figures
from screen.models import Screen


def _open_with_key(client, hall, community):
    url = reverse("screen:page", args=[community.code])
    answer = client.get(url, {"key": hall["key"]})
    assert answer.status_code == 302 and answer["Location"] == url  # the key leaves the address bar
    return url


def test_key_swaps_for_a_cookie_and_revoking_ends_it(client, hall, community):
    page = reverse("screen:page", args=[community.code])
    data = reverse("screen:data", args=[community.code])
    assert client.get(page).status_code == 302 and "/login" in client.get(page)["Location"]
    assert client.get(data).status_code == 403
    assert client.get(page, {"key": "wrong"}).status_code == 403
    _open_with_key(client, hall, community)
    assert client.get(page).status_code == 200
    assert client.get(data).status_code == 200
    screen = hall["screen"]
    screen.refresh_from_db()
    assert screen.last_seen_at is not None and hall["key"] not in screen.key_digest
    screen.issue_key()
    screen.save()
    assert client.get(data).status_code == 403  # a new key revokes the old cookie
    Screen.objects.update(active=False)
    assert client.get(page, {"key": hall["key"]}).status_code == 403


def test_a_screen_of_one_community_does_not_open_another(client, hall, community):
    from tests.factories import make_community

    other = make_community(code="530112001002", extent=(1000, 0, 1200, 200))
    _open_with_key(client, hall, community)
    assert client.get(reverse("screen:data", args=[other.code])).status_code == 403
    assert client.get(reverse("screen:data", args=["999999999999"])).status_code == 404


def test_staff_see_it_with_their_login(client, hall, community):
    staff = get_user_model().objects.create_user("hall", password="pw-hall-123456", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("screen:page", args=[community.code])).status_code == 200


def test_figures_per_grid_and_in_total(client, hall, community):
    _open_with_key(client, hall, community)
    body = client.get(reverse("screen:data", args=[community.code])).json()
    west, east = body["grids"]
    assert west == {"code": hall["west"].code, "name": "西院", "vacant": 6, "let": 6, "registrations_today": 2,
                    "registrations_week": 5, "coverage_pct": 65.0, "colour": "red", "reports_open": 1,
                    "reports_overdue": 1}
    assert east == {"code": hall["east"].code, "name": "东院", "vacant": 5, "let": 0, "registrations_today": 0,
                    "registrations_week": 0, "coverage_pct": 20.0, "colour": "green", "reports_open": 1,
                    "reports_overdue": 0}
    assert body["totals"] == {"vacant": 11, "let": 6, "registrations_today": 2, "registrations_week": 5,
                              "coverage_pct": 31.2, "reports_open": 2, "reports_overdue": 1,
                              "safety": {"red": 1, "yellow": 0, "green": 1}}


def test_nothing_personal_in_page_or_data(client, hall, community):
    _open_with_key(client, hall, community)
    text = client.get(reverse("screen:data", args=[community.code])).content.decode()
    text += client.get(reverse("screen:page", args=[community.code])).content.decode()
    for secret in ("大屏0", "530112198501", "路灯坏了", "噪音", "W1"):
        assert secret not in text


def test_unpublished_colours_stay_off_the_screen(client, hall, community):
    hall["rule_set"].published = False
    hall["rule_set"].save()
    _open_with_key(client, hall, community)
    body = client.get(reverse("screen:data", args=[community.code])).json()
    assert body["totals"]["safety"] is None and {g["colour"] for g in body["grids"]} == {None}


def test_etag_304_and_a_change_shows_at_once(client, hall, community, django_capture_on_commit_callbacks):
    _open_with_key(client, hall, community)
    url = reverse("screen:data", args=[community.code])
    first = client.get(url)
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    room = hall["rooms"][7]  # vacant, in west
    with django_capture_on_commit_callbacks(execute=True):
        room.status = "let"
        room.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert json.loads(changed.content)["grids"][0]["let"] == 7


@pytest.mark.django_db
def test_cache_expires_for_changes_made_elsewhere(client, hall, community, settings):
    """Another process's edits fire no signal here: the figures are recomputed after the TTL."""
    from buildings.models import Room

    settings.SCREEN_CACHE_SECONDS = 0.2
    _open_with_key(client, hall, community)
    url = reverse("screen:data", args=[community.code])
    etag = client.get(url)["ETag"]
    Room.objects.filter(pk=hall["rooms"][8].pk).update(status="let")  # no signal
    import time

    time.sleep(0.3)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    figures.forget_all()


def test_registration_counters_follow_inserts_moves_and_deletes(hall):
    """The triggers keep the per-quarter-hour counts equal to the tenancies, whatever writes them."""
    from django.db import connection

    from residents.models import Tenancy

    def counted():
        with connection.cursor() as cur:
            cur.execute("SELECT building_id, quarter, n FROM screen_registrationcount WHERE n <> 0 ORDER BY 1, 2")
            got = cur.fetchall()
            cur.execute("SELECT r.building_id, to_timestamp(floor(extract(epoch FROM t.registered_at) / 900) * 900),"
                        " count(*) FROM residents_tenancy t JOIN buildings_room r ON r.id = t.room_id"
                        " GROUP BY 1, 2 ORDER BY 1, 2")
            return got, cur.fetchall()

    got, want = counted()
    assert got == want and sum(n for *_k, n in got) == 6
    t = Tenancy.objects.order_by("id").first()
    Tenancy.objects.filter(pk=t.pk).update(room=hall["rooms"][12])  # moved to E1
    Tenancy.objects.filter(end_date__isnull=True).update(end_date=t.start_date + timedelta(days=40))  # counts stay
    got, want = counted()
    assert got == want
    Tenancy.objects.filter(pk=t.pk).delete()
    got, want = counted()
    assert got == want and sum(n for *_k, n in got) == 5
