"""Unmanaged models over our tables: only the columns the tile layers read."""

from django.contrib.gis.db import models


class Community(models.Model):
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    boundary_3857 = models.GeometryField(srid=3857)
    boundary_3857_generalised = models.GeometryField(srid=3857)

    class Meta:
        managed = False
        db_table = "gis_core_community"


class Grid(models.Model):
    level = models.CharField(max_length=8)
    kind = models.CharField(max_length=20)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    valid_to = models.DateField(null=True)
    parent = models.ForeignKey("self", null=True, on_delete=models.DO_NOTHING, related_name="+")
    boundary_3857 = models.GeometryField(srid=3857)
    boundary_3857_generalised = models.GeometryField(srid=3857)
    label_3857 = models.GeometryField(srid=3857)

    class Meta:
        managed = False
        db_table = "gis_core_grid"


class Building(models.Model):
    code = models.CharField(max_length=40)
    address = models.CharField(max_length=200)
    floors = models.SmallIntegerField()
    floor_height_m = models.FloatField()
    height_m = models.FloatField(null=True)
    room_count = models.IntegerField()
    vacant_count = models.IntegerField()
    footprint_3857 = models.GeometryField(srid=3857)

    class Meta:
        managed = False
        db_table = "buildings_building"


class Room(models.Model):
    # The foreign key is named `b` so that the tile attributes can be called `building` and
    # `building_id`, as in our layers (an annotation may not shadow a model field).
    b = models.ForeignKey(Building, db_column="building_id", on_delete=models.DO_NOTHING, related_name="+")
    floor = models.SmallIntegerField()
    number = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    rent_monthly = models.DecimalField(max_digits=10, decimal_places=2)
    area_m2 = models.DecimalField(max_digits=8, decimal_places=2)
    shape_3857 = models.GeometryField(srid=3857)

    class Meta:
        managed = False
        db_table = "buildings_room"


class Kiosk(models.Model):
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    resident_group = models.CharField(max_length=50)
    location_3857 = models.GeometryField(srid=3857)

    class Meta:
        managed = False
        db_table = "kiosk_kiosk"
