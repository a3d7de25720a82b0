"""The caching proxy (nginx, docker/nginx/default.conf.template) in front of the real server:
public tiles and static files come from its cache, an edit is visible on the very next request,
ETags answer 304, and nothing personal or staff-only is ever served from the cache."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import Role, grant
from buildings.models import Building
from tests.servers import fetch
from tests.tiles_helpers import decode_bytes, url_at

pytestmark = pytest.mark.slow


def get(url, **headers):
    status, headers, body = fetch(url, **{"Accept-Encoding": "gzip", **headers})
    return status, headers, body


def floors(base, path) -> tuple[int, str]:
    status, headers, body = get(base + path)
    assert status == 200, body[:200]
    layer = decode_bytes(body, headers.get("Content-Encoding"))["buildings"]
    return {p["code"]: p for p in layer.values()}["B-1"]["floors"], headers.get("X-Cache-Status")


def test_public_tiles_come_from_the_proxy_until_an_edit_removes_them(proxied, scene):
    base, _ = proxied()
    path = url_at(60, 57, z=17, layer="buildings")
    assert floors(base, path) == (2, "MISS")
    assert floors(base, path) == (2, "HIT")
    combined = url_at(60, 57, z=17)
    assert get(base + combined)[1]["X-Cache-Status"] == "MISS"
    assert get(base + combined)[1]["X-Cache-Status"] == "HIT"
    building = Building.objects.get(pk=scene["building"].pk)
    building.floors = 5
    building.save()  # commits: its tiles are tombstoned and removed from the proxy
    assert floors(base, path) == (5, "MISS")  # the very next request
    assert floors(base, path) == (5, "HIT")
    assert get(base + combined)[1]["X-Cache-Status"] == "MISS"


def test_the_proxy_answers_if_none_match_and_clients_without_gzip(proxied, scene):
    base, _ = proxied()
    path = url_at(60, 57, z=17, layer="buildings")
    status, headers, gz = get(base + path)
    status, again, _ = get(base + path, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and again["X-Cache-Status"] == "HIT"
    status, plain_headers, plain = fetch(base + path)  # no Accept-Encoding: nginx unzips its copy
    assert status == 200 and plain_headers.get("Content-Encoding") is None
    assert decode_bytes(plain) == decode_bytes(gz, "gzip")


def test_static_files_are_cached(proxied):
    base, _ = proxied()
    status, _, body = fetch(base + "/map/")
    script = re.search(r'"(/static/[^"]+\.(?:m?js|css))"', body.decode()).group(1)
    assert get(base + script)[1]["X-Cache-Status"] == "MISS"
    assert get(base + script)[1]["X-Cache-Status"] == "HIT"


def test_staff_tiles_and_signed_in_pages_never_come_from_the_cache(proxied, scene, client):
    base, _ = proxied()
    staff = get_user_model().objects.create_user("staffer", password="pw-for-tests-1", is_staff=True)
    grant(staff, Role.POLICE)
    client.force_login(staff)
    session = client.cookies["sessionid"].value
    cameras = url_at(60, 45, z=17, layer="cameras")
    for _ in range(3):
        status, headers, _ = get(base + cameras, Cookie=f"sessionid={session}")
        assert status == 200 and headers["Cache-Control"].startswith("private")
        assert headers.get("X-Cache-Status") in ("MISS", "BYPASS", None)
    status, headers, body = get(base + cameras)  # anonymous, after the staff's requests
    assert status == 403 and headers.get("X-Cache-Status") != "HIT"
    for _ in range(2):
        status, headers, body = fetch(base + "/police/feed/", Cookie=f"sessionid={session}")
        assert status == 200 and "X-Cache-Status" not in headers
    status, _, _ = fetch(base + "/police/feed/")
    assert status in (302, 403) or "login" in _.decode()
