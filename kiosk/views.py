"""Kiosk pages: the touchscreen page of a resident group, and the phone page of one room."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from buildings.models import Room
from gis_core.models import Grid
from gis_core.public import public_url
from kiosk.models import Kiosk
from model3d import ion


def _strings() -> dict[str, str]:
    """UI text for the kiosk script, in the active language."""
    return {
        "title": _("空房查询"), "here": _("您在这里"), "vacant": _("空置"), "let": _("已出租"),
        "unavailable": _("不可出租"), "floor": _("楼"), "floor_room": _("{floor}楼 · {number}室"), "sqm": _("平方米"),
        "per_month": _("元/月"), "walk": _("步行约 {m} 米"), "walk_route": _("步行 {m} 米，约 {min} 分钟"),
        "phone": _("房东电话"),
        "ask_hall": _("请到社区服务大厅咨询"), "persons": _("可住 {n} 人"), "any": _("不限"),
        "rent": _("租金"), "area": _("面积"), "floors": _("楼层"), "grid": _("网格"),
        "count": _("共 {n} 间空房"), "none": _("没有符合条件的空房，请放宽条件"), "more": _("更多"),
        "close": _("关闭"), "reset": _("回到首页"), "floor_plan": _("各楼层房间"),
        "scan": _("手机扫码查看"), "all_grids": _("全部网格"), "updated": _("已更新"),
        "legend_vacant": _("空置"), "legend_let": _("已出租"), "legend_unavailable": _("不可出租"),
        "language": _("English"),
    }


@require_safe
def kiosk_page(request, code: str):
    kiosk = get_object_or_404(Kiosk.objects.select_related("community"), code=code)
    grids = Grid.objects.grids().current().filter(community=kiosk.community).order_by("code")
    config = {
        "kiosk": kiosk.code,
        "name": kiosk.name,
        "group": kiosk.resident_group,
        "community": kiosk.community.name,
        "lon": kiosk.location.x,
        "lat": kiosk.location.y,
        "idleSeconds": kiosk.idle_seconds,
        "rotateSeconds": settings.KIOSK_ROTATE_SECONDS,
        "pollSeconds": settings.KIOSK_POLL_SECONDS,
        "style": reverse("tiles:style"),
        "search": reverse("api:vacant-rooms"),
        "rooms": reverse("api:rooms"),
        "buildings": reverse("api:buildings"),
        "roomPage": reverse("kiosk:room", args=[0]).replace("/0/", "/{id}/"),
        "route": reverse("routes:walk"),
        "roomQr": reverse("kiosk:room-qr", args=[0]).replace("/0/", "/{id}/"),
        "grids": [{"code": g.code, "name": g.name} for g in grids],
        "strings": _strings(),
        "mapMode": kiosk.map_mode,
    }
    if kiosk.map_mode == Kiosk.MapMode.THREE_D:  # the 3D Tiles model instead of vector tiles (model3d/)
        config["map3d"] = {
            "tileset": reverse("model3d:root"),
            "status": reverse("model3d:status") + f"?community={kiosk.community.code}",
            "room": reverse("model3d:room", args=[0]).replace("/0.json", "/{id}.json"),
            "ground": [reverse("model3d:ground", args=[kiosk.community.code])],  # the basemap under it
            "ion": ion.client_config(),  # None offline: nothing of Cesium ion is requested
        }
    from safety.public import legend  # grids' safety colours, where the administrator published them

    response = render(request, "kiosk/kiosk.html", {"kiosk": kiosk, "config": config,
                                                    "safety_legend": legend(kiosk.community)})
    if kiosk.map_mode == Kiosk.MapMode.THREE_D:
        from model3d.csp import allow_cesium

        allow_cesium(response)  # CesiumJS needs eval while it loads (model3d/csp.py)
    return response


def _walk(request, room: Room):
    """The walking route to the room's building: from the kiosk whose screen showed the code
    (?k=<kiosk>), or from the phone's own position when its owner allowed it (?from=lon,lat)."""
    from gis_core.errors import DomainError
    from routes import services
    from routes.views import parse_point

    start = None
    if request.GET.get("from"):
        try:
            start = parse_point(request.GET["from"])
        except DomainError:
            return None
    elif request.GET.get("k"):
        location = Kiosk.objects.filter(code=request.GET["k"]).values_list("location", flat=True).first()
        start = (location.x, location.y) if location else None
    if start is None:
        return None
    try:
        return services.route(start, room.building_id)
    except DomainError:
        return None  # no network there, or no open way now: the page simply shows no route


@require_safe
def room_page(request, room_id: int):
    """What a phone shows after scanning a room card's code: the room, its building, the phone,
    and the way there."""
    from qrcodes.minimap import building_map

    room = get_object_or_404(Room.objects.select_related("building__landlord", "building__grid"), pk=room_id,
                             retired_at__isnull=True)
    landlord = room.building.landlord
    walk = _walk(request, room)
    return render(request, "kiosk/room.html", {
        "room": room, "building": room.building, "phone": landlord.public_phone if landlord else None,
        # The landlord's photos (resized, metadata stripped on upload): only while the room is vacant.
        "photos": list(room.photos.values("id", "width", "height")) if room.status == Room.Status.VACANT else [],
        "walk": walk, "map": building_map(room.building, route=walk.geometry if walk else None),
        "from_kiosk": request.GET.get("k", ""),
    })


@require_safe
@cache_control(public=True, max_age=86400)
def room_qr(request, room_id: int):
    """An SVG QR code of the room's phone page (absolute URL)."""
    get_object_or_404(Room, pk=room_id)
    url = public_url(reverse("kiosk:room", args=[room_id]), request)
    kiosk = request.GET.get("k", "")
    if kiosk and Kiosk.objects.filter(code=kiosk).exists():  # the phone page then shows the way from it
        url += f"?k={kiosk}"
    out = io.BytesIO()
    # A standalone SVG (with its namespace), so an <img> can show it; quiet zone of 2 modules.
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, dark="#1d2733", xmldecl=False)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")
