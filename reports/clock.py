"""The response clock's queue: timers stored in PostgreSQL, run by `manage.py run_report_clock`
(which also cleans the photos residents upload: reports.photos.clean_pending).

Only PostgreSQL is needed. A due row is claimed with FOR UPDATE SKIP LOCKED and marked done in
the same transaction as its effect, so a crash before commit leaves it pending and a restart
runs it; the version check (reports.escalation) makes a repeated delivery a no-op.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from gis_core import changes
from reports import escalation
from reports.models import ReportTimer

log = logging.getLogger(__name__)


def schedule(timers) -> None:
    ReportTimer.objects.bulk_create(
        ReportTimer(report_id=t.report_id, kind=t.kind, version=t.version, due=t.due) for t in timers
    )


BATCH = 50  # due rows claimed per transaction: one commit (one WAL flush) for the batch


def run_due(limit: int = 100, now=None, batch: int = BATCH) -> int:
    """Run up to `limit` due timers; returns how many were claimed.

    Rows are claimed in batches, earliest first, and fired set-based (reports.escalation: a few
    statements per batch); the done marks are written with one statement, in the same transaction
    as the effects. A failure rolls the whole batch back (it stays pending and runs again; the
    version check keeps what already ran from acting twice)."""
    done = 0
    while done < limit:
        with transaction.atomic():
            rows = list(ReportTimer.objects.select_for_update(skip_locked=True)
                        .filter(done_at=None, due__lte=now or timezone.now())
                        .order_by("due")[:min(batch, limit - done)])
            if not rows:
                return done
            schedule(escalation.fire_batch(rows))
            ReportTimer.objects.filter(pk__in=[r.pk for r in rows]).update(done_at=timezone.now())
        done += len(rows)
    return done


def next_due():
    return ReportTimer.objects.filter(done_at=None).order_by("due").values_list("due", flat=True).first()


@contextmanager
def tombstones_in_background():
    """While the clock runs, the change pipeline's after-commit work (tile tombstones, 3D marks)
    goes to one background thread, in commit order: on a file tile cache it costs ≈1 ms a file,
    ≈18 files a report, which would otherwise hold up the next batch. Waits for it at the end."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clock-after-commit")

    def run(fn):
        try:
            close_old_connections()
            fn()
        except Exception:  # a cache's failure must not stop the clock; the tiles expire anyway
            log.exception("after-commit work failed")

    changes.run_after_commit_with(lambda fn: pool.submit(run, fn))
    try:
        yield
    finally:
        changes.run_after_commit_with(None)
        pool.submit(connections.close_all)  # the thread's own connection, last
        pool.shutdown(wait=True)


def run_once(limit: int = 10_000) -> tuple[int, int]:
    """Every due timer, then every pending photo: (timers, photos)."""
    from reports import photos

    timers, cleaned = run_due(limit=limit), 0
    while n := photos.clean_pending():
        cleaned += n
    return timers, cleaned


def loop(poll_seconds: float = 1.0, stop=lambda: False) -> None:
    """Run due timers and clean pending photos (a few per round, between batches of timers);
    when there is nothing to do, sleep until the next timer is due (at most `poll_seconds`, so
    timers and photos stored meanwhile by the web processes wait no longer than that)."""
    from reports import photos

    while not stop():
        ran = run_due()
        cleaned = photos.clean_pending()
        if ran == 0 and cleaned == 0:
            due = next_due()
            wait = poll_seconds if due is None else (due - timezone.now()).total_seconds()
            time.sleep(min(poll_seconds, max(0.02, wait)))
