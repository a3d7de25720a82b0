"""Rating as one set-based statement per rule set: every place of every community the rule set
covers, for one month, in a single SQL statement (no loop over grids).

The statement gathers, per place (grid, mesh or building, each keyed by one bigint: a grid's id,
minus a building's id), in one pass over each table:

* residents — tenants whose tenancy holds on the rating day (the month's last day, or today);
  per let room also whether every tenant was registered within the deadline;
* incidents of every enabled source (safety/sources.py) in the window, counted per category and
  weighted by the rule set's weights;
* coverage at the rule set's quality level (coverage app), reports that missed a deadline.

Each term gives a level (0 green, 1 yellow, 2 red; NULL when the term is off or has no data) and
the colour is the worst level. Figures are rounded to the precision of the thresholds before
they are compared, so the figure a person reads decides the colour: a rate shown as 1.000 is
red under "red at 1.000".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql

from gis_core.rules import current_grid_sql
from safety.models import COLOURS, Level
from safety.sources import enabled_sources

TERMS = ("incidents", "coverage", "registered", "overdue")


@dataclass
class Spec:
    """What the statement needs from a rule set (saved or, for the preview, not yet saved)."""

    rule_set_id: int | None
    grid_kinds: list[str]
    rate_meshes: bool
    rate_buildings: bool
    window_days: int
    default_weight: Decimal
    weights: list[tuple[str, str, Decimal]]
    min_residents: int
    yellow_at: Decimal
    red_at: Decimal
    coverage_level_id: int | None = None
    coverage_yellow_below: Decimal | None = None
    coverage_red_below: Decimal | None = None
    registration_days: int = 3
    registered_yellow_below: Decimal | None = None
    registered_red_below: Decimal | None = None
    overdue_yellow_at: int | None = None
    overdue_red_at: int | None = None
    sources: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, rule_set, weights=None) -> Spec:
        """From a RuleSet; `weights` (source, category, weight) replaces its stored weights."""
        if weights is None:
            weights = list(rule_set.weights.values_list("source", "category", "weight")) if rule_set.pk else []
        return cls(
            rule_set_id=rule_set.pk, grid_kinds=list(rule_set.grid_kinds), rate_meshes=rule_set.rate_meshes,
            rate_buildings=rule_set.rate_buildings, window_days=rule_set.window_days,
            default_weight=Decimal(rule_set.default_weight), weights=[(s, c, Decimal(w)) for s, c, w in weights],
            min_residents=rule_set.min_residents, yellow_at=Decimal(rule_set.yellow_at),
            red_at=Decimal(rule_set.red_at), coverage_level_id=rule_set.coverage_level_id,
            coverage_yellow_below=rule_set.coverage_yellow_below, coverage_red_below=rule_set.coverage_red_below,
            registration_days=rule_set.registration_days,
            registered_yellow_below=rule_set.registered_yellow_below,
            registered_red_below=rule_set.registered_red_below,
            overdue_yellow_at=rule_set.overdue_yellow_at, overdue_red_at=rule_set.overdue_red_at,
            sources=[s.key for s in enabled_sources()],
        )

    def snapshot(self) -> dict:
        """The rules as kept with each rating (history explains itself after the rules change)."""
        out = asdict(self)
        out["weights"] = [[s, c, str(w)] for s, c, w in self.weights]
        return json.loads(json.dumps(out, default=str))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Window:
    month: date
    start: datetime
    end: datetime
    day: date  # the day residents are counted on


def window_for(month: date, days: int, now: datetime | None = None) -> Window:
    """The `days` before the end of `month` (local calendar); for the month in progress, before now."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    end = datetime.combine(next_month(month), time(), tzinfo=tz)
    if end > now:
        end = now
    start = end - timedelta(days=days)
    day = timezone.localtime(end - timedelta(microseconds=1)).date()
    return Window(month, start, end, day)


# --- the statement ------------------------------------------------------------------------------


def _keyed(cols: list[tuple[str, str]]) -> tuple[str, str]:
    """(key expression, GROUPING SETS list) for grouping by each of `cols` separately.

    `cols` are (column, sign) pairs: sign '' for grids and meshes, '-' for buildings, so that one
    bigint keys every kind of place."""
    exprs = [c for c, _s in cols]
    sets = ", ".join(f"({c})" for c in exprs)
    if len(cols) == 1:
        return f"{cols[0][1]}{cols[0][0]}", sets
    n = len(cols)
    whens = " ".join(f"WHEN {((1 << n) - 1) & ~(1 << (n - 1 - i))} THEN {s}{c}" for i, (c, s) in enumerate(cols))
    return f"(CASE GROUPING({', '.join(exprs)}) {whens} END)", sets


def _place_cols(spec: Spec, alias: str, building_col: str = "building_id") -> list[tuple[str, str]]:
    cols = [(f"{alias}.grid_id", "")]
    if spec.rate_meshes:
        cols.append((f"{alias}.mesh_id", ""))
    if spec.rate_buildings:
        cols.append((f"{alias}.{building_col}", "-"))
    return cols


def _level_case(value: str, red: str, yellow: str, *, below: bool) -> str:
    """0/1/2 for one term; NULL when the value is unknown or both thresholds are off."""
    op = "<" if below else ">="
    return (f"CASE WHEN {value} IS NULL OR ({red} IS NULL AND {yellow} IS NULL) THEN NULL"
            f" WHEN {value} {op} {red} THEN 2 WHEN {value} {op} {yellow} THEN 1 ELSE 0 END")


def rated_sql(spec: Spec) -> sql.Composable:
    """The WITH … part ending in `rated`: one row per place with its figures, levels and colour."""
    sources = [s for s in enabled_sources() if s.key in spec.sources]
    current = current_grid_sql("g", "%(day)s")
    targets = [
        "SELECT 'grid'::text AS level, g.id AS grid_id, NULL::bigint AS building_id, g.community_id, g.id AS key"
        " FROM gis_core_grid g WHERE g.community_id = ANY(%(communities)s) AND g.level = 'grid'"
        f" AND g.kind = ANY(%(kinds)s) AND {current}"
    ]
    if spec.rate_meshes:
        targets.append("SELECT 'mesh', g.id, NULL, g.community_id, g.id FROM gis_core_grid g"
                       f" WHERE g.community_id = ANY(%(communities)s) AND g.level = 'mesh' AND {current}")
    if spec.rate_buildings:
        targets.append("SELECT 'building', NULL, b.id, b.community_id, -b.id FROM buildings_building b"
                       " WHERE b.community_id = ANY(%(communities)s)")
    people_key, people_sets = _keyed(_place_cols(spec, "b", "id"))
    parts = [
        sql.SQL("WITH tg AS ({})").format(sql.SQL(" UNION ALL ".join(targets))),
        sql.SQL(
            ", room_people AS (SELECT r.building_id, count(*) AS residents,"
            " bool_and((t.registered_at AT TIME ZONE %(tz)s::text)::date <= t.start_date + %(reg_days)s::int) AS on_time"
            " FROM residents_tenancy t JOIN buildings_room r ON r.id = t.room_id"
            " WHERE r.community_id = ANY(%(communities)s) AND t.start_date <= %(day)s"
            " AND (t.end_date IS NULL OR t.end_date > %(day)s) GROUP BY r.id, r.building_id)"
            ", people AS (SELECT {key} AS key, sum(p.residents) AS residents, count(*) AS rooms,"
            " count(*) FILTER (WHERE p.on_time) AS rooms_on_time"
            " FROM room_people p JOIN buildings_building b ON b.id = p.building_id GROUP BY GROUPING SETS ({sets}))"
        ).format(key=sql.SQL(people_key), sets=sql.SQL(people_sets)),
    ]
    window = " s.community_id = ANY(%(communities)s) AND s.occurred_at >= %(start)s AND s.occurred_at < %(end)s"
    if sources:
        raw = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {key}::text AS source, s.category, s.grid_id, s.mesh_id, s.building_id FROM ({q}) s"
                    " WHERE {w}").format(key=sql.Literal(src.key), q=sql.SQL(src.incidents_sql()), w=sql.SQL(window))
            for src in sources)
    else:
        raw = sql.SQL("SELECT NULL::text AS source, NULL::text AS category, NULL::bigint AS grid_id,"
                      " NULL::bigint AS mesh_id, NULL::bigint AS building_id WHERE false")
    inc_cols = _place_cols(spec, "i")
    inc_key, _sets = _keyed(inc_cols)
    inc_sets = ", ".join(f"({c}, i.source, i.category)" for c, _s in inc_cols)
    parts.append(sql.SQL(
        ", inc_raw AS ({raw})"
        ", inc_cat AS (SELECT {key} AS key, i.source, i.category, count(*) AS n FROM inc_raw i"
        " GROUP BY GROUPING SETS ({sets}))"
        ", w AS (SELECT * FROM unnest(%(w_source)s::text[], %(w_category)s::text[], %(w_weight)s::numeric[])"
        " AS w(source, category, weight))"
        ", inc AS (SELECT c.key, sum(c.n) AS incidents,"
        " sum(c.n * coalesce(w.weight, %(default_weight)s::numeric)) AS weighted,"
        " jsonb_object_agg(c.source || ':' || c.category, c.n) AS by_category"
        " FROM inc_cat c LEFT JOIN w ON w.source = c.source AND w.category = c.category"
        " WHERE c.key IS NOT NULL GROUP BY c.key)"
    ).format(raw=raw, key=sql.SQL(inc_key), sets=sql.SQL(inc_sets)))
    overdue = [src for src in sources if src.overdue_sql()]
    if overdue:
        od_raw = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT s.grid_id, s.mesh_id, s.building_id FROM ({q}) s WHERE {w}").format(
                q=sql.SQL(src.overdue_sql()), w=sql.SQL(window)) for src in overdue)
        od_key, od_sets = _keyed(_place_cols(spec, "o"))
        parts.append(sql.SQL(", od AS (SELECT {key} AS key, count(*) AS n FROM ({raw}) o GROUP BY GROUPING SETS ({sets}))")
                     .format(key=sql.SQL(od_key), raw=od_raw, sets=sql.SQL(od_sets)))
    parts.append(sql.SQL(
        ", cov AS (SELECT a.area_id AS key,"
        " CASE WHEN a.open_m2 > 0 THEN 100.0 * a.covered_m2 / a.open_m2 ELSE 100.0 END AS pct"
        " FROM coverage_areacoverage a WHERE a.level_id = %(cov_level)s::bigint)"
        ", fig AS (SELECT tg.level, tg.grid_id, tg.building_id, tg.community_id,"
        " coalesce(p.residents, 0)::int AS residents, coalesce(i.incidents, 0)::int AS incidents,"
        " round(coalesce(i.weighted, 0)::numeric, 3) AS weighted, coalesce(i.by_category, '{{}}'::jsonb) AS by_category,"
        " round(1000 * coalesce(i.weighted, 0)::numeric / greatest(coalesce(p.residents, 0), %(min_residents)s::int), 3)"
        " AS rate, round(cov.pct::numeric, 1) AS coverage_pct,"
        " CASE WHEN p.rooms > 0 THEN round(100.0 * p.rooms_on_time / p.rooms, 1) END AS registered_pct,"
        " {overdue} AS overdue"
        " FROM tg LEFT JOIN people p ON p.key = tg.key LEFT JOIN inc i ON i.key = tg.key"
        " LEFT JOIN cov ON cov.key = tg.key {od_join})"
    ).format(overdue=sql.SQL("coalesce(od.n, 0)::int" if overdue else "NULL::int"),
             od_join=sql.SQL("LEFT JOIN od ON od.key = tg.key" if overdue else "")))
    levels = {
        "incidents": _level_case("rate", "%(red_at)s::numeric", "%(yellow_at)s::numeric", below=False),
        "coverage": _level_case("coverage_pct", "%(cov_red)s::numeric", "%(cov_yellow)s::numeric", below=True),
        "registered": _level_case("registered_pct", "%(reg_red)s::numeric", "%(reg_yellow)s::numeric", below=True),
        "overdue": _level_case("overdue", "%(od_red)s::int", "%(od_yellow)s::int", below=False),
    }
    colour_array = "ARRAY[" + ", ".join(f"'{c.value}'" for c in COLOURS) + "]"
    worst = "greatest(" + ", ".join(f"coalesce(l_{t}, 0)" for t in TERMS) + ")"
    parts.append(sql.SQL(
        ", lv AS (SELECT fig.*, {levels} FROM fig)"
        ", rated AS (SELECT lv.*, ({colours})[1 + {worst}] AS computed FROM lv)"
    ).format(levels=sql.SQL(", ".join(f"{case} AS l_{t}" for t, case in levels.items())),
             colours=sql.SQL(colour_array), worst=sql.SQL(worst)))
    return sql.Composed(parts)


def params(spec: Spec, communities: list[int], win: Window) -> dict:
    return {
        "communities": communities, "kinds": spec.grid_kinds, "day": win.day, "start": win.start, "end": win.end,
        "tz": settings.TIME_ZONE, "reg_days": spec.registration_days,
        "w_source": [s for s, _c, _w in spec.weights], "w_category": [c for _s, c, _w in spec.weights],
        "w_weight": [w for _s, _c, w in spec.weights], "default_weight": spec.default_weight,
        "min_residents": spec.min_residents, "cov_level": spec.coverage_level_id,
        "red_at": spec.red_at, "yellow_at": spec.yellow_at,
        "cov_red": spec.coverage_red_below, "cov_yellow": spec.coverage_yellow_below,
        "reg_red": spec.registered_red_below, "reg_yellow": spec.registered_yellow_below,
        "od_red": spec.overdue_red_at, "od_yellow": spec.overdue_yellow_at,
    }


_INSERT = sql.SQL(
    " INSERT INTO safety_rating (month, grid_id, building_id, level, community_id, rule_set_id, colour,"
    " computed_colour, override_id, residents, incidents, weighted, rate, coverage_pct, registered_pct,"
    " overdue_reports, levels, by_category, red_streak, rules, window_start, window_end, computed_at)"
    " SELECT %(month)s, r.grid_id, r.building_id, r.level, r.community_id, %(rule_set)s,"
    " coalesce(og.colour, ob.colour, r.computed), r.computed, coalesce(og.id, ob.id),"
    " r.residents, r.incidents, r.weighted, r.rate, r.coverage_pct, r.registered_pct, r.overdue,"
    " jsonb_build_object('incidents', r.l_incidents, 'coverage', r.l_coverage, 'registered', r.l_registered,"
    " 'overdue', r.l_overdue), r.by_category,"
    " CASE WHEN coalesce(og.colour, ob.colour, r.computed) = 'red'"
    " THEN coalesce(pg.red_streak, pb.red_streak, 0) + 1 ELSE 0 END,"
    " %(rules)s::jsonb, %(start)s, %(end)s, now()"
    " FROM rated r"
    " LEFT JOIN safety_override og ON og.grid_id = r.grid_id AND og.month = %(month)s"
    " LEFT JOIN safety_override ob ON ob.building_id = r.building_id AND ob.month = %(month)s"
    " LEFT JOIN safety_rating pg ON pg.grid_id = r.grid_id AND pg.month = %(prev_month)s"
    " LEFT JOIN safety_rating pb ON pb.building_id = r.building_id AND pb.month = %(prev_month)s"
)


def write(spec: Spec, communities: list[int], win: Window) -> int:
    """Replace the month's ratings of these communities (caller holds the transaction)."""
    p = params(spec, communities, win) | {
        "month": win.month, "prev_month": previous_month(win.month), "rule_set": spec.rule_set_id,
        "rules": json.dumps(spec.snapshot(), ensure_ascii=False)}
    with connection.cursor() as cur:
        cur.execute("DELETE FROM safety_rating WHERE month = %(month)s AND community_id = ANY(%(communities)s)", p)
        cur.execute((rated_sql(spec) + _INSERT).as_string(cur.connection), p)
        return cur.rowcount


def preview(spec: Spec, communities: list[int], win: Window) -> list[dict]:
    """Grids (level grid) with the colour these rules give, and the colour they have now."""
    q = rated_sql(spec) + sql.SQL(
        " SELECT r.grid_id, g.code, g.name, r.computed, cur.colour, r.rate, r.residents, r.incidents"
        " FROM rated r JOIN gis_core_grid g ON g.id = r.grid_id"
        " LEFT JOIN safety_rating cur ON cur.grid_id = r.grid_id AND cur.month = %(month)s"
        " WHERE r.level = {grid} ORDER BY g.code").format(grid=sql.Literal(Level.GRID.value))
    with connection.cursor() as cur:
        cur.execute(q.as_string(cur.connection), params(spec, communities, win) | {"month": win.month})
        cols = ["grid_id", "code", "name", "colour", "current", "rate", "residents", "incidents"]
        return [dict(zip(cols, row)) for row in cur.fetchall()]
