"""Staff endpoints that let and free rooms (the kiosk card reader flow builds on these).

Landlords (their own buildings), grid workers (their grids) and administrators may call them, for
rooms inside their scope (residents/scoping.py); responses carry masked identity only.
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import HasRole, Role
from gis_core.api.schema import ErrorOut, answers
from buildings.models import Room
from residents import services
from residents.ids import IdNumberError, validate_id_number
from residents.scoping import rooms_for_registration

MayRegister = HasRole.of(Role.LANDLORD, Role.GRID_WORKER, Role.ADMIN)


def _refusal(user, room_id: int) -> Response | None:
    """404 for no such room, 403 for a room outside the caller's buildings or grids."""
    if rooms_for_registration(user).filter(pk=room_id).exists():
        return None
    if not Room.objects.filter(pk=room_id).exists():
        return Response({"detail": _("没有编号为 %(room)s 的房间") % {"room": room_id}}, status=404)
    return Response({"detail": _("该房间不在您负责的楼栋或网格内")},
                    status=403)


class PersonIn(serializers.Serializer):
    name = serializers.CharField(max_length=15)
    id_number = serializers.CharField(min_length=18, max_length=18)
    sex = serializers.ChoiceField(choices=["1", "2"])
    nation_code = serializers.CharField(max_length=2, required=False, default="")
    start_date = serializers.DateField(required=False)

    def validate_id_number(self, value):
        try:
            return validate_id_number(value)
        except IdNumberError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, data):
        if int(data["id_number"][16]) % 2 != (1 if data["sex"] == "1" else 0):
            raise serializers.ValidationError({"sex": _("与身份证号第 17 位不符")})
        return data


class CheckOutIn(serializers.Serializer):
    id_number = serializers.CharField(min_length=18, max_length=18)
    end_date = serializers.DateField(required=False)


def _tenancy_out(tenancy, created=None):
    body = {"tenancy": tenancy.pk, "room": tenancy.room_id, "person": tenancy.person.id_number_masked,
            "name": tenancy.person.name_masked, "start_date": tenancy.start_date, "end_date": tenancy.end_date}
    if created is not None:
        body["created"] = created
    return body


class CheckIn(APIView):
    """POST /api/rooms/{id}/check-in/: link a person to a room (idempotent)."""

    permission_classes = [MayRegister]

    @extend_schema(request=PersonIn, responses={**answers(), 201: OpenApiTypes.OBJECT, 409: ErrorOut})
    def post(self, request, room_id: int):
        if (refused := _refusal(request.user, room_id)) is not None:
            return refused
        data = PersonIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        # A refused check-in (TenancyError) is a DomainError: the API's exception handler answers it.
        tenancy, created = services.check_in(
            room_id, services.PersonData(name=d["name"], id_number=d["id_number"], sex=d["sex"],
                                         nation_code=d["nation_code"]),
            via="staff", by=request.user, start=d.get("start_date"))
        return Response(_tenancy_out(tenancy, created), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CheckOut(APIView):
    """POST /api/rooms/{id}/check-out/: end a person's tenancy in a room."""

    permission_classes = [MayRegister]

    @extend_schema(request=CheckOutIn, responses={**answers(), 409: ErrorOut})
    def post(self, request, room_id: int):
        if (refused := _refusal(request.user, room_id)) is not None:
            return refused
        data = CheckOutIn(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = services.check_out(room_id, data.validated_data["id_number"],
                                     end=data.validated_data.get("end_date"), by=request.user)
        return Response(_tenancy_out(tenancy))


@method_decorator(never_cache, name="dispatch")  # personal data, even masked: never kept by a cache
class TenancyList(APIView):
    """GET /api/tenancies/: the tenancies the caller may see (residents/scoping.py), masked.

    Landlords see their own buildings, grid workers their grids, police and administrators all;
    planners and the public nothing. `?open=1` open ones only, `?room=<id>`, `limit` (≤ 500)."""

    permission_classes = [HasRole.of(Role.LANDLORD, Role.GRID_WORKER, Role.POLICE, Role.ADMIN)]

    @extend_schema(parameters=[OpenApiParameter("room", int), OpenApiParameter("limit", int)], responses=answers())
    def get(self, request):
        from residents.models import Tenancy

        qs = Tenancy.objects.visible_to(request.user).select_related("person", "room__building")
        if request.query_params.get("open") in ("1", "true"):
            qs = qs.open()
        if request.query_params.get("room"):
            try:
                qs = qs.filter(room_id=int(request.query_params["room"]))
            except ValueError:
                return Response({"detail": _("room 须为整数")}, status=400)
        try:
            limit = max(0, min(int(request.query_params.get("limit", 100)), 500))  # (a negative slice raises)
        except ValueError:
            return Response({"detail": _("limit 须为整数")}, status=400)
        rows = [{**_tenancy_out(t), "building": t.room.building.code, "registered_via": t.registered_via}
                for t in qs.order_by("-registered_at", "-pk")[:limit]]
        return Response({"count": len(rows), "results": rows})
