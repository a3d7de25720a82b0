"""Which replicas may serve reads now: up, in recovery (or promoted), and at most
REPLICA_MAX_LAG_S behind the primary.

Lag is measured the way it matters to a reader: if the replica has replayed everything the
primary has written (replay LSN ≥ the primary's current LSN) it is 0 however long ago the last
commit was; otherwise it is the age of the last transaction the replica replayed. While the
primary cannot be asked (it is down), a replica that answers is used as it is: stale reads beat
no reads for the public pages.

State is per process and shared by its threads; each check runs on the calling thread's own
connection (Django connections are per thread), at most once per CHECK_INTERVAL per replica.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

CHECK_INTERVAL = 1.0  # seconds: a dead or lagging replica is skipped within this time
log = logging.getLogger(__name__)

_lock = threading.Lock()
_state: dict[str, tuple[float, bool]] = {}  # alias → (checked at, usable)
_turn = itertools.count()


def aliases() -> list[str]:
    return settings.REPLICA_ALIASES


def _primary_lsn() -> str | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cur:
            cur.execute("SELECT pg_current_wal_lsn()::text")
            return cur.fetchone()[0]
    except DatabaseError:
        connections[DEFAULT_DB_ALIAS].close()
        return None


def lag_seconds(alias: str) -> float | None:
    """How far `alias` is behind the primary, in seconds (0 when caught up); None if it is down."""
    primary = _primary_lsn()
    db = connections[alias]
    try:
        with db.cursor() as cur:
            cur.execute(
                "SELECT pg_is_in_recovery(),"
                " %s::pg_lsn IS NULL OR pg_last_wal_replay_lsn() >= %s::pg_lsn,"
                " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())",
                [primary, primary],
            )
            in_recovery, caught_up, age = cur.fetchone()
    except DatabaseError:
        db.close()
        return None
    if not in_recovery or caught_up:
        return 0.0  # promoted, or nothing left to replay (or the primary is down: use what it has)
    # Behind, and no transaction replayed since it started: how far behind is unknown — skip it.
    return float("inf") if age is None else float(age)


def _check(alias: str) -> bool:
    lag = lag_seconds(alias)
    usable = lag is not None and lag <= settings.REPLICA_MAX_LAG_S
    if not usable:
        log.warning("replica %s skipped: %s", alias, "down" if lag is None else f"{lag:.1f} s behind")
    return usable


def usable(alias: str) -> bool:
    now = time.monotonic()
    checked, ok = _state.get(alias, (float("-inf"), False))
    if now - checked < CHECK_INTERVAL:
        return ok
    with _lock:  # one thread of the process checks; the others use the last answer meanwhile
        checked, ok = _state.get(alias, (float("-inf"), False))
        if now - checked < CHECK_INTERVAL:
            return ok
        _state[alias] = (now, ok)
    ok = _check(alias)
    _state[alias] = (time.monotonic(), ok)
    return ok


def mark_down(alias: str) -> None:
    """A query on `alias` failed: skip it until the next check."""
    _state[alias] = (time.monotonic(), False)
    connections[alias].close()


def pick() -> str | None:
    """A usable replica, taking turns; None when none is."""
    names = aliases()
    if not names:
        return None
    start = next(_turn)
    for i in range(len(names)):
        alias = names[(start + i) % len(names)]
        if usable(alias):
            return alias
    return None


def forget() -> None:
    """Drop what this process knows (tests)."""
    _state.clear()
