"""Tile endpoints: thin views over tiles.service, with ETag/304, gzip and Cache-Control."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from replicas.routing import current
from gis_core.errors import BadRequest, Unavailable
from tiles import glyphs, service, style
from tiles.errors import BadTileAddress, LayerForbidden, TileError, UnknownLayer
from tiles.http import tile_answer
from tiles.invalidation import COMBINED
from tiles.layers import BASEMAP, BASEMAP_MAXZOOM, LAYERS, MAX_ZOOM, basemap_layers, is_public, public_layers


def _tile_response(request, tile, public: bool = True) -> HttpResponse:
    status, headers, body = tile_answer(tile, if_none_match=request.headers.get("If-None-Match"),
                                        accept_encoding=request.headers.get("Accept-Encoding"), public=public)
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


@require_safe
def tile(request, z: int, x: int, y: int):
    """All public layers in one tile."""
    try:
        return _tile_response(request, service.get_tile(COMBINED, tuple(public_layers()), z, x, y, alias=current()))
    except TileError as exc:
        return exc.response()


@require_safe
def layer_tile(request, layer: str, z: int, x: int, y: int):
    """One layer, or the basemap source; staff-only layers (cameras) need a staff login unless made public."""
    try:
        if layer == BASEMAP:
            return _tile_response(request, service.get_tile(BASEMAP, tuple(basemap_layers()), z, x, y,
                                                            alias=current()))
        chosen = LAYERS.get(layer)
        if chosen is None:
            raise UnknownLayer(_("没有图层 %(layer)s；图层有：%(layers)s") % {"layer": layer, "layers": ", ".join(LAYERS)})
        if not is_public(chosen) and not request.user.is_staff:
            raise LayerForbidden(_("图层 %(layer)s 仅限工作人员") % {"layer": layer})
        return _tile_response(request, service.get_tile(chosen.name, (chosen,), z, x, y, alias=current()),
                              public=is_public(chosen))
    except TileError as exc:
        return exc.response()


def malformed(request, rest: str):
    return BadTileAddress(_("不是瓦片地址：/tiles/%(rest)s；请用 /tiles/{z}/{x}/{y}.mvt 或 /tiles/{layer}/{z}/{x}/{y}.mvt，"
                            "其中均为整数；图层有：%(layers)s") % {"rest": rest, "layers": ", ".join(LAYERS)}).response()


def _bounds() -> list[float]:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
                    " (SELECT ST_Extent(boundary) AS e FROM gis_core_community) x")
        row = cur.fetchone()
    return [round(v, 6) for v in row] if row[0] is not None else [-180.0, -85.0511, 180.0, 85.0511]


def _basemap_bounds() -> list[float] | None:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
                    " (SELECT ST_Extent(area) AS e FROM basemap_extract) x")
        row = cur.fetchone()
    return [round(v, 6) for v in row] if row[0] is not None else None


@require_safe
def tilejson(request):
    return _tilejson(request, public_layers(), reverse("tiles:tile", args=[0, 0, 0]), MAX_ZOOM, _bounds(),
                     "urban-village", "城中村社区治理矢量瓦片 / urban-village governance vector tiles")


@require_safe
def basemap_tilejson(request):
    return _tilejson(request, basemap_layers(), reverse("tiles:layer_tile", args=[BASEMAP, 0, 0, 0]), BASEMAP_MAXZOOM,
                     _basemap_bounds() or _bounds(), "basemap",
                     "底图：道路、巷道、水系、围墙、院门、地名 / basemap: roads, alleys, water, walls, gates, names")


def _tilejson(request, layers, tile_path: str, maxzoom: int, bounds: list[float], name: str, description: str):
    body = {
        "tilejson": "3.0.0",
        "name": name,
        "description": description,
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [request.build_absolute_uri(tile_path).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")],
        "minzoom": min(layer.minzoom for layer in layers),
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), 15],
        "attribution": "城中村社区治理 GIS" if name != BASEMAP else "© OpenStreetMap contributors",
        "vector_layers": [
            {"id": layer.name, "description": layer.description, "minzoom": layer.minzoom,
             "maxzoom": layer.maxzoom, "fields": {name: typ for name, (_, typ) in layer.fields.items()}}
            for layer in layers
        ],
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _glyphs_url(request) -> str:
    return request.build_absolute_uri(reverse("tiles:glyphs", args=["F", 0, 255])).replace(
        "/F/0-255.pbf", "/{fontstack}/{range}.pbf")


@require_safe
def style_json(request):
    built = style.build(request.build_absolute_uri(reverse("tiles:tilejson")),
                        request.build_absolute_uri(reverse("tiles:basemap_tilejson")))
    return JsonResponse({**built, "glyphs": _glyphs_url(request)}, json_dumps_params={"ensure_ascii": False})


@require_safe
def basemap_style_json(request):
    built = style.build_basemap(request.build_absolute_uri(reverse("tiles:basemap_tilejson")))
    return JsonResponse({**built, "glyphs": _glyphs_url(request)}, json_dumps_params={"ensure_ascii": False})


@require_safe
def glyph_range(request, fontstack: str, start: int, end: int):
    """SDF glyphs of one 256-code-point range, any fontstack (tiles/glyphs.py: Noto Sans CJK SC)."""
    if start % 256 or end != start + 255 or end > 0xFFFF:
        raise BadRequest(f"字形范围无效：{start}-{end}；应为 256 的整数倍起始的 256 个码位（如 19968-20223）")
    try:
        data = glyphs.range_pbf(start)
    except glyphs.GlyphsUnavailable as exc:
        raise Unavailable(str(exc)) from exc
    response = HttpResponse(data, content_type="application/x-protobuf")
    response["Cache-Control"] = "public, max-age=604800"
    return response


@require_safe
def map_page(request):
    """A full-screen map of the communities from our own tiles and style."""
    from safety.public import legend  # grids' safety colours, where the administrator published them

    return render(request, "tiles/map.html", {"safety_legend": legend()})
