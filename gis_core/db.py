"""Database helpers shared by the hot paths."""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def prepared_cursor(alias: str = DEFAULT_DB_ALIAS):
    """A cursor whose statements are prepared on first use per connection (psycopg's
    prepare_threshold=0) and reused by name afterwards: no parse and plan per call.

    Only for statements whose plan does not depend on the values, such as look-ups by key or
    tile envelopes. Not project-wide: a prepared statement can switch to a generic plan, which for
    range filters (rent between …) is far slower (project/settings.py).

    Re-entrant: inside an outer `with prepared_cursor()` the same cursor is handed out again, so
    a request of many small statements (a kiosk reading) creates one cursor, not one per statement.
    `alias`: the database to run on (a read replica for public tiles, replicas/routing.py).
    """
    # The thread's connection looked up once: every attribute read through django.db.connection
    # is a context-local look-up (≈3 µs, several times that with the CPU caches cold after a
    # query), and this runs for every tile.
    db = connections[alias]
    held = getattr(db, "_gis_prepared_cursor", None)
    if held is not None:
        yield held
        return
    db.ensure_connection()
    raw = db.connection
    before = raw.prepare_threshold
    # Behind a transaction-mode pooler the next statement may run on another server connection,
    # where a statement prepared on this one does not exist (settings.DATABASE_POOLER).
    raw.prepare_threshold = None if settings.DATABASE_POOLER == "transaction" else 0
    try:
        with db.cursor() as cur:
            db._gis_prepared_cursor = cur
            try:
                yield cur
            finally:
                db._gis_prepared_cursor = None
    finally:
        raw.prepare_threshold = before


def release_connection(alias: str = DEFAULT_DB_ALIAS) -> None:
    """After a request answered before Django's handler (tiles/fastpath.py, kiosk/fastpath.py):
    close the thread's connection when it is broken or past CONN_MAX_AGE, as Django does when a
    request finishes — but without arming Django's per-request health check (CONN_HEALTH_CHECKS),
    a `SELECT 1` round trip that would cost more than a cached tile."""
    db = connections[alias]
    if db.connection is None or db.in_atomic_block:  # (a test's transaction)
        return
    if db.errors_occurred or not db.autocommit:  # (connected: get_autocommit() without its checks)
        db.close_if_unusable_or_obsolete()
    elif db.close_at is not None and time.monotonic() >= db.close_at:
        db.close()
