"""Grid codes by the standard numbering (gis_core.numbering: west→east, then north→south), with
a preview: which grid and mesh would get which code. Applying it is one transaction that also
writes a history row for every grid whose code changed."""

from __future__ import annotations

from django.db import transaction

from gis_core.changes import attributes_changed
from gis_core.models import Community, Grid
from gis_core.numbering import reading_order


def _key(grid: Grid):
    p = grid.boundary.point_on_surface
    minx, miny, maxx, maxy = grid.boundary.extent
    return (p.x, p.y), (miny, maxy)


def preview(community: Community) -> list[dict]:
    """Every current grid and mesh of the community with its code now and by the standard."""
    grids = list(Grid.objects.current().filter(community=community).order_by("pk"))
    rows = []
    top = [g for g in grids if g.level == Grid.Level.GRID]
    for i, g in enumerate(reading_order(top, _key), start=1):
        new = f"{community.code}{i:03d}"
        rows.append({"id": g.pk, "level": g.level, "name": g.name, "old": g.code, "new": new})
        meshes = [m for m in grids if m.parent_id == g.pk]
        for j, m in enumerate(reading_order(meshes, _key), start=1):
            rows.append({"id": m.pk, "level": m.level, "name": m.name, "old": m.code, "new": f"{new}{j:03d}"})
    return rows


def apply(community: Community, user=None) -> list[dict]:
    from planner.models import GridVersion
    from planner.services import ensure_initial_history

    with transaction.atomic():
        list(Grid.objects.select_for_update().filter(community=community).order_by("pk"))
        rows = [r for r in preview(community) if r["old"] != r["new"]]
        grids = Grid.objects.in_bulk([r["id"] for r in rows])
        # Codes are unique: park the changing ones on temporary codes first (a swap would collide).
        for r in rows:
            Grid.objects.filter(pk=r["id"]).update(code=f"~{r['id']}")
        for r in rows:
            g = grids[r["id"]]
            ensure_initial_history(g)
            Grid.objects.filter(pk=g.pk).update(code=r["new"], version=g.version + 1)
            GridVersion.objects.create(grid=g, grid_code=r["new"], version=g.version + 1, name=g.name,
                                       boundary=g.boundary, action=GridVersion.Action.RENUMBER,
                                       note=f"{r['old']} → {r['new']}",
                                       author=user if getattr(user, "is_authenticated", False) else None)
        attributes_changed(Grid, grids, fields={"code", "version"})  # their tiles show the code
    return rows
