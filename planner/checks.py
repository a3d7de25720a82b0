"""Validation of a proposed grid or mesh boundary: the report the planner map shows live and
every save repeats inside its transaction.

Rules (see ../shared/notes/grids.md):
* validity — a (multi)polygon that ST_IsValid accepts, of some area (an error; the reason and
  place are reported, never silently repaired);
* inside the parent — the community for a grid, the grid for a mesh (error; the part outside,
  with its area);
* no overlap with current siblings (error; per sibling the overlapping area and shape);
* gaps left in the parent, i.e. parent minus the union of all siblings (a warning: area and shape,
  with the gap area before the edit for comparison — a gap may be intended while redrawing);
* the grid's own meshes stay inside it (error: the tree would be inconsistent);
* buildings cut by the boundary: a footprint with more than CUT_M2 both inside and outside
  (error: a building must lie in exactly one grid);
* households and residents in the grid before and after (information).

Areas are square metres on the ellipsoid (geography); differences below the tolerances are
rounding of shared vertices, not planning errors. Everything is one or two parameterised
statements over GiST-indexed columns, so a check is cheap enough to run while dragging.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from gis_core.geometry import parse_geojson
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_core.rules import current_grid_sql, living_tenancy_sql

# Tolerances. Boundaries drawn in different places (a survey, the map, an import) never share
# their lines exactly: a straight edge in lon/lat is not straight in metres, so a vertex placed
# "on" a neighbour's edge lies centimetres off it. Parts outside the parent and overlaps are
# measured beyond TOLERANCE_M (the parent widened, the proposal narrowed by it), and what remains
# must exceed OVERLAP_M2 to count.
TOLERANCE_M = 0.5
OVERLAP_M2 = 1.0
GAP_M2 = 1.0
CUT_M2 = 0.5  # a footprint counts as cut when more than this lies on each side of the boundary
MIN_AREA_M2 = 10.0


def parse_polygon(value) -> MultiPolygon:
    """A GeoJSON Polygon/MultiPolygon (dict or string) in lon/lat → MultiPolygon (SRID 4326);
    anything else is a BadRequest (gis_core/geometry.py)."""
    geom = parse_geojson(value, (Polygon, MultiPolygon))
    return MultiPolygon(geom, srid=4326) if isinstance(geom, Polygon) else geom


@dataclass
class Proposal:
    """A boundary proposed for one grid (existing: grid_id set) inside a community/parent."""

    community_id: int
    level: str
    parent_id: int | None
    geometry: MultiPolygon
    grid_id: int | None = None
    # Other proposals saved together (a split or a merge): treated as siblings, not overlaps with
    # the old shapes of the grids they replace.
    replaces: list[int] = field(default_factory=list)
    together: list[MultiPolygon] = field(default_factory=list)
    together_codes: list[str] = field(default_factory=list)
    # Meshes of the grid that the edit moves elsewhere (a split hands them to the new grid).
    children_exempt: list[int] = field(default_factory=list)
    code: str = ""  # how reports of the other proposals checked with it (check_many) name it


def _today():
    return timezone.localdate()


def _fetch(sql: str, params) -> dict:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cols = [c.name for c in cur.description]
        return dict(zip(cols, cur.fetchone()))


def _geojson(text):
    return json.loads(text) if text else None


def validity(geom: MultiPolygon) -> dict:
    row = _fetch(
        "SELECT ST_IsValid(g) AS ok, ST_IsValidReason(g) AS reason,"
        " ST_AsGeoJSON(ST_PointN(ST_ExteriorRing(ST_GeometryN(g, 1)), 1)) AS first,"
        " (SELECT ST_AsGeoJSON(location(ST_IsValidDetail(g)))) AS location,"
        " CASE WHEN ST_IsValid(g) THEN ST_Area(g::geography) END AS area_m2"
        " FROM (SELECT ST_GeomFromEWKB(%s) AS g) x",
        [bytes(geom.ewkb)],
    )
    result = {"ok": bool(row["ok"]), "reason": row["reason"], "location": _geojson(row["location"]),
              "area_m2": round(row["area_m2"], 1) if row["area_m2"] is not None else None}
    if result["ok"] and row["area_m2"] < MIN_AREA_M2:
        result["ok"] = False
        result["reason"] = _("面积过小（不足 %(min)s m²）") % {"min": MIN_AREA_M2}
    return result


# One statement for everything but validity and the statistics. Parameters are named; table and
# column names are fixed here. "current" grids: valid on the community's local date.
_CHECK_SQL = """
WITH g AS (SELECT ST_GeomFromEWKB(%(geom)s) AS geom),
together AS (SELECT ST_GeomFromEWKB(t.g) AS geom, t.code FROM unnest(%(together)s::bytea[], %(together_codes)s::text[]) AS t(g, code)),
parent AS (
    SELECT CASE WHEN %(level)s = 'mesh'
                THEN (SELECT boundary FROM gis_core_grid WHERE id = %(parent)s)
                ELSE (SELECT boundary FROM gis_core_community WHERE id = %(community)s) END AS geom),
siblings AS (
    SELECT s.id, s.code, s.name, s.boundary
    FROM gis_core_grid s
    WHERE s.community_id = %(community)s AND s.level = %(level)s
      AND s.parent_id IS NOT DISTINCT FROM %(parent)s
      AND NOT (s.id = ANY(%(exclude)s))
      AND {current_s}),
outside AS (SELECT ST_Difference(g.geom, ST_Buffer(parent.geom::geography, %(tol)s)::geometry) AS geom FROM g, parent),
narrowed AS (SELECT ST_Buffer(g.geom::geography, -%(tol)s)::geometry AS geom FROM g),
ovl AS (
    SELECT s.id, s.code, s.name, ST_CollectionExtract(ST_Intersection(s.boundary, n.geom), 3) AS geom
    FROM siblings s, g, narrowed n WHERE ST_Intersects(s.boundary, g.geom) AND ST_Intersects(s.boundary, n.geom)
    UNION ALL
    SELECT NULL, t.code, NULL, ST_CollectionExtract(ST_Intersection(t.geom, n.geom), 3)
    FROM together t, g, narrowed n WHERE ST_Intersects(t.geom, g.geom) AND ST_Intersects(t.geom, n.geom)),
before_cover AS (
    SELECT ST_Union(boundary) AS geom FROM gis_core_grid s
    WHERE s.community_id = %(community)s AND s.level = %(level)s AND s.parent_id IS NOT DISTINCT FROM %(parent)s
      AND {current_s}),
after_cover AS (
    SELECT ST_Union(geom) AS geom FROM (
        SELECT boundary AS geom FROM siblings UNION ALL SELECT geom FROM g UNION ALL SELECT geom FROM together) u),
gaps AS (
    SELECT ST_CollectionExtract(ST_Difference(parent.geom, COALESCE(after_cover.geom, 'SRID=4326;POLYGON EMPTY'::geometry)), 3) AS after,
           ST_Difference(parent.geom, COALESCE(before_cover.geom, 'SRID=4326;POLYGON EMPTY'::geometry)) AS before
    FROM parent, after_cover, before_cover),
kids AS (
    SELECT c.id, c.code, c.name,
           ST_Difference(c.boundary, ST_Buffer(g.geom::geography, %(tol)s)::geometry) AS outside
    FROM gis_core_grid c, g
    WHERE c.parent_id = %(grid)s AND NOT (c.id = ANY(%(kids_exempt)s))
      AND {current_c}),
cut AS (
    SELECT b.id, b.code, b.address,
           ST_Area(ST_Intersection(b.footprint, g.geom)::geography) AS inside_m2,
           ST_Area(ST_Difference(b.footprint, g.geom)::geography) AS outside_m2,
           b.footprint
    FROM buildings_building b, g
    WHERE b.community_id = %(community)s
      AND b.footprint_3857 && ST_Transform(ST_Envelope(g.geom), 3857)
      AND ST_Intersects(b.footprint, ST_Boundary(g.geom)))
SELECT
    (SELECT parent.geom IS NOT NULL FROM parent) AS has_parent,
    (SELECT json_agg(json_build_object('id', id, 'code', code, 'name', name,
                                       'outside_m2', round(ST_Area(outside::geography)::numeric, 1),
                                       'shape', ST_AsGeoJSON(outside, 7)::json) ORDER BY code)
       FROM kids WHERE ST_Area(outside::geography) > %(overlap_m2)s) AS children_outside,
    (SELECT ST_Area(geom::geography) FROM outside) AS outside_m2,
    (SELECT ST_AsGeoJSON(geom, 7) FROM outside WHERE NOT ST_IsEmpty(geom)) AS outside_shape,
    (SELECT json_agg(json_build_object('id', id, 'code', code, 'name', name,
                                       'area_m2', round(ST_Area(geom::geography)::numeric, 1),
                                       'shape', ST_AsGeoJSON(geom, 7)::json) ORDER BY code)
       FROM ovl WHERE ST_Area(geom::geography) > %(overlap_m2)s) AS overlaps,
    (SELECT ST_Area(after::geography) FROM gaps) AS gap_m2,
    (SELECT ST_AsGeoJSON(ST_Collect(ARRAY(
            SELECT d.geom FROM ST_Dump(after) d WHERE ST_Area(d.geom::geography) > %(gap_m2)s)), 7)
       FROM gaps) AS gap_shape,
    (SELECT COALESCE(ST_Area(before::geography), 0) FROM gaps) AS gap_before_m2,
    (SELECT json_agg(json_build_object('id', id, 'code', code, 'address', address,
                                       'inside_m2', round(inside_m2::numeric, 1),
                                       'outside_m2', round(outside_m2::numeric, 1),
                                       'shape', ST_AsGeoJSON(footprint, 7)::json) ORDER BY code)
       FROM cut WHERE inside_m2 > %(cut_m2)s AND outside_m2 > %(cut_m2)s) AS cut_buildings
""".replace("{current_s}", current_grid_sql("s", "%(today)s")).replace("{current_c}", current_grid_sql("c", "%(today)s"))

# Counts in a boundary (by the anchor that places buildings, buildings.Building.anchor).
_COUNTS_IN_SQL = """
WITH g AS (SELECT ST_GeomFromEWKB(%(geom)s) AS geom),
bs AS (SELECT b.id FROM buildings_building b, g
       WHERE b.community_id = %(community)s AND b.footprint_3857 && ST_Transform(ST_Envelope(g.geom), 3857)
         AND ST_Covers(g.geom, b.anchor)),
rs AS (SELECT r.id FROM buildings_room r JOIN bs ON r.building_id = bs.id),
ts AS (SELECT t.room_id FROM residents_tenancy t JOIN rs ON t.room_id = rs.id
       WHERE {living_t})
SELECT (SELECT count(*) FROM bs) AS buildings, (SELECT count(*) FROM rs) AS rooms,
       (SELECT count(DISTINCT room_id) FROM ts) AS households, (SELECT count(*) FROM ts) AS residents
""".replace("{living_t}", living_tenancy_sql("t", "%(today)s"))

# Buildings of the community whose membership the proposal changes: placed in the grid now but not
# inside the new boundary (leaving), or inside it but placed elsewhere (entering). Only buildings in
# the swept area (old XOR new; each part's box from the index) can change.
_MEMBERSHIP_SQL = """
WITH g AS (SELECT ST_GeomFromEWKB(%(geom)s) AS geom, ST_SymDifference(ST_GeomFromEWKB(%(geom)s), ST_GeomFromEWKB(%(old)s)) AS swept),
parts AS (SELECT d.geom FROM g, ST_Dump(g.swept) d)
SELECT DISTINCT b.id, COALESCE({column} = %(grid)s, false) AS was_in
FROM buildings_building b JOIN parts p ON b.footprint_3857 && ST_Transform(ST_Envelope(p.geom), 3857), g
WHERE b.community_id = %(community)s
  AND ST_Intersects(b.anchor, p.geom)
  AND COALESCE({column} = %(grid)s, false) <> ST_Covers(g.geom, b.anchor)
"""


def membership_changes(p: "Proposal") -> tuple[list[int], list[int]]:
    from gis_core.models import Grid

    old = Grid.objects.filter(pk=p.grid_id).values_list("boundary", flat=True).get()
    column = "b.mesh_id" if p.level == "mesh" else "b.grid_id"  # whitelisted: one of two fixed names
    with connection.cursor() as cur:
        cur.execute(_MEMBERSHIP_SQL.format(column=column), {
            "geom": bytes(p.geometry.ewkb), "old": bytes(old.ewkb), "grid": p.grid_id, "community": p.community_id})
        rows = cur.fetchall()
    return [r[0] for r in rows if r[1]], [r[0] for r in rows if not r[1]]


def counts_in(geom: MultiPolygon, community_id: int) -> dict:
    return _fetch(_COUNTS_IN_SQL, {"geom": bytes(geom.ewkb), "community": community_id, "today": _today()})


def check(p: Proposal) -> dict:
    """The full report for one proposed boundary: {ok, errors, warnings, validity, …}."""
    errors: list[dict] = []
    warnings: list[dict] = []
    report: dict = {"validity": validity(p.geometry)}
    if not report["validity"]["ok"]:
        errors.append({"rule": "validity", "message": _("边界不是有效的面：%(reason)s")
                       % {"reason": report["validity"]["reason"]}})
        return {"ok": False, "errors": errors, "warnings": warnings, **report}

    exclude = [i for i in [p.grid_id, *p.replaces] if i is not None]
    row = _fetch(_CHECK_SQL, {
        "geom": bytes(p.geometry.ewkb), "together": [bytes(t.ewkb) for t in p.together],
        "together_codes": (p.together_codes or [""] * len(p.together)),
        "level": p.level, "parent": p.parent_id, "community": p.community_id, "exclude": exclude,
        "grid": p.grid_id, "kids_exempt": p.children_exempt,
        "today": _today(), "tol": TOLERANCE_M, "overlap_m2": OVERLAP_M2, "gap_m2": GAP_M2, "cut_m2": CUT_M2,
    })
    if not row["has_parent"]:
        errors.append({"rule": "parent", "message": _("找不到上级（社区或网格）")})
        return {"ok": False, "errors": errors, "warnings": warnings, **report}

    outside = row["outside_m2"] or 0.0
    report["inside_parent"] = {"ok": outside <= OVERLAP_M2, "outside_m2": round(outside, 1),
                               "outside_shape": _geojson(row["outside_shape"]) if outside > OVERLAP_M2 else None}
    if not report["inside_parent"]["ok"]:
        errors.append({"rule": "inside_parent",
                       "message": _("有 %(area).1f m² 超出上级边界") % {"area": outside}})

    report["overlaps"] = row["overlaps"] or []
    for o in report["overlaps"]:
        errors.append({"rule": "overlap", "grid": o["code"],
                       "message": _("与 %(code)s 重叠 %(area)s m²")
                       % {"code": o["code"], "area": o["area_m2"]}})

    report["children_outside"] = row["children_outside"] or []
    for c in report["children_outside"]:
        errors.append({"rule": "children_inside", "grid": c["code"],
                       "message": _("网眼 %(code)s 有 %(area)s m² 会在网格之外（请先修改网眼）")
                       % {"code": c["code"], "area": c["outside_m2"]}})

    gap = row["gap_m2"] or 0.0
    report["gaps"] = {"area_m2": round(gap, 1), "before_m2": round(row["gap_before_m2"] or 0.0, 1),
                      "shape": _geojson(row["gap_shape"]) if gap > GAP_M2 else None}
    if gap > GAP_M2:
        warnings.append({"rule": "gap", "message": _("上级内留有 %(area).1f m² 空隙（修改前 %(before).1f m²）")
                         % {"area": gap, "before": row["gap_before_m2"] or 0.0}})

    report["cut_buildings"] = row["cut_buildings"] or []
    for b in report["cut_buildings"]:
        errors.append({"rule": "cut_building", "building": b["code"],
                       "message": _("边界穿过楼栋 %(code)s") % {"code": b["code"]}})

    if p.grid_id:
        from planner import stats

        report["before"] = stats.current(p.grid_id)
        leaving, entering = membership_changes(p)
        counts = stats.per_building(leaving + entering)
        out, into = stats.total(leaving, counts), stats.total(entering, counts)
        report["after"] = {f: report["before"][f] - out[f] + into[f] for f in stats.FIELDS}
    else:
        report["before"] = {"buildings": 0, "rooms": 0, "households": 0, "residents": 0}
        report["after"] = counts_in(p.geometry, p.community_id)
    return {"ok": not errors, "errors": errors, "warnings": warnings, **report}


def check_many(proposals: list[Proposal]) -> list[dict]:
    """Reports for many proposals saved together (an import of a whole layer), in their order.

    Proposals under the same parent are siblings of one another: each is checked against the
    current grids it does not replace and against the other proposals' new shapes, never against
    the old shapes they replace — the rules of `check`, applied to the whole set."""
    groups: dict[tuple, list[Proposal]] = {}
    for p in proposals:
        groups.setdefault((p.community_id, p.level, p.parent_id), []).append(p)
    reports = {}
    for group in groups.values():
        for p in group:
            others = [q for q in group if q is not p]
            reports[id(p)] = check(replace(
                p, replaces=[*p.replaces, *(q.grid_id for q in others if q.grid_id)],
                together=[*p.together, *(q.geometry for q in others)],
                together_codes=[*(p.together_codes or [""] * len(p.together)), *(q.code for q in others)]))
    return [reports[id(p)] for p in proposals]


_COMMUNITY_OVERLAP_SQL = """
WITH n AS (SELECT ST_Buffer(ST_GeomFromEWKB(%(geom)s)::geography, -%(tol)s)::geometry AS geom)
SELECT c.code, round(ST_Area(ST_Intersection(c.boundary, n.geom)::geography)::numeric, 1)
FROM gis_core_community c, n
WHERE NOT (c.id = ANY(%(exclude)s)) AND ST_Intersects(c.boundary, n.geom)
"""


def community_overlaps(geom: MultiPolygon, exclude: list[int]) -> list[dict]:
    """Other communities a proposed community boundary overlaps beyond the tolerances (communities
    are the top of the tree: a building must lie in exactly one)."""
    with connection.cursor() as cur:
        cur.execute(_COMMUNITY_OVERLAP_SQL, {"geom": bytes(geom.ewkb), "tol": TOLERANCE_M, "exclude": exclude})
        return [{"code": code, "area_m2": float(area)} for code, area in cur.fetchall() if area > OVERLAP_M2]
