"""Handling by the assignee and the reporter's verdict (核查)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gis_core.errors import BadRequest, Conflict
from reports import dispatch
from reports.models import Report, Shift, WorkerPosition
from reports.services import create_report
from tests.factories import point


@pytest.fixture
def offered(mesh_scene):
    w = get_user_model().objects.create_user("w")
    s = Shift.objects.create(worker=w, starts_at=timezone.now() - timedelta(hours=1),
                             ends_at=timezone.now() + timedelta(hours=7))
    s.grids.add(mesh_scene["west"])
    WorkerPosition.objects.create(worker=w, location=point(70, 40))
    r = create_report(category_code="sanitation", location=point(60, 40), description="垃圾")
    r.refresh_from_db()
    assert r.assignee == w and r.status == Report.Status.OFFERED
    return r, w


def test_accept_on_the_way_arrive_resolve_confirm(offered):
    r, w = offered
    dispatch.accept(r, w)
    dispatch.step(r, w, "on_the_way")
    with pytest.raises(Conflict):
        dispatch.step(r, w, "resolved")  # not on site yet
    dispatch.step(r, w, "arrived", location=point(61, 40))
    dispatch.step(r, w, "resolved")
    dispatch.reporter_verdict(r, confirm=True)
    r.refresh_from_db()
    assert r.status == Report.Status.CLOSED and r.on_site_at and r.resolved_at
    arrived = r.events.get(action="arrived")
    assert arrived.location is not None and arrived.actor == w
    assert list(r.events.values_list("action", flat=True))[-5:] == ["accepted", "on_the_way", "arrived", "resolved",
                                                                    "confirmed"]


def test_unresolvable_needs_a_reason_and_reopen_redispatches(offered):
    r, w = offered
    dispatch.accept(r, w)
    with pytest.raises(BadRequest):
        dispatch.step(r, w, "unresolvable", reason=" ")
    dispatch.step(r, w, "arrived")
    dispatch.step(r, w, "resolved")
    dispatch.reporter_verdict(r, confirm=False, reason="还没清理")
    r.refresh_from_db()
    assert r.status == Report.Status.OFFERED and r.resolved_at is None
    Report.objects.filter(pk=r.pk).update(status=Report.Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=4))
    with pytest.raises(Conflict):
        dispatch.reporter_verdict(r, confirm=True)


def test_only_the_assignee_moves_it(offered):
    r, w = offered
    dispatch.accept(r, w)
    other = get_user_model().objects.create_user("x")
    with pytest.raises(Conflict):
        dispatch.step(r, other, "arrived")
