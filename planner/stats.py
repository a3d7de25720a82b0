"""Grid statistics: buildings, rooms, households (rooms with someone living there) and residents
(open tenancies) per grid or mesh — counts only, never who.

Counting a grid from scratch walks every room and tenancy in it (a 2,000-building grid: ~20,000
rooms and tenancies). A boundary edit changes the counts only by the buildings that changed grid,
usually a few dozen: so a save adjusts the stored counts by exactly those buildings, and a full
count runs only when the stored one is older than MAX_AGE (check-ins and check-outs elsewhere do
not touch grid statistics) or missing.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from gis_core.rules import living_tenancy_sql

MAX_AGE = timedelta(minutes=10)
FIELDS = ("buildings", "rooms", "households", "residents")
ZERO = dict.fromkeys(FIELDS, 0)

_ACTIVE = living_tenancy_sql("t", "%(today)s")  # who lives there today (gis_core/rules.py)

_FULL_SQL = f"""
WITH target AS (SELECT id, level, boundary FROM gis_core_grid WHERE id = ANY(%(ids)s)),
bs AS (SELECT t.id AS gid, b.id AS bid, b.room_count FROM target t JOIN buildings_building b ON b.grid_id = t.id
       WHERE t.level = 'grid'
       UNION ALL
       SELECT t.id, b.id, b.room_count FROM target t JOIN buildings_building b ON b.mesh_id = t.id WHERE t.level = 'mesh'),
ts AS (SELECT bs.gid, t.room_id FROM bs JOIN buildings_room r ON r.building_id = bs.bid
       JOIN residents_tenancy t ON t.room_id = r.id WHERE {_ACTIVE})
INSERT INTO planner_gridstats (grid_id, area_m2, buildings, rooms, households, residents, updated_at, counted_at)
SELECT t.id, ST_Area(t.boundary::geography),
       COALESCE((SELECT count(*) FROM bs WHERE bs.gid = t.id), 0),
       COALESCE((SELECT sum(room_count) FROM bs WHERE bs.gid = t.id), 0),
       COALESCE((SELECT count(DISTINCT room_id) FROM ts WHERE ts.gid = t.id), 0),
       COALESCE((SELECT count(*) FROM ts WHERE ts.gid = t.id), 0),
       now(), now()
FROM target t
ON CONFLICT (grid_id) DO UPDATE SET area_m2 = EXCLUDED.area_m2, buildings = EXCLUDED.buildings,
    rooms = EXCLUDED.rooms, households = EXCLUDED.households, residents = EXCLUDED.residents,
    updated_at = EXCLUDED.updated_at, counted_at = EXCLUDED.counted_at
"""

_PER_BUILDING_SQL = f"""
SELECT b.id, b.room_count,
       (SELECT count(DISTINCT t.room_id) FROM buildings_room r JOIN residents_tenancy t ON t.room_id = r.id
        WHERE r.building_id = b.id AND {_ACTIVE}),
       (SELECT count(*) FROM buildings_room r JOIN residents_tenancy t ON t.room_id = r.id
        WHERE r.building_id = b.id AND {_ACTIVE})
FROM buildings_building b WHERE b.id = ANY(%(ids)s)
"""


def recompute(grid_ids) -> None:
    """Count these grids from scratch (rooms from the buildings' maintained room counters)."""
    ids = sorted({i for i in grid_ids if i})
    if ids:
        with connection.cursor() as cur:
            cur.execute(_FULL_SQL, {"ids": ids, "today": timezone.localdate()})


# Within one edit (planner.services runs each in `memo()`), a building's rooms and tenancies do not
# change: the counts the validation took for the moving buildings serve the statistics update too.
_memo: ContextVar[dict | None] = ContextVar("planner_building_counts", default=None)


@contextmanager
def memo():
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def per_building(ids) -> dict[int, dict]:
    ids = sorted(set(ids))
    cache = _memo.get()
    missing = [i for i in ids if cache is None or i not in cache]
    found = {}
    if missing:
        with connection.cursor() as cur:
            cur.execute(_PER_BUILDING_SQL, {"ids": missing, "today": timezone.localdate()})
            found = {r[0]: {"buildings": 1, "rooms": r[1], "households": r[2], "residents": r[3]}
                     for r in cur.fetchall()}
    if cache is None:
        return found
    cache.update(found)
    return {i: cache[i] for i in ids if i in cache}


def total(ids, counts: dict[int, dict] | None = None) -> dict:
    counts = per_building(ids) if counts is None else counts
    out = dict(ZERO)
    for i in ids:
        for f in FIELDS:
            out[f] += counts.get(i, ZERO)[f]
    return out


def _fresh_ids(grid_ids) -> set[int]:
    from planner.models import GridStats

    limit = timezone.now() - MAX_AGE
    return set(GridStats.objects.filter(grid_id__in=list(grid_ids), counted_at__gte=limit)
               .values_list("grid_id", flat=True))


def current(grid_id: int) -> dict:
    """The grid's counts now: stored ones when fresh, otherwise counted (and stored)."""
    from planner.models import GridStats

    if grid_id not in _fresh_ids([grid_id]):
        recompute([grid_id])
    s = GridStats.objects.get(grid_id=grid_id)
    return {f: getattr(s, f) for f in FIELDS}


def after_moves(grids, moved: list[dict]) -> None:
    """After a save: grids whose stored counts are fresh are adjusted by the buildings that left or
    entered them (and get their new area); the others are counted from scratch."""
    touched = {g for g in grids if g}
    for m in moved:
        touched |= {m[k] for k in ("from_grid_id", "to_grid_id", "from_mesh_id", "to_mesh_id") if m[k]}
    fresh = _fresh_ids(touched)
    recompute(touched - fresh)
    if not fresh:
        return
    counts = per_building([m["id"] for m in moved])
    delta: dict[int, dict] = defaultdict(lambda: dict(ZERO))
    for m in moved:
        c = counts.get(m["id"], ZERO)
        for old, new in (("from_grid_id", "to_grid_id"), ("from_mesh_id", "to_mesh_id")):
            if m[old] == m[new]:
                continue
            for f in FIELDS:
                if m[old]:
                    delta[m[old]][f] -= c[f]
                if m[new]:
                    delta[m[new]][f] += c[f]
    rows = [(gid, *(delta[gid][f] for f in FIELDS)) for gid in sorted(fresh)]
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE planner_gridstats s SET buildings = s.buildings + d.b, rooms = s.rooms + d.r,"
            " households = s.households + d.h, residents = s.residents + d.p,"
            " area_m2 = ST_Area(g.boundary::geography), updated_at = now()"
            " FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], %s::int[]) AS d(id, b, r, h, p), gis_core_grid g"
            " WHERE s.grid_id = d.id AND g.id = d.id",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
             [r[4] for r in rows]])
