"""Public reads from streaming replicas, on real hot standbys of the test cluster and the real
server command: which reads go where, read-your-writes, a lagging replica skipped, a dead replica
skipped and taken back, a dead primary (reads go on, writes answer 503), and tile invalidation
that a replica which has not replayed the edit cannot undo."""

from __future__ import annotations

import hashlib
import json
import time
import http.client
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection

from buildings.models import Building, Room
from tests.servers import fetch
from tests.tiles_helpers import decode_bytes, url_at

pytestmark = pytest.mark.slow


def vacant_ids(base, **headers) -> set[int]:
    status, _, body = fetch(f"{base}/api/vacant-rooms/?kiosk=k1&limit=50", **headers)
    assert status == 200, body[:300]
    return {r["id"] for r in json.loads(body)["results"]}


def let(room):
    Room.objects.filter(pk=room.pk).update(status=Room.Status.LET)  # committed: the server reads it


def test_public_reads_come_from_a_replica_and_a_writer_reads_its_writes(serve, scene, replica):
    standby = replica("delayed", "3s")
    base, _ = serve(DATABASE_REPLICA_URLS=standby.url, REPLICA_MAX_LAG_S="60")
    room = scene["rooms"][2]
    assert room.pk in vacant_ids(base)
    let(room)
    # The replica replays 3 s late: an anonymous kiosk still sees the room; a browser that wrote
    # (or is signed in) reads from the primary and does not.
    assert room.pk in vacant_ids(base)
    assert room.pk not in vacant_ids(base, Cookie=f"uvgis_wrote={time.time() + 10:.0f}")
    assert room.pk not in vacant_ids(base, Cookie="sessionid=anything")
    assert room.pk in vacant_ids(base, Cookie=f"uvgis_wrote={time.time() - 1:.0f}")  # an expired mark
    deadline = time.monotonic() + 10
    while room.pk in vacant_ids(base):
        assert time.monotonic() < deadline, "the replica never replayed the change"
        time.sleep(0.3)
    assert standby.client_backends() > 0


def test_a_write_marks_the_browser_for_read_your_writes(serve, scene, replica):
    base, _ = serve(DATABASE_REPLICA_URLS=replica("plain").url, REPLICA_READ_YOUR_WRITES_S="7")
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    conn.request("GET", "/login/")
    page = conn.getresponse()
    html = page.read().decode()
    assert not any(c.startswith("uvgis_wrote=") for c in page.headers.get_all("Set-Cookie") or [])  # a read
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    conn.request("POST", "/i18n/setlang/", body=f"language=en&next=/&csrfmiddlewaretoken={token}",
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
                          "Referer": base + "/login/"})
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 302
    mark = [c for c in answer.headers.get_all("Set-Cookie") if c.startswith("uvgis_wrote=")]
    assert mark and "Max-Age=7" in mark[0] and "HttpOnly" in mark[0]
    assert float(mark[0].split("=", 1)[1].split(";")[0]) == pytest.approx(time.time() + 7, abs=3)


def test_a_replica_too_far_behind_is_skipped(serve, scene, replica):
    base, _ = serve(DATABASE_REPLICA_URLS=replica("behind", "4s").url, REPLICA_MAX_LAG_S="1")
    room = scene["rooms"][2]
    assert room.pk in vacant_ids(base)
    let(room)
    time.sleep(1.3)  # the next health check sees the replica 1.3+ s behind
    assert room.pk not in vacant_ids(base)


def test_a_dead_replica_is_skipped_at_once_and_taken_back_when_healthy(serve, scene, replica):
    standby = replica("dies")
    base, _ = serve(DATABASE_REPLICA_URLS=standby.url)
    assert vacant_ids(base) and standby.client_backends() > 0
    standby.stop()
    failures = []
    started = time.monotonic()
    for i in range(30):  # search and uncached tiles, each at another address
        if fetch(f"{base}/api/vacant-rooms/?kiosk=k1&offset={i % 3}")[0] != 200:
            failures.append(("search", i))
        status = fetch(base + url_at(20 + 5 * i, 50, z=18, layer="buildings"))[0]
        if status not in (200, 204):
            failures.append(("tile", i, status))
    assert not failures, failures
    assert time.monotonic() - started < 20
    standby.start()
    deadline = time.monotonic() + 10
    while standby.client_backends() == 0:
        assert time.monotonic() < deadline, "the replica was not taken back"
        vacant_ids(base)
        time.sleep(0.2)


def csrf(base) -> tuple[str, str]:
    """The CSRF cookie and form token of the sign-in page."""
    status, headers, body = fetch(f"{base}/login/")
    assert status == 200
    cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    return cookie, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode()).group(1)


def test_without_the_primary_reads_go_on_and_writes_answer_503(serve, scene, replica, relay):
    standby = replica("orphan")
    base, _ = serve(DATABASE_URL=f"postgis://gis@127.0.0.1:{relay.port}/{connection.settings_dict['NAME']}",
                    DATABASE_REPLICA_URLS=standby.url, DB_CONNECT_TIMEOUT="2")
    rooms = vacant_ids(base)
    cookie, token = csrf(base)
    relay.stop()  # the primary is gone for the server
    assert vacant_ids(base) == rooms  # public reads: from the replica
    started = time.monotonic()
    status, headers, body = fetch(f"{base}/login/", data=f"username=a&password=b&csrfmiddlewaretoken={token}".encode(),
                                  **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
                                     "Referer": base + "/login/"})
    assert status == 503 and headers["Retry-After"], body[:300]
    assert time.monotonic() - started < 6, "a write must not hang while the primary is away"
    relay.start()
    status, _, body = fetch(f"{base}/login/", data=f"username=a&password=b&csrfmiddlewaretoken={token}".encode(),
                            **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
                               "Referer": base + "/login/"})
    assert status == 200 and "csrfmiddlewaretoken" in body.decode()  # the form again: wrong password, answered


def test_an_invalidated_tile_is_not_refilled_from_a_replica_that_has_not_replayed_the_edit(
        serve, scene, replica, settings, tmp_path):
    """The tombstone rule with replicas: after an edit commits, a replica 3 s behind must neither
    answer with the old tile nor put it back in the shared cache."""
    var = tmp_path / "server-var"
    base, _ = serve(DATABASE_REPLICA_URLS=replica("tiles", "3s").url, REPLICA_MAX_LAG_S="60",
                    TILE_CACHE="file", GIS_VAR_DIR=str(var))
    # This process writes its tombstones into the server's store (same directory, same key prefix).
    conf = connection.settings_dict
    prefix = hashlib.blake2b(f"{conf['HOST']}:{conf['PORT']}/{conf['NAME']}".encode(), digest_size=6).hexdigest()
    settings.CACHES = {**settings.CACHES,
                       "tiles": {"BACKEND": "tiles.filecache.FileTileCache", "LOCATION": str(var / "cache" / "tiles"),
                                 "KEY_PREFIX": prefix, "TIMEOUT": 3600},
                       "tiles_extent": {"BACKEND": "tiles.filecache.FileTileCache",
                                        "LOCATION": str(var / "cache" / "tiles"), "KEY_PREFIX": prefix, "TIMEOUT": None}}
    path = url_at(60, 57, z=17, layer="buildings")

    def floors() -> int:
        status, headers, body = fetch(base + path)
        assert status == 200, body[:200]
        return {p["code"]: p for p in decode_bytes(body, headers.get("Content-Encoding")).get("buildings", {}).values()}["B-1"]["floors"]

    assert floors() == 2 and floors() == 2  # rendered from the replica, then from the shared cache
    building = Building.objects.get(pk=scene["building"].pk)
    building.floors = 5
    building.save()  # commits; its tiles are tombstoned on commit
    assert floors() == 5  # not the replica's old tile: rendered from the primary
    time.sleep(0.5)
    assert floors() == 5
    time.sleep(3.5)  # the replica has replayed the edit by now
    assert floors() == 5
