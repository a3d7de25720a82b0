"""Our public tile layers (tiles/layers.py) written the django-vectortiles way.

Same tables, geometry columns, zoom ranges, filters, attributes and caps. A layer whose geometry
column or cap changes with the zoom is split into one VectorLayer per zoom band with the same id,
which is how django-vectortiles expresses that. Every attribute is an ORM expression equal to
the SQL expression of tiles/layers.py; `id` is sent as an attribute (the library sets no
feature id).
"""

from django.db.models import F, FloatField, IntegerField
from django.db.models.functions import Cast, Coalesce
from vectortiles import VectorLayer

from dvt_site.models import Building, Community, Grid, Kiosk, Room

EXTENT, BUFFER = 4096, 64  # as tiles/layers.py


class Base(VectorLayer):
    tile_extent = EXTENT
    tile_buffer = BUFFER
    max_zoom = 18


class CommunitiesLow(Base):
    id, min_zoom, max_zoom, geom_field = "communities", 8, 12, "boundary_3857_generalised"
    tile_fields = ("id", "code", "name")

    def get_queryset(self):
        return Community.objects.all()


class CommunitiesHigh(CommunitiesLow):
    min_zoom, max_zoom, geom_field = 13, 18, "boundary_3857"


class GridsLow(Base):
    id, min_zoom, max_zoom, geom_field = "grids", 11, 14, "boundary_3857_generalised"
    tile_fields = ("id", "code", "name", "kind")

    def get_queryset(self):
        return Grid.objects.filter(level="grid", valid_to__isnull=True)


class GridsHigh(GridsLow):
    min_zoom, max_zoom, geom_field = 15, 18, "boundary_3857"


class MeshesLow(Base):
    id, min_zoom, max_zoom, geom_field = "meshes", 14, 14, "boundary_3857_generalised"
    tile_fields = ("id", "code", "name", "grid")

    def get_queryset(self):
        return Grid.objects.filter(level="mesh", valid_to__isnull=True).annotate(grid=F("parent__code"))


class MeshesHigh(MeshesLow):
    min_zoom, max_zoom, geom_field = 15, 18, "boundary_3857"


class GridLabels(Base):
    id, min_zoom, geom_field = "grid_labels", 12, "label_3857"
    tile_fields = ("id", "code", "name", "level")

    def get_queryset(self):
        return Grid.objects.filter(valid_to__isnull=True)


class BuildingsCapped(Base):
    # No address before z16 (tiles/layers.py field_minzoom).
    id, min_zoom, max_zoom, geom_field = "buildings", 14, 14, "footprint_3857"
    tile_fields = ("id", "code", "floors", "height", "room_count", "vacant_count")
    queryset_limit = 6000

    def get_queryset(self):
        return (Building.objects.annotate(height=Coalesce(F("height_m"), F("floors") * F("floor_height_m")))
                .order_by("-room_count"))


class BuildingsOverview(BuildingsCapped):
    min_zoom, max_zoom, queryset_limit = 15, 15, None

    def get_queryset(self):
        return Building.objects.annotate(height=Coalesce(F("height_m"), F("floors") * F("floor_height_m")))


class Buildings(BuildingsOverview):
    min_zoom, max_zoom = 16, 18
    tile_fields = ("id", "code", "address", "floors", "height", "room_count", "vacant_count")


class RoomsCapped(Base):
    id, min_zoom, max_zoom, geom_field = "rooms", 17, 17, "shape_3857"
    tile_fields = ("id", "building", "building_id", "floor", "number", "base_height", "height", "status",
                   "rent", "area")
    queryset_limit = 8000

    def get_queryset(self):
        return Room.objects.annotate(
            building=F("b__code"), building_id=F("b_id"),
            base_height=(F("floor") - 1) * F("b__floor_height_m"), height=F("floor") * F("b__floor_height_m"),
            rent=Cast("rent_monthly", IntegerField()), area=Cast("area_m2", FloatField()),
        )


class Rooms(RoomsCapped):
    min_zoom, max_zoom, queryset_limit = 18, 18, None


class Kiosks(Base):
    id, min_zoom, geom_field = "kiosks", 12, "location_3857"
    tile_fields = ("id", "code", "name", "resident_group")

    def get_queryset(self):
        return Kiosk.objects.all()


# In the order of tiles/layers.py (cameras are not public).
ALL = [CommunitiesLow, CommunitiesHigh, GridsLow, GridsHigh, MeshesLow, MeshesHigh, GridLabels,
       BuildingsCapped, BuildingsOverview, Buildings, RoomsCapped, Rooms, Kiosks]
BUILDINGS = [BuildingsCapped, BuildingsOverview, Buildings]
