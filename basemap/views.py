"""GET /api/basemap/snap/?bbox=w,s,e,n: the lines a planner draws grid boundaries along — main
roads and lanes, walls, rivers — as GeoJSON, for Leaflet-Geoman to snap vertices to.

Bounded: at most SNAP_AREA_KM2 of ground and SNAP_LIMIT features per request (the planner asks
for its view when zoomed in). Alleys are left out: snapping to every 3 m alley would fight the
planner's hand.
"""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from gis_core.errors import BadRequest, DomainError, PayloadTooLarge

SNAP_AREA_KM2 = 16.0
SNAP_LIMIT = 5000
_SQL = """
    WITH box AS (SELECT ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) AS g)
    SELECT kind, name, ST_AsGeoJSON(geom, 7) FROM (
      SELECT 'road' AS kind, name, geom FROM basemap_road, box WHERE geom && box.g AND rank <= 3
      UNION ALL SELECT 'wall', '', geom FROM basemap_barrier, box WHERE geom && box.g
      UNION ALL SELECT 'river', name, geom FROM basemap_waterway, box WHERE geom && box.g
    ) x LIMIT %(limit)s"""


def parse_bbox(text: str | None) -> tuple[float, float, float, float]:
    try:
        w, s, e, n = (float(v) for v in (text or "").split(","))
    except ValueError:
        raise BadRequest("bbox must be west,south,east,north in degrees") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise BadRequest("bbox must have west < east and south < north, within the world")
    return w, s, e, n


@require_safe
def snap_lines(request):
    from django.db import connection

    try:
        w, s, e, n = parse_bbox(request.GET.get("bbox"))
        with connection.cursor() as cur:
            cur.execute("SELECT ST_Area(ST_MakeEnvelope(%s, %s, %s, %s, 4326)::geography) / 1e6", [w, s, e, n])
            if cur.fetchone()[0] > SNAP_AREA_KM2:
                raise PayloadTooLarge(f"bbox too large: at most {SNAP_AREA_KM2:g} km² (zoom in)")
            cur.execute(_SQL, {"w": w, "s": s, "e": e, "n": n, "limit": SNAP_LIMIT})
            rows = cur.fetchall()
    except DomainError as exc:
        return JsonResponse(exc.body(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": kind, "name": name}, "geometry": json.loads(geom)}
        for kind, name, geom in rows]}, json_dumps_params={"ensure_ascii": False})
