"""Domain rules named once, in every form the product needs them: a Django `Q` for the ORM and an
SQL fragment for the hand-written statements (tiles, grid derivation, planner checks). A test
(tests/core/test_rules.py) holds the two forms of each rule together.

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


def current_grid_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """A grid (or mesh) is current on a day if it became valid on or before it and stops after it."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}valid_from__lte": on}) & (Q(**{f"{prefix}valid_to__isnull": True})
                                                     | Q(**{f"{prefix}valid_to__gt": on}))


def current_grid_sql(table_alias: str, day_sql: str) -> str:
    """The same rule as SQL, for the grid table aliased `table_alias` on the day `day_sql` (an SQL
    expression or a placeholder, e.g. "%(today)s")."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table_alias):
        raise ValueError(f"not a table alias: {table_alias!r}")
    return _CURRENT_GRID.format(t=table_alias, d=day_sql)


def local_today_sql() -> str:
    """The local calendar day as an SQL expression evaluated by the database at query time (for
    statements prepared once and run on many days, such as the tile statements)."""
    zone = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):  # a zoneinfo name: nothing to quote
        raise ValueError(f"TIME_ZONE {zone!r} is not a zone name")
    return f"(now() AT TIME ZONE '{zone}')::date"


def seconds_to_local_midnight(now: dt.datetime | None = None) -> int:
    """How long what depends on today's date (which grids are current) stays true."""
    local = timezone.localtime(now)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))
