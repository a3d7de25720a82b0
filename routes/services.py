"""Walking routes on the network of routes/network.py, with pgRouting's Dijkstra.

A route runs from a start point (a kiosk, a phone's position) to a building: both ends are
snapped to the nearest edge in one statement (KNN on the edge table's 3857 GiST index, per end:
never a scan of the city's edges) — the start by its point, the building by its footprint (its
door is on the alley it fronts) — and Dijkstra runs between the end nodes of those two edges
(2 × 2 pairs in one call), adding the partial edges. Only the edges in a box around both ends
take part, and the answer is proved to be the shortest of the whole network, widening the box
when it is not (routes/search.py).

Closed gates: a gate with opening hours is closed outside them (overnight hours wrap midnight);
edges through it are left out of the search (routes/search.py: closed_rule, the one rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.geos import GEOSGeometry
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from psycopg import sql

from gis_core.errors import NotFound, Unprocessable
from routes.search import Snap, closed_gates, gates_where, shortest

__all__ = ["Route", "Snap", "closed_gates", "lengths", "route"]

WALK_M_PER_MIN = 75.0  # 4.5 km/h, an unhurried walk


@dataclass
class Route:
    length_m: float
    geometry: GEOSGeometry  # LineString/MultiLineString, lon/lat
    closed_gates: list[int] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return max(1, round(self.length_m / WALK_M_PER_MIN))


# Each end (k, its EPSG:3857 geometry) joined to its nearest edge: an index scan per end.
_SNAP = """
    SELECT p.k, s.* FROM ({ends}) p(k, g) CROSS JOIN LATERAL (
      SELECT e.id, e.extract_id, e.source, e.target, e.length_m,
             ST_LineLocatePoint(e.geom_3857, ST_ClosestPoint(e.geom_3857, p.g)),
             ST_Distance(e.geom_3857, p.g) * cos(radians(ST_Y(ST_Transform(ST_Centroid(p.g), 4326)))),
             ST_X(ST_ClosestPoint(e.geom_3857, p.g)), ST_Y(ST_ClosestPoint(e.geom_3857, p.g)),
             ST_XMin(e.geom_3857), ST_YMin(e.geom_3857), ST_XMax(e.geom_3857), ST_YMax(e.geom_3857)
        FROM routes_edge e ORDER BY e.geom_3857 <-> p.g LIMIT 1) s"""
_START = "SELECT 0, ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 3857)"
_BUILDINGS = "SELECT id, footprint_3857 FROM buildings_building WHERE id = ANY(%(buildings)s)"


def _snaps(cur, start_lonlat: tuple[float, float], building_ids: list[int]) -> tuple[Snap | None, dict[int, Snap]]:
    """The start's snap (key 0) and each building's (by id; ids are positive)."""
    cur.execute(_SNAP.format(ends=f"{_START} UNION ALL {_BUILDINGS}"),
                {"lon": start_lonlat[0], "lat": start_lonlat[1], "buildings": building_ids})
    snaps = {k: Snap(*row[:7], x, y, (x0, y0, x1, y1)) for k, *row, x, y, x0, y0, x1, y1 in cur.fetchall()}
    return snaps.pop(0, None), snaps


_GEOMETRY = """
    WITH a AS (SELECT geom_3857 AS g FROM routes_edge WHERE id = %(a)s),
         b AS (SELECT geom_3857 AS g FROM routes_edge WHERE id = %(b)s),
         parts(seq, g) AS (
           SELECT 0, ST_LineSubstring(a.g, least(%(fa)s, %(ea)s), greatest(%(fa)s, %(ea)s)) FROM a
           UNION ALL SELECT k, e.geom_3857 FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS p(id, k)
                     JOIN routes_edge e ON e.id = p.id
           UNION ALL SELECT 1000000, ST_LineSubstring(b.g, least(%(fb)s, %(eb)s), greatest(%(fb)s, %(eb)s)) FROM b)
    SELECT ST_AsEWKB(ST_Transform(ST_LineMerge(ST_Collect(g ORDER BY seq)), 4326)),
           (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM basemap_gate WHERE {closed})
      FROM parts WHERE ST_Length(g) > 0"""


def route(start_lonlat: tuple[float, float], building_id: int, *, at: datetime | None = None,
          using: str = DEFAULT_DB_ALIAS, bounded: bool = True) -> Route:
    """The shortest open walking route from a point to a building (bounded=False: searched over
    the whole extract at once, the slow reference of tests and the benchmark)."""
    conn = connections[using]
    with conn.cursor() as cur:
        a, ends = _snaps(cur, start_lonlat, [building_id])
        b = ends.get(building_id)
        if a is None or b is None:
            raise NotFound("no walking network here (import a basemap extract)")
        if a.extract != b.extract:
            raise Unprocessable("the start and the building lie on different maps; no walking route joins them")
        at = at or timezone.now()
        if a.edge == b.edge:
            total, sv, ev, ids, box = abs(a.f - b.f) * a.length, None, None, [], a.box
        else:
            (best,), box = shortest(cur, a, [b], at, with_path=True, bounded=bounded)
            if best is None:
                raise Unprocessable("no open walking route to this building now (a gate on the way is closed)")
            total, sv, ev, ids = best.length, best.start, best.end, best.edges
        end_a = a.f if sv is None else (0.0 if sv == a.source else 1.0)
        end_b = b.f if ev is None else (0.0 if ev == b.source else 1.0)
        closed = gates_where(at, a.extract, box)  # the closed gates the route went round (its box's)
        cur.execute(sql.SQL(_GEOMETRY).format(closed=closed).as_string(cur.connection),
                    {"a": a.edge, "b": b.edge, "fa": a.f, "ea": end_a if sv is not None else b.f,
                     "fb": b.f, "eb": end_b, "ids": ids})
        raw, closed = cur.fetchone()
    geometry = GEOSGeometry(memoryview(raw)) if raw else GEOSGeometry("LINESTRING EMPTY", srid=4326)
    return Route(length_m=total + a.off + b.off, geometry=geometry, closed_gates=closed)


def lengths(start_lonlat: tuple[float, float], building_ids: list[int], *, at: datetime | None = None,
            using: str = DEFAULT_DB_ALIAS, bounded: bool = True) -> dict[int, float]:
    """Walking metres from a point to each building (one Dijkstra from the start's two nodes, in a
    box proved like a route's); buildings the network does not reach are left out."""
    ids = sorted(set(building_ids))
    if not ids:
        return {}
    conn = connections[using]
    with conn.cursor() as cur:
        a, snaps = _snaps(cur, start_lonlat, ids)
        if a is None:
            return {}
        snaps = {bid: s for bid, s in snaps.items() if s.extract == a.extract}
        found = {bid: abs(a.f - s.f) * a.length + a.off + s.off for bid, s in snaps.items() if s.edge == a.edge}
        others = [(bid, s) for bid, s in snaps.items() if s.edge != a.edge]
        if others:
            best, _ = shortest(cur, a, [s for _, s in others], at or timezone.now(), bounded=bounded)
            found.update({bid: f.length + a.off + s.off for (bid, s), f in zip(others, best) if f is not None})
    return found
