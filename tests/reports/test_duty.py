"""The staff phone page (/duty/): my reports, accept → on the way → arrived (position) → resolved
(photo) or cannot resolve (reason); scope; merging duplicates; the audited callback phone;
opt-in position sharing; notifications (in-app and the log-file notifier)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEntry
from reports import photos
from reports.models import Notification, Report, WorkerPosition
from reports.services import create_report
from tests.factories import point
from tests.reports.conftest import jpeg_bytes, upload


@pytest.fixture
def report(gate, on_duty):
    r = create_report(category_code="sanitation", location=gate.location, description="垃圾满了", point=gate,
                      phone="13800138000", photos=[jpeg_bytes()])
    photos.clean_pending()  # the clock worker's round
    r.refresh_from_db()
    assert r.assignee == on_duty
    return r


@pytest.fixture
def wang(client, on_duty):
    client.force_login(on_duty)
    return client


def test_anonymous_and_other_roles_are_kept_out(client, report):
    assert client.get("/duty/").status_code == 302
    planner = get_user_model().objects.create_user("p")
    client.force_login(planner)
    assert client.get("/duty/").status_code == 403
    assert client.get(f"/duty/r/{report.pk}/").status_code == 403


def test_the_whole_handling_from_the_staff_page(wang, report, on_duty):
    home = wang.get("/duty/").content.decode()
    assert f'data-id="{report.pk}"' in home and "13800138000" not in home
    page = wang.get(f"/duty/r/{report.pk}/").content.decode()
    assert 'id="do-accept"' in page and "13800138000" not in page
    assert wang.post(f"/duty/r/{report.pk}/accept").status_code == 302
    assert wang.post(f"/duty/r/{report.pk}/on_the_way").status_code == 302
    assert wang.post(f"/duty/r/{report.pk}/arrived", {"lat": "abc", "lon": "1"}).status_code == 400
    lon, lat = point(61, 41).coords
    assert wang.post(f"/duty/r/{report.pk}/arrived", {"lat": lat, "lon": lon}).status_code == 302
    r = wang.post(f"/duty/r/{report.pk}/resolved")
    assert r.status_code == 400 and "照片" in r.content.decode()  # the error page, with the reason
    assert wang.post(f"/duty/r/{report.pk}/resolved", {"photo": upload(jpeg_bytes())}).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    arrived = report.events.get(action="arrived")
    assert arrived.actor == on_duty and arrived.location.distance(point(61, 41)) < 1e-6
    assert list(report.photos.values_list("kind", flat=True).order_by("id")) == ["report", "resolution"]
    again = wang.post(f"/duty/r/{report.pk}/resolved", {"photo": upload(jpeg_bytes())})
    assert again.status_code == 409  # not in that state any more
    assert wang.post(f"/duty/r/{report.pk}/fly").status_code == 404


def test_cannot_resolve_needs_a_reason(wang, report):
    wang.post(f"/duty/r/{report.pk}/accept")
    r = wang.post(f"/duty/r/{report.pk}/unresolvable", {"reason": " "}, HTTP_ACCEPT="application/json")
    assert r.status_code == 400 and r.json()["detail"]
    assert wang.post(f"/duty/r/{report.pk}/unresolvable", {"reason": "需要城管执法"}).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.UNRESOLVABLE


def test_other_grids_worker_sees_nothing_and_moves_nothing(client, report, east_worker):
    client.force_login(east_worker)
    assert f'data-id="{report.pk}"' not in client.get("/duty/").content.decode()
    assert client.get(f"/duty/r/{report.pk}/").status_code == 404
    assert client.post(f"/duty/r/{report.pk}/accept").status_code == 404
    assert client.get(f"/duty/r/{report.pk}/photo/{report.photos.get().pk}.jpg").status_code == 404


def test_photo_and_phone_are_for_staff_in_scope_and_audited(wang, report):
    photo = report.photos.get()
    r = wang.get(f"/duty/r/{report.pk}/photo/{photo.pk}.jpg")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and "no-store" in r["Cache-Control"]
    r = wang.post(f"/duty/r/{report.pk}/phone", {"reason": "回访"})
    assert r.json() == {"phone": "13800138000"}
    entries = AuditEntry.objects.filter(action="unmask").order_by("id")
    assert [e.detail.get("field", "photo") for e in entries] == ["photo", "phone"]


def test_staff_merge_duplicates(wang, report, gate, on_duty):
    twin = create_report(category_code="sanitation", location=point(62, 42), description="这里垃圾没人清")
    page = wang.get(f"/duty/r/{twin.pk}/").content.decode()
    assert f'id="merge-{report.pk}"' in page
    assert wang.post(f"/duty/r/{twin.pk}/merge", {"into": report.pk}).status_code == 302
    twin.refresh_from_db()
    assert twin.duplicate_of == report and twin.status == Report.Status.DUPLICATE
    assert twin.events.last().action == "merged" and twin.events.last().actor == on_duty
    assert "1 人也反映了" in wang.get(f"/duty/r/{report.pk}/").content.decode()
    # Merging into itself or into a merged report is refused with a message.
    r = wang.post(f"/duty/r/{report.pk}/merge", {"into": twin.pk}, HTTP_ACCEPT="application/json")
    assert r.status_code == 400 and r.json()["detail"]
    assert wang.post(f"/duty/r/{report.pk}/merge", {"into": "x"}).status_code == 400


def test_position_sharing_is_opt_in_and_can_stop(wang, on_duty):
    WorkerPosition.objects.filter(worker=on_duty).delete()
    lon, lat = point(10, 10).coords
    assert wang.post("/duty/position", {"lat": lat, "lon": lon}).json()["sharing"] is True
    assert WorkerPosition.objects.get(worker=on_duty).location.distance(point(10, 10)) < 1e-6
    assert wang.post("/duty/position", {"lat": 91, "lon": 0}).status_code == 400
    assert wang.post("/duty/position", {"stop": "1"}).json()["sharing"] is False
    assert not WorkerPosition.objects.filter(worker=on_duty).exists()


def test_notifications_in_app_and_through_the_notifier(wang, gate, on_duty, settings, tmp_path,
                                                       django_capture_on_commit_callbacks):
    settings.REPORTS_NOTIFY_LOG = tmp_path / "n.log"
    with django_capture_on_commit_callbacks(execute=True):
        r = create_report(category_code="sanitation", location=gate.location, description="垃圾",
                          phone="13800138000")
    assert Notification.objects.get(user=on_duty).kind == "offered"
    page = wang.get("/duty/").content.decode()
    assert 'id="unread">1<' in page
    assert f"#{r.pk}" in wang.get("/duty/notifications/").content.decode()
    assert Notification.objects.get(user=on_duty).read_at is not None
    from reports import clock, dispatch

    with django_capture_on_commit_callbacks(execute=True):
        for step in (dispatch.accept, lambda r, w: dispatch.step(r, w, "arrived"),
                     lambda r, w: dispatch.step(r, w, "resolved")):
            clock.schedule(step(r, on_duty))
    lines = [json.loads(x) for x in settings.REPORTS_NOTIFY_LOG.read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["offered", "resolved"]
    assert lines[0]["username"] == "wang" and lines[1]["phone"] == "138****8000"
    assert "13800138000" not in settings.REPORTS_NOTIFY_LOG.read_text()


class Failing:
    def send(self, message):
        raise RuntimeError("gateway down")


def test_a_failing_notifier_never_fails_the_report(gate, on_duty, settings, django_capture_on_commit_callbacks):
    from reports import notify

    settings.REPORTS_NOTIFIER = "tests.reports.test_duty.Failing"
    notify._notifier.cache_clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = create_report(category_code="sanitation", location=gate.location, description="垃圾")
        assert Report.objects.filter(pk=r.pk).exists()
    finally:
        notify._notifier.cache_clear()


def test_a_report_nobody_on_duty_took_is_claimed_from_the_grid(client, gate, mesh_scene, east_worker):
    from accounts.models import StaffProfile
    from accounts.roles import grant

    waiting = create_report(category_code="facility", location=gate.location, description="路灯坏了")
    waiting.refresh_from_db()
    assert waiting.status == Report.Status.NEW and waiting.events.last().action == "fallback"
    client.force_login(east_worker)
    assert client.post(f"/duty/r/{waiting.pk}/claim").status_code == 404  # not their grid
    zhao = get_user_model().objects.create_user("zhao")
    grant(zhao, "grid_worker")
    StaffProfile.objects.create(user=zhao).grids.add(mesh_scene["mesh"])  # a mesh of the west grid
    client.force_login(zhao)
    assert f'href="/duty/r/{waiting.pk}/"' in client.get("/duty/").content.decode()
    assert 'id="do-claim"' in client.get(f"/duty/r/{waiting.pk}/").content.decode()
    assert client.post(f"/duty/r/{waiting.pk}/claim").status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Report.Status.ACCEPTED and waiting.assignee == zhao and waiting.acknowledged_at
    assert client.post(f"/duty/r/{waiting.pk}/claim").status_code == 409
