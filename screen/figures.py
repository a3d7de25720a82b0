"""The screen's live figures for one community: counts only, nothing personal.

Per grid and in total: rooms vacant and let, registrations today and this week (tenancies
registered since local midnight / Monday, from the counters of screen.models.RegistrationCount), open and overdue resident reports (when a source of
reports is enabled), camera coverage at Observe, and the safety colour (only where published).
Five small statements, each reaching the community's rows through an index; the result is kept
per community for SCREEN_CACHE_SECONDS (screen/views.py) and cleared by edits in this process.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from coverage.models import QualityLevel
from gis_core.models import Community
from gis_core.rules import current_grid_sql
from safety.public import published
from safety.sources import enabled_sources

CACHE_PREFIX = "screen:figures:"
OBSERVE_PPM = 62.5  # EN 62676-4 "Observe"; in the newer table, the first level at least this fine


def observe_level() -> QualityLevel | None:
    return (QualityLevel.objects.filter(table__code=settings.COVERAGE_QUALITY_TABLE, ppm__gte=OBSERVE_PPM)
            .order_by("ppm").first())


def _rows(cur, query: str, params) -> list[tuple]:
    cur.execute(query, params)
    return cur.fetchall()


def compute(community: Community, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    local = timezone.localtime(now)
    midnight = datetime.combine(local.date(), time(), tzinfo=local.tzinfo)
    monday = midnight - timedelta(days=local.weekday())
    level = observe_level()
    current = current_grid_sql("g", "%(today)s")
    p = {"c": community.pk, "today": local.date(), "midnight": midnight, "monday": monday,
         "level": level.pk if level else None}
    with connection.cursor() as cur:
        grids = _rows(cur, "SELECT g.id, g.code, g.name FROM gis_core_grid g WHERE g.community_id = %(c)s"
                           f" AND g.level = 'grid' AND {current} ORDER BY g.code", p)
        rooms = dict((gid, (vac, let)) for gid, vac, let in _rows(cur, (
            # vacant and let rooms are counted on the building (the rooms' trigger keeps both)
            "SELECT b.grid_id, sum(b.vacant_count)::int, sum(b.let_count)::int FROM buildings_building b"
            " WHERE b.community_id = %(c)s GROUP BY b.grid_id"), p))
        # from the counts the tenancy triggers keep per building and quarter hour (screen.models)
        regs = {gid: (today, week) for gid, today, week in _rows(cur, (
            "SELECT b.grid_id, coalesce(sum(n.n) FILTER (WHERE n.quarter >= %(midnight)s), 0)::int, sum(n.n)::int"
            " FROM screen_registrationcount n JOIN buildings_building b ON b.id = n.building_id"
            " WHERE n.community_id = %(c)s AND n.quarter >= %(monday)s GROUP BY b.grid_id"), p)}
        coverage = {gid: (open_m2, covered) for gid, open_m2, covered in _rows(cur, (
            "SELECT a.area_id, a.open_m2, a.covered_m2 FROM coverage_areacoverage a"
            " JOIN gis_core_grid g ON g.id = a.area_id WHERE g.community_id = %(c)s AND g.level = 'grid'"
            " AND a.level_id = %(level)s::bigint"), p)}
        reports = None
        open_sources = [s for s in enabled_sources() if s.open_sql()]
        if open_sources:
            union = " UNION ALL ".join(f"SELECT s.grid_id, s.overdue FROM ({s.open_sql()}) s WHERE s.community_id = %(c)s"
                                       for s in open_sources)
            reports = {gid: (n, late) for gid, n, late in _rows(cur, (
                f"SELECT o.grid_id, count(*)::int, count(*) FILTER (WHERE o.overdue)::int FROM ({union}) o"
                " GROUP BY o.grid_id"), p)}
        colours, month = {}, None
        if published(community):
            for gid, colour, m in _rows(cur, (
                    "SELECT DISTINCT ON (r.grid_id) r.grid_id, r.colour, r.month FROM safety_rating r"
                    " JOIN safety_ruleset s ON s.id = r.rule_set_id AND s.published"
                    " WHERE r.community_id = %(c)s AND r.level = 'grid' ORDER BY r.grid_id, r.month DESC"), p):
                colours[gid] = colour
                month = max(month, m) if month else m
    out_grids = []
    for gid, code, name in grids:
        vac, let = rooms.get(gid, (0, 0))
        today, week = regs.get(gid, (0, 0))
        open_m2, covered = coverage.get(gid, (None, None))
        row = {"code": code, "name": name, "vacant": vac, "let": let, "registrations_today": today,
               "registrations_week": week,
               "coverage_pct": round(100 * covered / open_m2, 1) if open_m2 else None,
               "colour": colours.get(gid)}
        if reports is not None:
            row["reports_open"], row["reports_overdue"] = reports.get(gid, (0, 0))
        out_grids.append(row)
    open_total = sum(o for o, _c in coverage.values())
    totals = {
        "vacant": sum(v for v, _l in rooms.values()), "let": sum(lt for _v, lt in rooms.values()),
        "registrations_today": sum(t for t, _w in regs.values()), "registrations_week": sum(w for _t, w in regs.values()),
        "coverage_pct": round(100 * sum(c for _o, c in coverage.values()) / open_total, 1) if open_total else None,
        "reports_open": sum(n for n, _l in reports.values()) if reports is not None else None,
        "reports_overdue": sum(lt for _n, lt in reports.values()) if reports is not None else None,
        "safety": ({c: sum(1 for v in colours.values() if v == c) for c in ("red", "yellow", "green")}
                   if colours else None),
    }
    return {"community": {"code": community.code, "name": community.name},
            "coverage_level": level.name if level else None, "safety_month": month.strftime("%Y-%m") if month else None,
            "totals": totals, "grids": out_grids}


_cached: set[str] = set()  # community codes this process has figures of


def payload(community: Community) -> tuple[bytes, str]:
    """(JSON bytes, ETag) from the per-community cache, computed when missing."""
    key = CACHE_PREFIX + community.code
    _cached.add(community.code)
    hit = cache.get(key)
    if hit is None:
        body = json.dumps(compute(community), ensure_ascii=False, separators=(",", ":")).encode()
        hit = (body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')
        cache.set(key, hit, settings.SCREEN_CACHE_SECONDS)
    return hit


def forget_all() -> None:
    cache.delete_many([CACHE_PREFIX + c for c in list(_cached)])
