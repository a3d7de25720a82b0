"""The bounded shortest-path search under routes/services.py: pgRouting over a box, proved exact.

A Dijkstra over a whole city's network costs time in proportion to its edges; a walk from a kiosk
to a building of its community needs a few hundred of them. So the search reads only the edges
whose box meets a box around both ends (a third of their distance, at least 300 m, around them),
and then proves that nothing outside that box could have been shorter:

    every way that leaves the box passes a point q outside it, so it is at least
    |a q| + |q b| long (a, b: the snapped ends) — at least the distance from a to b's mirror
    image in the nearest side of the box (`exit_bound`).

If the path found is no longer than that bound it is the shortest of the whole network. If it
is longer, the box grows to hold the whole ellipse |a q| + |q b| ≤ length (`ellipse_box`) — any
way no longer than the one found lies inside — and the search runs once more: exact by
construction (checked again all the same). If nothing connects inside the box (a closed gate
makes a long detour, or the building cannot be reached tonight), "no open way" needs its own
proof: the part of the network in the box that holds the building's edge (or the start's) has no
edge leaving the box (pgr_connectedComponents, `_out_of_reach`) — a courtyard behind a gate closed
for the night. Failing that, the box grows three times over, twice, then the search takes the
whole extract: "no open way" is only ever said when nothing outside could join the two.

Distances in the box are EPSG:3857 units: a ground metre is 1/cos(latitude) of them (a little
more or less on the ellipsoid, < 0.7 %); the bounds count a unit as cos(the box's largest
latitude) × 0.99 ground metres, which never overstates.

Closed gates (`closed_rule`, the one rule): a gate with opening hours is closed outside them
(overnight hours wrap midnight); edges through it are left out of the search (in its edge query).
A route reports the gates closed in its box (a gate sits within centimetres of the ends of the
edges it cuts; GATE_PAD_M covers them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from psycopg import sql

MARGIN_M, MARGIN_SHARE = 300.0, 0.6  # the first box: this far around both ends' edges
GROW = 3  # a box where nothing connects grows this many times its size each way …
GROW_TIMES = 2  # … this many times before the whole extract is searched
GATE_PAD_M = 2.0  # gates this close outside the box still close the edges inside it
EARTH_R = 6378137.0
UNIT_FLOOR = 0.99  # ellipsoid vs. the sphere of EPSG:3857: ground metres per unit ≥ 0.99 cos φ

Box = tuple[float, float, float, float]  # EPSG:3857 x0, y0, x1, y1


@dataclass
class Snap:
    """Where a point or footprint meets the network: the nearest edge, and where along it."""

    edge: int
    extract: int
    source: int
    target: int
    length: float  # m, the edge
    f: float  # where along the edge (0 at source)
    off: float  # m from the point/footprint to the edge
    x: float  # the snapped point, EPSG:3857
    y: float
    box: Box  # the edge's box, EPSG:3857

    def partial(self, node: int) -> float:
        """Metres along the snapped edge from the snapped point to one of its ends."""
        return self.f * self.length if node == self.source else (1 - self.f) * self.length


@dataclass
class Found:
    """The search's answer for one end: metres between the snapped points, the end nodes taken
    and the edges between them (in order; with_path only)."""

    length: float
    start: int
    end: int
    edges: list[int]


def closed_rule(at: datetime) -> sql.Composed:
    """The one rule, on basemap_gate's columns: a gate with opening hours is closed at `at` outside
    them (hours over midnight wrap it)."""
    t = sql.Literal(timezone.localtime(at).time())
    return sql.SQL("(opens IS NOT NULL AND closes IS NOT NULL AND opens <> closes AND NOT CASE WHEN opens < closes"
                   " THEN {t} >= opens AND {t} < closes ELSE {t} >= opens OR {t} < closes END)").format(t=t)


def gates_where(at: datetime, extract: int | None, box: Box | None) -> sql.Composed:
    """basemap_gate rows closed at `at` in the extract and (padded, see GATE_PAD_M) box."""
    parts = [closed_rule(at)]
    if extract is not None:
        parts.append(sql.SQL("extract_id = {}").format(sql.Literal(extract)))
    if box:
        parts.append(sql.SQL("geom_3857 && ST_MakeEnvelope({}, {}, {}, {}, 3857)").format(
            *map(sql.Literal, _padded(box))))
    return sql.SQL(" AND ").join(parts)


def closed_gates(cur, at: datetime, box_3857: Box | None = None, extract: int | None = None) -> list[int]:
    cur.execute(sql.SQL("SELECT id FROM basemap_gate WHERE {} ORDER BY id").format(
        gates_where(at, extract, box_3857)).as_string(cur.connection))
    return [r[0] for r in cur.fetchall()]


def metres_per_unit(box: Box) -> float:
    """Ground metres an EPSG:3857 unit is at least worth anywhere in the box."""
    lat = max(abs(math.atan(math.sinh(y / EARTH_R))) for y in (box[1], box[3]))
    return UNIT_FLOOR * math.cos(lat)


def exit_bound(box: Box, a: Snap, b: Snap) -> float:
    """Ground metres every walk from a to b that leaves the box is at least long (both inside it)."""
    x0, y0, x1, y1 = box
    dx, dy = abs(a.x - b.x), abs(a.y - b.y)
    units = min(math.hypot(a.x - x0 + b.x - x0, dy), math.hypot(x1 - a.x + x1 - b.x, dy),
                math.hypot(a.y - y0 + b.y - y0, dx), math.hypot(y1 - a.y + y1 - b.y, dx))
    return units * metres_per_unit(box)


def ellipse_box(length_m: float, a: Snap, b: Snap, around: Box) -> Box:
    """A box holding every point q with |a q| + |q b| ≤ length_m (ground metres), and `around`."""
    x0, y0, x1, y1 = around
    for _ in range(3):  # the unit's worth depends on the box's latitude: settle it
        units = length_m / metres_per_unit((x0, y0, x1, y1)) * 1.001 + 1
        mx, my = (units - abs(a.x - b.x)) / 2, (units - abs(a.y - b.y)) / 2
        x0, y0 = min(x0, min(a.x, b.x) - mx), min(y0, min(a.y, b.y) - my)
        x1, y1 = max(x1, max(a.x, b.x) + mx), max(y1, max(a.y, b.y) + my)
    return (x0, y0, x1, y1)


def first_box(a: Snap, ends: list[Snap]) -> Box:
    x0 = min(s.box[0] for s in (a, *ends))
    y0 = min(s.box[1] for s in (a, *ends))
    x1 = max(s.box[2] for s in (a, *ends))
    y1 = max(s.box[3] for s in (a, *ends))
    m = max(MARGIN_M / metres_per_unit((x0, y0, x1, y1)) * UNIT_FLOOR, MARGIN_SHARE * math.hypot(x1 - x0, y1 - y0))
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def _grown(box: Box) -> Box:
    x0, y0, x1, y1 = box
    m = (GROW - 1) / 2 * max(x1 - x0, y1 - y0)
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def _padded(box: Box) -> Box:
    m = GATE_PAD_M / metres_per_unit(box)
    return (box[0] - m, box[1] - m, box[2] + m, box[3] + m)


def edges_sql(conn, extract: int, at: datetime, box: Box | None) -> str:
    """pgRouting's edge query: the extract's edges meeting the box (GiST on geom_3857), less the
    edges of gates closed at `at` (a key lookup per gated edge). Values are quoted by psycopg
    (pgRouting takes the query as text)."""
    parts = [sql.SQL("SELECT e.id, e.source, e.target, e.length_m AS cost, e.length_m AS reverse_cost"
                     " FROM routes_edge e WHERE e.extract_id = {}").format(sql.Literal(extract))]
    if box:
        parts.append(sql.SQL("e.geom_3857 && ST_MakeEnvelope({}, {}, {}, {}, 3857)").format(*map(sql.Literal, box)))
    parts.append(sql.SQL("(e.gate_id IS NULL OR NOT EXISTS (SELECT FROM basemap_gate g WHERE g.id = e.gate_id AND {}))")
                 .format(closed_rule(at)))
    return sql.SQL(" AND ").join(parts).as_string(conn)


def _paths(cur, edges: str, a: Snap, ends: list[Snap], with_path: bool) -> dict[tuple[int, int], tuple[float, list[int]]]:
    """(start node, end node) → (metres, edge ids) between the two ends of a's edge and of the others'."""
    starts = sorted({a.source, a.target})
    targets = sorted({n for s in ends for n in (s.source, s.target)})
    paths: dict[tuple[int, int], tuple[float, list[int]]] = {(n, n): (0.0, []) for n in starts}
    if not targets:
        return paths
    if with_path:
        cur.execute("SELECT start_vid, end_vid, edge, agg_cost FROM pgr_dijkstra(%s, %s::bigint[], %s::bigint[], false)"
                    " ORDER BY start_vid, end_vid, path_seq", [edges, starts, targets])
        for sv, ev, edge, agg in cur.fetchall():
            cost, ids = paths.get((sv, ev), (0.0, []))
            paths[(sv, ev)] = (agg, ids) if edge == -1 else (cost, ids + [edge])
    else:
        cur.execute("SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(%s, %s::bigint[], %s::bigint[], false)",
                    [edges, starts, targets])
        paths.update({(sv, ev): (c, []) for sv, ev, c in cur.fetchall()})
    return paths


def _best(paths, a: Snap, s: Snap) -> Found | None:
    best = None
    for sv in (a.source, a.target):
        for ev in (s.source, s.target):
            if (sv, ev) in paths:
                cost, ids = paths[(sv, ev)]
                total = a.partial(sv) + cost + s.partial(ev)
                if best is None or total < best.length:
                    best = Found(total, sv, ev, ids)
    return best


_ENCLOSED = """
    WITH c AS (SELECT component, node FROM pgr_connectedComponents(%(edges)s)),
         box AS (SELECT ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 3857) AS g),
         border AS (SELECT unnest(ARRAY[e.source, e.target]) AS node FROM routes_edge e, box
                     WHERE e.extract_id = %(extract)s AND e.geom_3857 && box.g AND NOT e.geom_3857 @ box.g)
    SELECT c.node FROM c WHERE c.node = ANY(%(nodes)s)
       AND c.component IN (SELECT c.component FROM c JOIN border USING (node))"""


def _out_of_reach(cur, edges: str, box: Box, a: Snap, ends: list[Snap]) -> bool:
    """Whether these ends (none reached from a in the box) are out of its reach in the whole
    extract: the part of the network in the box that holds a's edge's nodes, or the parts that
    hold theirs, touch no edge leaving the box — so nothing outside joins them. (Snapped edges lie
    inside the box; a node of theirs in no part has only closed gates' edges: alone everywhere.)"""
    nodes = sorted({a.source, a.target} | {n for s in ends for n in (s.source, s.target)})
    cur.execute(_ENCLOSED, {"edges": edges, "extract": a.extract, "nodes": nodes,
                            **dict(zip(("x0", "y0", "x1", "y1"), box))})
    touching = {r[0] for r in cur.fetchall()}
    return not touching & {a.source, a.target} or all(not touching & {s.source, s.target} for s in ends)


def shortest(cur, a: Snap, ends: list[Snap], at: datetime, *, with_path: bool = False,
             bounded: bool = True) -> tuple[list[Found | None], Box | None]:
    """The shortest open walk from a to each end (None: none at that time in the whole extract)
    and the box the answer was proved in (None: the whole extract).
    bounded=False searches the whole extract at once: the reference the bounds are tested against."""
    box: Box | None = first_box(a, ends) if bounded else None
    grown = rounds = 0
    while True:
        rounds += 1
        if rounds > 2 * GROW_TIMES + 4:  # never seen: the bounds settle in one or two rounds
            box = None
        edges = edges_sql(cur.connection, a.extract, at, box)
        paths = _paths(cur, edges, a, ends, with_path)
        found = [_best(paths, a, s) for s in ends]
        if box is None:
            return found, None
        unproved = [(f, s) for f, s in zip(found, ends) if f is not None and f.length > exit_bound(box, a, s)]
        unreached = [s for f, s in zip(found, ends) if f is None]
        if unreached and not _out_of_reach(cur, edges, box, a, unreached):
            grown += 1
            box = _grown(box) if grown <= GROW_TIMES else None
        elif unproved:
            for f, s in unproved:
                box = ellipse_box(f.length, a, s, box)
        else:
            return found, box
