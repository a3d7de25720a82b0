"""Tile request errors, each with its HTTP status and a message that says what is allowed.

They are DomainErrors: the body is the product's one shape, `{"detail": …}` (gis_core/http_errors.py)."""

from gis_core.errors import DomainError


class TileError(DomainError):
    status, code = 400, "bad_tile_request"

    def response(self):
        from gis_core.http_errors import json_response

        return json_response(self)


class BadTileAddress(TileError):
    """z, x or y outside what a tile pyramid has, or a path that is not z/x/y.mvt."""


class ZoomNotServed(TileError):
    status, code = 404, "zoom_not_served"


class UnknownLayer(TileError):
    status, code = 404, "unknown_layer"


class LayerForbidden(TileError):
    status, code = 403, "layer_forbidden"
