"""Where there is anything to draw: boxes around the data, so that a tile far from all of it is
answered as empty without a query.

A kiosk session pans over streets, fields and the next village; at z12–z15 most tiles of a real
session are empty, and running the full tile statement only to learn that costs more than the
rest of the request. The extent is a handful of EPSG:3857 boxes — the features of every tile
table grouped into 2 km cells — kept in the shared tile store (tiles/cache.py) with the same
tombstone rule as tiles: a geometry edit forgets it when its transaction commits, and an extent
computed from a snapshot older than that edit is used once but never stored.

Only geometry edits forget it (a building added, moved or drawn; a boundary redrawn): letting a
room changes what a tile shows, not where data is. Deleting data leaves the extent larger than
needed, which only costs a query. Rooms are not scanned: they are drawn inside their buildings
(tiles/invalidation.py makes the same assumption); MARGIN covers outlines drawn a little beyond.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection, transaction
from psycopg import sql

from gis_core.changes import Box
from tiles import cache
from tiles.layers import LAYERS, WORLD, buffer_m, tile_size

CELL = 2000.0  # metres: features are boxed per 2 km cell, so the gaps between villages stay empty
MARGIN = 50.0  # metres around every box
KEY = "t:extent"


@dataclass(frozen=True)
class DataExtent:
    boxes: tuple[Box, ...]

    def meets(self, z: int, x: int, y: int) -> bool:
        """Whether tile z/x/y (widened by the tile buffer, as the tile SQL widens it) can hold data."""
        size, pad = tile_size(z), buffer_m(z) + MARGIN
        minx = -WORLD + x * size - pad
        maxx = minx + size + 2 * pad
        maxy = WORLD - y * size + pad
        miny = maxy - size - 2 * pad
        for bx0, by0, bx1, by1 in self.boxes:
            if bx0 <= maxx and bx1 >= minx and by0 <= maxy and by1 >= miny:
                return True
        return False


def _sources() -> list[tuple[str, str]]:
    """(table, finest EPSG:3857 column) of every tile layer but rooms (inside their buildings)."""
    found = {(layer.table, layer.geometry[-1][1]) for layer in LAYERS.values() if layer.table != "buildings_room"}
    return sorted(found)


def compute() -> DataExtent:
    """One box per 2 km cell over every source table (a cell's boxes from different tables are
    merged: at city scale 356 per-table boxes became 63, and every tile request tests them)."""
    parts = [
        sql.SQL("SELECT floor(ST_XMin({col}) / {cell}) AS i, floor(ST_YMin({col}) / {cell}) AS j,"
                " ST_Extent({col})::geometry AS e FROM {table} WHERE {col} IS NOT NULL GROUP BY 1, 2").format(
            col=sql.Identifier(col), table=sql.Identifier(table), cell=sql.Literal(CELL))
        for table, col in _sources()
    ]
    query = sql.SQL("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
                    " (SELECT ST_Extent(e) AS b FROM ({}) per_table GROUP BY i, j) per_cell").format(
        sql.SQL(" UNION ALL ").join(parts))
    with connection.cursor() as cur:
        cur.execute(query.as_string(None))
        rows = cur.fetchall()
    return DataExtent(tuple((x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN) for x0, y0, x1, y1 in rows))


def _store():
    return caches["tiles_extent"]


# (the entry's stamp, extent): this process's copy, when the store can tell cheaply that the shared
# entry has not changed (tiles/filecache.py: one stat() instead of reading and unpickling the
# file for every tile; with the CPU caches cold after the previous tile's query that read cost
# ≈0.1 ms). Redis and local memory stores are read every time.
_memo: tuple[object, DataExtent] | None = None


def current() -> DataExtent:
    """The extent from the shared store, computed (one query) when an edit has forgotten it."""
    global _memo
    store = _store()
    stamp = getattr(store, "stamp", None)
    token = stamp(KEY) if stamp is not None else None  # taken *before* reading the entry:
    memo = _memo  # a write in between then only makes the next call read again
    if token is not None and memo is not None and memo[0] == token:
        return memo[1]
    found = store.get(KEY)
    if isinstance(found, DataExtent):
        _memo = (token, found) if token is not None else None
        return found
    started = time.time()
    computed = compute()
    cache.put_value(store, KEY, computed, started)
    return computed


def may_have_data(z: int, x: int, y: int) -> bool:
    return current().meets(z, x, y)


def forget() -> None:
    """After a geometry edit: recompute the extent once the current transaction commits."""
    transaction.on_commit(lambda: cache.invalidate([KEY], store=_store()))
