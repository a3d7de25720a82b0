"""GET /3d/ground/<community code>.json: the offline basemap under the 3D model — roads, rivers,
water, landuse, walls, gates and place names of one community's extent, as one small GeoJSON.

Why this and not raster imagery on the globe: the basemap lives as vectors in PostGIS (basemap/)
and we have no raster renderer; a draped imagery layer would need one, plus a request per tile
and level. One request per community (tens of KB gzip for the demo's ≈1.8 km²) drawn as a few
batched ground-clamped Cesium primitives (model3d/static/model3d/ground3d.js) is the least that
shows the streets under the buildings, offline, and it loads after the model's first frame.

What comes back is generalised for a street-level view: clipped to the community's extent (plus
a margin), simplified to ½ m, road pieces of the same class and name merged into one line;
widths (ground metres) and colours come from the 2D style (tiles/basemap_style.py) so the 3D
ground reads like every 2D map. Only basemap columns are selected — nothing about people.

Cached like the other public reads: an ETag, and the gzip body kept in the tile cache under the
community, stamped with what it was made from (the community's boundary and the extracts over
it: replace_extract rewrites an extract's `imported_at`). The stamp is read on the same database
the body is (a lagging replica never stores an old body under a new stamp). The stamp is the
whole invalidation: a replaced extract or a moved boundary changes it, and a body stored under
another stamp is made again — no receiver has to drop anything.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from django.core.cache import caches
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from gis_core.errors import BadRequest, NotFound
from replicas.routing import read_connection
from tiles import basemap_style as style
from tiles.http import cache_control, etag_matches

MARGIN_DEG = 0.0015          # ≈ 150 m of streets around the community's extent
SIMPLIFY_DEG = 0.000005      # ≈ ½ m
MAX_FEATURES = 20_000        # a bound on one answer whatever the extract holds
CODE = re.compile(r"^\d{12}$")
ROAD_WIDTH = {1: 18.0, 2: 12.0, 3: 7.0, 4: 3.0, 5: 2.0}    # metres by rank, as the 2D style
WATERWAY_WIDTH = {"river": 24.0, "canal": 12.0}            # others 4 m, as the 2D style

_STAMP = """
    SELECT c.id, md5(ST_AsEWKB(c.boundary)) || ':' || coalesce((
             SELECT string_agg(e.id || '@' || e.imported_at::text, ',' ORDER BY e.id) FROM basemap_extract e
             WHERE e.area && ST_Expand(c.boundary, %(m)s)), '')
    FROM gis_core_community c WHERE c.code = %(code)s"""

# One query: every layer clipped to the box, simplified; roads merged by (rank, name, width).
_FEATURES = """
    WITH box AS (SELECT ST_Expand(ST_Envelope(boundary), %(m)s) AS g FROM gis_core_community WHERE code = %(code)s),
    roads AS (
      SELECT rank, name, width_m, ST_LineMerge(ST_Collect(ST_ClipByBox2D(r.geom, box.g))) AS geom
      FROM basemap_road r, box WHERE r.geom && box.g GROUP BY rank, name, width_m)
    SELECT layer, kind, name, rank, width, main, ST_AsGeoJSON(geom, 6) FROM (
      SELECT 'road' AS layer, '' AS kind, name, rank, width_m AS width, false AS main,
             ST_SimplifyPreserveTopology(geom, %(t)s) AS geom, 3 AS ord FROM roads
      UNION ALL SELECT 'waterway', kind, name, 0, NULL, false,
             ST_SimplifyPreserveTopology(ST_ClipByBox2D(w.geom, box.g), %(t)s), 2
        FROM basemap_waterway w, box WHERE w.geom && box.g
      UNION ALL SELECT 'water', kind, name, 0, NULL, false,
             ST_SimplifyPreserveTopology(ST_ClipByBox2D(w.geom, box.g), %(t)s), 1
        FROM basemap_water w, box WHERE w.geom && box.g
      UNION ALL SELECT 'landuse', kind, '', 0, NULL, false,
             ST_SimplifyPreserveTopology(ST_ClipByBox2D(l.geom, box.g), %(t)s), 0
        FROM basemap_landuse l, box WHERE l.geom && box.g
      UNION ALL SELECT 'wall', kind, '', 0, NULL, false,
             ST_SimplifyPreserveTopology(ST_ClipByBox2D(b.geom, box.g), %(t)s), 4
        FROM basemap_barrier b, box WHERE b.geom && box.g
      UNION ALL SELECT 'gate', kind, name, 0, NULL, main, g.geom, 5
        FROM basemap_gate g, box WHERE g.geom && box.g
      UNION ALL SELECT 'place', kind, name, 0, NULL, false, p.geom, 6
        FROM basemap_place p, box WHERE p.geom && box.g
    ) x WHERE NOT ST_IsEmpty(geom) ORDER BY ord LIMIT %(limit)s"""


def colours() -> dict:
    """The 2D style's colours (tiles/basemap_style.py), for the 3D ground to match."""
    return {"road": style.ROAD, "major": style.MAJOR, "path": "#a89f91", "water": style.WATER,
            "wall": style.WALL, "gate": style.GATE, "landuse": style.LANDUSE, "landuse_other": "#ebe6dc"}


def _width(layer: str, kind: str, rank: int, width: float | None) -> float | None:
    if layer == "road":
        return round(width or ROAD_WIDTH.get(rank, 3.0), 1)
    if layer == "waterway":
        return WATERWAY_WIDTH.get(kind, 4.0)
    return None


def _feature(layer, kind, name, rank, width, main, geometry) -> dict:
    props = {"layer": layer}
    if kind:
        props["kind"] = kind
    if name:
        props["name"] = name
    if layer == "road":
        props["rank"] = rank
    if (w := _width(layer, kind, rank, width)) is not None:
        props["width"] = w
    if layer == "gate":
        props["main"] = bool(main)
    return {"type": "Feature", "properties": props, "geometry": json.loads(geometry)}


def ground(code: str, cur) -> dict:
    cur.execute(_FEATURES, {"code": code, "m": MARGIN_DEG, "t": SIMPLIFY_DEG, "limit": MAX_FEATURES})
    return {"type": "FeatureCollection", "colours": colours(),
            "features": [_feature(*row) for row in cur.fetchall()]}


def _key(code: str) -> str:
    return f"ground3d:{code}"


@require_safe
def ground_view(request, code: str):
    if not CODE.match(code):
        raise BadRequest(f"not a community code: {code!r} (12 digits)")
    with read_connection().cursor() as cur:
        cur.execute(_STAMP, {"code": code, "m": MARGIN_DEG})
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"unknown community {code!r}")
        stamp = row[1]
        etag = '"g' + hashlib.sha256(stamp.encode()).hexdigest()[:31] + '"'
        headers = {"ETag": etag, "Cache-Control": cache_control(), "Vary": "Accept-Encoding",
                   "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
        if etag_matches(request.headers.get("If-None-Match"), etag):
            return _with(HttpResponse(status=304), headers)
        cached = caches["tiles"].get(_key(code))
        if cached is not None and cached[0] == stamp:
            gz = cached[1]
        else:
            body = json.dumps(ground(code, cur), ensure_ascii=False, separators=(",", ":")).encode()
            gz = gzip.compress(body, 6)
            caches["tiles"].set(_key(code), (stamp, gz))
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return _with(HttpResponse(gz, content_type="application/json"), headers)
    return _with(HttpResponse(gzip.decompress(gz), content_type="application/json"), headers)


def _with(response: HttpResponse, headers: dict) -> HttpResponse:
    for k, v in headers.items():
        response[k] = v
    return response
