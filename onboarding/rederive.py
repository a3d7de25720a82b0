"""An import reports what it wrote to the change pipeline (gis_core/changes.py), once, at the end.

An import writes in bulk — boundaries of communities, grids and meshes, or the rooms of many
buildings — with no per-row save(). Afterwards, in the same transaction, it reports every row it
wrote, set-based, exactly as a save() would: the pipeline re-places whatever lies where a boundary
was drawn or moved (every building, camera, kiosk, patrol point and incident there gets its
community, grid and mesh again), lays out the rooms of buildings that gained rooms, and after the
commit the tiles of the changed places, the coverage figures and the 3D model follow. A dry run
rolls all of it back with the import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.gis.geos import GEOSGeometry

from gis_core import changes

# Rooms' fields an import rewrites in place.
ROOM_FIELDS = ("area_m2", "rent_monthly", "capacity", "status", "updated_at")


@dataclass(frozen=True)
class Written:
    """One boundary row the import created or updated."""

    model: type
    pk: int
    old: GEOSGeometry | None  # the boundary before (None: a new row)
    moved: bool               # its boundary was drawn or moved (else: attributes only)


def after_import(*, written: Iterable[Written] = (), rooms_added: Iterable[int] = (),
                 rooms_updated: Iterable[int] = ()) -> None:
    """Report the import's rows to the pipeline: boundaries (communities before grids, so grids
    are re-placed within their communities' new shapes), then rooms."""
    from buildings.models import Room
    from gis_core.models import Community, Grid

    written = list(written)
    for model in (Community, Grid):
        rows = [w for w in written if w.model is model]
        moved = [w for w in rows if w.moved]
        if moved:
            changes.geometry_changed(model, [w.pk for w in moved], {w.pk: w.old for w in moved if w.old is not None})
        if still := [w.pk for w in rows if not w.moved]:
            changes.attributes_changed(model, still)
    if added := set(rooms_added):
        changes.geometry_changed(Room, added)  # drawn anew: their buildings are laid out again
    if updated := set(rooms_updated) - added:
        changes.attributes_changed(Room, updated, ROOM_FIELDS)
