"""The resident's phone page at a patrol point, a building's door code and a kiosk: the place is
known, the page is small and self-contained, nearby reports are offered, bad input is 4xx with a
message."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from kiosk.models import Kiosk
from reports.models import PatrolPoint, Report
from tests.factories import make_building, point
from tests.reports.conftest import jpeg_bytes, upload


def test_point_page_is_chinese_small_and_self_contained(client, gate):
    r = client.get(f"/p/{gate.qr_token}/")
    html = r.content.decode()
    assert r.status_code == 200 and "反映问题" in html and gate.name in html and "环境卫生" in html
    assert len(r.content) < 100 * 1024
    # Nothing but this document: no stylesheet, script or image to fetch, from here or elsewhere.
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(?!data:)', html)
    assert r["Cache-Control"].startswith("private") and 'name="robots" content="noindex"' in html
    assert client.get("/p/nope/").status_code == 404


def test_english_when_asked(client, gate):
    html = client.get(f"/p/{gate.qr_token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report a problem" in html


def test_building_door_page_has_a_report_button_for_that_building(client, mesh_scene):
    b = make_building("B-9", (40, 30, 60, 50))
    html = client.get(f"/b/{b.qr_token}/").content.decode()
    assert f'href="/b/{b.qr_token}/report/"' in html and "反映问题" in html
    page = client.get(f"/b/{b.qr_token}/report/").content.decode()
    assert b.address in page
    r = client.post(f"/b/{b.qr_token}/report/submit", {"category": "facility", "description": "楼道灯坏了"})
    assert r.status_code == 201, r.content
    report = Report.objects.get(pk=r.json()["id"])
    assert report.building == b and report.grid == mesh_scene["west"] and report.mesh == mesh_scene["mesh"]


def test_kiosk_has_a_report_button_and_reports_at_the_kiosk(client, mesh_scene):
    k = Kiosk.objects.create(code="k1", name="一组终端", community=mesh_scene["west"].community,
                             resident_group="第一居民小组", location=point(30, 30))
    assert 'href="/kiosk/k1/report/"' in client.get("/kiosk/k1/").content.decode()
    page = client.get("/kiosk/k1/report/").content.decode()
    assert "一组终端" in page and 'href="/kiosk/k1/"' in page
    r = client.post("/kiosk/k1/report/submit", {"category": "sanitation", "description": "垃圾桶满了"})
    report = Report.objects.get(pk=r.json()["id"])
    assert report.location.equals_exact(k.location, 1e-9) and report.point is None
    assert 'href="/kiosk/k1/"' in client.get(r.json()["receipt"] + "?k=k1").content.decode()
    assert 'id="back"' not in client.get(r.json()["receipt"] + "?k=../admin").content.decode()


def test_photos_are_resized_and_stripped_of_gps(client, gate):
    big = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (25.0, 1.0, 48.0), 3: "E", 4: (102.0, 39.0, 36.0)}
    Image.new("RGB", (4000, 3000), (10, 120, 30)).save(big, "JPEG", exif=exif)
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "sanitation", "description": "x",
                                                    "photo": [upload(big.getvalue()), upload(jpeg_bytes())]})
    assert r.status_code == 201
    from reports.photos import clean_pending

    assert clean_pending() == 2  # the clock worker's round
    stored = [Image.open(io.BytesIO(p.image())) for p in Report.objects.get().photos.all()]
    from reports.photos import LONG_EDGE

    assert max(stored[0].size) <= LONG_EDGE < 4000 and all(not img.getexif() for img in stored)


def test_join_an_existing_report_instead_of_a_new_one(client, gate, on_duty):
    first = client.post(f"/p/{gate.qr_token}/submit", {"category": "sanitation", "description": "垃圾满了"}).json()
    near = client.get(f"/p/{gate.qr_token}/nearby", {"category": "sanitation"}).json()["results"]
    assert [x["id"] for x in near] == [first["id"]] and near[0]["followers"] == 0
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "sanitation", "join": first["id"],
                                                    "phone": "13800138000"})
    assert r.status_code == 201 and r.json()["joined"] == first["id"]
    mine = Report.objects.get(pk=r.json()["id"])
    assert mine.status == Report.Status.DUPLICATE and mine.assignee is None and not mine.timers.exists()
    assert client.get(f"/p/{gate.qr_token}/nearby", {"category": "sanitation"}).json()["results"][0]["followers"] == 1
    # The joiner's receipt follows the first report, with nothing about its reporter.
    html = client.get(r.json()["receipt"]).content.decode()
    assert f"#{first['id']}" in html and "已派单" in html and "13800138000" not in html
    # Only an open report of the same category nearby can be joined.
    bad = client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "join": first["id"]})
    assert bad.status_code == 400 and bad.json()["detail"]
    assert client.post(f"/p/{gate.qr_token}/submit", {"category": "sanitation", "join": "x"}).status_code == 400


@pytest.mark.parametrize("data, status", [
    ({"category": "nope", "description": "x"}, 400),
    ({"category": "safety", "description": ""}, 400),
    ({"category": "safety", "description": "x" * 501}, 400),
    ({"category": "safety", "description": "x", "phone": "call me"}, 400),
])
def test_bad_fields_are_4xx_with_a_message(client, gate, data, status):
    r = client.post(f"/p/{gate.qr_token}/submit", data)
    assert r.status_code == status and r.json()["detail"]
    assert not Report.objects.exists()


def test_bad_photos_are_4xx_with_a_message(client, gate, settings):
    from reports import photos

    too_big = upload(b"\xff\xd8" + b"0" * (photos.MAX_BYTES + 10))
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "x", "photo": too_big})
    assert r.status_code == 413 and "MB" in r.json()["detail"]
    gif = io.BytesIO()
    Image.new("RGB", (5, 5)).save(gif, "GIF")
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "x",
                                                    "photo": upload(gif.getvalue(), "a.gif")})
    assert r.status_code == 400 and "JPEG" in r.json()["detail"]
    four = [upload(jpeg_bytes()) for _ in range(4)]
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "x", "photo": four})
    assert r.status_code == 400 and "3" in r.json()["detail"]
    assert not Report.objects.exists()


def test_a_point_outside_every_community_is_refused_with_a_message(client, mesh_scene):
    far = PatrolPoint.objects.create(code="far", name="远处", location=point(5000, 5000))
    r = client.post(f"/p/{far.qr_token}/submit", {"category": "safety", "description": "x"})
    assert r.status_code == 422 and "社区" in r.json()["detail"]


def test_rate_limit_is_429_with_a_clear_message(client, gate, settings):
    settings.REPORTS_SUBMIT_LIMIT = 1
    assert client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "1"}).status_code == 201
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "safety", "description": "2"},
                    HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429 and "try again" in r.json()["detail"] and r["Retry-After"]


def test_receipt_confirm_and_reopen_within_three_days(client, gate, on_duty):
    from datetime import timedelta

    from django.utils import timezone

    from reports import clock, dispatch

    body = client.post(f"/p/{gate.qr_token}/submit", {"category": "sanitation", "description": "垃圾"}).json()
    report = Report.objects.get(pk=body["id"])
    assert 'id="verdict"' not in client.get(body["receipt"]).content.decode()
    for step in (dispatch.accept, lambda r, w: dispatch.step(r, w, "arrived"),
                 lambda r, w: dispatch.step(r, w, "resolved")):
        clock.schedule(step(report, on_duty))
    html = client.get(body["receipt"]).content.decode()
    assert 'id="verdict"' in html and "已办结" in html
    token = report.receipt_token
    assert client.post(f"/report/{token}/verdict", {"verdict": "maybe"}).status_code == 400
    r = client.post(f"/report/{token}/verdict", {"verdict": "reopen", "reason": "还有垃圾"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.OFFERED and report.assignee == on_duty
    Report.objects.filter(pk=report.pk).update(status="resolved", resolved_at=timezone.now() - timedelta(days=4))
    assert 'id="verdict"' not in client.get(body["receipt"]).content.decode()
    r = client.post(f"/report/{token}/verdict", {"verdict": "confirm"})
    assert r.status_code == 409 and "3" in r.content.decode()


def test_sensitive_categories_are_never_offered_to_join(client, gate):
    first = client.post(f"/p/{gate.qr_token}/submit", {"category": "dispute", "description": "楼上天天吵架"}).json()
    r = client.get(f"/p/{gate.qr_token}/nearby", {"category": "dispute"})
    assert r.json() == {"results": []} and "吵架" not in r.content.decode()
    r = client.post(f"/p/{gate.qr_token}/submit", {"category": "dispute", "join": first["id"]})
    assert r.status_code == 400 and r.json()["detail"]
