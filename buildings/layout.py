"""A plausible room layout for buildings whose rooms have no surveyed outline.

Tiles (per-floor extrusion) and the 3D model need a shape for every room. When a room has no
surveyed footprint, its floor's rooms are laid out as equal strips across the building's
footprint, side by side along its long axis — the common plan of a handshake building with
rooms off a stair at one end. The layout depends only on the footprint and the room numbers,
so it is stable between runs; it is recomputed when either changes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry


def _long_axis_frame(footprint: Polygon) -> tuple[float, tuple[float, float]]:
    """Angle (radians, in a locally isotropic frame) of the footprint's long axis, and the origin."""
    rect = footprint.minimum_rotated_rectangle
    (x0, y0), (x1, y1), (x2, y2) = list(rect.exterior.coords)[:3]
    return (x0, y0), ((x1 - x0, y1 - y0), (x2 - x1, y2 - y1))


def strips(footprint: Polygon, n: int, *, lat: float | None = None) -> list[Polygon]:
    """Cut `footprint` into n strips of equal width across its long axis (west/south end first).

    `lat`: the latitude when coordinates are lon/lat degrees, so that "long" is judged in metres.
    """
    if n < 1:
        return []
    k = math.cos(math.radians(lat)) if lat is not None else 1.0
    # Work in a frame where one unit is the same distance in x and y.
    iso = shapely.affinity.scale(footprint, xfact=k, yfact=1.0, origin=(0, 0))
    rect = iso.minimum_rotated_rectangle
    pts = list(rect.exterior.coords)[:4]
    edges = [(pts[i], pts[(i + 1) % 4]) for i in range(4)]
    (a, b) = max(edges, key=lambda e: math.dist(*e))
    angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
    centre = rect.centroid
    flat = shapely.affinity.rotate(iso, -angle, origin=centre)
    minx, miny, maxx, maxy = flat.bounds
    width = (maxx - minx) / n
    out = []
    for i in range(n):
        cut = flat.intersection(box(minx + i * width, miny - 1, minx + (i + 1) * width, maxy + 1))
        if cut.geom_type != "Polygon":  # a concave footprint: keep the largest piece
            parts = [g for g in getattr(cut, "geoms", []) if g.geom_type == "Polygon"]
            cut = max(parts, key=lambda g: g.area) if parts else Polygon()
        piece = shapely.affinity.rotate(cut, angle, origin=centre)
        out.append(shapely.affinity.scale(piece, xfact=1 / k, yfact=1.0, origin=(0, 0)))
    # Number strips from the west (or south) end, whatever way the long axis was found.
    return sorted(out, key=lambda p: (round(p.centroid.x, 9), round(p.centroid.y, 9))) if out else out


def _room_order(number: str) -> tuple[int, str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    return (int(digits) if digits else 0, number)


def layout_rooms(footprint: BaseGeometry, rooms: Iterable[tuple[int, int, str]], *, lat: float | None = None
                 ) -> dict[int, Polygon]:
    """Shapes for rooms given as (room id, floor, number): each floor's rooms in number order."""
    by_floor: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for room_id, floor, number in rooms:
        by_floor[floor].append((room_id, number))
    shapes: dict[int, Polygon] = {}
    cache: dict[int, list[Polygon]] = {}
    for floor_rooms in by_floor.values():
        floor_rooms.sort(key=lambda r: _room_order(r[1]))
        n = len(floor_rooms)
        if n not in cache:
            cache[n] = strips(footprint, n, lat=lat)
        for (room_id, _), shape in zip(floor_rooms, cache[n]):
            shapes[room_id] = shape
    return shapes


def layout_in(footprint: BaseGeometry, rooms: Iterable[tuple[int, int, str]]) -> dict[int, Polygon]:
    """layout_rooms for a lon/lat footprint (how everything stored is laid out: relayout, the seed,
    3D for rooms not laid out yet)."""
    return layout_rooms(footprint, rooms, lat=footprint.centroid.y)


def relayout(building_ids: Iterable[int], *, unless_laid_out: bool = False) -> int:
    """Recompute the derived layout of every room of these buildings (one UPDATE); returns rooms set.

    `unless_laid_out`: leave out buildings whose rooms all have a layout already (new buildings
    written with their rooms' layout, as the demo seed writes them)."""
    from django.db import connection

    from buildings.models import Building, Room

    ids = list(building_ids)
    if unless_laid_out and ids:
        ids = list(set(Room.objects.filter(building_id__in=ids, layout__isnull=True, footprint__isnull=True)
                       .values_list("building_id", flat=True)))
    if not ids:
        return 0
    rooms: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for room_id, building_id, floor, number in Room.objects.filter(building_id__in=ids).values_list(
            "id", "building_id", "floor", "number"):
        rooms[building_id].append((room_id, floor, number))
    room_ids, wkbs = [], []
    for building in Building.objects.filter(pk__in=rooms.keys()).only("id", "footprint"):
        fp = shapely.from_wkb(bytes(building.footprint.wkb))
        for room_id, shape in layout_in(fp, rooms[building.pk]).items():
            room_ids.append(room_id)
            wkbs.append(shapely.to_wkb(shape))
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE buildings_room r SET layout = ST_GeomFromWKB(u.wkb, 4326)"
            " FROM unnest(%s::bigint[], %s::bytea[]) AS u(id, wkb) WHERE r.id = u.id",
            [room_ids, wkbs],
        )
        return cur.rowcount


def footprints_moved(sender, change, **kwargs) -> None:
    """gis_core/changes.py, inside the transaction: the rooms of buildings moved — by a save, an
    import — are laid out in the new footprint (tiles and 3D draw these shapes); those of new
    buildings unless they came laid out (the seed writes rooms with their layout)."""
    if change.removed or not change.moved:
        return
    moved = change.ids & set(change.old)
    relayout(moved)
    relayout(change.ids - moved, unless_laid_out=True)


def rooms_redrawn(sender, change, **kwargs) -> None:
    """gis_core/changes.py, inside the transaction: rooms added, renumbered, moved to another floor
    or building, or removed — their buildings' rooms are laid out again (by number, per floor)."""
    if change.moved or change.removed:
        relayout(change.within)
