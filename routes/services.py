"""Walking routes on the network of routes/network.py, with pgRouting's Dijkstra.

A route runs from a start point (a kiosk, a phone's position) to a building: both ends are
snapped to the nearest edge (KNN on the edge table's 3857 GiST index) — the start by its
point, the building by its footprint (its door is on the alley it fronts) — and Dijkstra runs
between the end nodes of those two edges (2 × 2 pairs in one call), adding the partial edges.
Only the edges in a box around both ends take part (a third of their distance, at least 300 m,
around them): a kiosk's route never needs the rest of the city. If nothing connects within the
box (a closed gate makes a long detour), the whole extract is tried once.

Closed gates: a gate with opening hours is closed outside them (overnight hours wrap midnight);
edges through it are left out of the search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.geos import GEOSGeometry
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from psycopg import sql

from gis_core.errors import NotFound, Unprocessable

WALK_M_PER_MIN = 75.0  # 4.5 km/h, an unhurried walk
MARGIN_M, MARGIN_SHARE = 300.0, 0.34


@dataclass
class Snap:
    edge: int
    extract: int
    source: int
    target: int
    length: float  # m, the edge
    f: float  # where along the edge (0 at source)
    off: float  # m from the point/footprint to the edge


@dataclass
class Route:
    length_m: float
    geometry: GEOSGeometry  # LineString/MultiLineString, lon/lat
    closed_gates: list[int] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return max(1, round(self.length_m / WALK_M_PER_MIN))


def closed_gates(cur, at: datetime, box_3857: tuple[float, float, float, float] | None = None) -> list[int]:
    t = timezone.localtime(at).time()
    where, params = "", {"t": t}
    if box_3857:
        where = " AND geom_3857 && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 3857)"
        params.update(dict(zip(("x0", "y0", "x1", "y1"), box_3857)))
    cur.execute("SELECT id FROM basemap_gate WHERE opens IS NOT NULL AND closes IS NOT NULL AND opens <> closes"
                " AND NOT CASE WHEN opens < closes THEN %(t)s >= opens AND %(t)s < closes"
                " ELSE %(t)s >= opens OR %(t)s < closes END" + where, params)
    return [r[0] for r in cur.fetchall()]


_SNAP = """
    SELECT e.id, e.extract_id, e.source, e.target, e.length_m,
           ST_LineLocatePoint(e.geom_3857, ST_ClosestPoint(e.geom_3857, p.g)),
           ST_Distance(e.geom_3857, p.g) * cos(radians(ST_Y(ST_Transform(ST_Centroid(p.g), 4326))))
      FROM ({target}) p(g), routes_edge e
     ORDER BY e.geom_3857 <-> p.g LIMIT 1"""
_POINT = "SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 3857)"
_BUILDING = "SELECT footprint_3857 FROM buildings_building WHERE id = %(building)s"


def _snap(cur, target_sql: str, params: dict) -> Snap | None:
    cur.execute(_SNAP.format(target=target_sql), params)
    row = cur.fetchone()
    return Snap(*row) if row else None


def _edges_sql(conn, extract: int, closed: list[int], box: tuple | None) -> str:
    parts = [sql.SQL("SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM routes_edge"
                     " WHERE extract_id = {}").format(sql.Literal(extract))]
    if box:
        parts.append(sql.SQL("geom_3857 && ST_MakeEnvelope({}, {}, {}, {}, 3857)").format(*map(sql.Literal, box)))
    if closed:
        parts.append(sql.SQL("(gate_id IS NULL OR gate_id NOT IN ({}))").format(
            sql.SQL(", ").join(map(sql.Literal, closed))))
    return sql.SQL(" AND ").join(parts).as_string(conn)


def _box(cur, a: Snap, b: Snap) -> tuple[float, float, float, float]:
    cur.execute("SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM"
                " (SELECT ST_Extent(geom_3857)::geometry AS x FROM routes_edge WHERE id IN (%s, %s)) e", [a.edge, b.edge])
    x0, y0, x1, y1 = cur.fetchone()
    m = max(MARGIN_M / math.cos(math.radians(25)), MARGIN_SHARE * math.hypot(x1 - x0, y1 - y0))
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def _partial(s: Snap, node: int) -> float:
    """Metres along the snapped edge from the snapped point to one of its ends."""
    return s.f * s.length if node == s.source else (1 - s.f) * s.length


def _best_path(cur, edges: str, a: Snap, b: Snap) -> tuple[float, int, int, list[int]] | None:
    """(metres, start node, end node, edge ids) of the shortest of the four end-node pairs."""
    cur.execute("SELECT start_vid, end_vid, edge, agg_cost FROM pgr_dijkstra(%s, %s::bigint[], %s::bigint[], false)"
                " ORDER BY start_vid, end_vid, path_seq", [edges, [a.source, a.target], [b.source, b.target]])
    paths: dict[tuple[int, int], tuple[float, list[int]]] = {}
    for sv, ev, edge, agg in cur.fetchall():
        cost, ids = paths.get((sv, ev), (0.0, []))
        paths[(sv, ev)] = (agg if edge == -1 else cost, ids if edge == -1 else ids + [edge])
    for sv in {a.source, a.target} & {b.source, b.target}:  # the two edges meet: no search needed
        paths[(sv, sv)] = (0.0, [])
    best = None
    for (sv, ev), (cost, ids) in paths.items():
        total = _partial(a, sv) + cost + _partial(b, ev)
        if best is None or total < best[0]:
            best = (total, sv, ev, ids)
    return best


_GEOMETRY = """
    WITH a AS (SELECT geom_3857 AS g FROM routes_edge WHERE id = %(a)s),
         b AS (SELECT geom_3857 AS g FROM routes_edge WHERE id = %(b)s),
         parts(seq, g) AS (
           SELECT 0, ST_LineSubstring(a.g, least(%(fa)s, %(ea)s), greatest(%(fa)s, %(ea)s)) FROM a
           UNION ALL SELECT k, e.geom_3857 FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS p(id, k)
                     JOIN routes_edge e ON e.id = p.id
           UNION ALL SELECT 1000000, ST_LineSubstring(b.g, least(%(fb)s, %(eb)s), greatest(%(fb)s, %(eb)s)) FROM b)
    SELECT ST_AsEWKB(ST_Transform(ST_LineMerge(ST_Collect(g ORDER BY seq)), 4326)) FROM parts
     WHERE ST_Length(g) > 0"""


def route(start_lonlat: tuple[float, float], building_id: int, *, at: datetime | None = None,
          using: str = DEFAULT_DB_ALIAS) -> Route:
    """The shortest open walking route from a point to a building."""
    conn = connections[using]
    with conn.cursor() as cur:
        closed = closed_gates(cur, at or timezone.now())
        params = {"lon": start_lonlat[0], "lat": start_lonlat[1], "building": building_id, "closed": closed}
        a = _snap(cur, _POINT, params)
        b = _snap(cur, _BUILDING, params)
        if a is None or b is None:
            raise NotFound("no walking network here (import a basemap extract)")
        if a.extract != b.extract:
            raise Unprocessable("the start and the building lie on different maps; no walking route joins them")
        if a.edge == b.edge:
            total, sv, ev, ids = abs(a.f - b.f) * a.length, None, None, []
        else:
            best = None
            for box in (_box(cur, a, b), None):  # the box around both ends, then the whole extract
                best = _best_path(cur, _edges_sql(cur.connection, a.extract, closed, box), a, b)
                if best is not None:
                    break
            if best is None:
                raise Unprocessable("no open walking route to this building now (a gate on the way is closed)")
            total, sv, ev, ids = best
        end_a = a.f if sv is None else (0.0 if sv == a.source else 1.0)
        end_b = b.f if ev is None else (0.0 if ev == b.source else 1.0)
        cur.execute(_GEOMETRY, {"a": a.edge, "b": b.edge, "fa": a.f, "ea": end_a if sv is not None else b.f,
                                "fb": b.f, "eb": end_b, "ids": ids})
        raw = cur.fetchone()[0]
    geometry = GEOSGeometry(memoryview(raw)) if raw else GEOSGeometry("LINESTRING EMPTY", srid=4326)
    return Route(length_m=total + a.off + b.off, geometry=geometry, closed_gates=closed)


def lengths(start_lonlat: tuple[float, float], building_ids: list[int], *, at: datetime | None = None,
            using: str = DEFAULT_DB_ALIAS) -> dict[int, float]:
    """Walking metres from a point to each building (one Dijkstra from the start's two nodes);
    buildings the network does not reach are left out."""
    ids = sorted(set(building_ids))
    if not ids:
        return {}
    conn = connections[using]
    with conn.cursor() as cur:
        closed = closed_gates(cur, at or timezone.now())
        params = {"lon": start_lonlat[0], "lat": start_lonlat[1], "closed": closed}
        a = _snap(cur, _POINT, params)
        if a is None:
            return {}
        cur.execute(
            "SELECT b.id, s.* FROM buildings_building b CROSS JOIN LATERAL (" + _SNAP.format(target="SELECT b.footprint_3857")
            + ") s WHERE b.id = ANY(%(ids)s)", {**params, "ids": ids})
        snaps = {row[0]: Snap(*row[1:]) for row in cur.fetchall()}
        snaps = {bid: s for bid, s in snaps.items() if s.extract == a.extract}
        if not snaps:
            return {}
        cur.execute("SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(geom_3857)::geometry"
                    " AS x FROM routes_edge WHERE id = ANY(%s)) e", [[a.edge, *(s.edge for s in snaps.values())]])
        x0, y0, x1, y1 = cur.fetchone()
        m = MARGIN_M / math.cos(math.radians(25))
        edges = _edges_sql(cur.connection, a.extract, closed, (x0 - m, y0 - m, x1 + m, y1 + m))
        targets = sorted({n for s in snaps.values() for n in (s.source, s.target)})
        cur.execute("SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(%s, %s::bigint[], %s::bigint[], false)",
                    [edges, [a.source, a.target], targets])
        cost = {(sv, ev): c for sv, ev, c in cur.fetchall()}
    for n in (a.source, a.target):
        cost[(n, n)] = 0.0
    found = {}
    for bid, s in snaps.items():
        if s.edge == a.edge:
            found[bid] = abs(a.f - s.f) * a.length + a.off + s.off
            continue
        options = [_partial(a, sv) + cost[(sv, ev)] + _partial(s, ev)
                   for sv in (a.source, a.target) for ev in (s.source, s.target) if (sv, ev) in cost]
        if options:
            found[bid] = min(options) + a.off + s.off
    return found
