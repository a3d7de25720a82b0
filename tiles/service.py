"""Render a tile: from the cache, else by one SQL statement; both return a CachedTile."""

from __future__ import annotations

import time

from gis_core.db import prepared_cursor
from tiles import cache, extent
from tiles.errors import BadTileAddress, ZoomNotServed
from tiles.layers import MAX_ZOOM, MIN_ZOOM, Layer
from tiles.sql import tile_params, tile_query


def check_address(z: int, x: int, y: int) -> None:
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise ZoomNotServed(f"zoom {z} is not served: zooms {MIN_ZOOM}–{MAX_ZOOM} (clients over-zoom beyond {MAX_ZOOM})")
    n = 2**z
    if not (0 <= x < n and 0 <= y < n):
        raise BadTileAddress(f"at zoom {z}, x and y must be between 0 and {n - 1}; got x={x}, y={y}")


def render(layers: tuple[Layer, ...], z: int, x: int, y: int) -> bytes:
    """The MVT bytes of these layers for one tile: exactly one database query (none if no layer
    is shown at this zoom)."""
    query, caps = tile_query(layers, z)
    if not query:
        return b""
    # Prepared on first use per connection: parsing and analysing the statement of a zoom band
    # (several layers, each a sub-select) costs about as much as running it on a small tile.
    with prepared_cursor() as cur:
        cur.execute(query, tile_params(z, x, y, caps))
        return bytes(cur.fetchone()[0])


EMPTY = cache.make_tile(b"")


def get_tile(cache_name: str, layers: tuple[Layer, ...], z: int, x: int, y: int) -> cache.CachedTile:
    """The tile from the cache; else empty at once when it lies away from all data
    (tiles/extent.py); else rendered by one query and cached."""
    check_address(z, x, y)
    hit = cache.get(cache_name, z, x, y)
    if hit is not None:
        return hit
    if not extent.may_have_data(z, x, y):
        return EMPTY
    started = time.time()
    tile = cache.make_tile(render(layers, z, x, y))
    cache.put(cache_name, z, x, y, tile, rendered_from=started)
    return tile
