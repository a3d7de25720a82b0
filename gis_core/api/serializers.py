"""Public serializers carry no tenant data: only places, buildings, rooms and what kiosks show."""

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from buildings.models import Building, Room
from gis_core.models import Camera, Community, Grid
from kiosk.models import Kiosk


class SummarySerializer(serializers.Serializer):
    communities = serializers.IntegerField()
    grids = serializers.IntegerField()
    meshes = serializers.IntegerField()
    buildings = serializers.IntegerField()
    rooms = serializers.IntegerField()
    vacant_rooms = serializers.IntegerField()
    tenants = serializers.IntegerField(help_text="people with an open tenancy (a count only)")
    cameras = serializers.IntegerField()
    kiosks = serializers.IntegerField()


class KioskSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Kiosk
        geo_field = "location"
        fields = ("code", "name", "resident_group")


class CommunitySerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Community
        geo_field = "boundary"
        fields = ("code", "name")


class GridSerializer(GeoFeatureModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    area_m2 = serializers.FloatField(read_only=True)

    class Meta:
        model = Grid
        geo_field = "boundary"
        fields = ("code", "name", "level", "kind", "parent", "responsible_person", "responsible_phone",
                  "valid_from", "valid_to", "version", "area_m2")


class BuildingSerializer(GeoFeatureModelSerializer):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    mesh = serializers.SlugRelatedField(slug_field="code", read_only=True)
    height_m = serializers.FloatField(source="effective_height_m", read_only=True)
    room_count = serializers.IntegerField(read_only=True)
    vacant_count = serializers.IntegerField(read_only=True)
    landlord_phone = serializers.SerializerMethodField(help_text="only when the landlord consented to publish it")

    class Meta:
        model = Building
        geo_field = "footprint"
        fields = ("code", "address", "floors", "height_m", "grid", "mesh", "room_count", "vacant_count",
                  "landlord_phone")

    def get_landlord_phone(self, obj) -> str | None:
        return obj.landlord.public_phone if obj.landlord_id else None


class RoomSerializer(serializers.ModelSerializer):
    building = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Room
        fields = ("id", "building", "floor", "number", "area_m2", "rent_monthly", "capacity", "status")


class CameraSerializer(GeoFeatureModelSerializer):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    effective_hfov_deg = serializers.FloatField(read_only=True)

    class Meta:
        model = Camera
        geo_field = "location"
        fields = ("code", "name", "grid", "ptz_type", "mount_height_m", "heading_deg", "tilt_deg", "hfov_deg",
                  "focal_length_mm", "sensor_width_mm", "effective_hfov_deg", "resolution_h", "resolution_v",
                  "range_m", "active")
