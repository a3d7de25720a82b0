"""Step 1: points, categories, reports, shifts and positions as stored."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from reports.models import Category, Level, PatrolPoint, Report, ReportEvent, Shift, Stage, WorkerPosition
from tests.factories import point


def test_point_is_placed_in_community_grid_and_mesh(gate, mesh_scene):
    assert gate.community == mesh_scene["west"].community
    assert gate.grid == mesh_scene["west"]
    assert gate.mesh == mesh_scene["mesh"]
    east = PatrolPoint.objects.create(code="bin-1", name="垃圾站", kind="bin", location=point(300, 150))
    assert east.grid == mesh_scene["east"] and east.mesh is None


def test_point_token_is_unguessable_and_revocable(gate):
    other = PatrolPoint.objects.create(code="alley-1", name="巷口", kind="alley", location=point(20, 20))
    assert len(gate.qr_token) >= 22 and gate.qr_token != other.qr_token
    old = gate.qr_token
    new = gate.revoke_qr_token()
    gate.refresh_from_db()
    assert gate.qr_token == new != old


@pytest.mark.django_db
def test_default_categories_carry_the_1011_clock():
    safety = Category.objects.get(code="safety")
    assert safety.deadline(Stage.ON_SITE, Level.GRID) == timedelta(minutes=10)
    assert Category.objects.get(code="sanitation").deadline(Stage.RESOLVE, Level.GRID) == timedelta(hours=1)
    assert Category.objects.get(code="dispute").deadline(Stage.RESOLVE, Level.GRID) == timedelta(days=1)
    assert Category.objects.get(code="dispute").sensitive
    # every default category has a deadline for every stage at every level
    for cat in Category.objects.all():
        for stage in Stage.values:
            for level in Level.values:
                assert cat.deadline(stage, level) is not None, (cat.code, stage, level)


def test_report_derives_grid_seals_phone_and_gets_receipt(mesh_scene, safety):
    r = Report(category=safety, description="路灯坏了", location=point(60, 40))
    r.set_phone("13800138000")
    r.save()
    r.refresh_from_db()
    assert (r.grid, r.mesh, r.community) == (mesh_scene["west"], mesh_scene["mesh"], mesh_scene["west"].community)
    assert r.status == Report.Status.NEW and r.level == Level.GRID and r.is_open
    assert b"13800138000" not in bytes(r.phone_sealed)
    assert r.phone() == "13800138000"
    assert len(r.receipt_token) >= 22
    ReportEvent.objects.create(report=r, action="created", status=r.status, level=r.level, reason="扫码上报")
    assert [e.action for e in r.events.all()] == ["created"]


def test_report_outside_every_community_has_no_grid(mesh_scene, safety):
    r = Report.objects.create(category=safety, description="x", location=point(5000, 5000))
    assert r.community is None and r.grid is None


def test_shift_range_is_checked(mesh_scene):
    user = get_user_model().objects.create_user("w1")
    now = timezone.now()
    s = Shift.objects.create(worker=user, starts_at=now, ends_at=now + timedelta(hours=8))
    s.grids.add(mesh_scene["west"])
    assert list(mesh_scene["west"].shifts.all()) == [s]
    with pytest.raises(IntegrityError):
        Shift.objects.create(worker=user, starts_at=now, ends_at=now - timedelta(hours=1))


def test_positions_older_than_24h_are_purged(db):
    users = [get_user_model().objects.create_user(f"w{i}") for i in range(2)]
    now = timezone.now()
    WorkerPosition.objects.create(worker=users[0], location=point(10, 10), at=now - timedelta(hours=25))
    WorkerPosition.objects.create(worker=users[1], location=point(10, 10), at=now - timedelta(hours=1))
    call_command("purge_worker_positions", stdout=open("/dev/null", "w"))
    assert list(WorkerPosition.objects.values_list("worker", flat=True)) == [users[1].pk]


def test_admin_pages_render(admin_client, gate, safety):
    r = Report.objects.create(category=safety, description="x", location=point(60, 40))
    for url in ("/admin/reports/patrolpoint/", f"/admin/reports/patrolpoint/{gate.pk}/change/",
                "/admin/reports/category/", f"/admin/reports/category/{safety.pk}/change/",
                "/admin/reports/report/", f"/admin/reports/report/{r.pk}/change/", "/admin/reports/shift/add/"):
        assert admin_client.get(url).status_code == 200, url


def test_moving_a_grid_boundary_replaces_the_points(gate, mesh_scene):
    from tests.factories import mrect

    west, east = mesh_scene["west"], mesh_scene["east"]
    west.boundary = mrect(0, 0, 50, 200)
    west.save()
    east.boundary = mrect(50, 0, 400, 200)
    east.save()
    gate.refresh_from_db()
    assert gate.grid == east
