"""3D Tiles over HTTP (tileset.json per community, a root over all, GLB content), the live room
status the viewers colour by, a room's card, and the /3d/ viewer page.

Content URLs carry their hash (`?v=`): with it a tile may be cached for a year; tileset.json is
revalidated with its ETag (TILES_MAX_AGE, 0 by default). No tenant data is in any of them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from buildings.models import Building, Room
from gis_core.models import Community
from model3d import ion
from model3d.background import request_rebuild
from model3d.csp import allow_cesium
from model3d.models import TileContent, TilesetState
from gis_core.errors import DomainError
from gis_core.http_errors import json_response
from tiles.http import cache_control, etag_matches

GLB = "model/gltf-binary"
IMMUTABLE = "public, max-age=31536000, immutable"


def _error(message: str, status: int, **headers) -> JsonResponse:
    response = json_response(DomainError(message, status=status))
    for k, v in headers.items():
        response[k.replace("_", "-")] = v
    return response


def _answer(request, body: bytes, etag: str, content_type: str, *, control: str | None = None,
            compress: bool = True) -> HttpResponse:
    headers = {"ETag": etag, "Cache-Control": control or cache_control(), "Vary": "Accept-Encoding",
               "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
    if etag_matches(request.headers.get("If-None-Match"), etag):
        response = HttpResponse(status=304)
    else:
        if compress and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, 5)
            headers["Content-Encoding"] = "gzip"
        response = HttpResponse(body, content_type=content_type)
    for k, v in headers.items():
        response[k] = v
    return response


def _not_built(community_ids) -> JsonResponse:
    request_rebuild(community_ids)  # marks dirty; builds in the background where enabled
    return _error(_("三维模型正在生成，请稍后再试"), 503,
                  Retry_After="10")


@require_safe
def root_tileset(request):
    """A root over every community: each child is that community's tileset (external tileset)."""
    states = list(TilesetState.objects.select_related("community").exclude(tileset_json="")
                  .exclude(west__isnull=True).order_by("community__code"))
    if not states:
        return _not_built(Community.objects.values_list("pk", flat=True))
    children = []
    for s in states:
        region = [math.radians(s.west) - 1e-7, math.radians(s.south) - 1e-7, math.radians(s.east) + 1e-7,
                  math.radians(s.north) + 1e-7, -50.0, s.max_height + 1.0]
        size = max(s.east - s.west, s.north - s.south) * 111_000
        children.append({"boundingVolume": {"region": region}, "geometricError": round(size, 1),
                         "content": {"uri": f"{s.community.code}/tileset.json"}})
    region = [min(c["boundingVolume"]["region"][i] for c in children) for i in (0, 1)] + \
             [max(c["boundingVolume"]["region"][i] for c in children) for i in (2, 3)] + \
             [-50.0, max(c["boundingVolume"]["region"][5] for c in children)]
    error = max(c["geometricError"] for c in children) * 2
    body = json.dumps({"asset": {"version": "1.1", "generator": "urban-village-gis model3d"},
                       "geometricError": error,
                       "root": {"boundingVolume": {"region": region}, "geometricError": error, "refine": "ADD",
                                "children": children}}, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _answer(request, body, etag, "application/json")


def _state(code: str):
    community = Community.objects.filter(code=code).only("pk").first()
    if community is None:
        return None, _error(f"unknown community {code!r}", 404)
    state = TilesetState.objects.filter(community=community).exclude(tileset_json="").first()
    if state is None:
        return None, _not_built([community.pk])
    return state, None


@require_safe
def community_tileset(request, code: str):
    state, error = _state(code)
    if error:
        return error
    return _answer(request, state.tileset_json.encode(), state.etag, "application/json")


@require_safe
def content(request, code: str, key: str):
    tile = (TileContent.objects.filter(state__community__code=code, key=key)
            .values_list("glb", "content_hash").first())
    if tile is None:
        if not Community.objects.filter(code=code).exists():
            return _error(f"unknown community {code!r}", 404)
        return _error(f"no 3D tile {key!r} in community {code}; see /tiles/3d/{code}/tileset.json", 404)
    glb, content_hash = tile
    # The hash in the URL pins the content: such a URL never changes meaning, cache it for good.
    control = IMMUTABLE if request.GET.get("v") == content_hash[:16] else None
    return _answer(request, bytes(glb), f'"{content_hash[:32]}"', GLB, control=control)


def malformed(request, rest: str):
    return _error(f"not a 3D tiles address: /tiles/3d/{rest}; use /tiles/3d/tileset.json, "
                  f"/tiles/3d/{{community code}}/tileset.json or /tiles/3d/{{community code}}/{{tile}}.glb", 400)


@require_safe
def status(request):
    """Ids of the vacant rooms (of one community with ?community=), for colouring the model, and
    each building's vacant share ({building id: vacant rooms / rooms}, buildings with any vacant
    room): the coarse level — one block per building, what a first view from afar draws — is
    coloured by it, so vacancy shows from the first frame, as on the 2D map."""
    rooms = Room.objects.vacant()
    buildings = Building.objects.filter(vacant_count__gt=0, room_count__gt=0)
    code = request.GET.get("community")
    if code is not None:
        if not Community.objects.filter(code=code).exists():
            return _error(f"unknown community {code!r}", 404)
        rooms = rooms.filter(building__community__code=code)
        buildings = buildings.filter(community__code=code)
    ids = list(rooms.order_by("pk").values_list("pk", flat=True))
    shares = {str(pk): round(v / n, 2) for pk, v, n in
              buildings.order_by("pk").values_list("pk", "vacant_count", "room_count")}
    body = json.dumps({"vacant": ids, "buildings": shares}, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _answer(request, body, etag, "application/json", control="no-cache")


@require_safe
def room_card(request, room_id: int):
    """What a tap on a room shows: address, floor, number, area, rent, status; landlord phone only
    with consent; the landlord's description, and their photos (public URLs) while the room is
    vacant, as the kiosk card and the phone page show them. Nothing about who lives there."""
    from kiosk.api import photo_urls

    room = Room.objects.select_related("building__landlord").filter(pk=room_id).first()
    if room is None:
        return _error(f"no room {room_id}", 404)
    b = room.building
    listed = room.status == Room.Status.VACANT and room.retired_at is None
    photo_ids = list(room.photos.order_by("position", "id").values_list("id", flat=True)) if listed else []
    return JsonResponse({
        "id": room.pk, "building": b.code, "address": b.address, "floor": room.floor, "number": room.number,
        "area_m2": str(room.area_m2), "rent": int(room.rent_monthly), "capacity": room.capacity,
        "status": room.status, "status_label": room.get_status_display(),
        "landlord_phone": b.landlord.public_phone if b.landlord else None,
        "room_page": reverse("kiosk:room", args=[room.pk]),
        "description": room.description, "photos": photo_urls(photo_ids),
    }, json_dumps_params={"ensure_ascii": False})


def viewer_strings() -> dict[str, str]:
    return {
        "vacant": _("空置"), "let": _("已出租"), "unavailable": _("不可出租"), "all_floors": _("全部楼层"),
        "floor_n": _("{n}层"), "floor_room": _("{floor}楼 · {number}室"), "sqm": _("平方米"),
        "per_month": _("元/月"), "phone": _("房东电话"), "ask_hall": _("请到社区服务大厅咨询"),
        "close": _("关闭"), "open_phone": _("在手机上打开"), "building": _("楼栋"), "photo": _("房间照片"),
        "loading": _("正在加载三维模型…"), "not_ready": _("三维模型正在生成，请稍后刷新"),
    }


@require_safe
def viewer(request):
    communities = list(Community.objects.filter(tileset3d__isnull=False).exclude(tileset3d__west__isnull=True)
                       .order_by("code").values("code", "name", "tileset3d__west", "tileset3d__south",
                                                "tileset3d__east", "tileset3d__north"))
    config = {
        "tileset": reverse("model3d:root"),
        # One community (the usual deployment): only its vacant rooms; several: all of them.
        "status": reverse("model3d:status") + (f"?community={communities[0]['code']}" if len(communities) == 1 else ""),
        "room": reverse("model3d:room", args=[0]).replace("/0.json", "/{id}.json"),
        "ground": [reverse("model3d:ground", args=[c["code"]]) for c in communities],  # the basemap under it
        "pollSeconds": settings.KIOSK_POLL_SECONDS,
        "maxFloor": Room.objects.order_by("-floor").values_list("floor", flat=True).first() or 1,
        "view": ([communities[0]["tileset3d__west"], communities[0]["tileset3d__south"],
                  communities[0]["tileset3d__east"], communities[0]["tileset3d__north"]] if communities else None),
        "strings": viewer_strings(),
        "ion": ion.client_config(),  # None offline: nothing of Cesium ion is requested
    }
    return allow_cesium(render(request, "model3d/viewer.html", {"config": config}))
