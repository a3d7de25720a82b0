"""Shared spatial vocabulary: SRIDs, small PostGIS `Func` expressions and metric CRS helpers.

Geometry is stored in lon/lat (EPSG:4326; CGCS2000 EPSG:4490 differs from it by centimetres and
is accepted on import). Every table that tiles read also keeps a *stored* EPSG:3857 copy with
its own GiST index (a generated column), so a tile query compares an indexed column with a
tile envelope and never transforms per row. Lengths and areas are always computed in metres:
on the geography type in SQL, or in a local Gauss–Krüger zone (pyproj) in Python.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.db.models import FloatField, Func
from pyproj import Transformer

STORAGE_SRID = 4326
WEB_MERCATOR_SRID = 3857
CGCS2000_SRID = 4490


class GeographyArea(Func):
    """Area in square metres on the ellipsoid (ST_Area over geography)."""

    template = "ST_Area(%(expressions)s::geography)"
    output_field = FloatField()


class AsGeography(Func):
    template = "(%(expressions)s)::geography"
    output_field = models.GeometryField(srid=STORAGE_SRID, geography=True)


class GeographyDistance(Func):
    """Distance in metres between two lon/lat geometries (ST_Distance over geography).

    Good to a metre or so — enough for "walking distance to a room". Between polygons that are
    less than a metre apart it can answer 0: measure those in the local Gauss–Krüger zone.
    """

    function = "ST_Distance"
    output_field = FloatField()

    def __init__(self, a, b, **extra):
        super().__init__(AsGeography(a), AsGeography(b), **extra)


class KnnDistance(Func):
    """`a <-> b`: distance between two geometries that ORDER BY answers from a GiST index (KNN)."""

    template = "%(expressions)s"
    arg_joiner = " <-> "
    output_field = FloatField()


class PointOnSurface(Func):
    """A point guaranteed to lie inside the geometry (unlike a centroid of an L-shaped footprint)."""

    function = "ST_PointOnSurface"
    output_field = models.PointField(srid=STORAGE_SRID)


class SimplifyPreserveTopology(Func):
    """ST_SimplifyPreserveTopology: fewer vertices, never an invalid polygon (immutable, so usable
    in a generated column)."""

    function = "ST_SimplifyPreserveTopology"


class Multi(Func):
    """ST_Multi: keep a multi-geometry column's type when an operation returns a single part."""

    function = "ST_Multi"


GENERALISE_M = 5.0  # tolerance (EPSG:3857 metres) of the stored low-zoom copies


def mercator_generalised(field_name: str, output_field, tolerance: float = GENERALISE_M) -> models.GeneratedField:
    """A stored, simplified EPSG:3857 copy for low-zoom tiles: generalised once on write, not per tile.

    `tolerance` (metres): a basemap keeps one copy per zoom band (coarser for the city overview)."""
    return models.GeneratedField(
        expression=Multi(
            SimplifyPreserveTopology(Transform(field_name, WEB_MERCATOR_SRID), tolerance, output_field=output_field),
            output_field=output_field,
        ),
        output_field=output_field,
        db_persist=True,
        editable=False,
    )


def mercator(field_name: str, output_field) -> models.GeneratedField:
    """A stored EPSG:3857 copy of a lon/lat column, kept by PostgreSQL itself (ST_Transform is immutable)."""
    return models.GeneratedField(
        expression=Transform(field_name, WEB_MERCATOR_SRID),
        output_field=output_field,
        db_persist=True,
        editable=False,
    )


def anchor_point(field_name: str) -> models.GeneratedField:
    """A stored point guaranteed inside a footprint (ST_PointOnSurface, not a centroid that an
    L-shaped building can have in the neighbour's yard): the one point that places a building in
    its community, grid and mesh, and that search and 3D measure from. Kept by PostgreSQL
    (ST_PointOnSurface is immutable), so no statement computes it per row."""
    return models.GeneratedField(
        expression=PointOnSurface(field_name, output_field=models.PointField(srid=STORAGE_SRID)),
        output_field=models.PointField(srid=STORAGE_SRID),
        db_persist=True,
        editable=False,
    )


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger zone (central meridian form) for a longitude.

    EPSG:4534 is CM 75°E; codes step by one per 3 degrees up to EPSG:4554 (CM 135°E). Survey data
    in China is commonly delivered in these zones, and they are our local metric CRS.
    """
    cm = round(lon / 3) * 3
    if not 75 <= cm <= 135:
        raise ValueError(f"longitude {lon} is outside China's Gauss–Krüger zones (75°E–135°E)")
    return 4534 + (cm - 75) // 3


@lru_cache(maxsize=32)
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    return (
        Transformer.from_crs(STORAGE_SRID, epsg, always_xy=True),
        Transformer.from_crs(epsg, STORAGE_SRID, always_xy=True),
    )


def to_local(lon: float, lat: float, epsg: int | None = None):
    """(x, y) metres in the local Gauss–Krüger zone of the point (or of `epsg`)."""
    fwd, _ = _transformers(epsg or gauss_kruger_epsg(lon))
    return fwd.transform(lon, lat)


def local_transformers(lon: float) -> tuple[Transformer, Transformer]:
    """(lonlat→metres, metres→lonlat) for the Gauss–Krüger zone around `lon`."""
    return _transformers(gauss_kruger_epsg(lon))
