"""The clock's queue: timers in PostgreSQL survive a stopped worker and run exactly once."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from reports import clock
from reports.models import Level, Report, ReportTimer
from reports.services import create_report
from tests.factories import point

ROOT = Path(__file__).resolve().parents[2]


def test_due_timers_run_once_and_follow_ups_are_queued(mesh_scene):
    r = create_report(category_code="safety", location=point(60, 40), description="x")  # dispatched, clock set
    assert r.events.last().action == "fallback"  # nobody on duty
    later = timezone.now() + timedelta(minutes=4)  # ack (3 min) overdue, on-site (10 min) not yet
    assert clock.run_due(now=later, limit=1) == 1
    r.refresh_from_db()
    assert r.level == Level.COMMUNITY
    assert list(r.events.values_list("action", flat=True)).count("escalated") == 1
    # the level's new ack timer is queued, the old on-site/resolve timers are stale
    pending = ReportTimer.objects.filter(done_at=None)
    assert {t.kind for t in pending if t.version == r.version} == {"ack", "on_site", "resolve"}


def _worker_env():
    s = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (f"postgis://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or ''}:{s['PORT'] or ''}"
                           f"/{s['NAME']}")
    return env


@pytest.mark.django_db(transaction=True)
def test_stopped_worker_catches_up_exactly_once_across_restarts(mesh_scene):
    r = create_report(category_code="safety", location=point(60, 40), description="x")
    # No worker runs while the deadline passes: move the stored ack timer into the past.
    assert ReportTimer.objects.filter(report=r, kind="ack").update(due=timezone.now() - timedelta(seconds=1)) == 1
    cmd = [sys.executable, "manage.py", "run_report_clock", "--once"]
    for _ in range(2):  # started, then restarted: the second run finds nothing to do
        out = subprocess.run(cmd, cwd=ROOT, env=_worker_env(), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    r.refresh_from_db()
    assert r.level == Level.COMMUNITY
    assert list(r.events.values_list("action", flat=True)).count("escalated") == 1
    assert Report.objects.get(pk=r.pk).version == r.version


def test_batches_run_each_due_timer_once(mesh_scene):
    """Due rows are claimed in batches; each step of each report happens once however the batches fall."""
    reports = [create_report(category_code="safety", location=point(60 + i, 40), description=f"第{i}件")
               for i in range(5)]
    later = timezone.now() + timedelta(minutes=4)
    # ack overdue at grid level (3 min); the community's new ack deadline (3 min from now) is
    # before `later` too, so each report climbs to the street office, then is marked overdue.
    assert clock.run_due(now=later, batch=2) == 5 * 3
    for r in reports:
        r.refresh_from_db()
        assert r.level == Level.STREET
        actions = list(r.events.values_list("action", flat=True))
        assert actions.count("escalated") == 2 and actions.count("overdue") == 1
    assert clock.run_due(now=later, batch=2) == 0
