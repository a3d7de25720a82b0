"""Everything derived from geometry, brought up to date once after an import.

An import writes in bulk (no per-row save, so no signals): boundaries of communities, grids and
meshes, or rooms of many buildings. Afterwards, in the same transaction, once:

* every building, camera, kiosk and patrol point lying where a boundary changed gets its
  community, grid and mesh again (gis_core.assign: one set-based UPDATE per model);
* buildings whose rooms were added or renumbered get their derived room layout (buildings.layout);
* tiles of the changed places are invalidated on commit (tiles.invalidation), the coverage
  figures of the grids there are dropped (computed again when next asked for, as after a
  building edit: coverage.signals), and the 3D tiles of the communities involved are rebuilt
  on commit (model3d).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import connection, transaction

from gis_core.assign import LOCATED_MODELS, assign_points
from tiles.invalidation import invalidate_buildings, invalidate_geometries, layers_fed_by

# Located models and the geometry field their place is derived from.
_GEOMETRY_FIELD = {"footprint", "location"}


# PIPELINE: switch to gis_core.changes
def after_import(*, areas: Iterable = (), relayout_buildings: Iterable[int] = (),
                 touched_buildings: Iterable[int] = (), communities: Iterable[int] = ()) -> dict[str, int]:
    """Re-derive what the import changed; returns the rows re-placed per model.

    `areas`: GEOS (multi)polygons, lon/lat, where a community/grid/mesh boundary was created or
    changed (the old and the new shape). `relayout_buildings`: buildings whose rooms were added or
    renumbered. `touched_buildings`: buildings whose rooms changed otherwise (status, rent: tiles only).
    `communities`: communities whose 3D model must be rebuilt besides those the areas touch.
    """
    from buildings.layout import relayout

    areas = [a for a in areas if a is not None and not a.empty]
    community_ids = set(communities)
    placed: dict[str, int] = {}
    if areas:
        union = areas[0]
        for area in areas[1:]:
            union = union.union(area)
        for label in LOCATED_MODELS:
            model = apps.get_model(label)
            field = next(f.name for f in model._meta.concrete_fields if f.name in _GEOMETRY_FIELD)
            ids = list(model.objects.filter(**{f"{field}__intersects": union}).values_list("pk", flat=True))
            placed[label] = assign_points(model, ids, set_community=True)
            if label == "buildings.Building":
                community_ids |= set(model.objects.filter(pk__in=ids).values_list("community_id", flat=True))
        invalidate_geometries(areas, {*layers_fed_by("gis_core.Community"), *layers_fed_by("gis_core.Grid"),
                                      *layers_fed_by("buildings.Building")}, geometry_changed=True)
        _drop_coverage(areas)
        community_ids |= set(apps.get_model("gis_core.Community").objects.filter(
            boundary__intersects=union).values_list("pk", flat=True))
    buildings = sorted(set(relayout_buildings))
    if buildings:
        relayout(buildings)
        invalidate_buildings(buildings)
        community_ids |= set(apps.get_model("buildings.Building").objects.filter(
            pk__in=buildings).values_list("community_id", flat=True))
    touched = sorted(set(touched_buildings) - set(buildings))
    if touched:
        invalidate_buildings(touched)
    if community_ids:
        _rebuild_3d(community_ids)
    return placed


def _drop_coverage(areas) -> None:
    from coverage.signals import _DROP_COVERAGE  # the statement a building edit runs

    with connection.cursor() as cur:
        for area in areas:
            cur.execute(_DROP_COVERAGE, {"fp": area.ewkb})


def _rebuild_3d(community_ids: set[int]) -> None:
    ids = sorted(c for c in community_ids if c)

    def run():
        from model3d.background import request_rebuild

        request_rebuild(ids)

    transaction.on_commit(run)
