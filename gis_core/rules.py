"""Domain rules named once, in every form the product needs them: a Django `Q` for the ORM and an
SQL fragment for the hand-written statements (tiles, grid derivation, planner checks, check-in,
statistics). A test (tests/core/test_rules.py) holds the two forms of each rule together: which
grid is current, which tenancy holds a room, who lives where on a day. (Values derived from one
row — a building's anchor and heights, a camera's HFOV — are generated columns instead.)

"Today" is the community's local calendar day (settings.TIME_ZONE), never the session's UTC date:
a grid replaced at 07:00 in Kunming is replaced on that day, not on the previous one.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

_CURRENT_GRID = "{t}.valid_from <= {d} AND ({t}.valid_to IS NULL OR {t}.valid_to > {d})"
_HOLDING = "{t}.end_date IS NULL"
_LIVING = "{t}.start_date <= {d} AND ({t}.end_date IS NULL OR {t}.end_date > {d})"


def _alias(table_alias: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table_alias):
        raise ValueError(f"not a table alias: {table_alias!r}")
    return table_alias


def current_grid_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """A grid (or mesh) is current on a day if it became valid on or before it and stops after it."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}valid_from__lte": on}) & (Q(**{f"{prefix}valid_to__isnull": True})
                                                     | Q(**{f"{prefix}valid_to__gt": on}))


def current_grid_sql(table_alias: str, day_sql: str) -> str:
    """The same rule as SQL, for the grid table aliased `table_alias` on the day `day_sql` (an SQL
    expression or a placeholder, e.g. "%(today)s")."""
    return _CURRENT_GRID.format(t=_alias(table_alias), d=day_sql)


def holding_tenancy_q(prefix: str = "") -> Q:
    """A tenancy holds its room (the room is let, counts against its capacity, and the person lives
    nowhere else) until it is checked out — whatever its start date: a tenant registered to move in
    tomorrow already holds the room."""
    return Q(**{f"{prefix}end_date__isnull": True})


def holding_tenancy_sql(table_alias: str) -> str:
    """The same rule as SQL, for the tenancy table aliased `table_alias`."""
    return _HOLDING.format(t=_alias(table_alias))


def living_tenancy_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """Someone lives in a room on a day (residents and households counted there) from the tenancy's
    start date until the day it ends."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}start_date__lte": on}) & (Q(**{f"{prefix}end_date__isnull": True})
                                                     | Q(**{f"{prefix}end_date__gt": on}))


def living_tenancy_sql(table_alias: str, day_sql: str) -> str:
    """The same rule as SQL, on the day `day_sql` (an SQL expression or a placeholder)."""
    return _LIVING.format(t=_alias(table_alias), d=day_sql)


def local_today_sql() -> str:
    """The local calendar day as an SQL expression evaluated by the database at query time (for
    statements prepared once and run on many days, such as the tile statements)."""
    zone = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):  # a zoneinfo name: nothing to quote
        raise ValueError(f"TIME_ZONE {zone!r} is not a zone name")
    return f"(now() AT TIME ZONE '{zone}')::date"


def local_date_sql(column_sql: str) -> str:
    """The local calendar day of a timestamptz column (fixed code, e.g. "t.created_at"), to compare
    with local_today_sql(): a report's age in days changes at local midnight, when tiles expire."""
    zone = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):
        raise ValueError(f"TIME_ZONE {zone!r} is not a zone name")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", column_sql):
        raise ValueError(f"not a column: {column_sql!r}")
    return f"({column_sql} AT TIME ZONE '{zone}')::date"


def seconds_to_local_midnight(now: dt.datetime | None = None) -> int:
    """How long what depends on today's date (which grids are current) stays true."""
    local = timezone.localtime(now)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))
