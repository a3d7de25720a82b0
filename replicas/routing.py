"""Where a read goes: the primary, or a replica for a public read that tolerates a short lag.

A request reads from a replica only if all of these hold:
- it is a GET or HEAD of a public read view (settings.REPLICA_READ_VIEWS: tiles, vacant-room
  search, 3D status and tiles, door QR and kiosk pages) or a public tile of the WSGI fast path;
- it carries no session cookie (signed-in people read their own edits from the primary);
- it carries no read-your-writes mark: any successful write sets a cookie that sends the same
  browser's reads to the primary for REPLICA_READ_YOUR_WRITES_S seconds (a replica may not have
  replayed the write yet);
- a replica is usable (health.py).
The choice lives in a context variable for the length of the request: the database router and
the raw-SQL read paths (read_connection()) both consult it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from replicas import health

WROTE_COOKIE = "uvgis_wrote"
_current: ContextVar[str | None] = ContextVar("replicas_read_alias", default=None)


def current() -> str:
    return _current.get() or DEFAULT_DB_ALIAS


def read_connection():
    """The connection a raw-SQL public read should use in this request."""
    return connections[current()]


@contextmanager
def reading_from(alias: str | None):
    token = _current.set(alias)
    try:
        yield
    finally:
        _current.reset(token)


def wrote_recently(cookies: Mapping[str, str], now: float | None = None) -> bool:
    raw = cookies.get(WROTE_COOKIE)
    if not raw:
        return False
    try:
        return float(raw) > (time.time() if now is None else now)
    except ValueError:
        return True  # a mark we cannot read: be safe, read from the primary


def choose(cookies: Mapping[str, str]) -> str:
    """The alias a public read with these cookies goes to."""
    if not settings.REPLICA_ALIASES:
        return DEFAULT_DB_ALIAS
    if settings.SESSION_COOKIE_NAME in cookies or wrote_recently(cookies):
        return DEFAULT_DB_ALIAS
    return health.pick() or DEFAULT_DB_ALIAS


def parse_cookie_header(header: str) -> dict[str, str]:
    """Cookies of a raw Cookie header (the WSGI fast paths have no request object)."""
    from django.http.cookie import parse_cookie

    return parse_cookie(header) if header else {}


def replayed_at(alias: str) -> float | None:
    """When the last transaction `alias` replayed committed (epoch seconds; the primary's clock)."""
    with connections[alias].cursor() as cur:
        cur.execute("SELECT EXTRACT(EPOCH FROM pg_last_xact_replay_timestamp())")
        value = cur.fetchone()[0]
    return None if value is None else float(value)
