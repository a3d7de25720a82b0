"""Render a tile: from the cache, else by one SQL statement; both return a CachedTile."""

from __future__ import annotations

import time

from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from gis_core.db import prepared_cursor
from replicas.routing import replayed_at
from tiles import cache, extent
from tiles.errors import BadTileAddress, ZoomNotServed
from tiles.layers import MAX_ZOOM, MIN_ZOOM, Layer
from tiles.sql import tile_params, tile_query


def check_address(z: int, x: int, y: int) -> None:
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise ZoomNotServed(_("不提供第 %(z)s 级瓦片：只提供 %(min)s–%(max)s 级（更大级别由客户端放大）")
                            % {"z": z, "min": MIN_ZOOM, "max": MAX_ZOOM})
    n = 2**z
    if not (0 <= x < n and 0 <= y < n):
        raise BadTileAddress(_("第 %(z)s 级的 x、y 须在 0 到 %(max)s 之间；收到 x=%(x)s, y=%(y)s") % {"z": z, "max": n - 1, "x": x, "y": y})


def render(layers: tuple[Layer, ...], z: int, x: int, y: int, alias: str = DEFAULT_DB_ALIAS) -> bytes:
    """The MVT bytes of these layers for one tile: exactly one database query (none if no layer
    is shown at this zoom)."""
    query, caps = tile_query(layers, z)
    if not query:
        return b""
    # Prepared on first use per connection: parsing and analysing the statement of a zoom band
    # (several layers, each a sub-select) costs about as much as running it on a small tile.
    with prepared_cursor(alias) as cur:
        cur.execute(query, tile_params(z, x, y, caps))
        return bytes(cur.fetchone()[0])


EMPTY = cache.make_tile(b"")


def get_tile(cache_name: str, layers: tuple[Layer, ...], z: int, x: int, y: int,
             alias: str = DEFAULT_DB_ALIAS) -> cache.CachedTile:
    """The tile from the cache; else empty at once when it lies away from all data
    (tiles/extent.py); else rendered by one query on `alias` and cached.

    On a read replica, a tile whose cache entry is a tombstone is rendered from the primary
    until the replica has replayed past the invalidation: a replica that has not yet seen the
    edit must not put the old tile back (nor answer with it once the edit is acknowledged).
    """
    check_address(z, x, y)
    hit, invalidated_at = cache.lookup(cache_name, z, x, y)
    if hit is not None:
        return hit
    if not extent.may_have_data(z, x, y):
        return EMPTY
    if alias != DEFAULT_DB_ALIAS and invalidated_at is not None:
        replayed = replayed_at(alias)
        if replayed is None or replayed < invalidated_at:
            alias = DEFAULT_DB_ALIAS
    started = time.time()
    tile = cache.make_tile(render(layers, z, x, y, alias))
    cache.put(cache_name, z, x, y, tile, rendered_from=started)
    return tile
