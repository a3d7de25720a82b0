"""The clock fires a batch set-based (reports.escalation): the same steps as dispatch.fire one by
one — who, when, why, follow-up deadlines, notifications — the change pipeline told once per batch,
and exactly once with several clock processes sharing the queue."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.roles import grant
from gis_core import changes
from reports import clock, dispatch
from reports.models import CategoryDeadline, Level, Notification, Report, ReportEvent, ReportTimer, Shift, WorkerPosition
from reports.services import create_report
from tests.factories import point

ROOT = Path(__file__).resolve().parents[2]


def _reports(n):
    return [create_report(category_code="safety", location=point(60 + i, 40), description=f"第{i}件") for i in range(n)]


def test_batch_escalates_like_fire_with_events_timers_notifications_and_one_change(mesh_scene):
    admin = get_user_model().objects.create_user("boss")
    grant(admin, "admin")
    reports = _reports(4)
    done_one = reports[3]
    done_one.acknowledged_at = timezone.now()  # ack met: its ack timer is stale by the stage
    done_one.save(update_fields=["acknowledged_at"])
    seen = []
    changes.located_written.connect(lambda sender, change, **kw: seen.append(change), weak=False, dispatch_uid="t")
    try:
        later = timezone.now() + timedelta(minutes=4)  # ack (3 min) overdue, nothing else
        assert clock.run_due(now=later, limit=4) == 4
    finally:
        changes.located_written.disconnect(dispatch_uid="t")
    report_changes = [c for c in seen if c.model == "reports.Report"]
    assert len(report_changes) == 1 and report_changes[0].ids == {r.pk for r in reports[:3]}
    assert report_changes[0].fields >= {"level", "level_since", "version"}
    for r in reports[:3]:
        before = r.version
        r.refresh_from_db()
        assert r.level == Level.COMMUNITY and r.version == before + 1
        e = r.events.get(action="escalated")
        assert (e.actor_id, e.reason, e.level, e.status) == (None, "ack overdue", Level.COMMUNITY, r.status)
        assert abs((r.level_since - e.at).total_seconds()) < 1
        # the new level's deadlines, at the report's new version, from its new level_since
        new = {t.kind: t.due for t in ReportTimer.objects.filter(report=r, version=r.version, done_at=None)}
        assert set(new) == {"ack", "on_site", "resolve"}
        assert new["ack"] == r.level_since + r.category.deadline("ack", Level.COMMUNITY)
        assert Notification.objects.filter(user=admin, report=r, kind="escalated").count() == 1
    done_one.refresh_from_db()
    assert done_one.level == Level.GRID and not done_one.events.filter(action="escalated").exists()


def test_a_report_acts_once_per_batch_and_overdue_at_the_top(mesh_scene):
    r = _reports(1)[0]
    now = timezone.now()
    # Two stages overdue in the same batch: one escalation; the other timer is stale after it.
    ReportTimer.objects.filter(report=r).update(due=now - timedelta(seconds=5))
    clock.run_due(now=now + timedelta(seconds=1))
    r.refresh_from_db()
    assert r.level == Level.COMMUNITY and r.events.filter(action="escalated").count() == 1
    Report.objects.filter(pk=r.pk).update(level=Level.STREET)
    ReportTimer.objects.filter(report=r, version=r.version).update(due=now)
    clock.run_due(now=now + timedelta(seconds=1))
    e = r.events.get(action="overdue")
    assert e.level == Level.STREET and e.reason in ("ack", "on_site", "resolve")
    assert clock.run_due(now=now + timedelta(days=30)) == 0  # no follow-ups at the top


def test_offer_timeouts_in_a_batch_are_offered_to_the_next_worker(mesh_scene):
    users = []
    for name, x in (("a", 61), ("b", 100)):
        u = get_user_model().objects.create_user(name)
        s = Shift.objects.create(worker=u, starts_at=timezone.now() - timedelta(hours=1),
                                 ends_at=timezone.now() + timedelta(hours=7))
        s.grids.add(mesh_scene["west"])
        WorkerPosition.objects.create(worker=u, location=point(x, 40))
        users.append(u)
    r = _reports(1)[0]
    r.refresh_from_db()
    assert r.assignee == users[0]
    clock.run_due(now=timezone.now() + dispatch.offer_timeout() + timedelta(seconds=1), limit=1)
    r.refresh_from_db()
    assert r.assignee == users[1] and r.level == Level.GRID  # re-offered, not escalated
    assert list(r.events.values_list("action", flat=True)).count("offered") == 2


def _env():
    s = connection.settings_dict
    return {**os.environ, "DATABASE_URL": f"postgis://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or ''}:"
                                          f"{s['PORT'] or ''}/{s['NAME']}"}


@pytest.mark.django_db(transaction=True)
def test_two_clock_processes_share_the_queue_exactly_once(mesh_scene):
    reports = _reports(30)
    # Each report climbs to the street office and is marked overdue once, whichever process claims
    # which timer.
    # Deadlines of no time at all: every stage of every report is overdue at once, at every level.
    CategoryDeadline.objects.update(minutes=0)
    ReportTimer.objects.update(due=timezone.now() - timedelta(seconds=1))
    cmd = [sys.executable, "manage.py", "run_report_clock", "--once"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    for r in reports:
        actions = list(ReportEvent.objects.filter(report=r).values_list("action", flat=True))
        assert actions.count("escalated") == 2 and actions.count("overdue") == 1, actions
    assert not ReportTimer.objects.filter(done_at=None, due__lte=timezone.now()).exists()


def test_the_clock_writes_tombstones_after_the_commit_in_its_background_thread(mesh_scene,
                                                                               django_capture_on_commit_callbacks):
    import threading

    r = _reports(1)[0]
    seen = []
    changes.located_changed.connect(
        lambda sender, change, **kw: seen.append((threading.current_thread().name, change.ids)),
        weak=False, dispatch_uid="t-thread")
    try:
        with clock.tombstones_in_background():
            with django_capture_on_commit_callbacks(execute=True):
                clock.run_due(now=timezone.now() + timedelta(minutes=4))
        # leaving the block waited for the thread: the batch's change was delivered there
        assert any(name.startswith("clock-after-commit") and r.pk in ids for name, ids in seen)
        seen.clear()
        with django_capture_on_commit_callbacks(execute=True):  # outside the clock: inline, as before
            Report.objects.get(pk=r.pk).save(update_fields=["description"])
        assert seen and seen[0][0] == threading.current_thread().name
    finally:
        changes.located_changed.disconnect(dispatch_uid="t-thread")
