"""Which cached tiles an edit touches, at every zoom — and tombstoning exactly those.

An edit (a building moved, a room let, a grid boundary redrawn) is reduced to the EPSG:3857
bounding boxes of the old and new geometry. For every layer the edited model feeds, every zoom
the layer serves and every tile whose buffered envelope meets a box is invalidated, both in the
layer's own tiles and in the combined tiles. That is typically a few dozen keys: no global
flush, no TTL guess. It runs after the transaction commits, so no reader can re-cache the old
state (see tiles/cache.py).

Edits of located rows arrive from the change pipeline (gis_core/changes.py: saves, deletes, bulk
and set-based writes all report there) once their transaction has committed, with the boxes of
the old and new places; derived data that is no located row (fields of view) calls
`invalidate_boxes()`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.db import transaction

from gis_core.changes import MEMBERSHIP, Box
from tiles import cache, extent
from tiles.layers import LAYERS, MAX_ZOOM, VILLAGE, WORLD, Layer, buffer_m, tile_size

COMBINED = "all"


def tiles_for_box(box: Box, z: int) -> Iterable[tuple[int, int]]:
    """(x, y) of the tiles at zoom z whose margin-widened envelope intersects the box."""
    n = 2**z
    size, margin = tile_size(z), buffer_m(z)
    minx, miny, maxx, maxy = box
    x0 = max(0, math.floor((minx - margin + WORLD) / size))
    x1 = min(n - 1, math.floor((maxx + margin + WORLD) / size))
    y0 = max(0, math.floor((WORLD - (maxy + margin)) / size))
    y1 = min(n - 1, math.floor((WORLD - (miny - margin)) / size))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def keys_for(boxes: Iterable[Box], layers: Iterable[Layer]) -> list[str]:
    keys: set[str] = set()
    boxes = [b for b in boxes if b]
    for layer in layers:
        combined = COMBINED if layer.source == VILLAGE else layer.source  # the tile it is drawn in
        for z in range(layer.minzoom, min(layer.maxzoom, MAX_ZOOM) + 1):
            for box in boxes:
                for x, y in tiles_for_box(box, z):
                    keys.add(cache.key(layer.name, z, x, y))
                    keys.add(cache.key(combined, z, x, y))
    return sorted(keys)


def invalidate_boxes(boxes: Iterable[Box], layers: Iterable[Layer], *, geometry_changed: bool = False) -> None:
    """Invalidate when the current transaction commits (at once outside a transaction): for
    data that is no located row of the change pipeline (coverage/fov.py's fields of view, a
    basemap extract swapped whole). `geometry_changed`: data was added or moved, so where data lies
    (tiles/extent.py) changes too."""
    keys = keys_for(list(boxes), list(layers))
    transaction.on_commit(lambda: cache.invalidate(keys))
    if geometry_changed:
        extent.forget()


def merge_boxes(boxes: Iterable[Box], cell: float = extent.CELL) -> list[Box]:
    """Union boxes whose lower-left corner shares a cell (EPSG:3857 metres)."""
    merged: dict[tuple[int, int], list[float]] = {}
    for x0, y0, x1, y1 in boxes:
        k = (math.floor(x0 / cell), math.floor(y0 / cell))
        m = merged.get(k)
        if m is None:
            merged[k] = [x0, y0, x1, y1]
        else:
            m[0], m[1], m[2], m[3] = min(m[0], x0), min(m[1], y0), max(m[2], x1), max(m[3], y1)
    return [tuple(m) for m in merged.values()]


def layers_fed_by(label: str) -> list[Layer]:
    return [layer for layer in LAYERS.values() if label in layer.models]


def _draws_membership(layer: Layer) -> bool:
    """Whether a layer shows which community, grid or mesh a feature lies in."""
    return any(word in name for name in layer.fields for word in MEMBERSHIP)


def located_changed(sender, change, **kwargs) -> None:
    """gis_core/changes.py, after the commit: tombstone the tiles of every layer the changed model
    feeds, at every zoom, over the old and new places; forget the data extent when data moved.
    Rows re-placed by a boundary edit (membership only) touch only layers that draw membership."""
    layers = layers_fed_by(change.model)
    if change.only(MEMBERSHIP):
        layers = [layer for layer in layers if _draws_membership(layer)]
    boxes = list(change.boxes)
    if len(boxes) > 64:  # a city-wide import names each tile once, not once per building
        boxes = merge_boxes(boxes)
    if layers and boxes:
        cache.invalidate(keys_for(boxes, layers))
    if change.moved and not change.within:  # (rows drawn within others never change where data lies)
        extent.forget()


def connect() -> None:
    from gis_core import changes

    changes.located_changed.connect(located_changed, dispatch_uid="tiles-located-changed")
