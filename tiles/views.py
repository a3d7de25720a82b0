"""Tile endpoints: thin views over tiles.service, with ETag/304, gzip and Cache-Control."""

from __future__ import annotations

import gzip

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tiles import service, style
from tiles.errors import LayerForbidden, TileError, UnknownLayer
from tiles.invalidation import COMBINED
from tiles.layers import LAYERS, MAX_ZOOM, is_public, public_layers

MVT = "application/vnd.mapbox-vector-tile"


def _cache_control() -> str:
    return f"public, max-age={settings.TILES_MAX_AGE}" + (", must-revalidate" if settings.TILES_MAX_AGE == 0 else "")


def _etag_matches(request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    return header.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in header.split(","))


def _tile_response(request, tile) -> HttpResponse:
    if _etag_matches(request, tile.etag):
        response = HttpResponse(status=304)
    elif tile.empty:
        response = HttpResponse(status=204)  # nothing here: clients draw an empty tile
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(tile.gz, content_type=MVT)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(tile.gz), content_type=MVT)
    response["ETag"] = tile.etag
    response["Cache-Control"] = _cache_control()
    response["Vary"] = "Accept-Encoding"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def tile(request, z: int, x: int, y: int):
    """All public layers in one tile."""
    try:
        return _tile_response(request, service.get_tile(COMBINED, tuple(public_layers()), z, x, y))
    except TileError as exc:
        return exc.response()


@require_GET
def layer_tile(request, layer: str, z: int, x: int, y: int):
    """One layer; staff-only layers (cameras) need a staff login unless made public."""
    try:
        chosen = LAYERS.get(layer)
        if chosen is None:
            raise UnknownLayer(f"unknown layer {layer!r}; layers: {', '.join(LAYERS)}")
        if not is_public(chosen) and not request.user.is_staff:
            raise LayerForbidden(f"layer {layer!r} is for staff only")
        return _tile_response(request, service.get_tile(chosen.name, (chosen,), z, x, y))
    except TileError as exc:
        return exc.response()


def malformed(request, rest: str):
    return JsonResponse(
        {"error": f"not a tile address: /tiles/{rest}; use /tiles/{{z}}/{{x}}/{{y}}.mvt or "
                  f"/tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt with whole numbers; layers: {', '.join(LAYERS)}"},
        status=400, json_dumps_params={"ensure_ascii": False},
    )


def _bounds() -> list[float]:
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
                    " (SELECT ST_Extent(boundary) AS e FROM gis_core_community) x")
        row = cur.fetchone()
    return [round(v, 6) for v in row] if row[0] is not None else [-180.0, -85.0511, 180.0, 85.0511]


@require_GET
def tilejson(request):
    layers = public_layers()
    bounds = _bounds()
    body = {
        "tilejson": "3.0.0",
        "name": "urban-village",
        "description": "城中村社区治理矢量瓦片 / urban-village governance vector tiles",
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [request.build_absolute_uri(reverse("tiles:tile", args=[0, 0, 0])).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")],
        "minzoom": min(layer.minzoom for layer in layers),
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), 15],
        "attribution": "城中村社区治理 GIS",
        "vector_layers": [
            {"id": layer.name, "description": layer.description, "minzoom": layer.minzoom,
             "maxzoom": layer.maxzoom, "fields": {name: typ for name, (_, typ) in layer.fields.items()}}
            for layer in layers
        ],
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_GET
def style_json(request):
    return JsonResponse(style.build(request.build_absolute_uri(reverse("tiles:tilejson"))),
                        json_dumps_params={"ensure_ascii": False})


@require_GET
def map_page(request):
    """A full-screen map of the communities from our own tiles and style."""
    return render(request, "tiles/map.html")
