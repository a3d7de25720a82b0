"""Vacant-room search for kiosks, building QR pages and phones: the domain query, no HTTP.

Rooms are found through their building: community, grid or building narrow the search (a kiosk
always searches its own community), then rent, area and floor ranges; results are ordered by
distance from a point (the kiosk) using the GiST index of the buildings' EPSG:3857 footprints
(`<->`), by rent or by area. Distances are metres on the ellipsoid between the point and the
building, and walking distance is that times a detour factor: there is no alley network yet, and
in a grid of 2–4 m alleys the walk is about a quarter longer than the straight line.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Point
from django.db.models import F, FloatField, Func, Value

from buildings.models import Room
from gis_core.spatial import STORAGE_SRID, WEB_MERCATOR_SRID, GeographyDistance, PointOnSurface

WALK_DETOUR = 1.25


class KnnDistance(Func):
    """`a <-> b`: index-assisted (KNN) distance ordering between two EPSG:3857 geometries."""

    template = "%(expressions)s"
    arg_joiner = " <-> "
    output_field = FloatField()


@dataclass(frozen=True)
class RoomQuery:
    community_id: int | None = None
    grid_id: int | None = None
    grid_level: str | None = None
    building_id: int | None = None
    rent_min: int | None = None
    rent_max: int | None = None
    area_min: float | None = None
    area_max: float | None = None
    floor_min: int | None = None
    floor_max: int | None = None
    near: Point | None = None
    sort: str = "distance"


SORTS = {"distance", "rent", "-rent", "area", "-area"}


def vacant_rooms(q: RoomQuery):
    """A queryset of vacant rooms matching `q`, with building, grid and landlord selected and,
    when `near` is given, `distance_m` and `walk_m` annotated."""
    qs = Room.objects.vacant().select_related("building__grid", "building__landlord")
    if q.building_id is not None:
        qs = qs.filter(building_id=q.building_id)
    if q.community_id is not None:
        qs = qs.filter(building__community_id=q.community_id)
    if q.grid_id is not None:
        qs = qs.filter(**{("building__mesh_id" if q.grid_level == "mesh" else "building__grid_id"): q.grid_id})
    for field, lookup, value in (
        ("rent_monthly", "gte", q.rent_min), ("rent_monthly", "lte", q.rent_max),
        ("area_m2", "gte", q.area_min), ("area_m2", "lte", q.area_max),
        ("floor", "gte", q.floor_min), ("floor", "lte", q.floor_max),
    ):
        if value is not None:
            qs = qs.filter(**{f"{field}__{lookup}": value})
    if q.near is not None:
        here = Value(q.near, output_field=PointField(srid=STORAGE_SRID))
        qs = qs.annotate(distance_m=GeographyDistance(PointOnSurface("building__footprint"), here))
        qs = qs.annotate(walk_m=F("distance_m") * WALK_DETOUR)
    order = {
        "distance": (KnnDistance(F("building__footprint_3857"), Transform(Value(q.near, output_field=PointField(srid=STORAGE_SRID)), WEB_MERCATOR_SRID))
                     if q.near is not None else "building__code",),
        "rent": ("rent_monthly",), "-rent": ("-rent_monthly",), "area": ("area_m2",), "-area": ("-area_m2",),
    }[q.sort]
    return qs.order_by(*order, "building_id", "floor", "number")
