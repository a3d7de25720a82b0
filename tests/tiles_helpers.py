"""Tile addressing and decoding for tests."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile

from tests.factories import lonlat

Z = 18  # the zoom most tile tests read at


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def decode(response) -> dict:
    """Decode a tile response (gzip or not; 204 = empty) into {layer: {feature id: properties}}."""
    if response.status_code == 204:
        return {}
    assert response.status_code == 200, response.content[:300]
    return decode_bytes(response.content, response.get("Content-Encoding"))


def decode_bytes(body: bytes, encoding: str | None = None) -> dict:
    """The same for a tile's bytes as a server sent them."""
    if encoding == "gzip":
        body = gzip.decompress(body)
    layers = mapbox_vector_tile.decode(body)
    return {name: {f["id"]: f["properties"] for f in layer["features"]} for name, layer in layers.items()}


def geometries(response, layer: str) -> dict:
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    decoded = mapbox_vector_tile.decode(body)
    return {f["id"]: f["geometry"] for f in decoded.get(layer, {}).get("features", [])}


def url_at(x_m, y_m, z=Z, layer=None):
    x, y = tile_of(*lonlat(x_m, y_m), z)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt" if layer else f"/tiles/{z}/{x}/{y}.mvt"
