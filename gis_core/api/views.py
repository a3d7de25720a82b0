"""Read-only JSON API. Thin views; the vocabulary lives in the models' QuerySets."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from buildings.models import Building, Room
from gis_core.api import serializers as s
from gis_core.models import Camera, Community, Grid
from kiosk.models import Kiosk
from residents.models import Tenancy


class SummaryView(APIView):
    """Counts for dashboards and the landing page (public; aggregates only)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.SummarySerializer)
    def get(self, request):
        data = {
            "communities": Community.objects.count(),
            "grids": Grid.objects.grids().count(),
            "meshes": Grid.objects.meshes().count(),
            "buildings": Building.objects.count(),
            "rooms": Room.objects.count(),
            "vacant_rooms": Room.objects.vacant().count(),
            "tenants": Tenancy.objects.active().values("person").distinct().count(),
            "cameras": Camera.objects.count(),
            "kiosks": Kiosk.objects.count(),
        }
        return Response(s.SummarySerializer(data).data)


class KioskList(generics.ListAPIView):
    """Public list of kiosks: where to find a touchscreen."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.KioskSerializer
    queryset = Kiosk.objects.all()
    pagination_class = None


class CommunityList(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = s.CommunitySerializer
    queryset = Community.objects.all()
    pagination_class = None


def _choice(request, name, allowed):
    value = request.query_params.get(name)
    if value is not None and value not in allowed:
        raise ValidationError({name: f"must be one of {', '.join(sorted(allowed))}"})
    return value


class GridList(generics.ListAPIView):
    """Grids and meshes as GeoJSON; filter with ?community=<code>&level=grid|mesh&parent=<code>."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.GridSerializer
    pagination_class = None

    @extend_schema(parameters=[
        OpenApiParameter("community", str), OpenApiParameter("level", str, enum=["grid", "mesh"]),
        OpenApiParameter("parent", str),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = Grid.objects.current().with_area().select_related("parent")
        q = self.request.query_params
        if level := _choice(self.request, "level", set(Grid.Level.values)):
            qs = qs.filter(level=level)
        if code := q.get("community"):
            qs = qs.filter(community=get_object_or_404(Community, code=code))
        if code := q.get("parent"):
            qs = qs.filter(parent__code=code)
        return qs


class BuildingList(generics.ListAPIView):
    """Buildings as GeoJSON with room and vacancy counts; filter with ?grid=<grid or mesh code> or ?code=."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.BuildingSerializer

    @extend_schema(parameters=[OpenApiParameter("grid", str), OpenApiParameter("code", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = Building.objects.select_related("grid", "mesh", "landlord").order_by("code")
        if code := self.request.query_params.get("grid"):
            qs = qs.in_grid(get_object_or_404(Grid, code=code))
        if code := self.request.query_params.get("code"):
            qs = qs.filter(code=code)
        return qs


class RoomList(generics.ListAPIView):
    """Rooms of one building (?building=<code>), optionally ?status=vacant|let|unavailable."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.RoomSerializer

    @extend_schema(parameters=[OpenApiParameter("building", str, required=True),
                               OpenApiParameter("status", str, enum=["vacant", "let", "unavailable"])])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        code = self.request.query_params.get("building")
        if not code:
            raise ValidationError({"building": "required: the code of a building"})
        qs = Room.objects.filter(building=get_object_or_404(Building, code=code), retired_at__isnull=True
                                 ).select_related("building")
        if status := _choice(self.request, "status", set(Room.Status.values)):
            qs = qs.filter(status=status)
        return qs


class CameraList(generics.ListAPIView):
    """Cameras (staff only: camera positions can be sensitive)."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = s.CameraSerializer
    queryset = Camera.objects.select_related("grid")
    pagination_class = None
