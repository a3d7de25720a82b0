"""GeoJSON from a client → a GEOS geometry, or a 400 that says what is wrong.

The one parser every geometry-taking endpoint uses: GDAL/GEOS raise several exception types
(GDALException for an unknown type or string coordinates, GEOSException, ValueError, TypeError),
and a ring of fewer than four points passes GDAL but makes PostGIS fail later, so rings are
checked here before anything reaches the database.
"""

from __future__ import annotations

import json
import math

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString, MultiPolygon, Point, Polygon
from django.utils.translation import gettext as _

from gis_core.errors import BadRequest

_NAMES = {Point: "Point", LineString: "LineString", Polygon: "Polygon", MultiPolygon: "MultiPolygon"}


def _coords(geom):
    if isinstance(geom, Point):
        yield geom.coords
    elif isinstance(geom, LineString):
        yield from geom.coords
    else:
        for part in geom:
            yield from _coords(part)


def _rings(geom):
    polygons = [geom] if isinstance(geom, Polygon) else list(geom) if isinstance(geom, MultiPolygon) else []
    for polygon in polygons:
        yield from polygon


def parse_geojson(value, kinds: tuple[type, ...], *, field: str = "geometry"):
    """`value` (a GeoJSON dict or its text, lon/lat) as one of `kinds`, SRID 4326."""
    expected = " / ".join(_NAMES.get(k, k.__name__) for k in kinds)
    if value in (None, "", {}, []):
        raise BadRequest(_("缺少几何图形"), field=field)
    if not isinstance(value, (dict, str)):
        raise BadRequest(_("几何图形须为 GeoJSON 对象（%(kinds)s）") % {"kinds": expected}, field=field)
    try:
        text = value if isinstance(value, str) else json.dumps(value)
        geom = GEOSGeometry(text, srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise BadRequest(_("几何图形不是有效的 GeoJSON（%(kinds)s）") % {"kinds": expected}, field=field) from None
    if geom.srid in (None, 0):
        geom.srid = 4326
    if geom.srid != 4326:
        raise BadRequest(_("坐标须为经纬度 (EPSG:4326)"), field=field)
    if not isinstance(geom, kinds) or geom.empty:
        raise BadRequest(_("几何图形须为 %(kinds)s") % {"kinds": expected}, field=field)
    for ring in _rings(geom):
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise BadRequest(_("面的每个环须闭合且至少有 4 个点"), field=field)
    for x, y, *_z in _coords(geom):
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            raise BadRequest(_("坐标超出经纬度范围"), field=field)
    return geom
