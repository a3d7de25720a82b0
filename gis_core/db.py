"""Database helpers shared by the hot paths."""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.db import connection


@contextmanager
def prepared_cursor():
    """A cursor whose statements are prepared on first use per connection (psycopg's
    prepare_threshold=0) and reused by name afterwards: no parse and plan per call.

    Only for statements whose plan does not depend on the values, such as look-ups by key or
    tile envelopes. Not project-wide: a prepared statement can switch to a generic plan, which for
    range filters (rent between …) is far slower (gis_core/settings.py).

    Re-entrant: inside an outer `with prepared_cursor()` the same cursor is handed out again, so
    a request of many small statements (a kiosk reading) creates one cursor, not one per statement.
    """
    held = getattr(connection, "_gis_prepared_cursor", None)
    if held is not None:
        yield held
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        with connection.cursor() as cur:
            connection._gis_prepared_cursor = cur
            try:
                yield cur
            finally:
                connection._gis_prepared_cursor = None
    finally:
        raw.prepare_threshold = before


def release_connection() -> None:
    """After a request answered before Django's handler (tiles/fastpath.py, kiosk/fastpath.py):
    close the thread's connection when it is broken or past CONN_MAX_AGE, as Django does when a
    request finishes — but without arming Django's per-request health check (CONN_HEALTH_CHECKS),
    a `SELECT 1` round trip that would cost more than a cached tile."""
    if connection.connection is None or connection.in_atomic_block:  # (a test's transaction)
        return
    if connection.errors_occurred or connection.get_autocommit() is False:
        connection.close_if_unusable_or_obsolete()
    elif connection.close_at is not None and time.monotonic() >= connection.close_at:
        connection.close()
