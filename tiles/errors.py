"""Tile request errors, each with its HTTP status and a message that says what is allowed."""

from django.http import JsonResponse


class TileError(Exception):
    status = 400

    def response(self) -> JsonResponse:
        return JsonResponse({"error": str(self)}, status=self.status, json_dumps_params={"ensure_ascii": False})


class BadTileAddress(TileError):
    """z, x or y outside what a tile pyramid has, or a path that is not z/x/y.mvt."""


class ZoomNotServed(TileError):
    status = 404


class UnknownLayer(TileError):
    status = 404


class LayerForbidden(TileError):
    status = 403
