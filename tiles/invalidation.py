"""Which cached tiles an edit touches, at every zoom — and tombstoning exactly those.

An edit (a building moved, a room let, a grid boundary redrawn) is reduced to the EPSG:3857
bounding boxes of the old and new geometry. For every layer the edited model feeds, every zoom
the layer serves and every tile whose buffered envelope meets a box is invalidated, both in the
layer's own tiles and in the combined tiles. That is typically a few dozen keys: no global
flush, no TTL guess. It runs after the transaction commits, so no reader can re-cache the old
state (see tiles/cache.py).

Saves and deletes through the ORM are caught by signals. Set-based updates (QuerySet.update,
raw SQL) fire no signal: code doing those calls `invalidate_buildings()` or `invalidate_boxes()`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.apps import apps
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save

from tiles import cache, extent
from tiles.layers import LAYERS, MAX_ZOOM, VILLAGE, WORLD, Layer, buffer_m, tile_size

COMBINED = "all"

Box = tuple[float, float, float, float]  # minx, miny, maxx, maxy in EPSG:3857


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
    """Invalidate when the current transaction commits (at once outside a transaction).

    `geometry_changed`: data was added or moved, so where data lies (tiles/extent.py) changes too.
    """
    keys = keys_for(list(boxes), list(layers))
    transaction.on_commit(lambda: cache.invalidate(keys))
    if geometry_changed:
        extent.forget()


def invalidate_geometries(geoms, layers: Iterable[Layer], *, geometry_changed: bool = False) -> None:
    """invalidate_boxes for geometries (e.g. what a bulk import or a planner save wrote). Many
    boxes are merged per cell first: a city-wide import names each tile once, not once per building."""
    boxes = [box for box in map(_box_of, geoms) if box]
    if len(boxes) > 64:
        boxes = merge_boxes(boxes)
    invalidate_boxes(boxes, layers, geometry_changed=geometry_changed)


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


def invalidate_buildings(building_ids: Iterable[int], *, layers: Iterable[str] = ("buildings", "rooms")) -> None:
    """After a set-based change to rooms or buildings (e.g. room status): their tiles at every zoom."""
    ids = list(building_ids)
    if ids:
        with connection.cursor() as cur:
            cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
                        " SELECT ST_Extent(footprint_3857) AS e FROM buildings_building WHERE id = ANY(%s)) x", [ids])
            box = cur.fetchone()
        if box[0] is not None:
            invalidate_boxes([box], [LAYERS[name] for name in layers])


# --- signals -----------------------------------------------------------------------------------

# model label → (geometry field in lon/lat, how to find the box: own geometry or its building's)
TRACKED = {
    "gis_core.Community": "boundary",
    "gis_core.Grid": "boundary",
    "gis_core.Camera": "location",
    "kiosk.Kiosk": "location",
    "buildings.Building": "footprint",
    "buildings.Room": None,  # a room is drawn within its building: use the building's footprint
}


def _box_of(geom) -> Box | None:
    if geom is None:
        return None
    g = geom.transform(3857, clone=True)
    minx, miny, maxx, maxy = g.extent
    return (minx, miny, maxx, maxy)


def _current_box(instance, field: str | None) -> Box | None:
    if field is None:  # a room
        from buildings.models import Building

        fp = Building.objects.filter(pk=instance.building_id).values_list("footprint", flat=True).first()
        return _box_of(fp)
    return _box_of(getattr(instance, field))


def _before_save(sender, instance, **kwargs):
    field = TRACKED[sender._meta.label]
    instance._tiles_old_box = None
    if instance.pk is None:
        return
    if field is None:
        old = sender.objects.filter(pk=instance.pk).values_list("building_id", flat=True).first()
        if old is not None and old != instance.building_id:  # moved to another building
            from buildings.models import Building

            instance._tiles_old_box = _box_of(
                Building.objects.filter(pk=old).values_list("footprint", flat=True).first())
        return
    old = sender.objects.filter(pk=instance.pk).values_list(field, flat=True).first()
    if old is not None and not old.equals_exact(getattr(instance, field), tolerance=0):
        instance._tiles_old_box = _box_of(old)


def _after_save(sender, instance, created=False, **kwargs):
    field = TRACKED[sender._meta.label]
    old_box = getattr(instance, "_tiles_old_box", None)
    boxes = [old_box, _current_box(instance, field)]
    moved = field is not None and (created or old_box is not None)
    invalidate_boxes(boxes, layers_fed_by(sender._meta.label), geometry_changed=moved)


def _after_delete(sender, instance, **kwargs):
    # A room deleted with its building finds no footprint: the building's own delete covers it.
    box = _current_box(instance, TRACKED[sender._meta.label])
    invalidate_boxes([box], layers_fed_by(sender._meta.label))


def connect() -> None:
    for label in TRACKED:
        model = apps.get_model(label)
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"tiles-pre-{label}")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"tiles-post-{label}")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"tiles-del-{label}")
