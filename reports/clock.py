"""The response clock's queue: timers stored in PostgreSQL, run by `manage.py run_report_clock`.

Only PostgreSQL is needed. A due row is claimed with FOR UPDATE SKIP LOCKED and marked done in
the same transaction as its effect, so a crash before commit leaves it pending and a restart
runs it; dispatch.fire's version check makes a repeated delivery a no-op.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from reports import dispatch
from reports.models import ReportTimer


def schedule(timers) -> None:
    ReportTimer.objects.bulk_create(
        ReportTimer(report_id=t.report_id, kind=t.kind, version=t.version, due=t.due) for t in timers
    )


def run_due(limit: int = 100, now=None) -> int:
    """Run up to `limit` due timers; returns how many were claimed."""
    done = 0
    while done < limit:
        with transaction.atomic():
            row = (ReportTimer.objects.select_for_update(skip_locked=True)
                   .filter(done_at=None, due__lte=now or timezone.now()).order_by("due").first())
            if row is None:
                return done
            follow = dispatch.fire(dispatch.Timer(row.report_id, row.kind, row.version, row.due))
            schedule(follow)
            row.done_at = timezone.now()
            row.save(update_fields=["done_at"])
        done += 1
    return done


def loop(poll_seconds: float = 1.0, stop=lambda: False) -> None:
    while not stop():
        if run_due() == 0:
            time.sleep(poll_seconds)
