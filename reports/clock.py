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


BATCH = 50  # due rows claimed per transaction: one commit (one WAL flush) for the batch


def run_due(limit: int = 100, now=None, batch: int = BATCH) -> int:
    """Run up to `limit` due timers; returns how many were claimed.

    Rows are claimed in batches, earliest first; each runs in its own savepoint and the batch's
    follow-up timers and done marks are written with one statement each, in the same transaction
    as the effects. A failure rolls the whole batch back (it stays pending and runs again; the
    version check keeps the fires that already ran from acting twice)."""
    done = 0
    while done < limit:
        with transaction.atomic():
            rows = list(ReportTimer.objects.select_for_update(skip_locked=True)
                        .filter(done_at=None, due__lte=now or timezone.now())
                        .order_by("due")[:min(batch, limit - done)])
            if not rows:
                return done
            follow = []
            for row in rows:  # fire() runs in its own savepoint
                follow += dispatch.fire(dispatch.Timer(row.report_id, row.kind, row.version, row.due))
            schedule(follow)
            ReportTimer.objects.filter(pk__in=[r.pk for r in rows]).update(done_at=timezone.now())
        done += len(rows)
    return done


def next_due():
    return ReportTimer.objects.filter(done_at=None).order_by("due").values_list("due", flat=True).first()


def loop(poll_seconds: float = 1.0, stop=lambda: False) -> None:
    """Run due timers; when none is due, sleep until the next one (at most `poll_seconds`, so
    timers scheduled meanwhile by the web processes wait no longer than that)."""
    while not stop():
        if run_due() == 0:
            due = next_due()
            wait = poll_seconds if due is None else (due - timezone.now()).total_seconds()
            time.sleep(min(poll_seconds, max(0.02, wait)))
