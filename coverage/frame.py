"""GEOS lon/lat ↔ shapely in the local Gauss–Krüger metres (gis_core.spatial), vectorised."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from shapely.geometry import Polygon as SPolygon

from gis_core.spatial import gauss_kruger_epsg, local_transformers


class LocalFrame:
    """One Gauss–Krüger zone: conversions of geometries and of azimuths (meridian convergence)."""

    def __init__(self, lon: float):
        self.epsg = gauss_kruger_epsg(lon)
        self.fwd, self.inv = local_transformers(lon)

    def _apply(self, tr, geom):
        return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))

    def to_local(self, geos_geom):
        return self._apply(self.fwd, shapely.from_wkb(bytes(geos_geom.wkb)))

    def to_local_many(self, geos_geoms) -> list:
        """Many geometries at once: one vectorised coordinate transform for all of them."""
        wkbs = [bytes(g.wkb) for g in geos_geoms]
        if not wkbs:
            return []
        return list(self._apply(self.fwd, shapely.from_wkb(np.array(wkbs, dtype=object))))

    def point(self, geos_point) -> tuple[float, float]:
        return self.fwd.transform(geos_point.x, geos_point.y)

    def to_lonlat(self, local_geom, srid: int = 4326) -> GEOSGeometry:
        g = self._apply(self.inv, local_geom)
        return GEOSGeometry(memoryview(shapely.to_wkb(g)), srid=srid)

    def grid_azimuth(self, lon: float, lat: float, true_azimuth: float) -> float:
        """Azimuth on the map grid for a true (north = 0) azimuth at a point: adds the grid angle
        of true north there (meridian convergence, up to ~1° within a zone)."""
        x0, y0 = self.fwd.transform(lon, lat)
        x1, y1 = self.fwd.transform(lon, lat + 1e-4)
        return true_azimuth + math.degrees(math.atan2(x1 - x0, y1 - y0))


@lru_cache(maxsize=8)
def frame_for(lon: float) -> LocalFrame:
    return LocalFrame(lon)


def polygons(geom) -> list[SPolygon]:
    """The polygon parts of any shapely geometry (drops zero-area slivers and stray lines/points)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom] if geom.area > 1e-6 else []
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [q for part in shapely.get_parts(geom) for q in polygons(part)]
    return []


def as_multipolygon(frame: LocalFrame, local_geom) -> MultiPolygon | None:
    parts = polygons(local_geom)
    if not parts:
        return None
    g = frame.to_lonlat(shapely.MultiPolygon(parts))
    return g if isinstance(g, MultiPolygon) else MultiPolygon(g, srid=4326)
