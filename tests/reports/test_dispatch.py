"""Dispatch: KNN to the nearest on-duty worker, re-offer on timeout, escalation exactly once."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gis_core.errors import Conflict
from reports import dispatch
from reports.models import Level, Report, Shift, WorkerPosition
from reports.services import create_report
from tests.factories import point


def worker(name, grid, at=None, *, on_duty=True):
    u = get_user_model().objects.create_user(name)
    now = timezone.now()
    start = now - timedelta(hours=1) if on_duty else now + timedelta(hours=1)
    s = Shift.objects.create(worker=u, starts_at=start, ends_at=start + timedelta(hours=8))
    s.grids.add(grid)
    if at:
        WorkerPosition.objects.create(worker=u, location=point(*at))
    return u


@pytest.fixture
def report(mesh_scene):
    return create_report(category_code="safety", location=point(60, 40), description="有人打架")


def test_knn_picks_nearest_on_duty_worker_of_the_grid(mesh_scene, report):
    west, east = mesh_scene["west"], mesh_scene["east"]
    worker("far", west, (190, 190))
    near = worker("near", west, (70, 45))
    worker("off", west, (61, 40), on_duty=False)
    worker("other-grid", east, (62, 40))
    worker("no-position", west)
    assert dispatch.nearest_worker(report) == near
    timers = dispatch.offer(report)
    report.refresh_from_db()
    assert report.assignee == near and report.status == Report.Status.OFFERED
    assert {t.kind for t in timers} == {"offer", "ack", "on_site", "resolve"}


def test_fallback_to_grid_responsible_person(mesh_scene, report):
    mesh_scene["west"].responsible_person = "张网格"
    mesh_scene["west"].save()
    report.refresh_from_db()
    dispatch.offer(report)
    report.refresh_from_db()
    assert report.assignee is None and report.events.last().action == "fallback"
    assert report.events.last().reason == "张网格"


def test_reoffer_to_next_worker_on_timeout_and_stale_timer_is_ignored(mesh_scene, report):
    first = worker("a", mesh_scene["west"], (61, 40))
    second = worker("b", mesh_scene["west"], (100, 40))
    offer_timer = [t for t in dispatch.offer(report) if t.kind == "offer"][0]
    dispatch.fire(offer_timer)
    report.refresh_from_db()
    assert report.assignee == second
    assert dispatch.fire(offer_timer) == []  # the same timer again: nothing happens
    report.refresh_from_db()
    assert report.assignee == second
    assert list(report.events.values_list("action", flat=True)).count("offered") == 2
    with pytest.raises(Conflict):
        dispatch.accept(report, first)
    dispatch.accept(report, second)
    report.refresh_from_db()
    assert report.status == Report.Status.ACCEPTED and report.acknowledged_at


def test_escalation_walks_grid_community_street_once_each(mesh_scene, report):
    report.refresh_from_db()
    timers = dispatch.offer(report)
    ack = [t for t in timers if t.kind == "ack"][0]
    assert ack.due == report.level_since + timedelta(minutes=3)
    levels = []
    for _ in range(3):
        new = dispatch.fire(ack)
        assert dispatch.fire(ack) == []  # delivered twice: exactly once
        report.refresh_from_db()
        levels.append(report.level)
        ack = next((t for t in new if t.kind == "ack"), ack)
    assert levels == [Level.COMMUNITY, Level.STREET, Level.STREET]
    actions = list(report.events.values_list("action", flat=True))
    assert actions.count("escalated") == 2 and actions.count("overdue") == 1


def test_met_stage_does_not_escalate(mesh_scene, report):
    w = worker("a", mesh_scene["west"], (61, 40))
    timers = dispatch.offer(report)
    after_accept = dispatch.accept(report, w)
    assert "ack" not in {t.kind for t in after_accept}
    on_site = [t for t in after_accept if t.kind == "on_site"][0]
    stale_ack = [t for t in timers if t.kind == "ack"][0]
    assert dispatch.fire(stale_ack) == []
    dispatch.fire(on_site)
    report.refresh_from_db()
    assert report.level == Level.COMMUNITY
