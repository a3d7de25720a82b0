"""GET /api/routes/walk/: the walking route from a kiosk (or a point) to a room's building.

    ?from_kiosk=<kiosk code> | ?from=<lon>,<lat>      and      &to_room=<id> | &to_building=<id>

Answers {"length_m", "minutes", "geometry" (GeoJSON, lon/lat), "closed_gates"}; public, like
the buildings and kiosks it joins. Bad input is a 400, no network or no open way a 404/422.
"""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from buildings.models import Room
from gis_core.errors import BadRequest, DomainError, NotFound
from kiosk.models import Kiosk
from replicas.routing import current
from routes import services


def parse_point(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise BadRequest("from must be lon,lat in degrees, e.g. from=102.64,25.02") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BadRequest("from is outside lon −180…180, lat −90…90")
    return lon, lat


def _int(request, name: str) -> int | None:
    value = request.GET.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise BadRequest(f"{name} must be a whole number")
    return int(value)


def resolve(request) -> tuple[tuple[float, float], int]:
    """(start lon/lat, building id) from the query string."""
    if request.GET.get("from_kiosk"):
        kiosk = Kiosk.objects.filter(code=request.GET["from_kiosk"]).values_list("location", flat=True).first()
        if kiosk is None:
            raise NotFound("no such kiosk")
        start = (kiosk.x, kiosk.y)
    elif request.GET.get("from"):
        start = parse_point(request.GET["from"])
    else:
        raise BadRequest("give from_kiosk=<code> or from=<lon>,<lat>")
    room, building = _int(request, "to_room"), _int(request, "to_building")
    if room is not None:
        building = Room.objects.filter(pk=room).values_list("building_id", flat=True).first()
        if building is None:
            raise NotFound("no such room")
    if building is None:
        raise BadRequest("give to_room=<id> or to_building=<id>")
    return start, building


@require_safe
def walk(request):
    try:
        start, building = resolve(request)
        found = services.route(start, building, using=current())
    except DomainError as exc:
        return JsonResponse(exc.body(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({
        "length_m": round(found.length_m), "minutes": found.minutes,
        "geometry": json.loads(found.geometry.geojson) if not found.geometry.empty else None,
        "closed_gates": found.closed_gates,
    })
